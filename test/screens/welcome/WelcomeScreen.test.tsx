import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { defaultSettings, planCluster } from '../../../source/plan/plan-cluster.js';
import { WelcomeScreen } from '../../../source/screens/welcome/WelcomeScreen.js';
import { createAppStore } from '../../../source/store/app-store.js';
import { keys, press, waitForFrame } from '../frame.js';

afterEach(cleanup);

const saved = {
  screen: 'review-table' as const,
  settings: { ...defaultSettings, nodeCount: 3 },
  rows: planCluster({ ...defaultSettings, nodeCount: 3 }),
  rowsEdited: false,
};

describe('WelcomeScreen', () => {
  test('says what happens to each Pi and what must be true first', async () => {
    const store = createAppStore();
    const instance = render(<WelcomeScreen store={store} isActive />);
    const frame = await waitForFrame(instance, 'Begin: describe the cluster');
    for (const text of [
      'static IP address',
      'hostname',
      '/etc/hosts',
      'SSH key',
      'Pi that will be the master',
      'SSH is enabled on every worker',
      'Raspberry Pi Imager',
      'same login user and password',
    ]) {
      assert.ok(frame.includes(text), `missing "${text}" in:\n${frame}`);
    }
    assert.ok(!frame.includes('Resume'));
  });

  test('Enter begins: the cluster form is next', async () => {
    const store = createAppStore();
    const instance = render(<WelcomeScreen store={store} isActive />);
    await waitForFrame(instance, 'Begin');
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, () => store.getState().screen === 'cluster-form');
  });

  test('offers the saved session: resume lands on its screen with its table', async () => {
    const store = createAppStore({ saved });
    const instance = render(<WelcomeScreen store={store} isActive />);
    await waitForFrame(instance, 'Resume where you left off (Review the lookup table, 3 nodes)');
    assert.ok(frameLines(instance).some((line) => line.includes('Start over')));
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, () => store.getState().screen === 'review-table');
    assert.equal(store.getState().rows.length, 3);
  });

  test('start over (↓, Enter) forgets the saved answers', async () => {
    const store = createAppStore({ saved });
    const instance = render(<WelcomeScreen store={store} isActive />);
    await waitForFrame(instance, 'Resume where you left off');
    await press(instance, keys.down, /❯ Start over/);
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, () => store.getState().screen === 'cluster-form');
    assert.deepEqual(store.getState().rows, []);
    assert.equal(store.getState().settings.nodeCount, defaultSettings.nodeCount);
  });

  test('shows the message about a session file that was moved aside', async () => {
    const store = createAppStore({
      sessionNotice:
        'The saved session in /x/session-default.json could not be used (boom). It was moved to /x/session-default.json.corrupt-1.',
    });
    const instance = render(<WelcomeScreen store={store} isActive />);
    await waitForFrame(instance, 'corrupt-1');
  });

  test('an inactive screen ignores keys', async () => {
    const store = createAppStore();
    const instance = render(<WelcomeScreen store={store} isActive={false} />);
    await waitForFrame(instance, 'Begin');
    instance.stdin.write(keys.enter);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(store.getState().screen, 'welcome');
  });
});

function frameLines(instance: { lastFrame: () => string | undefined }) {
  return (instance.lastFrame() ?? '').split('\n');
}
