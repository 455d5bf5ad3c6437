import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { AppStore } from '../../store/app-store.js';
import { type WelcomeItem, welcomeChoices } from './welcome-choices.js';

/**
 * The welcome screen's choices and what choosing one does. The arrow and Enter keys are
 * ink-select-input's own, active only while this screen has the keyboard.
 */
export default function useWelcomeScreen(store: AppStore) {
  const { resumeOffer, rows, sessionNotice } = useStore(
    store,
    useShallow((state) => ({
      resumeOffer: state.resumeOffer,
      rows: state.rows,
      sessionNotice: state.sessionNotice,
    })),
  );
  const items = welcomeChoices({ resumeOffer, rows });
  const onSelect = (item: WelcomeItem) => {
    const actions = store.getState();
    if (item.value === 'resume') actions.resume();
    else if (item.value === 'start-over') actions.startOver();
    else actions.start();
  };
  return { items, onSelect, sessionNotice };
}
