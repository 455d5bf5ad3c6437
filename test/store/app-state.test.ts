import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import {
  type AppData,
  confirmTable,
  countEditedRows,
  editRow,
  goBack,
  initialData,
  resume,
  type ScreenName,
  start,
  startOver,
  startSession,
  submitSettings,
} from '../../source/store/app-state.js';

const three = { ...defaultSettings, nodeCount: 3 };
const planned: AppData = {
  ...initialData,
  screen: 'review-table',
  settings: three,
  rows: planCluster(three),
};

describe('app state', () => {
  test('goBack walks the screens backwards and stops at the welcome screen', () => {
    const cases: Array<[ScreenName, ScreenName]> = [
      ['confirm', 'review-table'],
      ['review-table', 'cluster-form'],
      ['cluster-form', 'welcome'],
      ['welcome', 'welcome'],
    ];
    for (const [from, to] of cases) {
      assert.equal(goBack({ ...initialData, screen: from }).screen, to, from);
    }
  });

  test('startSession always starts on the welcome screen and offers the saved screen', () => {
    const cases: Array<[string, Parameters<typeof startSession>[1], Partial<AppData>]> = [
      ['nothing saved', {}, { screen: 'welcome', rows: [], resumeOffer: undefined }],
      [
        'saved on the review',
        { saved: { ...planned, screen: 'review-table' } },
        { screen: 'welcome', resumeOffer: { screen: 'review-table', nodeCount: 3 } },
      ],
      [
        'saved on the form before any table',
        { saved: { ...planned, rows: [], screen: 'cluster-form' } },
        { resumeOffer: { screen: 'cluster-form', nodeCount: 3 } },
      ],
      ['a notice', { sessionNotice: 'moved aside' }, { sessionNotice: 'moved aside' }],
      ['dry run', { dryRun: true }, { dryRun: true }],
    ];
    for (const [name, options, expected] of cases) {
      const data = startSession(initialData, options);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(data[key as keyof AppData], value, `${name}: ${key}`);
      }
    }
  });

  test('start leaves the welcome screen for the form, keeping the data', () => {
    assert.deepEqual(start(initialData), { screen: 'cluster-form' });
    assert.deepEqual(start({ ...planned, screen: 'review-table' }), { screen: 'review-table' });
  });

  test('resume goes to the offered screen; startOver forgets everything', () => {
    const saved = startSession(initialData, { saved: { ...planned, screen: 'confirm' } });
    assert.deepEqual(resume(saved), { screen: 'confirm', resumeOffer: undefined });
    assert.deepEqual(startOver(saved), {
      screen: 'cluster-form',
      settings: defaultSettings,
      rows: [],
      rowsEdited: false,
      resumeOffer: undefined,
    });
  });

  test('submitSettings: plan, keep, refuse or ask', () => {
    const edited = { ...planned, ...editRow(planned, 1, { hostname: 'alpha' }) };
    const cases: Array<[string, AppData, typeof three, boolean, string]> = [
      ['first plan', { ...initialData, screen: 'cluster-form' }, three, false, 'planned'],
      ['invalid answers', initialData, { ...three, subnet: 'x' }, false, 'invalid'],
      ['same shape keeps the table', planned, { ...three, user: 'alice' }, false, 'kept-table'],
      ['same shape keeps edits', edited, { ...three, dns: ['1.1.1.1'] }, false, 'kept-table'],
      ['new shape, no edits', planned, { ...three, nodeCount: 4 }, false, 'planned'],
      ['new shape over edits', edited, { ...three, nodeCount: 4 }, false, 'confirm-discard'],
      ['new shape, discard edits', edited, { ...three, nodeCount: 4 }, true, 'planned'],
    ];
    for (const [name, state, settings, discardEdits, kind] of cases) {
      const { result, change } = submitSettings(state, settings, { discardEdits });
      assert.equal(result.kind, kind, name);
      if (kind === 'planned') {
        assert.equal(change?.screen, 'review-table', name);
        assert.equal(change?.rows?.length, settings.nodeCount, name);
        assert.equal(change?.rowsEdited, false, name);
      } else if (kind === 'kept-table') {
        assert.deepEqual(change, { settings, screen: 'review-table' }, name);
      } else {
        assert.equal(change, undefined, name);
      }
    }
    const ask = submitSettings(edited, { ...three, nodeCount: 4 }).result;
    assert.deepEqual(ask, { kind: 'confirm-discard', editedRows: 1 });
  });

  test('editRow marks the table edited, and unmarks it when the edit is undone', () => {
    const once = { ...planned, ...editRow(planned, 2, { reachAt: '192.168.0.50' }) };
    assert.equal(once.rows[2]?.reachAt, '192.168.0.50');
    assert.equal(once.rowsEdited, true);
    assert.equal(countEditedRows(three, once.rows), 1);
    const undone = { ...once, ...editRow(once, 2, { reachAt: '192.168.0.102' }) };
    assert.equal(undone.rowsEdited, false);
  });

  test('confirmTable goes on only with a valid, non-empty table', () => {
    assert.deepEqual(confirmTable(planned), { issues: [], change: { screen: 'confirm' } });
    assert.equal(confirmTable({ ...planned, rows: [] }).change, undefined);
    const bad = { ...planned, ...editRow(planned, 1, { hostname: 'master' }) };
    const result = confirmTable(bad);
    assert.equal(result.change, undefined);
    assert.deepEqual(
      result.issues.map((issue) => issue.message),
      ['Pi 1: hostname master is already used by Pi 0'],
    );
  });
});
