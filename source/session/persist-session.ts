// Saves the store to the session file on every change, once the person has gone past the welcome
// screen: until then the saved session (the one offered for resuming, or replaced by --fresh) stays.
import type { AppStore } from '../store/app-store.js';
import { toSavedSession } from './saved-session.js';
import type { SessionFile } from './session-file.js';

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
