import { type AppData, screenTitles } from '../../store/app-state.js';

export type WelcomeChoice = 'resume' | 'start-over' | 'start';

export interface WelcomeItem {
  label: string;
  value: WelcomeChoice;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The choices at the bottom of the welcome screen, from what the state holds. */
export function welcomeChoices(state: Pick<AppData, 'resumeOffer' | 'rows'>): WelcomeItem[] {
  const offer = state.resumeOffer;
  if (offer) {
    return [
      {
        label: offer.progress
          ? `Resume where you left off: ${offer.progress}`
          : `Resume where you left off (${screenTitles[offer.screen]}, ${plural(offer.nodeCount, 'node')})`,
        value: 'resume',
      },
      { label: 'Start over (forget the saved answers and table)', value: 'start-over' },
    ];
  }
  if (state.rows.length > 0) {
    return [{ label: `Continue (${plural(state.rows.length, 'node')})`, value: 'start' }];
  }
  return [{ label: 'Begin: describe the cluster', value: 'start' }];
}
