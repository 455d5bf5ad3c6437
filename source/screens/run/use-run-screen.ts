import { useReducer, useRef } from 'react';
import type { RunStore } from '../../store/run-store.js';
import useKeys from '../use-keys.js';
import {
  failureChoices,
  initialRunScreenState,
  type RunScreenAction,
  runScreenReducer,
} from './run-screen-state.js';

/**
 * The run's keys. ↑/↓/PgUp/PgDn/Home/End scroll a table (or the dry run's plan) longer than the
 * terminal. A failed node: r retry, s skip, x stop, or ←/→/Tab and Enter. Cloned cards: y or n.
 * Ctrl+C once stops the run cleanly, twice quits at once. When the plan is shown, q/Enter/Esc quit.
 */
export default function useRunScreen(
  store: RunStore,
  options: {
    isActive: boolean;
    /** Rows in the scrolled list and how many fit. */
    total: number;
    height: number;
    onQuit: () => void;
    onForceQuit: () => void;
  },
) {
  const [state, dispatch] = useReducer(runScreenReducer, initialRunScreenState);
  // A burst of keys is handled before any render: read and advance this ref, not the closure.
  const latest = useRef(state);
  latest.current = state;
  const act = (action: RunScreenAction) => {
    latest.current = runScreenReducer(latest.current, action);
    dispatch(action);
  };
  const layout = useRef(options);
  layout.current = options;

  useKeys(
    (input, key) => {
      const { total, height, onQuit, onForceQuit } = layout.current;
      const actions = store.getState();
      const { view } = actions;
      if (key.ctrl && input === 'c') {
        if (view.outcome) onQuit();
        else if (view.stopping) onForceQuit();
        else actions.stop();
        return;
      }
      if (key.ctrl) return;
      if (view.clonedCards) {
        if (input === 'y' || input === 'Y') actions.answerClonedCards(true);
        else if (input === 'n' || input === 'N' || key.escape) actions.answerClonedCards(false);
        return;
      }
      const failure = view.failures[0];
      if (failure) {
        const direct = failureChoices.find((each) => each.key === input.toLowerCase());
        if (direct || key.return) {
          actions.answerFailure(failure, direct?.value ?? latest.current.choice);
          act({ type: 'reset-choice' });
          return;
        }
        if (key.leftArrow || (key.tab && key.shift)) return act({ type: 'choose', by: -1 });
        if (key.rightArrow || key.tab) return act({ type: 'choose', by: 1 });
      }
      if (view.outcome && (input === 'q' || key.return || key.escape)) return onQuit();
      if (key.upArrow) act({ type: 'scroll', by: -1, total, height });
      else if (key.downArrow) act({ type: 'scroll', by: 1, total, height });
      else if (key.pageUp) act({ type: 'scroll', by: -height, total, height });
      else if (key.pageDown) act({ type: 'scroll', by: height, total, height });
      else if (key.home) act({ type: 'scroll-to', to: 'start', total, height });
      else if (key.end) act({ type: 'scroll-to', to: 'end', total, height });
    },
    { isActive: options.isActive },
  );
  return state;
}
