/**
 * Runs one piece of work on many nodes in parallel, at most `concurrency` at a time. Every node is
 * independent: its failure is caught into its own outcome and never stops or touches the others.
 */

import { aborted, formatTransportError, isTransportError } from '../transport/errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, sleep, withRetry } from './retry-policy.js';

/** Nodes worked on at once unless told otherwise (--concurrency). */
export const defaultConcurrency = 8;

export interface NamedNode {
  name: string;
}

export type NodeRunEvent =
  | { type: 'started'; node: string; attempt: number; maxAttempts: number }
  | {
      type: 'retrying';
      node: string;
      attempt: number;
      maxAttempts: number;
      delayMs: number;
      error: unknown;
      message: string;
    }
  | { type: 'succeeded'; node: string; attempts: number; durationMs: number }
  | {
      type: 'failed';
      node: string;
      attempts: number;
      durationMs: number;
      error: unknown;
      message: string;
    };

export type NodeOutcome<T> =
  | { node: string; ok: true; value: T; attempts: number; durationMs: number }
  | {
      node: string;
      ok: false;
      error: unknown;
      message: string;
      attempts: number;
      durationMs: number;
    };

export interface RunOnNodesOptions {
  /** Nodes worked on at once (default defaultConcurrency). */
  concurrency?: number;
  retry?: RetryPolicy;
  onEvent?: (event: NodeRunEvent) => void;
  /** Stops starting new attempts; work already running gets the signal too. */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Named in every failure message, so the person can look at what ran. */
  commandLogPath?: string;
}

export interface AttemptContext {
  attempt: number;
  signal: AbortSignal;
}

/**
 * Calls `work` for every node (a new attempt gets a fresh call, so it should open its own
 * connection) and returns one outcome per node, in the order of `nodes`.
 */
export async function runOnNodes<N extends NamedNode, T>(
  nodes: readonly N[],
  work: (node: N, context: AttemptContext) => Promise<T>,
  options: RunOnNodesOptions = {},
): Promise<NodeOutcome<T>[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? defaultConcurrency));
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const signal = options.signal ?? new AbortController().signal;
  const logPath = options.commandLogPath ? { commandLogPath: options.commandLogPath } : {};
  const emit = (event: NodeRunEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A broken listener must not turn into a failed node.
    }
  };
  const outcomes: NodeOutcome<T>[] = new Array(nodes.length);
  let next = 0;

  const runOne = async (node: N): Promise<NodeOutcome<T>> => {
    const started = performance.now();
    let attempts = 0;
    if (signal.aborted) {
      // Cancelled before this node's turn: nothing was done on it.
      const error = aborted(node.name, 'The work');
      const message = formatTransportError(error, logPath);
      emit({ type: 'failed', node: node.name, attempts, durationMs: 0, error, message });
      return { node: node.name, ok: false, error, message, attempts, durationMs: 0 };
    }
    try {
      const value = await withRetry(
        (attempt) => {
          attempts = attempt;
          return work(node, { attempt, signal });
        },
        {
          policy,
          signal,
          sleep: options.sleep ?? sleep,
          onAttempt: (attempt, maxAttempts) =>
            emit({ type: 'started', node: node.name, attempt, maxAttempts }),
          onRetry: ({ attempt, maxAttempts, delayMs, error }) =>
            emit({
              type: 'retrying',
              node: node.name,
              attempt,
              maxAttempts,
              delayMs,
              error,
              message: formatTransportError(error, logPath),
            }),
        },
      );
      const durationMs = Math.round(performance.now() - started);
      emit({ type: 'succeeded', node: node.name, attempts, durationMs });
      return { node: node.name, ok: true, value, attempts, durationMs };
    } catch (caught) {
      const durationMs = Math.round(performance.now() - started);
      // Stopped while waiting to retry: say so, not the AbortError's "This operation was aborted".
      const error =
        signal.aborted && !isTransportError(caught) ? aborted(node.name, 'The work') : caught;
      const message = formatTransportError(error, logPath);
      emit({ type: 'failed', node: node.name, attempts, durationMs, error, message });
      return { node: node.name, ok: false, error, message, attempts, durationMs };
    }
  };

  const lane = async () => {
    while (next < nodes.length) {
      const index = next;
      next += 1;
      const node = nodes[index];
      if (node === undefined) continue;
      outcomes[index] = await runOne(node);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, nodes.length) }, lane));
  return outcomes;
}

/** Runs the functions given to it at most `count` at a time, in the order they came. */
export function limitConcurrency(count: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (work) => {
    if (running >= count) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
