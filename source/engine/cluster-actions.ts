// The cluster in daily use, after the setup: one command on every node at once (exec), and the
// whole cluster rebooted or powered off, every worker at once and the master last. How nodes are
// reached is handed in (a NodeAccess), so this is tested with in-memory nodes; what the person
// sees is one reporter of its events (the live view, plain lines, JSON lines).
import type { NodeRow } from '../plan/plan-cluster.js';
import { formatTransportError } from '../transport/errors.js';
import type { NodeConnection } from '../transport/node-connection.js';
import { shellCommand } from '../transport/shell-quote.js';
import type { NodeAccess, PowerAction } from './node-access.js';
import type { RetryPolicy } from './retry-policy.js';
import {
  defaultConcurrency,
  limitConcurrency,
  type NodeRunEvent,
  runOnNodes,
} from './run-on-nodes.js';

/** How long a command of exec may run (an `apt full-upgrade` on a Pi takes a while). */
export const execTimeoutMs = 60 * 60_000;

export type NodeActionStatus = 'ok' | 'failed' | 'skipped';

/** How a node ended. */
export interface NodeActionResult {
  node: string;
  status: NodeActionStatus;
  /** In words: the exit code, how the node went, or what failed and what to do. */
  summary: string;
  durationMs: number;
}

export interface ExecResult extends NodeActionResult {
  /** The command's exit code; null when it could not be run (the summary says why). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What happens to each node, as it happens. */
export type ClusterActionEvent<R extends NodeActionResult = NodeActionResult> =
  /** The node's work started, or moved on to `activity` ("running", "down, …"). */
  | { type: 'working'; node: string; activity: string }
  /** The node waits its turn (the master waits for every worker). */
  | { type: 'waiting'; node: string; activity: string }
  /** As runOnNodes says it, without the error itself, but `attempt` is the one about to run. */
  | Omit<Extract<NodeRunEvent, { type: 'retrying' }>, 'error'>
  | { type: 'finished'; result: R };

interface Common<R extends NodeActionResult> {
  access: NodeAccess;
  /** Retries of reaching a node (never of what runs on it); the one policy by default. */
  retry?: RetryPolicy;
  signal?: AbortSignal;
  /** Named in every failure, so the person can look at what ran. */
  commandLogPath?: string;
  onEvent?: (event: ClusterActionEvent<R>) => void;
}

export interface ExecOnNodesOptions extends Common<ExecResult> {
  /** The nodes to run it on, in the table's order. */
  rows: readonly NodeRow[];
  /** The program and its arguments: each reaches the node as exactly one argument. */
  command: readonly string[];
  asRoot: boolean;
  /** Nodes at once (default defaultConcurrency). */
  concurrency?: number;
  timeoutMs?: number;
}

/**
 * The node's connection, reached with the retry policy (a fresh connection for each retry), or
 * the failure in words. Only reaching is retried: a command that started is never run twice.
 */
async function reach<R extends NodeActionResult>(
  row: NodeRow,
  options: Common<R>,
): Promise<{ ok: true; connection: NodeConnection } | { ok: false; message: string }> {
  const emit = (event: ClusterActionEvent<R>) => options.onEvent?.(event);
  const [outcome] = await runOnNodes(
    [{ name: row.hostname }],
    (_, { attempt }) => options.access.connect(row, attempt > 1),
    {
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.commandLogPath ? { commandLogPath: options.commandLogPath } : {}),
      onEvent: (event) => {
        if (event.type === 'started')
          emit({ type: 'working', node: row.hostname, activity: 'connecting' });
        else if (event.type === 'retrying') {
          const { attempt, maxAttempts, delayMs, message } = event;
          const next = attempt + 1;
          emit({
            type: 'retrying',
            node: row.hostname,
            attempt: next,
            maxAttempts,
            delayMs,
            message,
          });
        }
      },
    },
  );
  if (outcome?.ok) return { ok: true, connection: outcome.value };
  return { ok: false, message: outcome?.message ?? `${row.hostname}: not reached` };
}

/** Runs the command on every node, at most `concurrency` at once; results in the rows' order. */
export async function execOnNodes(options: ExecOnNodesOptions): Promise<ExecResult[]> {
  const slots = limitConcurrency(Math.max(1, options.concurrency ?? defaultConcurrency));
  const logPath = options.commandLogPath ? { commandLogPath: options.commandLogPath } : {};
  const execOnNode = async (row: NodeRow): Promise<ExecResult> => {
    const node = row.hostname;
    const started = performance.now();
    const finish = (result: Omit<ExecResult, 'node' | 'durationMs'>): ExecResult => {
      const ended = { node, ...result, durationMs: Math.round(performance.now() - started) };
      options.onEvent?.({ type: 'finished', result: ended });
      return ended;
    };
    const notRun = (summary: string) =>
      finish({ status: 'failed', code: null, stdout: '', stderr: '', summary });
    const reached = await reach(row, options);
    if (!reached.ok) return notRun(reached.message);
    options.onEvent?.({ type: 'working', node, activity: 'running' });
    const how = {
      timeoutMs: options.timeoutMs ?? execTimeoutMs,
      // The log shows the command as given, not the wrapper below.
      label: shellCommand(options.command),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    // In the user's home on every node, as an SSH login starts, the master included (the wizard
    // may have been started anywhere); the words of the command are its arguments, never script.
    const command = { script: 'cd 2>/dev/null; exec "$@"', args: options.command };
    try {
      const { connection } = reached;
      const ran = options.asRoot
        ? await connection.runAsRoot(command, how)
        : await connection.run(command, how);
      return finish({
        status: ran.code === 0 ? 'ok' : 'failed',
        code: ran.code,
        stdout: ran.stdout,
        stderr: ran.stderr,
        summary: `exit code ${ran.code}`,
      });
    } catch (error) {
      return notRun(formatTransportError(error, logPath));
    }
  };
  return Promise.all(options.rows.map((row) => slots(() => execOnNode(row))));
}

export interface PowerClusterOptions extends Common<NodeActionResult> {
  /** The whole cluster, the master (index 0) first. */
  rows: readonly NodeRow[];
  action: PowerAction;
}

export interface PowerOutcome {
  action: PowerAction;
  /** Every node's result but the master's going (which is the command's last act), in order. */
  results: NodeActionResult[];
  failedNodes: string[];
  interrupted: boolean;
  /**
   * Whether the master goes last (access.powerMaster, once the command has said everything: this
   * process may end with it), or why not.
   */
  master: { node: string; goes: true } | { node: string; goes: false; reason: string };
}

const verbs: Record<PowerAction, { going: string; gone: string; down: string }> = {
  reboot: {
    going: 'rebooting',
    gone: 'rebooted',
    down: 'down, waiting for it to come back',
  },
  poweroff: {
    going: 'powering off',
    gone: 'powered off',
    down: 'going down, waiting until SSH stops answering',
  },
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Every worker at once, then the master's turn: the master is this machine and the person's way
 * in, so it goes only when every worker went (as the setup's reboot rule has it), and only after
 * the command has said everything. Root on the master is checked first: when it cannot go, no
 * worker is touched.
 */
export async function powerCluster(options: PowerClusterOptions): Promise<PowerOutcome> {
  const emit = (event: ClusterActionEvent) => options.onEvent?.(event);
  const { action } = options;
  const [master, ...workers] = options.rows;
  if (!master) throw new Error('powerCluster needs the master row');
  const logPath = options.commandLogPath ? { commandLogPath: options.commandLogPath } : {};
  const results: NodeActionResult[] = [];
  const finish = (result: NodeActionResult) => {
    results.push(result);
    emit({ type: 'finished', result });
    return result;
  };
  const interrupted = () => Boolean(options.signal?.aborted);
  const outcome = (reason?: string): PowerOutcome => {
    const failedNodes = results.filter((each) => each.status === 'failed').map((each) => each.node);
    const order = new Map(options.rows.map((row, index) => [row.hostname, index]));
    results.sort((a, b) => (order.get(a.node) ?? 0) - (order.get(b.node) ?? 0));
    return {
      action,
      results,
      failedNodes,
      interrupted: interrupted(),
      master:
        reason === undefined
          ? { node: master.hostname, goes: true }
          : { node: master.hostname, goes: false, reason },
    };
  };

  const started = performance.now();
  emit({ type: 'working', node: master.hostname, activity: 'checking sudo' });
  try {
    const connection = await options.access.connect(master, false);
    await connection.runAsRoot(['true'], {
      label: `check sudo before the ${action}`,
      check: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    finish({
      node: master.hostname,
      status: 'failed',
      summary: formatTransportError(error, logPath),
      durationMs: Math.round(performance.now() - started),
    });
    for (const worker of workers)
      finish({
        node: worker.hostname,
        status: 'skipped',
        summary: `not ${verbs[action].gone}: the master could not be, so nothing was`,
        durationMs: 0,
      });
    return outcome(`${master.hostname} cannot become root, so nothing was ${verbs[action].gone}`);
  }
  emit({
    type: 'waiting',
    node: master.hostname,
    activity: workers.length > 0 ? 'last, once every worker went' : 'next',
  });

  await Promise.all(
    workers.map(async (row) => {
      const node = row.hostname;
      const began = performance.now();
      const took = () => Math.round(performance.now() - began);
      const reached = await reach(row, options);
      if (!reached.ok)
        return finish({ node, status: 'failed', summary: reached.message, durationMs: took() });
      emit({ type: 'working', node, activity: verbs[action].going });
      try {
        await options.access.powerWorker(row, action, () =>
          emit({ type: 'working', node, activity: verbs[action].down }),
        );
      } catch (error) {
        return finish({
          node,
          status: 'failed',
          summary: formatTransportError(error, logPath),
          durationMs: took(),
        });
      }
      const how =
        action === 'reboot' ? 'back with a new boot id' : 'off: its SSH port stopped answering';
      return finish({
        node,
        status: 'ok',
        summary: `${how} after ${seconds(took())}`,
        durationMs: took(),
      });
    }),
  );

  if (interrupted()) return outcome(`stopped before ${master.hostname}'s turn`);
  const failed = results.filter((each) => each.status === 'failed').map((each) => each.node);
  if (failed.length > 0) {
    return outcome(
      `${failed.join(', ')} failed, and the master is your way in to the cluster: fix ${failed.length === 1 ? 'it' : 'them'} first`,
    );
  }
  return outcome();
}
