import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSettings, planCluster } from '../../../source/plan/plan-cluster.js';
import {
  initialReviewTableState,
  issueLines,
  panelLines,
  type ReviewTableAction,
  reviewTableReducer,
  rowsWithDraft,
  tableHeight,
  visibleWindow,
} from '../../../source/screens/review-table/review-table-state.js';

const rows = planCluster(defaultSettings);
const run = (...actions: ReviewTableAction[]) =>
  actions.reduce(reviewTableReducer, initialReviewTableState);

describe('review table state', () => {
  test('selection moves within the table', () => {
    const cases: Array<[ReviewTableAction[], number]> = [
      [[{ type: 'move', by: 1, rowCount: 5 }], 1],
      [[{ type: 'move', by: -1, rowCount: 5 }], 0],
      [[{ type: 'move', by: 20, rowCount: 5 }], 4],
      [
        [
          { type: 'move-to', position: 4, rowCount: 5 },
          { type: 'move', by: -2, rowCount: 5 },
        ],
        2,
      ],
    ];
    for (const [actions, selected] of cases) {
      assert.equal(run(...actions).selected, selected, JSON.stringify(actions));
    }
  });

  test('an edit starts from the row, edits the focused field, and ends', () => {
    const row = rows[2]!;
    const editing = run(
      { type: 'start-edit', row },
      { type: 'edit', edit: { type: 'insert', text: 'x' } },
      { type: 'edit-focus', by: -1 },
      { type: 'edit', edit: { type: 'delete-back' } },
    ).editing;
    assert.deepEqual(editing, {
      index: 2,
      focus: 2,
      cursor: '192.168.0.10'.length,
      values: { hostname: 'worker2x', address: '192.168.0.102', reachAt: '192.168.0.10' },
    });
    assert.deepEqual(rowsWithDraft(rows, editing)[2], {
      ...row,
      hostname: 'worker2x',
      reachAt: '192.168.0.10',
    });
    assert.deepEqual(rowsWithDraft(rows, undefined), rows);
    assert.equal(
      reviewTableReducer({ ...initialReviewTableState, editing }, { type: 'end-edit' }).editing,
      undefined,
    );
  });

  test('the visible window keeps the selected row in view', () => {
    const cases: Array<[number, number, number, { start: number; end: number }]> = [
      [0, 5, 10, { start: 0, end: 5 }],
      [0, 40, 10, { start: 0, end: 10 }],
      [20, 40, 10, { start: 15, end: 25 }],
      [39, 40, 10, { start: 30, end: 40 }],
      [0, 0, 10, { start: 0, end: 1 }],
    ];
    for (const [selected, count, height, expected] of cases) {
      assert.deepEqual(visibleWindow(selected, count, height), expected, `${selected}/${count}`);
    }
  });

  test('the table gets what the terminal height leaves', () => {
    const cases: Array<[number | undefined, number, number, number]> = [
      [40, 0, 1, 25],
      [40, 5, 1, 20],
      [24, 0, 1, 9],
      [24, 0, 7, 3],
      [undefined, 0, 1, 9],
      [10, 5, 3, 3],
    ];
    for (const [rows, panel, issues, expected] of cases) {
      assert.equal(tableHeight(rows, panel, issues), expected, `${rows} ${panel} ${issues}`);
    }
    const row = { index: 2, interfaceName: 'eth0', address: 'a', hostname: 'h', reachAt: 'r' };
    assert.equal(panelLines(initialReviewTableState), 0);
    assert.equal(
      panelLines(reviewTableReducer(initialReviewTableState, { type: 'start-edit', row })),
      5,
    );
    assert.equal(
      panelLines(reviewTableReducer(initialReviewTableState, { type: 'replace-start', index: 2 })),
      6,
    );
    assert.deepEqual(
      reviewTableReducer(initialReviewTableState, {
        type: 'replace-start',
        index: 2,
        value: '192.168.0.23',
      }).replacing,
      { index: 2, phase: 'address', value: '192.168.0.23', cursor: 12 },
      'where discovery found it: ready to confirm with Enter',
    );
    assert.equal(issueLines(0, false), 1);
    assert.equal(issueLines(2, true), 3);
    assert.equal(issueLines(9, true), 7);
  });
});
