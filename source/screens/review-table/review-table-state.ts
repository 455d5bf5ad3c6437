// The lookup table review as a pure reducer: which row is selected, the row being edited (its
// draft values) and whether the person tried to go on with problems left.
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
  | { type: 'removing'; index: number | undefined };

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

/**
 * How many table rows fit in a terminal this tall beside the header, the column titles, the
 * edit panel and the issues, with a line to spare (a full screen makes Ink redraw it all).
 */
export function tableHeight(
  terminalRows: number | undefined,
  editing: boolean,
  issueBlockLines: number,
): number {
  const reserved = 14 + issueBlockLines + (editing ? 5 : 0);
  return Math.max(3, (terminalRows ?? 24) - reserved);
}
