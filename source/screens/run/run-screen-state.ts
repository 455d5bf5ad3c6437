// The run screens' own state: which rows of a long table are in view and which answer is
// highlighted for a failed node. Pure, so the keys are tested without Ink.
import type { FailureChoice } from '../../engine/run-setup.js';

export interface RunScreenState {
  /** The first node row in view (tables longer than the terminal scroll). */
  offset: number;
  /** The highlighted answer for the failed node shown. */
  choice: FailureChoice;
}

export const failureChoices: ReadonlyArray<{ value: FailureChoice; key: string; label: string }> = [
  { value: 'retry', key: 'r', label: 'Retry it' },
  { value: 'skip', key: 's', label: 'Skip this node for the rest of the run' },
  {
    value: 'stop',
    key: 'x',
    label: 'Stop the run (work in flight finishes, the session is saved)',
  },
];

export const initialRunScreenState: RunScreenState = { offset: 0, choice: 'retry' };

export type RunScreenAction =
  | { type: 'scroll'; by: number; total: number; height: number }
  | { type: 'scroll-to'; to: 'start' | 'end'; total: number; height: number }
  | { type: 'choose'; by: number }
  | { type: 'reset-choice' };

/** The offset kept inside what a window of `height` rows over `total` rows can show. */
export function clampOffset(offset: number, total: number, height: number): number {
  return Math.max(0, Math.min(offset, total - height));
}

export function runScreenReducer(state: RunScreenState, action: RunScreenAction): RunScreenState {
  switch (action.type) {
    case 'scroll':
      return {
        ...state,
        offset: clampOffset(state.offset + action.by, action.total, action.height),
      };
    case 'scroll-to':
      return {
        ...state,
        offset: action.to === 'start' ? 0 : clampOffset(action.total, action.total, action.height),
      };
    case 'choose': {
      const index = failureChoices.findIndex((each) => each.value === state.choice);
      const next = (index + action.by + failureChoices.length) % failureChoices.length;
      return { ...state, choice: failureChoices[next]!.value };
    }
    case 'reset-choice':
      return { ...state, choice: 'retry' };
  }
}
