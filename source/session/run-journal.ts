// The saved session as the run's journal: every result, every reached address and the engine's
// memory are written as they happen, so a run cut off anywhere (the master's own reboot included)
// resumes from the file.
import type { RunJournal } from '../engine/journaled-run.js';
import { countEditedRows } from '../plan/plan-cluster.js';
import type { SavedSession } from './saved-session.js';
import type { SessionFile } from './session-file.js';

export function sessionRunJournal(
  file: Pick<SessionFile, 'save'>,
  session: SavedSession,
  onSaveProblem: (message: string) => void,
): RunJournal {
  const state = structuredClone(session);
  const run = state.run ?? {
    memory: { rebootPending: [], masterBootIdBeforeReboot: null },
    results: {},
  };
  state.run = run;
  const save = () => {
    const problem = file.save(state);
    if (problem) onSaveProblem(problem);
  };
  return {
    settings: state.settings,
    rows: state.rows,
    memory: run.memory,
    saveRows(rows) {
      state.rows = rows.map((row) => ({ ...row }));
      state.rowsEdited = countEditedRows(state.settings, state.rows) > 0;
      save();
    },
    saveMemory(memory) {
      run.memory = { ...memory, rebootPending: [...memory.rebootPending] };
      save();
    },
    saveResult(step, node, status) {
      run.results[step] = { ...run.results[step], [node]: status };
      save();
    },
  };
}
