// The lookup table review as a pure reducer: which row is selected, the row being edited (its
// draft values) and whether the person tried to go on with problems left.
import type { SshIdentity } from '../../discovery/ssh-probe.js';
import type { NodeRow, RowField } from '../../plan/plan-cluster.js';
import { editText, type TextEdit } from '../text-field/text-field-state.js';

export const editFields = [
  { name: 'hostname', label: 'Hostname', hint: '' },
  { name: 'address', label: 'Static IP', hint: 'the address it keeps' },
  {
    name: 'reachAt',
    label: 'Reach it now at',
    hint: 'where it answers now (DHCP)',
  },
] as const satisfies ReadonlyArray<{ name: RowField; label: string; hint: string }>;

export type RowDraft = Pick<NodeRow, RowField>;

export interface RowEdit {
  /** The Pi number of the row being edited. */
  index: number;
  focus: number;
  /** The cursor in the focused field. */
  cursor: number;
  values: RowDraft;
}

export interface ReviewTableState {
  /** Position in the table (not the Pi number). */
  selected: number;
  editing?: RowEdit;
  triedWithProblems: boolean;
  /** The discovery screen is open over the table (key d). */
  discovering?: boolean;
  /** Why the last key could not do what it asks (a Pi could not be added), until the next key. */
  notice?: string;
  /** The Pi number whose removal (key x) waits for y. */
  removing?: number;
  /** A re-flashed card being replaced (key r): where it answers, then its host key to confirm. */
  replacing?: CardReplacement;
}

export interface CardReplacement {
  /** The Pi number. */
  index: number;
  /** Typing where the new card answers, asking it for its host key, or waiting for y. */
  phase: 'address' | 'asking' | 'confirm';
  value: string;
  cursor: number;
  /** What answered, once asked. */
  identity?: SshIdentity;
}

export type ReviewTableAction =
  | { type: 'move'; by: number; rowCount: number }
  | { type: 'move-to'; position: number; rowCount: number }
  | { type: 'start-edit'; row: NodeRow; field?: RowField }
  | { type: 'edit'; edit: TextEdit }
  | { type: 'edit-focus'; by: number }
  | { type: 'end-edit' }
  | { type: 'continue-with-problems' }
  | { type: 'discovery'; open: boolean }
  | { type: 'notice'; text: string | undefined }
  | { type: 'removing'; index: number | undefined }
  /** `value`: where the row says it answers, when that is not its static address (found by d). */
  | { type: 'replace-start'; index: number; value?: string }
  | { type: 'replace-edit'; edit: TextEdit }
  | { type: 'replace-asking' }
  | { type: 'replace-found'; identity: SshIdentity }
  /** Nothing answered there: the address again, to correct. */
  | { type: 'replace-address' }
  | { type: 'replace-end' };

export const initialReviewTableState: ReviewTableState = { selected: 0, triedWithProblems: false };

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);

export function reviewTableReducer(
  state: ReviewTableState,
  action: ReviewTableAction,
): ReviewTableState {
  switch (action.type) {
    case 'move':
      return { ...state, selected: clamp(state.selected + action.by, 0, action.rowCount - 1) };
    case 'move-to':
      return { ...state, selected: clamp(action.position, 0, action.rowCount - 1) };
    case 'start-edit': {
      const focus = Math.max(
        0,
        editFields.findIndex((field) => field.name === (action.field ?? 'hostname')),
      );
      return {
        ...state,
        editing: {
          index: action.row.index,
          focus,
          cursor: action.row[editFields[focus]!.name].length,
          values: {
            hostname: action.row.hostname,
            address: action.row.address,
            reachAt: action.row.reachAt,
          },
        },
      };
    }
    case 'edit': {
      if (!state.editing) return state;
      const field = editedField(state.editing);
      const { values, cursor } = state.editing;
      const edited = editText({ value: values[field], cursor }, action.edit);
      return {
        ...state,
        editing: {
          ...state.editing,
          values: { ...values, [field]: edited.value },
          cursor: edited.cursor,
        },
      };
    }
    case 'edit-focus': {
      if (!state.editing) return state;
      const focus = (state.editing.focus + editFields.length + action.by) % editFields.length;
      const editing = { ...state.editing, focus };
      return {
        ...state,
        editing: { ...editing, cursor: editing.values[editedField(editing)].length },
      };
    }
    case 'end-edit':
      return { ...state, editing: undefined };
    case 'continue-with-problems':
      return { ...state, triedWithProblems: true };
    case 'discovery':
      return { ...state, discovering: action.open };
    case 'notice':
      return { ...state, notice: action.text };
    case 'removing':
      return { ...state, removing: action.index };
    case 'replace-start': {
      const value = action.value ?? '';
      return {
        ...state,
        replacing: { index: action.index, phase: 'address', value, cursor: value.length },
      };
    }
    case 'replace-edit': {
      if (state.replacing?.phase !== 'address') return state;
      const { value, cursor } = editText(state.replacing, action.edit);
      return { ...state, replacing: { ...state.replacing, value, cursor } };
    }
    case 'replace-asking':
      return state.replacing
        ? { ...state, replacing: { ...state.replacing, phase: 'asking' } }
        : state;
    case 'replace-found':
      return state.replacing?.phase === 'asking'
        ? {
            ...state,
            replacing: { ...state.replacing, phase: 'confirm', identity: action.identity },
          }
        : state;
    case 'replace-address':
      return state.replacing
        ? { ...state, replacing: { ...state.replacing, phase: 'address', identity: undefined } }
        : state;
    case 'replace-end':
      return { ...state, replacing: undefined };
  }
}

/** The field of the row that has the focus. */
export function editedField(editing: RowEdit): RowField {
  return editFields[editing.focus]?.name ?? 'hostname';
}

/** The table as it would be with the draft saved: what the screen shows and validates. */
export function rowsWithDraft(rows: readonly NodeRow[], editing: RowEdit | undefined): NodeRow[] {
  if (!editing) return [...rows];
  return rows.map((row) => (row.index === editing.index ? { ...row, ...editing.values } : row));
}

/** The rows that fit: keeps the selected row in view, near the middle once the table scrolls. */
export function visibleWindow(
  selected: number,
  rowCount: number,
  height: number,
): { start: number; end: number } {
  const size = Math.max(1, Math.min(height, rowCount));
  const start = clamp(selected - Math.floor(size / 2), 0, Math.max(0, rowCount - size));
  return { start, end: start + size };
}

/** Issues listed under the table; the rest are counted. */
export const maxIssuesShown = 5;

/** Lines the issue block under the table takes: the issues, "… and N more", "Fix …". */
export function issueLines(issueCount: number, triedWithProblems: boolean): number {
  if (issueCount === 0) return 1;
  return (
    Math.min(issueCount, maxIssuesShown) +
    (issueCount > maxIssuesShown ? 1 : 0) +
    (triedWithProblems ? 1 : 0)
  );
}

/** Lines the panel under the table takes: the row being edited, or the card being replaced. */
export function panelLines(state: ReviewTableState): number {
  if (state.editing) return 5;
  if (!state.replacing) return 0;
  return state.replacing.identity ? 12 : 6;
}

/**
 * How many table rows fit in a terminal this tall beside the header, the column titles, the
 * panel under the table and the issues, with a line to spare (a full screen makes Ink redraw it all).
 */
export function tableHeight(
  terminalRows: number | undefined,
  panel: number,
  issueBlockLines: number,
): number {
  const reserved = 14 + issueBlockLines + panel;
  return Math.max(3, (terminalRows ?? 24) - reserved);
}
