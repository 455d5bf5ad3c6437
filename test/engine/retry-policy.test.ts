import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_RETRY_POLICY,
  decideRetry,
  type RetryPolicy,
  retryDelayMs,
  withRetry,
} from '../../source/engine/retry-policy.js';
import { TransportError, type TransportErrorKind } from '../../source/transport/errors.js';

const policy: RetryPolicy = { maxAttempts: 4, initialDelayMs: 1000, factor: 2, maxDelayMs: 3000 };

function failure(kind: TransportErrorKind): TransportError {
  return new TransportError('pi1', kind, { message: kind, nextStep: 'retry' });
}

describe('the retry policy', () => {
  const table: Array<[TransportErrorKind | 'plain Error', number, ReturnType<typeof decideRetry>]> =
    [
      ['connection-refused', 1, { retry: true, delayMs: 1000 }],
      ['timed-out', 2, { retry: true, delayMs: 2000 }],
      ['connection-lost', 3, { retry: true, delayMs: 3000 }],
      ['no-route', 1, { retry: true, delayMs: 1000 }],
      ['command-timed-out', 1, { retry: true, delayMs: 1000 }],
      ['connection-refused', 4, { retry: false, reason: 'attempts-exhausted' }],
      ['auth-failed', 1, { retry: false, reason: 'not-transient' }],
      ['host-key-changed', 1, { retry: false, reason: 'not-transient' }],
      ['sudo-refused', 1, { retry: false, reason: 'not-transient' }],
      ['command-failed', 1, { retry: false, reason: 'not-transient' }],
      ['did-not-come-back', 1, { retry: false, reason: 'not-transient' }],
      ['aborted', 1, { retry: false, reason: 'not-transient' }],
      ['plain Error', 1, { retry: false, reason: 'not-transient' }],
    ];
  for (const [kind, attempt, expected] of table) {
    it(`after attempt ${attempt} failing with ${kind}: ${JSON.stringify(expected)}`, () => {
      const error = kind === 'plain Error' ? new Error('bug') : failure(kind);
      assert.deepEqual(decideRetry(policy, error, attempt), expected);
    });
  }

  it('backs off exponentially up to the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((attempt) => retryDelayMs(policy, attempt)),
      [1000, 2000, 3000, 3000, 3000],
    );
    assert.deepEqual(
      [1, 2, 3].map((attempt) => retryDelayMs(DEFAULT_RETRY_POLICY, attempt)),
      [2000, 4000, 8000],
    );
  });

  it('retries transient failures, reporting each wait, then succeeds', async () => {
    const waits: number[] = [];
    const progress: string[] = [];
    const result = await withRetry(
      async (attempt) => {
        if (attempt < 3) throw failure('connection-refused');
        return `ok on ${attempt}`;
      },
      {
        policy,
        sleep: async (ms) => {
          waits.push(ms);
        },
        onAttempt: (attempt, max) => progress.push(`attempt ${attempt} of ${max}`),
        onRetry: ({ attempt, delayMs }) => progress.push(`retry after ${attempt} in ${delayMs}`),
      },
    );
    assert.equal(result, 'ok on 3');
    assert.deepEqual(waits, [1000, 2000]);
    assert.deepEqual(progress, [
      'attempt 1 of 4',
      'retry after 1 in 1000',
      'attempt 2 of 4',
      'retry after 2 in 2000',
      'attempt 3 of 4',
    ]);
  });

  it('never repeats a wrong password', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw failure('auth-failed');
        },
        { policy, sleep: async () => {} },
      ),
      (error: unknown) => error instanceof TransportError && error.kind === 'auth-failed',
    );
    assert.equal(calls, 1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw failure('timed-out');
        },
        { policy, sleep: async () => {} },
      ),
      /timed-out/,
    );
    assert.equal(calls, 4);
  });
});
