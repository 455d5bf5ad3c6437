// The run screens' store: the view of the run (run-view.ts) plus the questions the engine asks the
// person. The engine's callbacks return promises; their resolvers live here, never in the view, so
// the view stays plain data. Nothing of this is saved: the run's journal is the session file.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { RunOutcome } from '../engine/journaled-run.js';
import type { FailureChoice, NodeFailure, SetupEvent } from '../engine/run-setup.js';
import {
  applySetupEvent,
  failureAnswered,
  failureAsked,
  initialRunView,
  type RunView,
} from './run-view.js';

export interface RunStoreState {
  view: RunView;
  /** One event of the engine. */
  apply(event: SetupEvent): void;
  /** The engine asks what to do with a failed node; resolved by answerFailure or stop. */
  askFailure(failure: NodeFailure): Promise<FailureChoice>;
  answerFailure(failure: NodeFailure, choice: FailureChoice): void;
  /** Preflight found cloned cards: give all but the first of each group new identities? */
  askClonedCards(groups: string[][]): Promise<boolean>;
  answerClonedCards(yes: boolean): void;
  /** Ctrl+C: work in flight finishes, every open question is answered "stop", the run ends. */
  stop(): void;
  /** Lines for the person (how to log in again after the master's reboot), from the command. */
  say(lines: string[]): void;
  /** The run has ended; `lines` say how (from the command's reporter text). */
  finish(outcome: RunOutcome, lines: string[]): void;
}

export type RunStore = StoreApi<RunStoreState>;

const failureKey = (failure: NodeFailure) => `${failure.step}\u0000${failure.node}`;

export function createRunStore(options: {
  steps: Parameters<typeof initialRunView>[0]['steps'];
  nodes: readonly string[];
  /** The login user, for "log in again with ssh user@master". */
  user: string;
  dryRun: boolean;
  /** Called once, on the first stop(): aborts the engine's signal. */
  onStop?: () => void;
  now?: () => number;
}): RunStore {
  const now = options.now ?? Date.now;
  const failureAnswers = new Map<string, (choice: FailureChoice) => void>();
  let clonedAnswer: ((yes: boolean) => void) | undefined;
  let stopChosen = false;

  return createStore<RunStoreState>()((set, get) => ({
    view: initialRunView(options),
    apply(event) {
      set((state) => ({ view: applySetupEvent(state.view, event, now()) }));
    },
    askFailure(failure) {
      // Once the person chose to stop, a node failing afterwards is not asked about again.
      if (get().view.stopping || stopChosen) return Promise.resolve('stop');
      set((state) => ({ view: failureAsked(state.view, failure) }));
      return new Promise((resolve) => failureAnswers.set(failureKey(failure), resolve));
    },
    answerFailure(failure, choice) {
      const resolve = failureAnswers.get(failureKey(failure));
      if (!resolve) return;
      failureAnswers.delete(failureKey(failure));
      set((state) => ({ view: failureAnswered(state.view, failure) }));
      resolve(choice);
      if (choice === 'stop') stopChosen = true;
      // Stopping the run answers every other open question the same way.
      if (choice === 'stop')
        for (const other of get().view.failures) get().answerFailure(other, 'stop');
    },
    askClonedCards(groups) {
      if (get().view.stopping) return Promise.resolve(false);
      set((state) => ({ view: { ...state.view, clonedCards: groups } }));
      return new Promise((resolve) => {
        clonedAnswer = resolve;
      });
    },
    answerClonedCards(yes) {
      const resolve = clonedAnswer;
      clonedAnswer = undefined;
      set((state) => {
        const { clonedCards: _, ...view } = state.view;
        return { view };
      });
      resolve?.(yes);
    },
    stop() {
      if (get().view.stopping) return;
      set((state) => ({ view: { ...state.view, stopping: true } }));
      options.onStop?.();
      for (const failure of get().view.failures) get().answerFailure(failure, 'stop');
      if (clonedAnswer) get().answerClonedCards(false);
    },
    say(lines) {
      set((state) => ({ view: { ...state.view, notice: lines } }));
    },
    finish(outcome, lines) {
      set((state) => ({ view: { ...state.view, outcome, notice: lines } }));
    },
  }));
}
