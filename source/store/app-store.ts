// The one store of the wizard: what the person answered, the lookup table, where they are, and how
// the program should end. Screens read it with useStore(store, selector); engine code will use
// getState/setState/subscribe. Every action is a pure function of the state (see app-state.ts).
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { NetworkDefaults } from '../discovery/master-network.js';
import type { ClusterSettings, NodeRow, ValidationIssue } from '../plan/plan-cluster.js';
import {
  type AppData,
  type AppOutcome,
  addRow,
  assignReachAt,
  confirmTable,
  editRow,
  goBack,
  initialData,
  type ResumeOffer,
  type RowPatch,
  removeRow,
  replaceRow,
  resume,
  type SavedData,
  type ScreenName,
  type SubmitSettingsResult,
  start,
  startOver,
  startSession,
  submitSettings,
} from './app-state.js';

export interface AppActions {
  /** Welcome → cluster form, keeping whatever the state already holds. */
  start(): void;
  /** Welcome → the screen the saved session was on, with its data. */
  resume(): void;
  /** Forget the saved answers and table, then go to the cluster form. */
  startOver(): void;
  /** Esc: the previous screen (nothing on the welcome screen). */
  goBack(): void;
  /**
   * The cluster form's Enter: plans the table and goes to the review, keeps a hand-edited table
   * when the answers did not change, or reports why it cannot go on.
   */
  submitSettings(
    settings: ClusterSettings,
    options?: { discardEdits?: boolean },
  ): SubmitSettingsResult;
  /** Replaces fields of one row of the table (by Pi number) and marks the table hand-edited. */
  editRow(index: number, patch: RowPatch): void;
  /** A Pi more after the last row; its row, or why there is none (the subnet is full, say). */
  addRow(): { problem: string } | { row: NodeRow };
  /** Takes a Pi out of the cluster (its key retired for the next run); why not, when it cannot be. */
  removeRow(index: number): string | undefined;
  /** A re-flashed card whose host key the person confirmed (trusted at the next run); why not. */
  replaceRow(index: number, reachAt: string, hostKey: string): string | undefined;
  /** Discovery's assignment: sets the "reach it now at" address of the given rows (by Pi number). */
  assignReachAt(patches: ReadonlyArray<{ index: number; reachAt: string }>): void;
  /** Review → confirm when the table is valid; otherwise returns the issues and stays. */
  confirmTable(): ValidationIssue[];
  /** Remembers the login password for this run only: it is never written to the session file. */
  setPassword(password: string | undefined): void;
  /** Asks the root component to leave Ink and end the program with this code and message. */
  finish(outcome: AppOutcome): void;
}

export interface AppState extends AppData, AppActions {
  /** Secrets live here and only here; the session file's partialize leaves them out. */
  secrets: { password?: string };
  /** Set once the program should end; App unmounts and cli.tsx prints the message. */
  outcome?: AppOutcome;
}

export type AppStore = StoreApi<AppState>;

export interface CreateAppStoreOptions {
  /** Data of a saved session; the wizard starts on the welcome screen and offers to resume. */
  saved?: SavedData;
  /** A message about the session file for the welcome screen (moved aside, not saved, …). */
  sessionNotice?: string;
  dryRun?: boolean;
  /** The master's own network, read by the command: the cluster form starts from it. */
  networkDefaults?: NetworkDefaults;
}

export function createAppStore(options: CreateAppStoreOptions = {}): AppStore {
  return createStore<AppState>()((set, get) => ({
    ...startSession(initialData, options),
    secrets: {},
    start: () => set((state) => start(state)),
    resume: () => set((state) => resume(state)),
    startOver: () => set((state) => startOver(state)),
    goBack: () => set((state) => goBack(state)),
    submitSettings: (settings, submitOptions) => {
      const result = submitSettings(get(), settings, submitOptions);
      if (result.change) set(result.change);
      return result.result;
    },
    editRow: (index, patch) => set((state) => editRow(state, index, patch)),
    removeRow: (index) => {
      const removed = removeRow(get(), index);
      if ('problem' in removed) return removed.problem;
      set(removed.change);
      return undefined;
    },
    replaceRow: (index, reachAt, hostKey) => {
      const replaced = replaceRow(get(), index, reachAt, hostKey);
      if ('problem' in replaced) return replaced.problem;
      set(replaced.change);
      return undefined;
    },
    addRow: () => {
      const added = addRow(get());
      if ('problem' in added) return added;
      set(added.change);
      return { row: added.row };
    },
    assignReachAt: (patches) => set((state) => assignReachAt(state, patches)),
    confirmTable: () => {
      const result = confirmTable(get());
      if (result.change) set(result.change);
      return result.issues;
    },
    setPassword: (password) => set({ secrets: password === undefined ? {} : { password } }),
    finish: (outcome) => set({ outcome }),
  }));
}

export type { AppData, AppOutcome, ResumeOffer, RowPatch, ScreenName, SubmitSettingsResult };
