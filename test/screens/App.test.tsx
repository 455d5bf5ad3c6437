import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { discoveryWork } from '../../source/commands/discovery-work.js';
import { App } from '../../source/screens/App.js';
import { createAppStore } from '../../source/store/app-store.js';
import { createRunStore } from '../../source/store/run-store.js';
import { erase, keys, press, typeText, waitForFrame } from '../screens/frame.js';

afterEach(cleanup);

describe('App', () => {
  test('walks welcome → form → review → confirm with the guide section in the header', async () => {
    const store = createAppStore();
    const instance = render(<App store={store} discovery={discoveryWork} />);
    await waitForFrame(instance, 'Cluster Guide › Getting Started');
    await press(instance, keys.enter, 'Cluster Guide › Network Lookup Table');
    await waitForFrame(instance, 'Step 2 of 4: Cluster settings');
    await erase(instance, 1);
    await typeText(instance, '4');
    await press(instance, keys.enter, 'Step 3 of 4: Review the lookup table');
    await press(instance, 'c', 'Step 4 of 4: Confirm');
    await waitForFrame(instance, 'Cluster Guide › Assign a static IP address');
    await press(instance, keys.escape, 'Step 3 of 4');
    await press(instance, keys.escape, 'Step 2 of 4');
    await press(instance, keys.escape, 'Step 1 of 4');
    assert.equal(store.getState().rows.length, 4);
  });

  test('Ctrl+C on any screen ends with code 130 and does not act on "c"', async () => {
    const store = createAppStore();
    store.getState().start();
    store.getState().submitSettings(store.getState().settings);
    const instance = render(<App store={store} discovery={discoveryWork} />);
    await waitForFrame(instance, 'Step 3 of 4');
    instance.stdin.write(keys.ctrlC);
    await waitForFrame(instance, () => store.getState().outcome !== undefined);
    assert.deepEqual(store.getState().outcome, { kind: 'interrupted', signal: 'SIGINT' });
    assert.equal(store.getState().screen, 'review-table');
  });

  test('--dry-run shows in the header', async () => {
    const instance = render(
      <App store={createAppStore({ dryRun: true })} discovery={discoveryWork} />,
    );
    await waitForFrame(instance, 'dry run: nothing is changed on any Pi');
  });

  test('a session that cannot be saved is said on every screen', async () => {
    const store = createAppStore();
    store.setState({ saveProblem: 'Could not save the session to /nowhere: EACCES.' });
    store.getState().start();
    const instance = render(<App store={store} discovery={discoveryWork} />);
    await waitForFrame(instance, 'Could not save the session to /nowhere');
  });

  test('Start asks the password on a masked screen of the same root, then the run screens draw the run', async () => {
    const store = createAppStore();
    store.getState().start();
    store.getState().submitSettings({ ...store.getState().settings, nodeCount: 2 });
    store.getState().confirmTable();
    const given: Array<string | undefined> = [];
    const runStore = createRunStore({
      steps: ['preflight'],
      nodes: ['master', 'worker1'],
      user: 'pi',
      dryRun: false,
    });
    const instance = render(
      <App
        store={store}
        discovery={discoveryWork}
        startRun={(password) => {
          given.push(password);
          return runStore;
        }}
      />,
    );
    await waitForFrame(instance, 'Step 4 of 4: Confirm');
    await press(instance, keys.enter, 'Password of pi on the Pis');
    await typeText(instance, 'hunter2');
    const masked = await waitForFrame(instance, 'Password: •••••••');
    assert.doesNotMatch(masked, /hunter2/);
    await press(instance, keys.enter, 'Cluster Guide › Network');
    assert.deepEqual(given, ['hunter2']);
    assert.deepEqual(store.getState().secrets, { password: 'hunter2' }, 'in memory only');
  });
});
