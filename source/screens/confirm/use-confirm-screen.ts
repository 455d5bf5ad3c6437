import { useInput } from 'ink';
import type { AppStore } from '../../store/app-store.js';

export type ConfirmChoice = 'start' | 'back';

/** What "Start" does in this version: say honestly that running is not there yet, and stop. */
export const notYetAvailable =
  'Running the steps on the Pis is not available in this version of pi-cluster-wizard yet: nothing was changed on any Pi.';

/** Esc goes back to the table; the choice list (ink-select-input) handles ↑/↓/Enter. */
export default function useConfirmScreen(store: AppStore, isActive: boolean) {
  useInput(
    (_input, key) => {
      if (key.escape) store.getState().goBack();
    },
    { isActive },
  );
  const onSelect = (item: { value: ConfirmChoice }) => {
    const actions = store.getState();
    if (item.value === 'back') actions.goBack();
    else actions.finish({ exitCode: 1, message: notYetAvailable });
  };
  return { onSelect };
}
