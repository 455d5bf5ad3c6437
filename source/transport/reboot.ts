/**
 * Reboots a worker and reconnects at the address it should have now, proving the reboot by the
 * boot id changing, with bounded backoff and an error naming both addresses if it never returns.
 */

import { didNotComeBack, isTransportError, TransportError } from './errors.js';
import type { NodeConnection, ReadToMake } from './node-connection.js';
import {
  connectOverSsh,
  type SshConnectOptions,
  type SshNodeConnection,
} from './ssh-connection.js';

export interface RebootOptions {
  /** Where the node should answer after the reboot (its new static address, often). */
  expectedAddress: string;
  expectedPort?: number;
  /** Give up after this long (default 180 s; a Pi 3 with a slow card needs over a minute). */
  timeoutMs?: number;
  /** First wait between attempts (default 1 s), doubling up to `maxDelayMs` (default 5 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Bound on each connection attempt (default 10 s). */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Made on each fresh connection with its boot id read along, in one round trip: the first read
   * of the check that follows the reboot (remembered, so the check asks no second time).
   */
  firstRead?: ReadToMake;
  /** Called after each failed attempt to reach the node, for a "waiting for node-3" line. */
  onWaiting?: (event: {
    node: string;
    address: string;
    attempt: number;
    elapsedMs: number;
    error: unknown;
  }) => void;
}

/**
 * The node's boot id as this connection knows it: read once per connection (a connection never
 * outlives its boot), often along with the first command it ran.
 */
export function readBootId(connection: NodeConnection, signal?: AbortSignal): Promise<string> {
  return connection.bootId(signal);
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Issues the reboot (the connection is expected to drop under it), closes the old connection, then
 * polls the expected address until the node answers SSH with a new boot id. Returns the new
 * connection, made with the same credentials and options.
 */
export async function rebootAndReconnect(
  connection: SshNodeConnection,
  options: RebootOptions,
): Promise<SshNodeConnection> {
  const node = connection.node;
  const lastKnownAddress = connection.address;
  const bootIdBefore = await readBootId(connection, options.signal);

  try {
    const result = await connection.runAsRoot(['reboot'], {
      label: 'reboot',
      timeoutMs: 15_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (result.code !== 0) {
      throw new TransportError(node, 'command-failed', {
        message: `${node} refused to reboot (exit code ${result.code}): ${result.stderr.trim()}`,
        nextStep: 'Reboot the Pi by hand (sudo reboot, or power it off and on), then retry.',
      });
    }
  } catch (error) {
    // The node going away under the command is what a reboot looks like from here.
    const droppedByReboot =
      isTransportError(error) &&
      (error.kind === 'connection-lost' ||
        error.kind === 'command-killed' ||
        error.kind === 'command-timed-out');
    if (!droppedByReboot) throw error;
  }
  await connection.close();

  const timeoutMs = options.timeoutMs ?? 180_000;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  let waitMs = options.initialDelayMs ?? 1_000;
  const started = Date.now();
  let lastError: unknown;
  const reconnectOptions: SshConnectOptions = {
    ...connection.options,
    host: options.expectedAddress,
    port: options.expectedPort ?? connection.options.port ?? 22,
    readyTimeoutMs: options.connectTimeoutMs ?? 10_000,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  for (let attempt = 1; ; attempt += 1) {
    await delay(waitMs, options.signal);
    if (options.signal?.aborted)
      throw lastError ?? new Error('Waiting for the reboot was cancelled.');
    try {
      const fresh = await connectOverSsh(reconnectOptions);
      try {
        if (options.firstRead) {
          const { command, options: readOptions } = options.firstRead;
          await fresh.run(command, {
            ...readOptions,
            probe: true,
            ...(options.signal ? { signal: options.signal } : {}),
          });
        }
        const bootId = await readBootId(fresh, options.signal);
        if (bootId !== bootIdBefore) return fresh;
        lastError = new Error('the node still answers with the boot id it had before the reboot');
      } catch (error) {
        lastError = error;
      }
      await fresh.close();
    } catch (error) {
      // A changed host key or refused login will not fix itself by waiting.
      if (isTransportError(error) && !error.transient) throw error;
      lastError = error;
    }
    const elapsedMs = Date.now() - started;
    options.onWaiting?.({
      node,
      address: options.expectedAddress,
      attempt,
      elapsedMs,
      error: lastError,
    });
    if (elapsedMs + waitMs >= timeoutMs) {
      throw didNotComeBack(node, lastKnownAddress, options.expectedAddress, elapsedMs, lastError);
    }
    waitMs = Math.min(maxDelayMs, waitMs * 2);
  }
}
