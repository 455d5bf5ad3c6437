import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import type { ClusterActionEvent, ExecResult } from '../../../source/engine/cluster-actions.js';
import { ClusterActionScreen } from '../../../source/screens/cluster-action/ClusterActionScreen.js';
import { createActionStore } from '../../../source/store/action-store.js';
import { frameOf, keys, press, waitForFrame } from '../frame.js';

afterEach(cleanup);

function renderAction(nodes: string[], title = 'hostname as pi on all 3 nodes') {
  let stopped = 0;
  let forced = 0;
  const store = createActionStore({
    title,
    nodes,
    onStop: () => {
      stopped += 1;
    },
  });
  const instance = render(
    <ClusterActionScreen
      store={store}
      isActive
      onForceQuit={() => {
        forced += 1;
      }}
    />,
  );
  return {
    store,
    instance,
    counts: () => ({ stopped, forced }),
    send: (...events: ClusterActionEvent[]) => {
      for (const event of events) store.getState().apply(event);
    },
  };
}

const execResult = (
  node: string,
  code: number | null,
  summary = `exit code ${code}`,
): ExecResult => ({
  node,
  status: code === 0 ? 'ok' : 'failed',
  code,
  stdout: '',
  stderr: '',
  summary,
  durationMs: 300,
});

describe('the live view of exec, shutdown and reboot', () => {
  test('a row per node: waiting, a spinner with its time and what it does, then how it ended', async () => {
    const { instance, send, store } = renderAction(['master', 'worker1', 'worker2']);
    let frame = await waitForFrame(instance, 'hostname as pi on all 3 nodes');
    assert.match(frame, /· master +waiting/);
    assert.match(frame, /Ctrl\+C stop/);
    send(
      { type: 'working', node: 'master', activity: 'connecting' },
      { type: 'working', node: 'master', activity: 'running' },
      { type: 'working', node: 'worker1', activity: 'connecting' },
      {
        type: 'retrying',
        node: 'worker1',
        attempt: 2,
        maxAttempts: 4,
        delayMs: 4000,
        message: 'worker1 refused the SSH connection.\nWhat to do: wait',
      },
    );
    frame = await waitForFrame(
      instance,
      /↻ worker1 +2\/4 in [34]s +worker1 refused the SSH connection\./,
    );
    assert.match(frame, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] master +\d+\.\ds +running/);
    assert.match(frame, /· worker2 +waiting/);
    send(
      { type: 'finished', result: execResult('master', 0) },
      { type: 'working', node: 'worker1', activity: 'running' },
      {
        type: 'finished',
        result: execResult(
          'worker2',
          null,
          'worker2 (10.0.0.3) refused the SSH connection.\nWhat to do: check that SSH is on.',
        ),
      },
    );
    frame = await waitForFrame(instance, /✗ worker2/);
    assert.match(frame, /✓ master +0\.3s +exit code 0/);
    assert.match(frame, /✗ worker2 +0\.3s +worker2 \(10\.0\.0\.3\) refused the SSH connection\./);
    assert.match(frame, /\n +What to do: check that SSH is on\./);
    // Ended rows first (they stay in the scrollback), in the order they ended; live rows below.
    assert.ok(frame.indexOf('✓ master') < frame.indexOf('✗ worker2'));
    assert.ok(frame.indexOf('✗ worker2') < frame.indexOf(' worker1 '));
    send({ type: 'finished', result: execResult('worker1', 2) });
    store.getState().finish();
    frame = await waitForFrame(instance, (current) => !current.includes('Ctrl+C'));
    assert.match(frame, /✗ worker1 +0\.3s +exit code 2/);
  });

  test('the master waits for last; nodes not started yet fold into one line', async () => {
    const workers = Array.from({ length: 8 }, (_, index) => `worker${index + 1}`);
    const { instance, send } = renderAction(['master', ...workers], 'Rebooting every worker');
    send(
      { type: 'waiting', node: 'master', activity: 'last, once every worker went' },
      { type: 'working', node: 'worker1', activity: 'down, waiting for it to come back' },
    );
    const frame = await waitForFrame(
      instance,
      /7 waiting their turn: worker2, worker3, worker4, …/,
    );
    assert.match(frame, /· master +last, once every worker went/);
    assert.match(frame, / worker1 +\d+\.\ds +down, waiting for it to come back/);
    assert.doesNotMatch(frame, /worker5/);
  });

  test('Ctrl+C stops once (the view says so); a second quits at once', async () => {
    const { instance, send, counts, store } = renderAction(['master', 'worker1']);
    send({ type: 'working', node: 'worker1', activity: 'running' });
    await waitForFrame(instance, /worker1 +\d+\.\ds +running/);
    await press(instance, keys.ctrlC, /Stopping: what runs on the nodes is being stopped/);
    assert.deepEqual(counts(), { stopped: 1, forced: 0 });
    assert.equal(store.getState().view.stopping, true);
    await press(instance, 'c', (frame) => frame.includes('Stopping'));
    assert.deepEqual(counts(), { stopped: 1, forced: 0 }, 'a plain c is not Ctrl+C');
    instance.stdin.write(keys.ctrlC);
    await waitForFrame(instance, () => counts().forced === 1);
    assert.deepEqual(counts(), { stopped: 1, forced: 1 });
    assert.match(frameOf(instance), /worker1/);
  });
});
