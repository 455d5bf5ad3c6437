import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { defaultSettings, planCluster } from '../../../source/plan/plan-cluster.js';
import { ClusterFormScreen } from '../../../source/screens/cluster-form/ClusterFormScreen.js';
import { createAppStore } from '../../../source/store/app-store.js';
import { erase, keys, press, typeText, waitForFrame } from '../frame.js';

afterEach(cleanup);

function renderForm(store = createAppStore()) {
  store.getState().start();
  const instance = render(<ClusterFormScreen store={store} isActive />);
  return { store, instance };
}

const focusedLine = (frame: string) => frame.split('\n').find((line) => line.startsWith('›')) ?? '';

describe('ClusterFormScreen', () => {
  test("shows the guide's defaults without a problem", async () => {
    const { instance } = renderForm();
    const frame = await waitForFrame(instance, 'Network interface');
    for (const text of ['Number of Pis', '192.168.0.0/24', '192.168.0.100', 'Login user']) {
      assert.ok(frame.includes(text), text);
    }
    assert.ok(!frame.includes('✗'), frame);
    assert.match(focusedLine(frame), /Number of Pis\s+5/);
  });

  test('validates the node count as it is typed', async () => {
    const { instance } = renderForm();
    await waitForFrame(instance, 'Number of Pis');
    await erase(instance, 1);
    await waitForFrame(instance, '✗ "" is not a whole number: enter how many Pis, e.g. 5');
    await typeText(instance, 'x');
    await waitForFrame(instance, '✗ "x" is not a whole number');
    await erase(instance, 1);
    await typeText(instance, '0');
    await waitForFrame(instance, '✗ a cluster needs at least 1 Pi (the master)');
    await erase(instance, 1);
    await typeText(instance, '300');
    await waitForFrame(instance, '✗ at most 256 Pis are supported');
    await erase(instance, 3);
    await typeText(instance, '200');
    await waitForFrame(
      instance,
      /✗ 200 Pis do not fit: from 192\.168\.0\.100 the subnet 192\.168\.0\.0\/24 has room\s+for 155/,
    );
  });

  test('keys typed faster than the screen redraws are all kept', async () => {
    const { store, instance } = renderForm();
    await waitForFrame(instance, 'Number of Pis');
    // Written back to back: the handler subscribed for the first frame receives all of them.
    for (const key of [keys.backspace, '1', '2', keys.tab, keys.tab, keys.backspace, '9']) {
      instance.stdin.write(key);
    }
    await waitForFrame(instance, /First static IP\s+192\.168\.0\.109/);
    await waitForFrame(instance, /Number of Pis\s+12\s/);
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, () => store.getState().screen === 'review-table');
    assert.equal(store.getState().rows.length, 12);
    assert.equal(store.getState().rows[0]?.address, '192.168.0.109');
  });

  test('keys that arrive in one read (a held Backspace, a busy Pi) are each applied', async () => {
    const { store, instance } = renderForm();
    await waitForFrame(instance, 'Number of Pis');
    instance.stdin.write(`${keys.backspace}12${keys.tab}`);
    instance.stdin.write(`${keys.backspace}${keys.backspace}16${keys.enter}`);
    await waitForFrame(instance, () => store.getState().screen === 'review-table');
    assert.equal(store.getState().settings.subnet, '192.168.0.0/16');
    assert.equal(store.getState().rows.length, 12);
  });

  test('Tab, Shift+Tab, ↑ and ↓ move between the fields', async () => {
    const { instance } = renderForm();
    await waitForFrame(instance, 'Number of Pis');
    await press(instance, keys.tab, (frame) => focusedLine(frame).includes('Subnet'));
    await press(instance, keys.down, (frame) => focusedLine(frame).includes('First static IP'));
    await press(instance, keys.shiftTab, (frame) => focusedLine(frame).includes('Subnet'));
    await press(instance, keys.up, (frame) => focusedLine(frame).includes('Number of Pis'));
    await press(instance, keys.up, (frame) => focusedLine(frame).includes('Network interface'));
  });

  test('a bad subnet, gateway and user are explained under their fields', async () => {
    const { instance } = renderForm();
    await waitForFrame(instance, 'Number of Pis');
    await press(instance, keys.tab, (frame) => focusedLine(frame).includes('Subnet'));
    await erase(instance, 2);
    await typeText(instance, '33');
    await waitForFrame(instance, '✗ prefix length /33 is not usable for a cluster');
    await erase(instance, 2);
    await typeText(instance, '24');
    await press(instance, keys.tab, (frame) => focusedLine(frame).includes('First static IP'));
    await press(instance, keys.tab, (frame) => focusedLine(frame).includes('Gateway'));
    await erase(instance, 1);
    await typeText(instance, '102');
    await waitForFrame(instance, /✗ gateway 192\.168\.0\.102 is inside the Pis' range/);
    await press(instance, keys.tab, (frame) => focusedLine(frame).includes('DNS'));
    await press(instance, keys.tab, (frame) => focusedLine(frame).includes('Login user'));
    await erase(instance, 2);
    await typeText(instance, 'Pi');
    await waitForFrame(instance, '✗ user "Pi" is not a Linux user name');
  });

  test('Enter on an invalid form shows the errors, stays and focuses the first one', async () => {
    const { store, instance } = renderForm();
    await waitForFrame(instance, 'Number of Pis');
    await press(instance, keys.tab, (frame) => focusedLine(frame).includes('Subnet'));
    await press(instance, keys.tab, (frame) => focusedLine(frame).includes('First static IP'));
    await erase(instance, 3);
    await typeText(instance, '0');
    await waitForFrame(
      instance,
      '✗ 192.168.0.0 is the network address of 192.168.0.0/24; no Pi can use it',
    );
    await press(instance, keys.tab, (frame) => focusedLine(frame).includes('Gateway'));
    await press(instance, keys.enter, 'Fix the problem marked ✗ above before going on.');
    assert.match(focusedLine(await waitForFrame(instance, '›')), /First static IP/);
    assert.equal(store.getState().screen, 'cluster-form');
    assert.deepEqual(store.getState().rows, []);
  });

  test('Enter on a valid form plans the table and goes to the review', async () => {
    const { store, instance } = renderForm();
    await waitForFrame(instance, 'Number of Pis');
    await erase(instance, 1);
    await typeText(instance, '3');
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, () => store.getState().screen === 'review-table');
    assert.deepEqual(
      store.getState().rows.map((row) => row.hostname),
      ['master', 'worker1', 'worker2'],
    );
  });

  test('DNS takes a comma-separated list', async () => {
    const { store, instance } = renderForm();
    await waitForFrame(instance, 'Number of Pis');
    for (const field of ['Subnet', 'First static IP', 'Gateway', 'DNS']) {
      await press(instance, keys.tab, (frame) => focusedLine(frame).includes(field));
    }
    await typeText(instance, ',1.1.1.1');
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, () => store.getState().screen === 'review-table');
    assert.deepEqual(store.getState().settings.dns, ['192.168.0.1', '1.1.1.1']);
  });

  test('Esc goes back to the welcome screen', async () => {
    const { store, instance } = renderForm();
    await waitForFrame(instance, 'Number of Pis');
    instance.stdin.write(keys.escape);
    await waitForFrame(instance, () => store.getState().screen === 'welcome');
  });

  test('new answers replace a hand-edited table only after asking', async () => {
    const settings = { ...defaultSettings, nodeCount: 3 };
    const store = createAppStore({
      saved: { screen: 'review-table', settings, rows: planCluster(settings), rowsEdited: false },
    });
    store.getState().editRow(1, { hostname: 'alpha' });
    const { instance } = renderForm(store);
    await waitForFrame(instance, 'Number of Pis');
    await erase(instance, 1);
    await typeText(instance, '4');
    await press(
      instance,
      keys.enter,
      /your hand edits to 1 row will be lost\. Make the new table\?\s+\(y\/n\)/,
    );
    await press(instance, 'n', (frame) => !frame.includes('(y/n)'));
    assert.equal(store.getState().screen, 'cluster-form');
    assert.equal(store.getState().rows[1]?.hostname, 'alpha');
    await press(instance, keys.enter, '(y/n)');
    instance.stdin.write('y');
    await waitForFrame(instance, () => store.getState().screen === 'review-table');
    assert.deepEqual(
      store.getState().rows.map((row) => row.hostname),
      ['master', 'worker1', 'worker2', 'worker3'],
    );
    assert.equal(store.getState().rowsEdited, false);
  });

  test('unchanged answers keep a hand-edited table without asking', async () => {
    const settings = { ...defaultSettings, nodeCount: 3 };
    const store = createAppStore({
      saved: { screen: 'review-table', settings, rows: planCluster(settings), rowsEdited: false },
    });
    store.getState().editRow(2, { reachAt: '192.168.0.57' });
    const { instance } = renderForm(store);
    await waitForFrame(instance, 'Number of Pis');
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, () => store.getState().screen === 'review-table');
    assert.equal(store.getState().rows[2]?.reachAt, '192.168.0.57');
  });
});
