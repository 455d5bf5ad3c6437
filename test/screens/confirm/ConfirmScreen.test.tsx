import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { defaultSettings } from '../../../source/plan/plan-cluster.js';
import { ConfirmScreen } from '../../../source/screens/confirm/ConfirmScreen.js';
import { createAppStore } from '../../../source/store/app-store.js';
import { keys, press, waitForFrame } from '../frame.js';

afterEach(cleanup);

function renderConfirm(nodeCount = 5) {
  const store = createAppStore();
  store.getState().start();
  store.getState().submitSettings({ ...defaultSettings, nodeCount });
  store.getState().editRow(3, { reachAt: '192.168.0.23' });
  assert.deepEqual(store.getState().confirmTable(), []);
  const instance = render(<ConfirmScreen store={store} isActive />);
  return { store, instance };
}

describe('ConfirmScreen', () => {
  test('sums up what will be done to which Pi and says it stops here', async () => {
    const { instance } = renderConfirm();
    const frame = await waitForFrame(instance, 'Back to the table');
    assert.match(frame, /What will be done on 5 Pis, logging in as pi/);
    assert.match(frame, /Pi\s+Becomes\s+Static IP on eth0\s+Reached now at/);
    assert.match(frame, /3\s+worker3\s+192\.168\.0\.103\/24\s+192\.168\.0\.23/);
    assert.match(frame, /gateway 192\.168\.0\.1, DNS 192\.168\.0\.1/);
    assert.match(frame, /Start asks for the password, then runs the steps in this terminal/);
  });

  test('a long table is summed up, not listed', async () => {
    const { instance } = renderConfirm(40);
    const frame = await waitForFrame(instance, /… and \d+ more, as in the table/);
    assert.ok(frame.split('\n').length < 24, frame);
  });

  test('Start ends the screens and asks for the run', async () => {
    const { store, instance } = renderConfirm();
    await waitForFrame(instance, '❯ Start');
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, () => store.getState().outcome !== undefined);
    assert.deepEqual(store.getState().outcome, { kind: 'start-run' });
  });

  test('"Back to the table" and Esc both go back', async () => {
    const { store, instance } = renderConfirm();
    await waitForFrame(instance, '❯ Start');
    await press(instance, keys.down, '❯ Back to the table');
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, () => store.getState().screen === 'review-table');

    const again = renderConfirm();
    await waitForFrame(again.instance, '❯ Start');
    again.instance.stdin.write(keys.escape);
    await waitForFrame(again.instance, () => again.store.getState().screen === 'review-table');
  });
});
