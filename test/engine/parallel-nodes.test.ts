import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type NodeRunEvent, runOnNodes } from '../../source/engine/run-on-nodes.js';
import type { SshNodeConnection } from '../../source/transport/ssh-connection.js';
import { type Lab, type LabNode, startLab } from '../lab/lab.js';
import { connectToLabNode, makeTestMaster, type TestMaster } from '../transport/lab-connection.js';

const COMMAND = ['cat', '/proc/sys/kernel/random/boot_id'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe('16 nodes in parallel', () => {
  let lab: Lab;
  let master: TestMaster;
  const named = () => lab.nodes.map((node) => ({ name: `pi${node.index}`, node }));

  before(async () => {
    lab = await startLab({ nodes: 16, sudo: 'password' });
    master = makeTestMaster();
  });
  after(async () => {
    await lab?.stop();
  });

  it('runs a command on all 16 at once, and reports one node against sixteen in one run', async (t) => {
    const connectAndRun = async (node: LabNode) => {
      const connection = await connectToLabNode(master, lab, node);
      try {
        return (await connection.run(COMMAND, { check: true })).stdout.trim();
      } finally {
        await connection.close();
      }
    };

    // Warm up once (first connection pays for loading keys and the lab's caches).
    await connectAndRun(lab.nodes[0]!);

    const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      const started = performance.now();
      const value = await work();
      return [value, performance.now() - started];
    };

    const rounds = 3;
    const single: number[] = [];
    const sixteen: number[] = [];
    const singleOpen: number[] = [];
    const sixteenOpen: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const [, one] = await timed(() => connectAndRun(lab.nodes[0]!));
      single.push(one);
      const [outcomes, all] = await timed(() =>
        runOnNodes(named(), ({ node }) => connectAndRun(node), { concurrency: 16 }),
      );
      sixteen.push(all);
      assert.ok(outcomes.every((outcome) => outcome.ok));
      const bootIds = await Promise.all(lab.nodes.map((node) => node.bootId()));
      assert.deepEqual(
        outcomes.map((outcome) => (outcome.ok ? outcome.value : '')),
        bootIds,
        'each node answered for itself',
      );
    }

    // The same command over connections that are already open (one per node, reused).
    const connections: SshNodeConnection[] = await Promise.all(
      lab.nodes.map((node) => connectToLabNode(master, lab, node)),
    );
    try {
      for (let round = 0; round < rounds; round += 1) {
        const [, one] = await timed(() => connections[0]!.run(COMMAND, { check: true }));
        singleOpen.push(one);
        const [, all] = await timed(() =>
          Promise.all(connections.map((connection) => connection.run(COMMAND, { check: true }))),
        );
        sixteenOpen.push(all);
      }
      // And as root through sudo with the password, which costs a password check each time.
      const [, rootOne] = await timed(() => connections[0]!.runAsRoot(COMMAND, { check: true }));
      const [, rootAll] = await timed(() =>
        Promise.all(
          connections.map((connection) => connection.runAsRoot(COMMAND, { check: true })),
        ),
      );
      const report = [
        `one command (${COMMAND.join(' ')}), median of ${rounds}:`,
        `  connect + run + close, 1 node:   ${median(single).toFixed(0)} ms`,
        `  connect + run + close, 16 nodes: ${median(sixteen).toFixed(0)} ms (parallel, bound 16)`,
        `  run on an open connection, 1 node:   ${median(singleOpen).toFixed(1)} ms`,
        `  run on open connections, 16 nodes:   ${median(sixteenOpen).toFixed(1)} ms`,
        `  runAsRoot (sudo probe + password check + command), 1 node: ${rootOne.toFixed(0)} ms, 16 nodes: ${rootAll.toFixed(0)} ms`,
      ].join('\n');
      t.diagnostic(report);
      console.log(report);
    } finally {
      await Promise.all(connections.map((connection) => connection.close()));
    }
  });

  it('keeps going on the other 15 when one node is down, retrying only that one', async () => {
    const down = lab.nodes[15]!;
    await down.killSshd();
    const events: NodeRunEvent[] = [];
    const outcomes = await runOnNodes(
      named(),
      async ({ node }) => {
        const connection = await connectToLabNode(master, lab, node);
        try {
          return (await connection.runAsRoot(['hostname'], { check: true })).stdout.trim();
        } finally {
          await connection.close();
        }
      },
      {
        concurrency: 6,
        retry: { maxAttempts: 3, initialDelayMs: 50, factor: 2, maxDelayMs: 200 },
        onEvent: (event) => events.push(event),
      },
    );
    assert.deepEqual(
      outcomes.map((outcome) => outcome.ok),
      lab.nodes.map((node) => node !== down),
    );
    const failed = outcomes[15];
    assert.ok(failed && !failed.ok);
    assert.equal(failed.attempts, 3);
    assert.match(failed.message, /pi15 .* refused the SSH connection/);
    const retries = events.filter((event) => event.type === 'retrying');
    assert.deepEqual(
      retries.map((event) => event.node),
      ['pi15', 'pi15'],
    );
  });
});
