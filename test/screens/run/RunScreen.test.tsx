import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import type { RunOutcome } from '../../../source/engine/journaled-run.js';
import type { SetupEvent } from '../../../source/engine/run-setup.js';
import { endOfRunLines, masterRebootLines } from '../../../source/reporters/run-summary.js';
import { RunScreen } from '../../../source/screens/run/RunScreen.js';
import { guideStepIds, type StepId, type StepStatus } from '../../../source/steps/step.js';
import { createRunStore } from '../../../source/store/run-store.js';
import { frameOf, keys, press, waitForFrame } from '../frame.js';

afterEach(cleanup);

const names = (count: number) =>
  Array.from({ length: count }, (_, index) => (index === 0 ? 'master' : `worker${index}`));

function renderRun(options: { nodes?: number; steps?: StepId[]; dryRun?: boolean } = {}) {
  let stopped = 0;
  let quit = 0;
  let forced = 0;
  const store = createRunStore({
    steps: options.steps ?? [...guideStepIds],
    nodes: names(options.nodes ?? 5),
    user: 'pi',
    dryRun: options.dryRun ?? false,
    onStop: () => {
      stopped += 1;
    },
  });
  const instance = render(
    <RunScreen
      store={store}
      isActive
      onQuit={() => {
        quit += 1;
      }}
      onForceQuit={() => {
        forced += 1;
      }}
    />,
  );
  return {
    store,
    instance,
    counts: () => ({ stopped, quit, forced }),
    send: (...events: SetupEvent[]) => {
      for (const event of events) store.getState().apply(event);
    },
  };
}

const started = (step: StepId, nodes: string[]): SetupEvent => ({
  type: 'step-started',
  step,
  nodes,
});
const running = (step: StepId, node: string, attempt = 1): SetupEvent => ({
  type: 'node-progress',
  step,
  event: { type: 'started', node, attempt, maxAttempts: 3 },
});
const reported = (
  step: StepId,
  node: string,
  status: StepStatus,
  summary = `${node}: done`,
): SetupEvent => ({
  type: 'report',
  report: { step, node, status, summary, changes: [] },
});

function outcome(partial: Partial<RunOutcome> = {}): RunOutcome {
  return {
    failedNodes: [],
    interrupted: false,
    stopped: false,
    dryRun: false,
    commandLogPath: '/home/pi/.local/state/pi-cluster-wizard/commands.log',
    reports: [],
    ...partial,
  };
}

describe('RunScreen', () => {
  test('a row per node with each step of the section: waiting, running, ok, changed', async () => {
    const { instance, send } = renderRun();
    send(
      started('preflight', names(5)),
      running('preflight', 'master'),
      reported('preflight', 'worker1', 'ok'),
    );
    send(
      started('static-ip', names(5)),
      running('static-ip', 'worker2'),
      reported('static-ip', 'master', 'changed'),
    );
    const frame = await waitForFrame(instance, '2 done · 2 running · 6 waiting');
    assert.match(frame, /Cluster Guide › Network/);
    assert.match(frame, /Section 1 of 4 · now: static-ip, Assign a static IP address/);
    assert.match(frame, /Pi\s+hostname\s+preflight\s+static-ip\s+hostname\s+hosts\s+time/);
    assert.match(frame, /0\s+master\s+. \d+\.\ds\s+● changed\s+·\s+·/);
    assert.match(frame, /1\s+worker1\s+✓ ok\s+· waiting/);
    assert.match(frame, /2\s+worker2\s+· waiting\s+. \d+\.\ds/);
  });

  test('retrying shows the attempt and the wait before the next one', async () => {
    const { instance, send } = renderRun();
    send(started('hosts', names(5)), running('hosts', 'worker3'), {
      type: 'node-progress',
      step: 'hosts',
      event: {
        type: 'retrying',
        node: 'worker3',
        attempt: 1,
        maxAttempts: 3,
        delayMs: 4000,
        error: new Error('reset'),
        message: 'worker3: the connection was reset',
      },
    });
    const frame = await waitForFrame(instance, /worker3\s+.*↻ 2\/3 in [34]s/);
    assert.match(frame, /1 retrying/);
  });

  test("a warning from the run (the wizard's known_hosts not changed) stays in view", async () => {
    const { instance, send } = renderRun();
    const text =
      'worker2\'s new card could not be trusted in /home/pi/.ssh/known_hosts (its old host keys are still there, so it is refused as "changed"): EACCES';
    send({ type: 'warning', text }, started('preflight', names(5)), running('preflight', 'master'));
    const frame = await waitForFrame(instance, '1 running');
    assert.match(frame.replaceAll('\n', ' '), /⚠ worker2's new card could not be trusted in/);
    assert.match(frame, /0\s+master/);
  });

  test('a Pi a section ahead does not close the section the others are still in', async () => {
    const { instance, send } = renderRun({ nodes: 3 });
    send(started('preflight', names(3)));
    for (const node of names(3)) send(reported('preflight', node, 'ok'));
    send({ type: 'step-finished', step: 'preflight' });
    for (const step of ['static-ip', 'hostname', 'hosts'] as const) {
      send(started(step, names(3)));
      for (const node of names(3))
        if (step !== 'hosts' || node !== 'worker2') send(reported(step, node, 'changed'));
    }
    // worker2 is still on hosts while worker1 has gone on to ssh.
    send(running('hosts', 'worker2'), started('ssh', names(3)), running('ssh', 'worker1'));
    const frame = await waitForFrame(instance, /now: ssh/);
    assert.match(frame, /Cluster Guide › Network/);
    assert.match(frame, /Section 1 of 4 · now: ssh, .*ahead, in SSH/);
    assert.doesNotMatch(frame, /✓ Network:/);
    assert.match(frame, /2\s+worker2\s+✓ ok\s+● changed\s+● changed\s+. \d+\.\ds/);
    send(reported('hosts', 'worker2', 'changed'));
    const next = await waitForFrame(instance, 'Cluster Guide › SSH');
    assert.match(next, /✓ Network: 9 changed, 3 ok \(/);
  });

  test('a finished section shrinks to one line; the next one is live', async () => {
    const { instance, send } = renderRun({ nodes: 3 });
    send(started('preflight', names(3)));
    for (const node of names(3)) send(reported('preflight', node, 'ok'));
    for (const step of ['static-ip', 'hostname', 'hosts'] as const) {
      send(started(step, names(3)));
      for (const node of names(3)) send(reported(step, node, 'changed'));
      send({ type: 'step-finished', step });
    }
    send(started('ssh', names(3)), running('ssh', 'worker1'));
    const frame = await waitForFrame(instance, 'Cluster Guide › SSH');
    assert.match(frame, /✓ Network: 9 changed, 3 ok \(/);
    assert.match(frame, /Section 2 of 4 · now: ssh/);
    assert.match(frame, /Pi\s+hostname\s+ssh\s+reboot\s+time/);
  });

  test('a failed node shows its error in words and offers retry, skip or stop; keys answer', async () => {
    const { instance, send, store } = renderRun();
    send(
      started('hosts', names(5)),
      reported(
        'hosts',
        'worker2',
        'failed',
        'hosts: worker2: sudo refused the password. Next: check the password',
      ),
    );
    const failure = {
      step: 'hosts' as const,
      node: 'worker2',
      summary: 'hosts: worker2: sudo refused the password. Next: check the password',
    };
    const answer = store.getState().askFailure(failure);
    let frame = await waitForFrame(instance, '✗ worker2 failed at hosts');
    assert.match(frame, /sudo refused the password\. Next: check the password/);
    assert.match(frame, /❯ Retry it \(r\)/);
    assert.match(frame, /Skip this node for the rest of the run \(s\)/);
    assert.match(frame, /Stop the run/);
    assert.match(frame, /The other nodes go on meanwhile/);
    frame = await press(instance, keys.right, /❯ Skip this node/);
    instance.stdin.write(keys.enter);
    assert.equal(await answer, 'skip');
    frame = await waitForFrame(instance, (current) => !current.includes('failed at hosts'));
    assert.match(frame, /worker2\s+.*✗ failed/);
  });

  test('r retries at once; a second failure waits its turn', async () => {
    const { instance, store } = renderRun();
    const first = store
      .getState()
      .askFailure({ step: 'keys', node: 'worker1', summary: 'keys: worker1: timed out' });
    const second = store
      .getState()
      .askFailure({ step: 'keys', node: 'worker4', summary: 'keys: worker4: refused' });
    await waitForFrame(instance, /worker1 failed at keys[\s\S]*1 more failed node wait/);
    instance.stdin.write('r');
    assert.equal(await first, 'retry');
    await waitForFrame(instance, 'worker4 failed at keys');
    instance.stdin.write('x');
    assert.equal(await second, 'stop');
  });

  test('Ctrl+C stops cleanly once (open questions answered stop), quits at once the second time', async () => {
    const { instance, store, counts } = renderRun();
    const open = store
      .getState()
      .askFailure({ step: 'ssh', node: 'worker1', summary: 'ssh: worker1: timed out' });
    await waitForFrame(instance, 'worker1 failed at ssh');
    instance.stdin.write(keys.ctrlC);
    assert.equal(await open, 'stop');
    await waitForFrame(instance, 'Stopping: work in flight finishes');
    assert.equal(counts().stopped, 1);
    instance.stdin.write(keys.ctrlC);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(counts().forced, 1);
  });

  test('the Keys section draws each public key travelling into the master and the file going back out', async () => {
    const { instance, send } = renderRun({ nodes: 4 });
    send(started('keys', names(4)));
    for (const [index, node] of names(4).entries()) {
      send(reported('keys', node, 'changed'), {
        type: 'public-key',
        node,
        fingerprint: `SHA256:key${index}abcdefghijklmnopqrstuvwx`,
        comment: `pi@${node}`,
      });
    }
    send(started('fan-in', ['master']), running('fan-in', 'master'));
    let frame = await waitForFrame(instance, /fan-in → master/);
    assert.match(frame, /fan-in: every public key into master:~\/\.ssh\/authorized_keys/);
    assert.match(frame, /worker1\s+● SHA256:key1abcdef…\s+━+▶/);
    send(
      reported('fan-in', 'master', 'changed'),
      started('fan-out', ['worker1', 'worker2', 'worker3']),
    );
    send(running('fan-out', 'worker1'), reported('fan-out', 'worker2', 'changed'));
    frame = await waitForFrame(instance, /master\s+.*● 4 keys in/);
    assert.match(frame, /worker2\s+● SHA256:key2abcdef…\s+━{7}▶ ✓\s+━{7}▶ ●/);
    assert.match(frame, /worker3\s+● SHA256:key3abcdef…\s+━{7}▶ ✓\s+·/);
    assert.match(frame, /worker1\s+.*━{7}▶ ✓\s+━+▶/);
  });

  test('the Verify section draws the N×N login matrix as it fills in', async () => {
    const { instance, send } = renderRun({ nodes: 3 });
    send(started('verify', names(3)));
    send({
      type: 'logins',
      node: 'worker1',
      logins: [
        { to: 'master', ok: true, detail: 'master' },
        { to: 'worker2', ok: false, detail: 'Permission denied' },
      ],
    });
    const frame = await waitForFrame(instance, /worker1\s+.*✓\s+╲\s+✗/);
    assert.match(frame, /verify\s+to:\s+0\s+1\s+2/);
    assert.match(frame, /master\s+· waiting\s+╲\s+·\s+·/);
  });

  test('64 nodes: the table fits the terminal and scrolls; the status line counts every node', async () => {
    const { instance, send } = renderRun({ nodes: 64 });
    send(started('hosts', names(64)));
    for (const node of names(64).slice(0, 40)) send(reported('hosts', node, 'ok'));
    let frame = await waitForFrame(instance, /40 done · 24 waiting · nodes 1–\d+ of 64/);
    assert.ok(frame.split('\n').length <= 24, `${frame.split('\n').length} lines`);
    assert.doesNotMatch(frame, /worker63/);
    frame = await press(instance, keys.end, /worker63/);
    assert.match(frame, /nodes \d+–64 of 64/);
    frame = await press(instance, keys.home, /nodes 1–/);
  });

  test('a dry run ends on the plan: per step and node, the diffs and commands; q quits', async () => {
    const { instance, send, store, counts } = renderRun({
      nodes: 2,
      steps: ['hostname'],
      dryRun: true,
    });
    send(started('hostname', ['master', 'worker1']), {
      type: 'report',
      report: {
        step: 'hostname',
        node: 'worker1',
        status: 'changed',
        summary: 'worker1: would make 1 change',
        changes: [
          {
            kind: 'file',
            change: {
              path: '/etc/hostname',
              diff: '--- /etc/hostname\n+++ /etc/hostname\n@@ -1 +1 @@\n-raspberrypi\n+worker1\n',
            } as never,
          },
          {
            kind: 'command',
            description: 'apply the hostname',
            command: 'hostnamectl set-hostname worker1',
            asRoot: true,
          },
        ],
      },
    });
    let frame = await waitForFrame(instance, /worker1\s+● to change/);
    store.getState().finish(outcome({ dryRun: true }), endOfRunLines(outcome({ dryRun: true })));
    frame = await waitForFrame(instance, 'The plan (dry run: nothing was changed on any Pi)');
    assert.match(frame, /hostname \(Change Hostname\)/);
    assert.match(frame, /worker1: would make 1 change/);
    assert.match(frame, /would write \/etc\/hostname/);
    assert.match(frame, /-raspberrypi/);
    assert.match(frame, /\+worker1/);
    assert.match(frame, /would run as root: hostnamectl set-hostname worker1/);
    instance.stdin.write('q');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(counts().quit, 1);
    assert.ok(frameOf(instance));
  });

  test('a dry run where a node failed does not say that nothing would change', async () => {
    const { instance, send, store } = renderRun({ nodes: 2, steps: ['hostname'], dryRun: true });
    send(started('hostname', ['master', 'worker1']), {
      type: 'report',
      report: {
        step: 'hostname',
        node: 'worker1',
        status: 'failed',
        summary: 'worker1 did not answer at 127.0.0.5',
        changes: [],
      },
    });
    await waitForFrame(instance, /worker1\s+.*✗/);
    const ended = outcome({ dryRun: true, failedNodes: ['worker1'] });
    store.getState().finish(ended, endOfRunLines(ended));
    const frame = await waitForFrame(instance, 'The plan (dry run: nothing was changed on any Pi)');
    assert.match(frame, /1 node-step failed while planning/);
    assert.doesNotMatch(frame, /Nothing would change/);
  });

  test('the master rebooting itself says how to log in again and resume', async () => {
    const { instance, send, store } = renderRun();
    send({ type: 'master-rebooting', address: '127.0.0.100', hostname: 'master' });
    // What the command hands the screens (run-on-screens.tsx) when that event comes.
    store.getState().say(masterRebootLines({ user: 'pi', address: '127.0.0.100' }));
    const frame = await waitForFrame(instance, 'Log in again with: ssh pi@127.0.0.100');
    assert.match(frame, /then run pi-cluster-wizard again: it resumes where it stopped/);
  });

  test('the end of a setup whose logins are verified names export', async () => {
    const { instance, store } = renderRun();
    const verified = outcome({
      reports: [{ step: 'verify', node: 'master', status: 'ok', summary: 'ok', changes: [] }],
    });
    store.getState().finish(verified, endOfRunLines(verified));
    const frame = await waitForFrame(instance, 'Done: every step is ok on every node.');
    assert.match(frame, /pi-cluster-wizard export ansible\|hosts\|mpi\|ssh-config/);
    // One step for one node is no time to hand the cluster on.
    assert.deepEqual(endOfRunLines(outcome()), ['Done: every step is ok on every node.']);
  });

  test('the end: what failed and what to run next', async () => {
    const { instance, store } = renderRun();
    const failed = outcome({ failedNodes: ['worker2'] });
    store.getState().finish(failed, endOfRunLines(failed));
    const frame = await waitForFrame(instance, '1 node failed: worker2');
    assert.match(frame, /pi-cluster-wizard run all --node worker2/);
  });
});
