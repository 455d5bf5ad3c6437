/**
 * The one retry policy: transient transport errors (refused, reset, timeout, lost) are retried
 * with exponential backoff a bounded number of times; login, host-key, sudo and every other error
 * never are, since repeating them cannot help and can lock the node out.
 */

import { isTransient } from '../transport/errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt; each later wait is `factor` times longer, up to `maxDelayMs`. */
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  initialDelayMs: 2_000,
  factor: 2,
  maxDelayMs: 15_000,
};

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'not-transient' | 'attempts-exhausted' };

/** The wait after failed attempt number `attempt` (1-based). */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const delay = policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, Math.round(delay));
}

/** What to do after attempt number `attempt` (1-based) failed with `error`. */
export function decideRetry(policy: RetryPolicy, error: unknown, attempt: number): RetryDecision {
  if (!isTransient(error)) return { retry: false, reason: 'not-transient' };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts-exhausted' };
  return { retry: true, delayMs: retryDelayMs(policy, attempt) };
}

export interface RetryProgress {
  attempt: number;
  maxAttempts: number;
  error: unknown;
  delayMs: number;
}

export interface RetryOptions {
  policy?: RetryPolicy;
  signal?: AbortSignal;
  /** Called before each wait, so a UI can show "retrying in 4 s (attempt 2 of 4)". */
  onRetry?: (progress: RetryProgress) => void;
  /** Called as each attempt starts. */
  onAttempt?: (attempt: number, maxAttempts: number) => void;
  /** Replaceable in tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `work` until it succeeds or the policy says stop; fails with the last error. */
export async function withRetry<T>(
  work: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt += 1) {
    options.onAttempt?.(attempt, policy.maxAttempts);
    try {
      return await work(attempt);
    } catch (error) {
      const decision = decideRetry(policy, error, attempt);
      if (!decision.retry || options.signal?.aborted) throw error;
      options.onRetry?.({
        attempt,
        maxAttempts: policy.maxAttempts,
        error,
        delayMs: decision.delayMs,
      });
      await wait(decision.delayMs, options.signal);
    }
  }
}
