// Saves the store to the session file on every change, once the person has gone past the welcome
// screen: until then the saved session (the one offered for resuming, or replaced by --fresh) stays.

import { type SavedSession, sessionSchemaVersion } from '../session/saved-session.js';
import type { SessionFile } from '../session/session-file.js';
import type { AppData } from './app-state.js';
import type { AppStore } from './app-store.js';

/** The partialize: exactly what is written to disk, picked field by field (never a secret). */
export function toSavedSession(state: AppData): SavedSession {
  return {
    schemaVersion: sessionSchemaVersion,
    screen: state.screen,
    settings: { ...state.settings, dns: [...state.settings.dns] },
    rows: state.rows.map((row) => ({ ...row })),
    rowsEdited: state.rowsEdited,
    ...(state.run ? { run: structuredClone(state.run) } : {}),
  };
}

export function persistSession(store: AppStore, file: Pick<SessionFile, 'save'>): () => void {
  let lastWritten: string | undefined;
  return store.subscribe((state) => {
    if (state.screen === 'welcome') return;
    const session = toSavedSession(state);
    const text = JSON.stringify(session);
    if (text === lastWritten) return;
    lastWritten = text;
    const problem = file.save(session);
    if (problem !== state.saveProblem) store.setState({ saveProblem: problem });
  });
}
