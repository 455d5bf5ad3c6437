import { useReducer, useRef } from 'react';
import type { AppStore } from '../../store/app-store.js';
import { textEditFor } from '../text-field/text-field-state.js';
import useKeys from '../use-keys.js';
import {
  type ClusterFormAction,
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
  // Ink re-subscribes the key handler in an effect, and a burst of keys is handled before any
  // render: the handler reads and advances this ref, never the state it closed over.
  const latest = useRef(state);
  latest.current = state;
  const act = (action: ClusterFormAction) => {
    latest.current = clusterFormReducer(latest.current, action);
    dispatch(action);
  };

  const submit = (discardEdits: boolean) => {
    const { values } = latest.current;
    const first = firstProblemField(formProblems(values));
    if (first) {
      act({ type: 'submit-with-problems', firstField: first });
      return;
    }
    const result = store.getState().submitSettings(settingsFromValues(values), { discardEdits });
    if (result.kind === 'confirm-discard') {
      act({ type: 'ask-discard', editedRows: result.editedRows });
    } else if (result.kind === 'invalid') {
      const field = result.issues.find((issue) => issue.scope === 'settings')?.field;
      const known = formFields.find((item) => item.name === field)?.name ?? 'nodeCount';
      act({ type: 'submit-with-problems', firstField: known });
    }
  };

  useKeys(
    (input, key) => {
      if (key.ctrl) return; // Ctrl+C belongs to the root
      if (latest.current.confirmDiscard !== undefined) {
        if (input === 'y' || input === 'Y') submit(true);
        else if (input === 'n' || input === 'N' || key.escape) act({ type: 'cancel-discard' });
        return;
      }
      if (key.escape) store.getState().goBack();
      else if (key.return) submit(false);
      else if ((key.tab && key.shift) || key.upArrow) act({ type: 'focus-previous' });
      else if (key.tab || key.downArrow) act({ type: 'focus-next' });
      else {
        const edit = textEditFor(input, key);
        if (edit) act({ type: 'edit', edit });
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
