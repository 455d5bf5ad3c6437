import { useInput, useStdout } from 'ink';
import { useReducer } from 'react';
import { useStore } from 'zustand';
import { validateRows } from '../../plan/plan-cluster.js';
import type { AppStore } from '../../store/app-store.js';
import { withoutControlCharacters } from '../typed-text.js';
import {
  type editFields,
  initialReviewTableState,
  reviewTableReducer,
  rowsWithDraft,
  tableHeight,
  visibleWindow,
} from './review-table-state.js';

/**
 * The review's keys. In the table: ↑/↓/PgUp/PgDn/Home/End select a row, Enter or e edits it,
 * c continues (only with a valid table), Esc goes back to the form. While editing: Tab/↑/↓ move
 * between the row's fields, Enter saves the row, Esc drops the edit.
 */
export default function useReviewTable(store: AppStore, isActive: boolean) {
  const rows = useStore(store, (state) => state.rows);
  const settings = useStore(store, (state) => state.settings);
  const [state, dispatch] = useReducer(reviewTableReducer, initialReviewTableState);
  const { stdout } = useStdout();
  const shown = rowsWithDraft(rows, state.editing);
  const issues = validateRows(settings, shown);
  const height = tableHeight(stdout.rows, state.editing !== undefined);
  const window = visibleWindow(state.selected, shown.length, height);
  const rowCount = rows.length;

  useInput(
    (input, key) => {
      if (key.ctrl) return; // Ctrl+C arrives as "c" with ctrl: the root's, not "continue"
      const { editing } = state;
      if (editing) {
        if (key.escape) dispatch({ type: 'end-edit' });
        else if (key.return) {
          const { hostname, address, reachAt } = editing.values;
          store.getState().editRow(editing.index, {
            hostname: hostname.trim(),
            address: address.trim(),
            reachAt: reachAt.trim(),
          });
          dispatch({ type: 'end-edit' });
        } else if ((key.tab && key.shift) || key.upArrow) dispatch({ type: 'edit-focus', by: -1 });
        else if (key.tab || key.downArrow) dispatch({ type: 'edit-focus', by: 1 });
        return;
      }
      if (key.escape) store.getState().goBack();
      else if (key.upArrow) dispatch({ type: 'move', by: -1, rowCount });
      else if (key.downArrow) dispatch({ type: 'move', by: 1, rowCount });
      else if (key.pageUp) dispatch({ type: 'move', by: -height, rowCount });
      else if (key.pageDown) dispatch({ type: 'move', by: height, rowCount });
      else if (key.home) dispatch({ type: 'move-to', position: 0, rowCount });
      else if (key.end) dispatch({ type: 'move-to', position: rowCount - 1, rowCount });
      else if (key.return || input === 'e') {
        const row = rows[state.selected];
        if (row) dispatch({ type: 'start-edit', row });
      } else if (input === 'c') {
        if (store.getState().confirmTable().length > 0)
          dispatch({ type: 'continue-with-problems' });
      }
    },
    { isActive },
  );

  const changeDraft = (field: (typeof editFields)[number]['name'], value: string) =>
    dispatch({ type: 'edit-change', field, value: withoutControlCharacters(value) });
  return { state, shown, issues, window, changeDraft };
}
