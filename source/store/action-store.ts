// What the live view of exec, shutdown and reboot shows: a row per node (waiting, working with what
// it is doing, retrying, then how it ended), as pure functions of the engine's events, in a small
// vanilla store the view reads and the command feeds. Nothing of this is saved.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ClusterActionEvent, NodeActionStatus } from '../engine/cluster-actions.js';

export type ActionRowState = 'waiting' | 'working' | 'retrying' | NodeActionStatus;

export interface ActionRow {
  state: ActionRowState;
  /** What the node is doing or waiting for ("running", "down, waiting for it to come back"). */
  activity: string;
  /** When its work began (ms since the epoch). */
  startedAt?: number;
  /** How long its work took, once it ended. */
  elapsedMs?: number;
  /** How it ended, in words (a failure: what happened and what to do). */
  summary?: string;
  /** While retrying: when the next attempt starts, and which one it is. */
  retryAt?: number;
  attempt?: number;
  maxAttempts?: number;
}

export interface ActionView {
  /** The first line: what runs where. */
  title: string;
  /** Every node, in the table's order. */
  nodes: string[];
  rows: Record<string, ActionRow>;
  /** The nodes that ended, in the order they ended. */
  ended: string[];
  /** Ctrl+C was pressed: what runs is being stopped. */
  stopping: boolean;
  /** The command has all its results: the view stops ticking. */
  done: boolean;
}

export function initialActionView(title: string, nodes: readonly string[]): ActionView {
  return {
    title,
    nodes: [...nodes],
    rows: Object.fromEntries(nodes.map((node) => [node, { state: 'waiting', activity: '' }])),
    ended: [],
    stopping: false,
    done: false,
  };
}

export function applyActionEvent(
  view: ActionView,
  event: ClusterActionEvent,
  now: number,
): ActionView {
  const node = event.type === 'finished' ? event.result.node : event.node;
  const row = view.rows[node] ?? { state: 'waiting', activity: '' };
  const next = (changed: Partial<ActionRow>): ActionView => ({
    ...view,
    rows: { ...view.rows, [node]: { ...row, ...changed } },
  });
  switch (event.type) {
    case 'working':
      return next({ state: 'working', activity: event.activity, startedAt: row.startedAt ?? now });
    case 'waiting':
      return next({ state: 'waiting', activity: event.activity });
    case 'retrying':
      return next({
        state: 'retrying',
        activity: event.message.split('\n')[0] ?? '',
        retryAt: now + event.delayMs,
        attempt: event.attempt,
        maxAttempts: event.maxAttempts,
      });
    case 'finished': {
      const { status, summary, durationMs } = event.result;
      const ended = next({ state: status, summary, activity: '', elapsedMs: durationMs });
      return { ...ended, ended: [...view.ended.filter((each) => each !== node), node] };
    }
  }
}

export interface ActionStoreState {
  view: ActionView;
  apply(event: ClusterActionEvent): void;
  /** Ctrl+C: says so on the view, and tells the command once. */
  stop(): void;
  finish(): void;
}

export type ActionStore = StoreApi<ActionStoreState>;

export function createActionStore(options: {
  title: string;
  nodes: readonly string[];
  /** Called on the first stop(): the command aborts the work. */
  onStop?: () => void;
  now?: () => number;
}): ActionStore {
  const now = options.now ?? Date.now;
  return createStore<ActionStoreState>()((set, get) => ({
    view: initialActionView(options.title, options.nodes),
    apply(event) {
      set((state) => ({ view: applyActionEvent(state.view, event, now()) }));
    },
    stop() {
      if (get().view.stopping) return;
      set((state) => ({ view: { ...state.view, stopping: true } }));
      options.onStop?.();
    },
    finish() {
      set((state) => ({ view: { ...state.view, done: true } }));
    },
  }));
}
