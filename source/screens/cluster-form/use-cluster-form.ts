import { useInput } from 'ink';
import { useReducer, useRef } from 'react';
import type { AppStore } from '../../store/app-store.js';
import { textEditFor } from '../text-field/text-field-state.js';
import {
  clusterFormReducer,
  firstProblemField,
  formFields,
  formProblems,
  initialFormState,
  settingsFromValues,
} from './cluster-form-state.js';

/**
 * The cluster form's keys: Tab/Shift+Tab/↑/↓ move between fields, Enter goes on to the table (or
 * shows what to fix), Esc goes back; y/n answer the "discard your edits?" question. Other keys
 * edit the focused field.
 */
export default function useClusterForm(store: AppStore, isActive: boolean) {
  const [state, dispatch] = useReducer(
    clusterFormReducer,
    store.getState().settings,
    initialFormState,
  );
  // Ink re-subscribes the handler below in an effect; a key arriving before that reads this
  // ref, updated on every render, instead of the state the old handler closed over.
  const latest = useRef(state);
  latest.current = state;

  const submit = (discardEdits: boolean) => {
    const { values } = latest.current;
    const first = firstProblemField(formProblems(values));
    if (first) {
      dispatch({ type: 'submit-with-problems', firstField: first });
      return;
    }
    const result = store.getState().submitSettings(settingsFromValues(values), { discardEdits });
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
      if (latest.current.confirmDiscard !== undefined) {
        if (input === 'y' || input === 'Y') submit(true);
        else if (input === 'n' || input === 'N' || key.escape) dispatch({ type: 'cancel-discard' });
        return;
      }
      if (key.escape) store.getState().goBack();
      else if (key.return) submit(false);
      else if ((key.tab && key.shift) || key.upArrow) dispatch({ type: 'focus-previous' });
      else if (key.tab || key.downArrow) dispatch({ type: 'focus-next' });
      else {
        const edit = textEditFor(input, key);
        if (edit) dispatch({ type: 'edit', edit });
      }
    },
    { isActive },
  );

  return {
    state,
    problems: formProblems(state.values),
    asking: state.confirmDiscard !== undefined,
  };
}
