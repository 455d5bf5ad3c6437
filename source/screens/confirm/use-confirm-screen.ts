import { useInput } from 'ink';
import type { AppStore } from '../../store/app-store.js';

export type ConfirmChoice = 'start' | 'back';

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
    else actions.finish({ kind: 'start-run' });
  };
  return { onSelect };
}
