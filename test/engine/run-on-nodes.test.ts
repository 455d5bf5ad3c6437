import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type NodeRunEvent, runOnNodes } from '../../source/engine/run-on-nodes.js';
import { TransportError } from '../../source/transport/errors.js';

const nodes = Array.from({ length: 10 }, (_, index) => ({ name: `pi${index}` }));
const policy = { maxAttempts: 3, initialDelayMs: 10, factor: 2, maxDelayMs: 100 };
const noSleep = async () => {};

describe('runOnNodes', () => {
  it('never has more than `concurrency` nodes in flight, and keeps the order of the nodes', async () => {
    let inFlight = 0;
    let most = 0;
    const outcomes = await runOnNodes(
      nodes,
      async (node) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
        inFlight -= 1;
        return node.name.toUpperCase();
      },
      { concurrency: 3 },
    );
    assert.equal(most, 3);
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.ok ? outcome.value : 'failed')),
      nodes.map((node) => node.name.toUpperCase()),
    );
  });

  it('keeps every node independent: a failing node neither stops nor changes the others', async () => {
    const outcomes = await runOnNodes(
      nodes,
      async (node) => {
        if (node.name === 'pi2') throw new Error('a bug in one step');
        if (node.name === 'pi5') {
          throw new TransportError('pi5', 'auth-failed', {
            message: 'pi5 did not accept the password for user pi.',
            nextStep: 'Check the password.',
          });
        }
        return node.name;
      },
      { concurrency: 4, retry: policy, sleep: noSleep, commandLogPath: '/state/commands.jsonl' },
    );
    assert.deepEqual(
      outcomes.map((outcome) => outcome.ok),
      nodes.map((node) => node.name !== 'pi2' && node.name !== 'pi5'),
    );
    const pi5 = outcomes[5];
    assert.ok(pi5 && !pi5.ok);
    assert.equal(pi5.attempts, 1, 'a refused login is never retried');
    assert.equal(
      pi5.message,
      'pi5 did not accept the password for user pi.\nWhat to do: Check the password.\nCommand log: /state/commands.jsonl',
    );
  });

  it('retries transient errors with backoff, telling the UI each attempt and wait', async () => {
    const events: NodeRunEvent[] = [];
    const waits: number[] = [];
    let calls = 0;
    const outcomes = await runOnNodes(
      [{ name: 'pi1' }],
      async (_node, { attempt }) => {
        calls += 1;
        if (attempt < 3) {
          throw new TransportError('pi1', 'connection-refused', {
            message: 'pi1 refused the SSH connection.',
            nextStep: 'Wait.',
          });
        }
        return 'done';
      },
      {
        retry: policy,
        sleep: async (ms) => {
          waits.push(ms);
        },
        onEvent: (event) => events.push(event),
      },
    );
    assert.equal(calls, 3);
    assert.deepEqual(waits, [10, 20]);
    assert.deepEqual(
      events.map((event) =>
        event.type === 'retrying'
          ? `retrying ${event.attempt}/${event.maxAttempts} in ${event.delayMs}`
          : event.type === 'started'
            ? `started ${event.attempt}/${event.maxAttempts}`
            : event.type,
      ),
      [
        'started 1/3',
        'retrying 1/3 in 10',
        'started 2/3',
        'retrying 2/3 in 20',
        'started 3/3',
        'succeeded',
      ],
    );
    assert.ok(outcomes[0]?.ok);
  });

  it('starts no further node once cancelled, and says which ones were not done', async () => {
    const controller = new AbortController();
    const touched: string[] = [];
    const outcomes = await runOnNodes(
      nodes,
      async (node, { signal }) => {
        touched.push(node.name);
        if (node.name === 'pi1') controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (signal.aborted) throw new Error('stopped');
        return node.name;
      },
      { concurrency: 2, signal: controller.signal },
    );
    assert.deepEqual(touched, ['pi0', 'pi1']);
    assert.equal(outcomes.length, nodes.length);
    const notStarted = outcomes.slice(2);
    assert.ok(notStarted.every((outcome) => !outcome.ok && outcome.attempts === 0));
    assert.match(
      notStarted[0]?.ok === false ? notStarted[0].message : '',
      /The work on pi2 was cancelled/,
    );
  });

  it('a node stopped while it waits for its next attempt is cancelled, in words', async () => {
    const controller = new AbortController();
    const outcomes = await runOnNodes(
      nodes.slice(0, 1),
      async () => {
        throw new TransportError('pi0', 'connection-refused', {
          message: 'pi0 refused the SSH connection.',
          nextStep: 'Check SSH.',
        });
      },
      {
        signal: controller.signal,
        retry: { maxAttempts: 3, initialDelayMs: 60_000, factor: 1, maxDelayMs: 60_000 },
        onEvent: (event) => {
          if (event.type === 'retrying') controller.abort();
        },
      },
    );
    const [outcome] = outcomes;
    assert.equal(outcome?.ok, false);
    assert.match(
      outcome?.ok === false ? outcome.message : '',
      /^The work on pi0 was cancelled\.\nWhat to do: /,
    );
  });

  it('survives a listener that throws', async () => {
    const outcomes = await runOnNodes(nodes.slice(0, 2), async () => 1, {
      onEvent: () => {
        throw new Error('broken view');
      },
    });
    assert.ok(outcomes.every((outcome) => outcome.ok));
  });

  it('handles no nodes', async () => {
    assert.deepEqual(await runOnNodes([], async () => 1), []);
  });
});
