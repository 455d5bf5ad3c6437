import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ClusterActionEvent,
  execOnNodes,
  type NodeActionResult,
  powerCluster,
} from '../../source/engine/cluster-actions.js';
import type { NodeAccess, PowerAction } from '../../source/engine/node-access.js';
import type { RetryPolicy } from '../../source/engine/retry-policy.js';
import { defaultSettings, type NodeRow, planCluster } from '../../source/plan/plan-cluster.js';
import {
  connectionLost,
  didNotPowerOff,
  sudoRefused,
  TransportError,
} from '../../source/transport/errors.js';
import type {
  Command,
  CommandResult,
  NodeConnection,
  RunOptions,
} from '../../source/transport/node-connection.js';

const quickRetry: RetryPolicy = { maxAttempts: 3, initialDelayMs: 1, factor: 1, maxDelayMs: 1 };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How an in-memory node behaves. */
interface Behaviour {
  /** Refuses this many connections first (a transient error, retried). */
  refusals?: number;
  /** Never answers. */
  unreachable?: boolean;
  /** What its commands print and exit with, from the command's words; an Error is thrown. */
  answer?: (words: readonly string[], asRoot: boolean) => Partial<CommandResult> | Error;
  delayMs?: number;
  /** Its power-off or reboot fails with this. */
  powerFails?: Error;
  /** sudo refuses (the master's root check). */
  sudoRefused?: boolean;
}

interface Ran {
  node: string;
  command: Command;
  options: RunOptions;
  asRoot: boolean;
}

/** Nodes in memory behind a NodeAccess: what ran where and when, and each node's power story. */
class MemoryCluster {
  readonly rows: NodeRow[];
  readonly behaviours = new Map<string, Behaviour>();
  readonly connects: Array<{ node: string; fresh: boolean }> = [];
  readonly ran: Ran[] = [];
  readonly timeline: string[] = [];
  running = 0;
  mostAtOnce = 0;

  constructor(nodeCount: number) {
    this.rows = planCluster({ ...defaultSettings, nodeCount }).map((row) => ({ ...row }));
  }

  behave(node: string, behaviour: Behaviour): this {
    this.behaviours.set(node, behaviour);
    return this;
  }

  connection(node: string): NodeConnection {
    const behaviour = () => this.behaviours.get(node) ?? {};
    const run = async (command: Command, options: RunOptions = {}, asRoot = false) => {
      this.ran.push({ node, command, options, asRoot });
      if (asRoot && behaviour().sudoRefused) throw sudoRefused(node, 'wrong-password', '');
      this.running += 1;
      this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
      try {
        await pause(behaviour().delayMs ?? 1);
        const words = 'script' in command ? (command.args ?? []) : command;
        const answer = behaviour().answer?.(words, asRoot) ?? {};
        if (answer instanceof Error) throw answer;
        return { code: 0, stdout: '', stderr: '', durationMs: 1, ...answer };
      } finally {
        this.running -= 1;
      }
    };
    return {
      node,
      address: node,
      run: (command: Command, options?: RunOptions) => run(command, options),
      runAsRoot: (command: Command, options?: RunOptions) => run(command, options, true),
    } as unknown as NodeConnection;
  }

  access(): NodeAccess {
    const cluster = this;
    const tries = new Map<string, number>();
    return {
      async connect(row, fresh) {
        const node = row.hostname;
        cluster.connects.push({ node, fresh });
        const tried = (tries.get(node) ?? 0) + 1;
        tries.set(node, tried);
        const { refusals = 0, unreachable } = cluster.behaviours.get(node) ?? {};
        if (unreachable || tried <= refusals)
          throw new TransportError(node, 'connection-refused', {
            message: `${node} refused the SSH connection.`,
            nextStep: 'Check that the Pi is powered.',
          });
        return cluster.connection(node);
      },
      async bootId() {
        return 'boot';
      },
      async rebootWorker() {},
      async rebootMaster() {},
      async powerWorker(row, action, onGoingDown) {
        cluster.timeline.push(`${action} ${row.hostname}`);
        const { powerFails, delayMs = 5 } = cluster.behaviours.get(row.hostname) ?? {};
        await pause(1);
        onGoingDown?.();
        await pause(delayMs);
        if (powerFails) throw powerFails;
        cluster.timeline.push(`${action === 'reboot' ? 'back' : 'off'} ${row.hostname}`);
      },
      async powerMaster(row, action: PowerAction) {
        cluster.timeline.push(`${action} ${row.hostname}`);
      },
      async close() {},
    };
  }
}

function collect<R extends NodeActionResult>() {
  const events: ClusterActionEvent<R>[] = [];
  const of = (node: string) =>
    events.flatMap((event) => {
      if (event.type === 'finished')
        return event.result.node === node ? [`finished ${event.result.status}`] : [];
      if (event.node !== node) return [];
      return event.type === 'retrying'
        ? [`retrying ${event.attempt}/${event.maxAttempts}`]
        : [`${event.type} ${event.activity}`];
    });
  return { events, of, onEvent: (event: ClusterActionEvent<R>) => events.push(event) };
}

describe('exec on the cluster', () => {
  test('every node, as the words given, in its home; results in the table order', async () => {
    const cluster = new MemoryCluster(3).behave('worker1', {
      delayMs: 20,
      answer: (words) => ({ stdout: `${words.join(' ')} on worker1\n` }),
    });
    const seen = collect();
    const results = await execOnNodes({
      access: cluster.access(),
      rows: cluster.rows,
      command: ['echo', "it's $(here)", ''],
      asRoot: false,
      retry: quickRetry,
      onEvent: seen.onEvent,
    });
    assert.deepEqual(
      results.map(({ node, status, code, stdout }) => ({ node, status, code, stdout })),
      [
        { node: 'master', status: 'ok', code: 0, stdout: '' },
        { node: 'worker1', status: 'ok', code: 0, stdout: "echo it's $(here)  on worker1\n" },
        { node: 'worker2', status: 'ok', code: 0, stdout: '' },
      ],
    );
    for (const { command, options, asRoot } of cluster.ran) {
      // A fixed script; the words are its arguments, each one of them, never script text.
      assert.deepEqual(command, {
        script: 'cd 2>/dev/null; exec "$@"',
        args: ['echo', "it's $(here)", ''],
      });
      assert.equal(asRoot, false);
      // The command log shows the command as given, quoted by the one quoting function.
      assert.equal(options.label, `echo 'it'\\''s $(here)' ''`);
      assert.equal(options.timeoutMs, 60 * 60_000);
    }
    assert.deepEqual(seen.of('worker1'), ['working connecting', 'working running', 'finished ok']);
  });

  test('--sudo runs it as root; a non-zero exit fails the node with its code', async () => {
    const cluster = new MemoryCluster(3).behave('worker2', {
      answer: () => ({ code: 3, stderr: 'nope\n' }),
    });
    const results = await execOnNodes({
      access: cluster.access(),
      rows: cluster.rows,
      command: ['id', '-u'],
      asRoot: true,
      retry: quickRetry,
    });
    assert.ok(cluster.ran.every((each) => each.asRoot));
    assert.deepEqual(
      results.map(({ node, status, code, summary }) => [node, status, code, summary]),
      [
        ['master', 'ok', 0, 'exit code 0'],
        ['worker1', 'ok', 0, 'exit code 0'],
        ['worker2', 'failed', 3, 'exit code 3'],
      ],
    );
  });

  test('reaching a node is retried; a command that started is never run twice', async () => {
    const cluster = new MemoryCluster(4)
      .behave('worker1', { refusals: 2 })
      .behave('worker2', { unreachable: true })
      .behave('worker3', { answer: () => connectionLost('worker3', 'the node reset') });
    const seen = collect();
    const results = await execOnNodes({
      access: cluster.access(),
      rows: cluster.rows,
      command: ['uptime'],
      asRoot: false,
      retry: quickRetry,
      commandLogPath: '/tmp/commands.jsonl',
      onEvent: seen.onEvent,
    });
    const byNode = new Map(results.map((result) => [result.node, result]));
    assert.equal(byNode.get('worker1')?.status, 'ok');
    assert.deepEqual(seen.of('worker1'), [
      'working connecting',
      'retrying 2/3',
      'working connecting',
      'retrying 3/3',
      'working connecting',
      'working running',
      'finished ok',
    ]);
    // A retry opens a fresh connection.
    assert.deepEqual(
      cluster.connects.filter((each) => each.node === 'worker1').map((each) => each.fresh),
      [false, true, true],
    );
    const worker2 = byNode.get('worker2');
    assert.equal(worker2?.status, 'failed');
    assert.equal(worker2?.code, null);
    assert.equal(
      worker2?.summary,
      'worker2 refused the SSH connection.\nWhat to do: Check that the Pi is powered.\nCommand log: /tmp/commands.jsonl',
    );
    assert.equal(cluster.ran.filter((each) => each.node === 'worker2').length, 0);
    // Lost under the command: it may have run, so it is reported, not repeated.
    assert.equal(cluster.ran.filter((each) => each.node === 'worker3').length, 1);
    assert.equal(byNode.get('worker3')?.code, null);
    assert.match(byNode.get('worker3')?.summary ?? '', /The connection to worker3 was lost/);
  });

  test('at most `concurrency` nodes at once', async () => {
    const cluster = new MemoryCluster(6);
    for (const row of cluster.rows) cluster.behave(row.hostname, { delayMs: 15 });
    await execOnNodes({
      access: cluster.access(),
      rows: cluster.rows,
      command: ['true'],
      asRoot: false,
      concurrency: 2,
    });
    assert.equal(cluster.mostAtOnce, 2);
    assert.equal(cluster.ran.length, 6);
  });

  test('stopped before it starts: nothing runs, every node says it was cancelled', async () => {
    const cluster = new MemoryCluster(2);
    const controller = new AbortController();
    controller.abort();
    const results = await execOnNodes({
      access: cluster.access(),
      rows: cluster.rows,
      command: ['true'],
      asRoot: false,
      signal: controller.signal,
    });
    assert.equal(cluster.ran.length, 0);
    assert.deepEqual(
      results.map((result) => [result.status, result.summary.split('\n')[0]]),
      [
        ['failed', 'The work on master was cancelled.'],
        ['failed', 'The work on worker1 was cancelled.'],
      ],
    );
  });
});

describe('shutdown and reboot of the cluster', () => {
  for (const action of ['reboot', 'poweroff'] as const) {
    test(`${action}: root on the master checked first, every worker at once, the master left for last`, async () => {
      const cluster = new MemoryCluster(4);
      const seen = collect();
      const outcome = await powerCluster({
        access: cluster.access(),
        rows: cluster.rows,
        action,
        retry: quickRetry,
        onEvent: seen.onEvent,
      });
      assert.deepEqual(outcome.master, { node: 'master', goes: true });
      assert.deepEqual(outcome.failedNodes, []);
      assert.equal(outcome.interrupted, false);
      // The master's own turn is the command's, after it has said everything.
      assert.deepEqual(
        cluster.timeline.filter((each) => each.endsWith('master')),
        [],
      );
      // Every worker was told before any of them was done: at once, not one after another.
      const told = cluster.timeline.filter((each) => each.startsWith(action)).length;
      assert.equal(told, 3);
      assert.ok(
        cluster.timeline.slice(0, 3).every((each) => each.startsWith(action)),
        cluster.timeline.join(', '),
      );
      assert.deepEqual(
        cluster.ran.map((each) => [each.node, each.command, each.asRoot]),
        [['master', ['true'], true]],
      );
      assert.deepEqual(seen.of('master'), [
        'working checking sudo',
        'waiting last, once every worker went',
      ]);
      const going = action === 'reboot' ? 'rebooting' : 'powering off';
      const down =
        action === 'reboot'
          ? 'down, waiting for it to come back'
          : 'going down, waiting until SSH stops answering';
      assert.deepEqual(seen.of('worker2'), [
        'working connecting',
        `working ${going}`,
        `working ${down}`,
        'finished ok',
      ]);
      assert.deepEqual(
        outcome.results.map((result) => result.node),
        ['worker1', 'worker2', 'worker3'],
      );
      for (const result of outcome.results)
        assert.match(
          result.summary,
          action === 'reboot'
            ? /^back with a new boot id after \d+\.\d s$/
            : /^off: its SSH port stopped answering after \d+\.\d s$/,
        );
    });
  }

  test('a worker that cannot be reached, or does not go: named, the others go, the master stays', async () => {
    const cluster = new MemoryCluster(4)
      .behave('worker1', { unreachable: true })
      .behave('worker3', { powerFails: didNotPowerOff('worker3', 'pi@10.0.0.3', 120_000) });
    const outcome = await powerCluster({
      access: cluster.access(),
      rows: cluster.rows,
      action: 'poweroff',
      retry: quickRetry,
    });
    assert.deepEqual(outcome.failedNodes, ['worker1', 'worker3']);
    assert.deepEqual(
      outcome.results.map((result) => [result.node, result.status]),
      [
        ['worker1', 'failed'],
        ['worker2', 'ok'],
        ['worker3', 'failed'],
      ],
    );
    assert.match(
      outcome.results[2]?.summary ?? '',
      /worker3 still answered SSH at 10\.0\.0\.3 120 s after/,
    );
    assert.match(outcome.results[2]?.summary ?? '', /What to do: .*ssh pi@10\.0\.0\.3/);
    assert.deepEqual(outcome.master, {
      node: 'master',
      goes: false,
      reason:
        'worker1, worker3 failed, and the master is your way in to the cluster: fix them first',
    });
    assert.ok(cluster.timeline.includes('off worker2'), 'the others went');
  });

  test('the master cannot become root: nothing is touched', async () => {
    const cluster = new MemoryCluster(3).behave('master', { sudoRefused: true });
    const outcome = await powerCluster({
      access: cluster.access(),
      rows: cluster.rows,
      action: 'reboot',
      retry: quickRetry,
    });
    assert.deepEqual(cluster.timeline, []);
    assert.deepEqual(
      outcome.results.map((result) => [result.node, result.status]),
      [
        ['master', 'failed'],
        ['worker1', 'skipped'],
        ['worker2', 'skipped'],
      ],
    );
    assert.match(outcome.results[0]?.summary ?? '', /^sudo on master did not accept the password/);
    assert.equal(outcome.master.goes, false);
    assert.deepEqual(outcome.failedNodes, ['master']);
  });

  test('a cluster of one: the master goes', async () => {
    const cluster = new MemoryCluster(1);
    const outcome = await powerCluster({
      access: cluster.access(),
      rows: cluster.rows,
      action: 'reboot',
    });
    assert.deepEqual(outcome.master, { node: 'master', goes: true });
    assert.deepEqual(outcome.results, []);
  });

  test('stopped while the workers go: the master stays', async () => {
    const cluster = new MemoryCluster(3);
    for (const row of cluster.rows) cluster.behave(row.hostname, { delayMs: 30 });
    const controller = new AbortController();
    const outcome = await powerCluster({
      access: cluster.access(),
      rows: cluster.rows,
      action: 'reboot',
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'working' && event.activity.startsWith('down')) controller.abort();
      },
    });
    assert.equal(outcome.interrupted, true);
    assert.equal(outcome.master.goes, false);
  });
});
