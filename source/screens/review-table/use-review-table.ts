import { useStdout } from 'ink';
import { useEffect, useReducer, useRef } from 'react';
import { useStore } from 'zustand';
import { validateRows } from '../../plan/plan-cluster.js';
import { checkNewCard } from '../../session/cluster-changes.js';
import type { AppStore } from '../../store/app-store.js';
import type { DiscoveryWork } from '../discovery/discovery-work.js';
import { textEditFor } from '../text-field/text-field-state.js';
import useKeys from '../use-keys.js';
import {
  type CardReplacement,
  initialReviewTableState,
  issueLines,
  panelLines,
  type ReviewTableAction,
  reviewTableReducer,
  rowsWithDraft,
  tableHeight,
  visibleWindow,
} from './review-table-state.js';

/**
 * The review's keys. In the table: ↑/↓/PgUp/PgDn/Home/End select a row, Enter or e edits it,
 * c continues (only with a valid table), d opens the discovery screen over the table, a adds a Pi
 * after the last row (the cluster growing) and edits where it answers now, x takes the selected
 * Pi out of the cluster once y confirms it, r replaces the selected Pi's card (re-flashed: where
 * it answers now, then its host key confirmed with y), Esc goes back to the form. While editing:
 * Tab/↑/↓ move between the row's fields, Enter saves the row, Esc drops the edit, other keys edit
 * the field.
 */
export default function useReviewTable(
  store: AppStore,
  discovery: DiscoveryWork,
  isActive: boolean,
) {
  const rows = useStore(store, (state) => state.rows);
  const settings = useStore(store, (state) => state.settings);
  const [state, dispatch] = useReducer(reviewTableReducer, initialReviewTableState);
  // Ink re-subscribes the key handler in an effect, and a burst of keys is handled before any
  // render: the handler reads and advances this ref, never the state it closed over.
  const latest = useRef(state);
  latest.current = state;
  const act = (action: ReviewTableAction) => {
    latest.current = reviewTableReducer(latest.current, action);
    dispatch(action);
  };
  // Asking a new card for its host key: stopped by Esc, or when the screen goes.
  const asking = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => asking.current?.abort(), []);
  const { stdout } = useStdout();
  const shown = rowsWithDraft(rows, state.editing);
  const issues = validateRows(settings, shown);
  const height = tableHeight(
    stdout.rows,
    panelLines(state),
    issueLines(issues.length, state.triedWithProblems),
  );
  const window = visibleWindow(state.selected, shown.length, height);

  useKeys(
    (input, key) => {
      if (key.ctrl) return; // Ctrl+C arrives as "c" with ctrl: the root's, not "continue"
      const { editing, selected, discovering, removing, replacing } = latest.current;
      if (discovering) return; // keys typed right after d belong to the discovery screen
      const actions = store.getState();
      if (replacing) {
        replaceKey(input, key, replacing);
        return;
      }
      if (removing !== undefined) {
        act({ type: 'removing', index: undefined });
        if (input !== 'y') return;
        const problem = actions.removeRow(removing);
        if (problem) act({ type: 'notice', text: `Not removed: ${problem}` });
        act({ type: 'move', by: 0, rowCount: store.getState().rows.length });
        return;
      }
      if (editing) {
        if (key.escape) act({ type: 'end-edit' });
        else if (key.return) {
          const { hostname, address, reachAt } = editing.values;
          actions.editRow(editing.index, {
            hostname: hostname.trim(),
            address: address.trim(),
            reachAt: reachAt.trim(),
          });
          act({ type: 'end-edit' });
        } else if ((key.tab && key.shift) || key.upArrow) act({ type: 'edit-focus', by: -1 });
        else if (key.tab || key.downArrow) act({ type: 'edit-focus', by: 1 });
        else {
          const edit = textEditFor(input, key);
          if (edit) act({ type: 'edit', edit });
        }
        return;
      }
      const rowCount = actions.rows.length;
      if (latest.current.notice) act({ type: 'notice', text: undefined });
      if (key.escape) actions.goBack();
      else if (key.upArrow) act({ type: 'move', by: -1, rowCount });
      else if (key.downArrow) act({ type: 'move', by: 1, rowCount });
      else if (key.pageUp) act({ type: 'move', by: -height, rowCount });
      else if (key.pageDown) act({ type: 'move', by: height, rowCount });
      else if (key.home) act({ type: 'move-to', position: 0, rowCount });
      else if (key.end) act({ type: 'move-to', position: rowCount - 1, rowCount });
      else if (key.return || input === 'e') {
        const row = actions.rows[selected];
        if (row) act({ type: 'start-edit', row });
      } else if (input === 'c') {
        if (actions.confirmTable().length > 0) act({ type: 'continue-with-problems' });
      } else if (input === 'd') act({ type: 'discovery', open: true });
      else if (input === 'x') {
        const row = actions.rows[selected];
        if (row?.index === 0)
          act({
            type: 'notice',
            text: `${row.hostname} is the master: the wizard runs on it, so it stays`,
          });
        else if (row) act({ type: 'removing', index: row.index });
      } else if (input === 'r') {
        const row = actions.rows[selected];
        if (row?.index === 0)
          act({
            type: 'notice',
            text: `${row.hostname} is the master: the wizard runs on it, so its card is not replaced from here`,
          });
        else if (row)
          act({
            type: 'replace-start',
            index: row.index,
            ...(row.reachAt !== row.address ? { value: row.reachAt } : {}),
          });
      } else if (input === 'a') {
        const added = actions.addRow();
        if ('problem' in added) act({ type: 'notice', text: `No Pi added: ${added.problem}` });
        else {
          act({ type: 'move-to', position: rowCount, rowCount: rowCount + 1 });
          act({ type: 'start-edit', row: added.row, field: 'reachAt' });
        }
      }
    },
    { isActive: isActive && !state.discovering },
  );

  /** r's panel: type where the new card answers, Enter asks it for its host key, y trusts it. */
  function replaceKey(
    input: string,
    key: Parameters<Parameters<typeof useKeys>[0]>[1],
    replacing: CardReplacement,
  ) {
    const actions = store.getState();
    const row = actions.rows.find((each) => each.index === replacing.index);
    const end = (notice: string) => {
      asking.current?.abort();
      act({ type: 'replace-end' });
      act({ type: 'notice', text: notice });
    };
    if (!row) return end('That Pi is no longer in the table.');
    if (replacing.phase === 'confirm') {
      if (input !== 'y') return end(`Nothing was changed: ${row.hostname}'s card stays trusted.`);
      const problem = actions.replaceRow(row.index, replacing.value, replacing.identity!.hostKey);
      return end(
        problem
          ? `Not replaced: ${problem}`
          : `${row.hostname}'s new card is trusted for the next run: c goes on to set it up again (the other Pis only get its new keys).`,
      );
    }
    if (key.escape) return end(`Nothing was changed: ${row.hostname}'s card stays trusted.`);
    if (replacing.phase === 'asking') return;
    if (!key.return) {
      const edit = textEditFor(input, key);
      if (edit) act({ type: 'replace-edit', edit });
      return;
    }
    const reachAt = replacing.value.trim();
    const typed = actions.rows.map((each) =>
      each.index === row.index ? { ...each, reachAt } : each,
    );
    const problem = validateRows(settings, typed).find(
      (issue) => issue.scope === 'row' && issue.row === row.index && issue.field === 'reachAt',
    );
    if (problem) {
      act({ type: 'notice', text: problem.message });
      return;
    }
    act({ type: 'notice', text: undefined });
    act({ type: 'replace-asking' });
    const controller = new AbortController();
    asking.current = controller;
    void discovery.probe(reachAt, controller.signal).then((outcome) => {
      if (controller.signal.aborted) return;
      const checked = checkNewCard(store.getState(), row, reachAt, outcome);
      if (checked.ok) act({ type: 'replace-found', identity: checked.identity });
      else if (checked.refused) end(`Not replaced: ${checked.message}`);
      else {
        // Nothing answers there: the address stays, to correct or to try again.
        act({ type: 'replace-address' });
        act({ type: 'notice', text: checked.message });
      }
    });
  }

  const closeDiscovery = () => act({ type: 'discovery', open: false });
  return { state, shown, issues, window, closeDiscovery };
}
