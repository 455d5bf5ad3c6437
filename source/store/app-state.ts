// The wizard's state and its transitions as pure functions: each takes the state and returns the
// fields that change, so they are tested without a store, React or Ink.

import type { NetworkDefaults } from '../discovery/master-network.js';
import {
  type ClusterSettings,
  countEditedRows,
  defaultSettings,
  type NodeRow,
  newRows,
  planCluster,
  type ValidationIssue,
  validateRows,
  validateSettings,
} from '../plan/plan-cluster.js';
import { withoutNode, withReplacedNode } from '../session/cluster-changes.js';
import {
  type RunState,
  type SavedData,
  type SavedSession,
  type ScreenName,
  screenOrder,
  sessionSchemaVersion,
} from '../session/saved-session.js';
import { describeRunProgress } from './run-progress.js';

export {
  countEditedRows,
  type RunState,
  type SavedData,
  type ScreenName,
  screenOrder,
  sessionSchemaVersion,
};

/** What a person reads for a screen, e.g. in "Resume where you left off (…)". */
export const screenTitles: Record<ScreenName, string> = {
  welcome: 'Welcome',
  'cluster-form': 'Cluster settings',
  'review-table': 'Review the lookup table',
  confirm: 'Confirm',
};

export interface ResumeOffer {
  screen: ScreenName;
  nodeCount: number;
  /** Where the saved run stands (e.g. "Network and SSH done on 5 Pis; next: Keys"), if one ran. */
  progress?: string;
}

/** The store's data (without actions): all of it but secrets and the outcome. */
export interface AppData {
  /** The session file format this state is saved in. */
  schemaVersion: number;
  screen: ScreenName;
  /** The cluster form's last accepted answers; the table was planned from them. */
  settings: ClusterSettings;
  /** What a new plan starts from: the master's own network where it was read, else the guide's. */
  freshSettings: ClusterSettings;
  /** Where the network values of freshSettings came from (read on the master); none: the guide. */
  settingsSources?: NetworkDefaults['sources'];
  /** The lookup table; empty until the form is first submitted. */
  rows: NodeRow[];
  /** True when rows differ from what planCluster(settings) gives: regenerating loses edits. */
  rowsEdited: boolean;
  /** Set when a saved session was loaded; the welcome screen offers to go back to it. */
  resumeOffer?: ResumeOffer;
  /** Something the person must know about the session file (moved aside, not saved, …). */
  sessionNotice?: string;
  /** Set while writing the session file fails; shown on every screen. */
  saveProblem?: string;
  /** --dry-run: later issues show the plan instead of running it. */
  dryRun: boolean;
  /** Left by earlier runs (reboots pending, the master's boot id before its reboot, results). */
  run?: RunState;
}

/** How the wizard's screens ended: Start (the run follows), or an interrupt (Ctrl+C, a signal). */
export type AppOutcome =
  | { kind: 'start-run' }
  | { kind: 'interrupted'; signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP' };

export type RowPatch = Partial<Pick<NodeRow, 'hostname' | 'address' | 'reachAt'>>;

export const initialData: AppData = {
  schemaVersion: sessionSchemaVersion,
  screen: 'welcome',
  settings: defaultSettings,
  freshSettings: defaultSettings,
  rows: [],
  rowsEdited: false,
  dryRun: false,
};

/** The state a run starts in: always the welcome screen, offering the saved session if any. */
export function startSession(
  base: AppData,
  options: {
    saved?: SavedData;
    sessionNotice?: string;
    dryRun?: boolean;
    networkDefaults?: NetworkDefaults;
  },
): AppData {
  const fresh = options.networkDefaults
    ? { ...base.freshSettings, ...options.networkDefaults.settings }
    : base.freshSettings;
  const data: AppData = {
    ...base,
    screen: 'welcome',
    dryRun: options.dryRun ?? false,
    settings: fresh,
    freshSettings: fresh,
    ...(options.networkDefaults ? { settingsSources: options.networkDefaults.sources } : {}),
  };
  if (options.sessionNotice !== undefined) data.sessionNotice = options.sessionNotice;
  const { saved } = options;
  if (!saved) return data;
  const withSaved: AppData = {
    ...data,
    settings: saved.settings,
    rows: saved.rows,
    rowsEdited: saved.rowsEdited,
    ...(saved.run ? { run: saved.run } : {}),
  };
  if (saved.screen !== 'welcome') {
    const progress = describeRunProgress(saved.rows, saved.run);
    withSaved.resumeOffer = {
      screen: saved.screen,
      nodeCount: saved.rows.length > 0 ? saved.rows.length : saved.settings.nodeCount,
      ...(progress ? { progress } : {}),
    };
  }
  return withSaved;
}

export function start(state: AppData): Partial<AppData> {
  return { screen: state.screen === 'welcome' ? 'cluster-form' : state.screen };
}

export function resume(state: AppData): Partial<AppData> {
  return { screen: state.resumeOffer?.screen ?? 'cluster-form', resumeOffer: undefined };
}

export function startOver(state: AppData): Partial<AppData> {
  return {
    screen: 'cluster-form',
    settings: state.freshSettings,
    rows: [],
    rowsEdited: false,
    resumeOffer: undefined,
  };
}

export function goBack(state: AppData): Partial<AppData> {
  const position = screenOrder.indexOf(state.screen);
  return { screen: screenOrder[Math.max(0, position - 1)] ?? 'welcome' };
}

/** The answers that shape the table; the others (subnet, gateway, DNS, user) only validate it. */
function sameTableShape(a: ClusterSettings, b: ClusterSettings): boolean {
  return (
    a.nodeCount === b.nodeCount &&
    a.firstAddress.trim() === b.firstAddress.trim() &&
    a.interfaceName === b.interfaceName &&
    a.masterName === b.masterName &&
    a.workerPrefix === b.workerPrefix
  );
}

export type SubmitSettingsResult =
  | { kind: 'planned' }
  | { kind: 'kept-table' }
  | { kind: 'invalid'; issues: ValidationIssue[] }
  | { kind: 'confirm-discard'; editedRows: number };

export function submitSettings(
  state: AppData,
  settings: ClusterSettings,
  options: { discardEdits?: boolean } = {},
): { result: SubmitSettingsResult; change?: Partial<AppData> } {
  const issues = validateSettings(settings);
  if (issues.length > 0) return { result: { kind: 'invalid', issues } };
  if (state.rows.length > 0 && sameTableShape(state.settings, settings)) {
    return { result: { kind: 'kept-table' }, change: { settings, screen: 'review-table' } };
  }
  if (state.rowsEdited && !options.discardEdits) {
    return {
      result: { kind: 'confirm-discard', editedRows: countEditedRows(state.settings, state.rows) },
    };
  }
  return {
    result: { kind: 'planned' },
    change: { settings, rows: planCluster(settings), rowsEdited: false, screen: 'review-table' },
  };
}

/** A Pi more after the last row (the cluster growing): its row, or why there is none. */
export function addRow(
  state: AppData,
): { problem: string } | { row: NodeRow; change: Partial<AppData> } {
  const made = newRows(state.settings, state.rows, 1);
  if (!made.ok) return { problem: made.message };
  const row = made.value[0]!;
  const rows = [...state.rows, row];
  const settings = { ...state.settings, nodeCount: rows.length };
  return { row, change: { settings, rows, rowsEdited: countEditedRows(settings, rows) > 0 } };
}

/**
 * A Pi taken out of the cluster, as `pi-cluster-wizard remove` takes it out: its row, what runs
 * learned of it, its public key retired (the next run takes it out of every authorized_keys).
 */
export function removeRow(
  state: AppData,
  index: number,
): { problem: string } | { change: Partial<AppData> } {
  const row = workerAt(state, index);
  if ('problem' in row) return row;
  const { settings, rows, rowsEdited, run } = withoutNode(sessionOf(state), row.hostname);
  return { change: { settings, rows, rowsEdited, ...(run ? { run } : {}) } };
}

/**
 * A re-flashed card, as `pi-cluster-wizard replace` takes it once its host key is confirmed: it
 * answers at `reachAt`, the next run trusts `hostKey` for it and forgets the old card's (its old
 * public key retired), and sets it up again.
 */
export function replaceRow(
  state: AppData,
  index: number,
  reachAt: string,
  hostKey: string,
): { problem: string } | { change: Partial<AppData> } {
  const row = workerAt(state, index);
  if ('problem' in row) return row;
  const { rows, run } = withReplacedNode(sessionOf(state), row.hostname, reachAt, hostKey);
  return {
    change: {
      rows,
      rowsEdited: countEditedRows(state.settings, rows) > 0,
      ...(run ? { run } : {}),
    },
  };
}

/** The worker with this Pi number, or why there is none (the master stays: the wizard runs on it). */
function workerAt(state: AppData, index: number): NodeRow | { problem: string } {
  const row = state.rows.find((each) => each.index === index);
  if (!row) return { problem: `there is no Pi ${index}` };
  if (row.index === 0)
    return { problem: `${row.hostname} is the master: the wizard runs on it, so it stays` };
  return row;
}

/** The state as the session file holds it, for the changes that work on sessions. */
function sessionOf(state: AppData): SavedSession {
  return {
    schemaVersion: sessionSchemaVersion,
    screen: state.screen,
    settings: state.settings,
    rows: state.rows,
    rowsEdited: state.rowsEdited,
    ...(state.run ? { run: state.run } : {}),
  };
}

export function editRow(state: AppData, index: number, patch: RowPatch): Partial<AppData> {
  const rows = state.rows.map((row) => (row.index === index ? { ...row, ...patch } : row));
  return { rows, rowsEdited: countEditedRows(state.settings, rows) > 0 };
}

/** Discovery's assignment: each given row is now reached at the address of the machine it got. */
export function assignReachAt(
  state: AppData,
  patches: ReadonlyArray<{ index: number; reachAt: string }>,
): Partial<AppData> {
  const byIndex = new Map(patches.map((patch) => [patch.index, patch.reachAt]));
  const rows = state.rows.map((row) => {
    const reachAt = byIndex.get(row.index);
    return reachAt === undefined ? row : { ...row, reachAt };
  });
  return { rows, rowsEdited: countEditedRows(state.settings, rows) > 0 };
}

export function confirmTable(state: AppData): {
  issues: ValidationIssue[];
  change?: Partial<AppData>;
} {
  const issues = validateRows(state.settings, state.rows);
  if (issues.length > 0 || state.rows.length === 0) return { issues };
  return { issues, change: { screen: 'confirm' } };
}
