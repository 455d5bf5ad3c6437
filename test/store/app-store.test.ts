import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSettings } from '../../source/plan/plan-cluster.js';
import { createAppStore } from '../../source/store/app-store.js';

describe('createAppStore', () => {
  test('each call makes a fresh store on the welcome screen', () => {
    const one = createAppStore();
    one.getState().start();
    const two = createAppStore();
    assert.equal(one.getState().screen, 'cluster-form');
    assert.equal(two.getState().screen, 'welcome');
    assert.equal(two.getState().schemaVersion, 1);
    assert.deepEqual(two.getState().settings, defaultSettings);
  });

  test('actions drive the screens and the table; subscribers hear every change', () => {
    const store = createAppStore();
    const screens: string[] = [];
    store.subscribe((state, previous) => {
      if (state.screen !== previous.screen) screens.push(state.screen);
    });
    const actions = store.getState();
    actions.start();
    assert.deepEqual(actions.submitSettings({ ...defaultSettings, nodeCount: 2 }), {
      kind: 'planned',
    });
    actions.editRow(1, { hostname: 'beta', reachAt: '192.168.0.40' });
    assert.deepEqual(store.getState().rows[1], {
      index: 1,
      interfaceName: 'eth0',
      address: '192.168.0.101',
      hostname: 'beta',
      reachAt: '192.168.0.40',
    });
    assert.equal(store.getState().rowsEdited, true);
    assert.deepEqual(actions.confirmTable(), []);
    actions.goBack();
    actions.finish({ kind: 'interrupted', signal: 'SIGINT' });
    assert.deepEqual(screens, ['cluster-form', 'review-table', 'confirm', 'review-table']);
    assert.deepEqual(store.getState().outcome, { kind: 'interrupted', signal: 'SIGINT' });
  });

  test('the password is kept in memory under secrets', () => {
    const store = createAppStore();
    store.getState().setPassword('s3cret');
    assert.deepEqual(store.getState().secrets, { password: 's3cret' });
    store.getState().setPassword(undefined);
    assert.deepEqual(store.getState().secrets, {});
  });
});
