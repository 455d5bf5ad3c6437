import { useInput } from 'ink';
import { useReducer } from 'react';
import type { AppStore } from '../../store/app-store.js';
import { withoutControlCharacters } from '../typed-text.js';
import {
  clusterFormReducer,
  type FormField,
  firstProblemField,
  formFields,
  formProblems,
  initialFormState,
  settingsFromValues,
} from './cluster-form-state.js';

/**
 * The cluster form's keys: Tab/Shift+Tab/↑/↓ move between fields, Enter goes on to the table (or
 * shows what to fix), Esc goes back; y/n answer the "discard your edits?" question. Typing itself
 * goes to the focused ink-text-input.
 */
export default function useClusterForm(store: AppStore, isActive: boolean) {
  const [state, dispatch] = useReducer(
    clusterFormReducer,
    store.getState().settings,
    initialFormState,
  );
  const problems = formProblems(state.values);
  const asking = state.confirmDiscard !== undefined;

  const submit = (discardEdits: boolean) => {
    const first = firstProblemField(problems);
    if (first) {
      dispatch({ type: 'submit-with-problems', firstField: first });
      return;
    }
    const result = store
      .getState()
      .submitSettings(settingsFromValues(state.values), { discardEdits });
    if (result.kind === 'confirm-discard') {
      dispatch({ type: 'ask-discard', editedRows: result.editedRows });
    } else if (result.kind === 'invalid') {
      const field = result.issues.find((issue) => issue.scope === 'settings')?.field;
      const known = formFields.find((item) => item.name === field)?.name ?? 'nodeCount';
      dispatch({ type: 'submit-with-problems', firstField: known });
    }
  };

  useInput(
    (input, key) => {
      if (key.ctrl) return; // Ctrl+C belongs to the root
      if (asking) {
        if (input === 'y' || input === 'Y') submit(true);
        else if (input === 'n' || input === 'N' || key.escape) dispatch({ type: 'cancel-discard' });
        return;
      }
      if (key.escape) store.getState().goBack();
      else if (key.return) submit(false);
      else if ((key.tab && key.shift) || key.upArrow) dispatch({ type: 'focus-previous' });
      else if (key.tab || key.downArrow) dispatch({ type: 'focus-next' });
    },
    { isActive },
  );

  const change = (field: FormField, value: string) =>
    dispatch({ type: 'change', field, value: withoutControlCharacters(value) });
  return { state, problems, asking, change };
}
