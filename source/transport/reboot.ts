/**
 * Reboots a worker and reconnects at the address it should have now, proving the reboot by the
 * boot id changing, with bounded backoff and an error naming both addresses if it never returns;
 * or powers it off and waits until its SSH port stops answering.
 */

import { connect } from 'node:net';
import {
  aborted,
  didNotComeBack,
  didNotPowerOff,
  isTransportError,
  TransportError,
  type TransportErrorKind,
} from './errors.js';
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
  /** Called once the reboot was issued, while the wizard waits for the node to come back. */
  onGoingDown?: () => void;
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

  await goDown(connection, 'reboot', options.signal);
  await connection.close();
  options.onGoingDown?.();

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

/** How a worker's own `reboot` or `poweroff` may end when the node goes down under it. */
const droppedByGoingDown: ReadonlySet<TransportErrorKind> = new Set<TransportErrorKind>([
  'connection-lost',
  'command-killed',
  'command-timed-out',
]);

/**
 * Runs `reboot` or `poweroff` as root on the node; the connection dropping under the command is
 * the node going down, not a failure. A refusal fails in words.
 */
async function goDown(
  connection: NodeConnection,
  action: 'reboot' | 'poweroff',
  signal: AbortSignal | undefined,
): Promise<void> {
  const node = connection.node;
  try {
    const result = await connection.runAsRoot([action], {
      label: action,
      timeoutMs: 15_000,
      ...(signal ? { signal } : {}),
    });
    if (result.code !== 0) {
      const verb = action === 'reboot' ? 'reboot' : 'power off';
      throw new TransportError(node, 'command-failed', {
        message: `${node} refused to ${verb} (exit code ${result.code}): ${result.stderr.trim()}`,
        nextStep:
          action === 'reboot'
            ? 'Reboot the Pi by hand (sudo reboot, or power it off and on), then retry.'
            : 'Power the Pi off by hand (sudo poweroff), then retry.',
      });
    }
  } catch (error) {
    if (!isTransportError(error) || !droppedByGoingDown.has(error.kind)) throw error;
  }
}

export interface PowerOffOptions {
  /** Default 120 s: a Pi takes seconds to power off; one still answering after that did not. */
  timeoutMs?: number;
  /** Between checks of the SSH port (default 1 s). */
  intervalMs?: number;
  /** Bound on each check (default 2 s): no answer in that time is a node that is gone. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called once the power-off was issued, while the wizard waits for the node to go. */
  onGoingDown?: () => void;
}

/**
 * Powers the node off and waits until its SSH port (where the connection reached it) stops
 * answering: refused, unreachable or silent. Fails in words when it still answers after the bound.
 */
export async function powerOffAndWaitUntilGone(
  connection: SshNodeConnection,
  options: PowerOffOptions = {},
): Promise<void> {
  const address = connection.address;
  const port = connection.options.port ?? 22;
  await goDown(connection, 'poweroff', options.signal);
  await connection.close();
  options.onGoingDown?.();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = Date.now();
  for (;;) {
    if (!(await portAnswers(address, port, options.connectTimeoutMs ?? 2_000))) return;
    const waitedMs = Date.now() - started;
    if (waitedMs >= timeoutMs) {
      const login = `${connection.options.credentials.username}@${address}`;
      throw didNotPowerOff(connection.node, login, waitedMs);
    }
    await delay(options.intervalMs ?? 1_000, options.signal);
    if (options.signal?.aborted)
      throw aborted(connection.node, 'Waiting for the power-off to end SSH');
  }
}

/** Whether a TCP connection to the port is accepted within the bound. */
function portAnswers(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (answers: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answers);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
