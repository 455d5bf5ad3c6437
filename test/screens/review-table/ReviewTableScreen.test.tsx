import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { discoveryWork } from '../../../source/commands/discovery-work.js';
import { defaultSettings } from '../../../source/plan/plan-cluster.js';
import { ReviewTableScreen } from '../../../source/screens/review-table/ReviewTableScreen.js';
import { createAppStore } from '../../../source/store/app-store.js';
import { erase, frameOf, keys, press, typeText, waitForFrame } from '../frame.js';

afterEach(cleanup);

function renderReview(nodeCount = 5) {
  const store = createAppStore();
  store.getState().start();
  assert.deepEqual(store.getState().submitSettings({ ...defaultSettings, nodeCount }), {
    kind: 'planned',
  });
  const instance = render(<ReviewTableScreen store={store} discovery={discoveryWork} isActive />);
  return { store, instance };
}

const selectedLine = (frame: string) =>
  frame.split('\n').find((line) => line.startsWith('›')) ?? '';
const editedField = (frame: string) =>
  frame.split('\n').find((line) => line.startsWith(' › ')) ?? '';

describe('ReviewTableScreen', () => {
  test("shows the guide's lookup table and that it is valid", async () => {
    const { instance } = renderReview();
    const frame = await waitForFrame(instance, '✓ The table is valid.');
    assert.match(frame, /Pi\s+Interface\s+Static IP\s+Hostname\s+Reach it now at/);
    const guide = [
      [0, '192.168.0.100', 'master'],
      [1, '192.168.0.101', 'worker1'],
      [2, '192.168.0.102', 'worker2'],
      [3, '192.168.0.103', 'worker3'],
      [4, '192.168.0.104', 'worker4'],
    ] as const;
    for (const [index, address, hostname] of guide) {
      assert.match(
        frame,
        new RegExp(
          `${index}\\s+eth0\\s+${address.replaceAll('.', '\\.')}\\s+${hostname}\\s+${address.replaceAll('.', '\\.')}`,
        ),
      );
    }
    assert.match(selectedLine(frame), /0\s+eth0\s+192\.168\.0\.100\s+master/);
  });

  test('an edit re-validates as it is typed, and Esc drops it', async () => {
    const { store, instance } = renderReview();
    await waitForFrame(instance, 'The table is valid');
    await press(instance, keys.down, (frame) => selectedLine(frame).includes('worker1'));
    await press(instance, keys.down, (frame) => selectedLine(frame).includes('worker2'));
    await press(instance, keys.enter, 'Editing Pi 2:');
    assert.match(editedField(await waitForFrame(instance, 'Editing')), /Hostname\s+worker2/);
    await erase(instance, 1);
    await typeText(instance, '1');
    await waitForFrame(instance, '✗ Pi 2: hostname worker1 is already used by Pi 1');
    await erase(instance, 7);
    await waitForFrame(instance, '✗ Pi 2: hostname is empty: every Pi needs a hostname');
    await typeText(instance, 'node_2');
    await waitForFrame(instance, '✗ Pi 2: hostname "node_2" is not a valid hostname');
    await press(instance, keys.escape, (frame) => !frame.includes('Editing'));
    await waitForFrame(instance, 'The table is valid');
    assert.equal(store.getState().rows[2]?.hostname, 'worker2');
    assert.equal(store.getState().rowsEdited, false);
  });

  test('a saved bad static IP blocks continuing until it is fixed', async () => {
    const { store, instance } = renderReview();
    await waitForFrame(instance, 'The table is valid');
    await press(instance, keys.down, (frame) => selectedLine(frame).includes('worker1'));
    await press(instance, 'e', 'Editing Pi 1:');
    await press(instance, keys.tab, (frame) => editedField(frame).includes('Static IP'));
    await erase(instance, 3);
    await typeText(instance, '255');
    await waitForFrame(
      instance,
      '✗ Pi 1: 192.168.0.255 is the broadcast address of 192.168.0.0/24',
    );
    await press(instance, keys.enter, (frame) => !frame.includes('Editing'));
    assert.equal(store.getState().rows[1]?.address, '192.168.0.255');
    assert.equal(store.getState().rowsEdited, true);
    await press(instance, 'c', 'Fix the problems above before going on.');
    assert.equal(store.getState().screen, 'review-table');

    await press(instance, keys.enter, 'Editing Pi 1:');
    await press(instance, keys.down, (frame) => editedField(frame).includes('Static IP'));
    await erase(instance, 3);
    await typeText(instance, '201');
    await press(instance, keys.enter, 'The table is valid');
    instance.stdin.write('c');
    await waitForFrame(instance, () => store.getState().screen === 'confirm');
    assert.equal(store.getState().rows[1]?.address, '192.168.0.201');
  });

  test('"reach it now at" takes the current DHCP address', async () => {
    const { store, instance } = renderReview(3);
    await waitForFrame(instance, 'The table is valid');
    await press(instance, keys.end, (frame) => selectedLine(frame).includes('worker2'));
    await press(instance, keys.enter, 'Editing Pi 2:');
    await press(instance, keys.shiftTab, (frame) => editedField(frame).includes('Reach it now at'));
    await erase(instance, 3);
    await typeText(instance, '101');
    await waitForFrame(instance, /✗ Pi 2: 192\.168\.0\.101 is where Pi 1 is reached too/);
    await erase(instance, 3);
    await typeText(instance, '57');
    await press(instance, keys.enter, 'The table is valid');
    assert.deepEqual(store.getState().rows[2], {
      index: 2,
      interfaceName: 'eth0',
      address: '192.168.0.102',
      hostname: 'worker2',
      reachAt: '192.168.0.57',
    });
  });

  test('40 rows scroll within the terminal height', async () => {
    const { instance } = renderReview(40);
    const first = await waitForFrame(instance, /rows 1–\d+ of 40/);
    assert.ok(!first.includes('worker39'));
    assert.ok(first.split('\n').length < 40, `too tall:\n${first}`);
    const last = await press(instance, keys.end, (frame) =>
      selectedLine(frame).includes('worker39'),
    );
    assert.match(last, /rows \d+–40 of 40/);
    assert.ok(!last.includes(' master '));
    await press(instance, keys.up, (frame) => selectedLine(frame).includes('worker38'));
  });

  test('Esc goes back to the cluster form', async () => {
    const { store, instance } = renderReview();
    await waitForFrame(instance, 'The table is valid');
    instance.stdin.write(keys.escape);
    await waitForFrame(instance, () => store.getState().screen === 'cluster-form');
  });

  test('a adds a Pi after the last row and edits where it answers now', async () => {
    const { store, instance } = renderReview(3);
    await waitForFrame(instance, 'The table is valid');
    await press(instance, 'a', 'Editing Pi 3:');
    assert.match(editedField(frameOf(instance)), /Reach it now at/);
    assert.match(selectedLine(frameOf(instance)), /3\s+eth0\s+192\.168\.0\.103\s+worker3/);
    await typeText(instance, '192.168.0.57');
    await press(instance, keys.enter, (frame) => !frame.includes('Editing'));
    const frame = await waitForFrame(instance, 'The table is valid');
    assert.match(frame, /3\s+eth0\s+192\.168\.0\.103\s+worker3\s+192\.168\.0\.57/);
    assert.equal(store.getState().rows.length, 4);
    assert.equal(store.getState().settings.nodeCount, 4);
  });

  test('a in a full subnet says why no Pi was added, until the next key', async () => {
    const store = createAppStore();
    store.getState().start();
    const tiny = {
      ...defaultSettings,
      nodeCount: 3,
      subnet: '192.168.0.96/29',
      firstAddress: '192.168.0.100',
      gateway: '192.168.0.97',
      dns: ['192.168.0.97'],
    };
    assert.deepEqual(store.getState().submitSettings(tiny), { kind: 'planned' });
    const instance = render(<ReviewTableScreen store={store} discovery={discoveryWork} isActive />);
    await waitForFrame(instance, 'The table is valid');
    await press(instance, 'a', 'No Pi added: 192.168.0.96/29 has no free address left');
    assert.equal(store.getState().rows.length, 3);
    await press(instance, keys.down, (frame) => !frame.includes('No Pi added'));
  });

  test('x takes a Pi out once y confirms it: its row goes, its key is retired for the next run', async () => {
    const { store, instance } = renderReview(4);
    store.setState({
      run: {
        memory: {
          rebootPending: [],
          masterBootIdBeforeReboot: null,
          nodes: { worker2: { publicKey: 'ssh-ed25519 AAAAw2 pi@worker2' } },
        },
        results: { keys: { worker2: 'ok' } },
      },
    });
    await waitForFrame(instance, 'The table is valid');
    await press(instance, 'x', 'master is the master: the wizard runs on it, so it stays');
    await press(instance, keys.down, (frame) => selectedLine(frame).includes('worker1'));
    await press(instance, keys.down, (frame) => selectedLine(frame).includes('worker2'));
    await press(instance, 'x', 'Remove worker2 (192.168.0.102) from the cluster?');
    await press(instance, 'n', (frame) => !frame.includes('Remove worker2'));
    assert.equal(store.getState().rows.length, 4, 'any other key keeps it');
    await press(instance, 'x', 'Remove worker2 (192.168.0.102) from the cluster?');
    await press(instance, 'y', (frame) => !frame.includes('worker2'));
    const state = store.getState();
    assert.deepEqual(
      state.rows.map((row) => row.hostname),
      ['master', 'worker1', 'worker3'],
    );
    assert.equal(state.settings.nodeCount, 3);
    assert.deepEqual(state.run?.memory.retiredKeys, ['ssh-ed25519 AAAAw2 pi@worker2']);
    assert.deepEqual(state.run?.memory.forgetHostKeys, ['worker2', '192.168.0.102']);
    assert.deepEqual(state.run?.results, { keys: {} });
    await waitForFrame(instance, 'The table is valid');
  });
});
