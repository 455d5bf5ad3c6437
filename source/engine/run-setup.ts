// Runs the guide's steps, in order, across the cluster: each step on every node it applies to in
// parallel, a failed node skipped for the rest of the run while the others go on. Emits events for
// whichever view is watching (Ink screens or plain lines) and never imports either.
import type { ClusterSettings, NodeRow } from '../plan/plan-cluster.js';
import { checkAfterReboot } from '../steps/after-reboot.js';
import { type NodeStepId, stepsById } from '../steps/all-steps.js';
import { parsePublicKey } from '../steps/authorized-keys.js';
import { findClonedCards } from '../steps/node-facts.js';
import { preflightStep, regenerateIdentityStep } from '../steps/preflight.js';
import { checkStackAcceptsConfiguration } from '../steps/stack-accepts.js';
import {
  type ClusterContext,
  type NodeStep,
  type PlannedChange,
  StepFailure,
  type StepId,
  type StepReport,
  StepWork,
} from '../steps/step.js';
import type { CommandLog } from '../transport/command-log.js';
import {
  formatFailure,
  formatTransportError,
  isTransient,
  isTransportError,
  type TransportErrorKind,
} from '../transport/errors.js';
import { defaultKnownHostsPath, type HostKeyEvent } from '../transport/host-keys.js';
import { sshFingerprint } from '../transport/known-hosts.js';
import { LocalNodeConnection } from '../transport/local-connection.js';
import type { NodeConnection } from '../transport/node-connection.js';
import { readBootId, rebootAndReconnect } from '../transport/reboot.js';
import { connectOverSsh, SshNodeConnection } from '../transport/ssh-connection.js';
import { planSteps } from './carried-steps.js';
import type { RetryPolicy } from './retry-policy.js';
import { defaultConcurrency, type NodeRunEvent, runOnNodes } from './run-on-nodes.js';

/** What the run keeps between invocations (saved with the session; no secrets). */
export interface SetupMemory {
  /** Nodes configured for a new address or name that have not rebooted since. */
  rebootPending: string[];
  /** The master's boot id just before the wizard rebooted it; a different one on resume proves it. */
  masterBootIdBeforeReboot: string | null;
  /**
   * Nodes whose setup did not hold through the reboot the wizard made, with the boot that showed it
   * and why: the wizard does not reboot them again until someone else has (the boot id changed).
   */
  undoneAtBoot?: Record<string, { bootId: string; reason: string }>;
}

export type SetupEvent =
  | { type: 'step-started'; step: StepId; nodes: string[] }
  | { type: 'node-progress'; step: StepId; event: NodeRunEvent }
  | { type: 'report'; report: StepReport }
  | { type: 'host-key'; event: HostKeyEvent }
  | { type: 'reach-changed'; node: string; address: string }
  | { type: 'memory'; memory: SetupMemory }
  | { type: 'master-rebooting'; address: string; hostname: string }
  | { type: 'step-finished'; step: StepId }
  /** A node's public key is known (generated or read): it travels into the master's authorized_keys. */
  | { type: 'public-key'; node: string; fingerprint: string; comment: string }
  /** One row of the N×N login matrix: which nodes this one logs into by name without a password. */
  | { type: 'logins'; node: string; logins: LoginResult[] };

export interface LoginResult {
  to: string;
  ok: boolean;
  detail: string;
}

/** What the person chose for a node that failed a step (after its retries). */
export type FailureChoice = 'retry' | 'skip' | 'stop';

export interface NodeFailure {
  step: StepId;
  node: string;
  summary: string;
}

export interface SetupOptions {
  settings: ClusterSettings;
  rows: readonly NodeRow[];
  /** The steps to run, in the guide's order. */
  steps: readonly StepId[];
  /** Hostnames to change; every node is still read for what the steps need to know. */
  nodes?: readonly string[];
  dryRun?: boolean;
  fixClonedCards?: boolean;
  /** Asked when preflight finds cloned cards and fixClonedCards is off; true gives them new identities. */
  askFixClonedCards?: (groups: string[][]) => Promise<boolean>;
  /** The login password, in memory only; used for SSH and sudo. */
  password?: string;
  memory: SetupMemory;
  commandLog?: CommandLog;
  knownHostsPath?: string;
  /** Nodes worked on at once (default defaultConcurrency); see also NodeStep.nodesAtOnce. */
  concurrency?: number;
  retry?: RetryPolicy;
  rebootTimeoutMs?: number;
  onEvent?: (event: SetupEvent) => void;
  /**
   * Asked as soon as a node fails a step, while the other nodes go on: retry it, skip it for the
   * rest of the run, or stop the run once work in flight is done. Without it a failed node is
   * skipped (headless runs).
   */
  decideOnFailure?: (failure: NodeFailure) => Promise<FailureChoice>;
  signal?: AbortSignal;
}

export interface SetupResult {
  reports: StepReport[];
  /** True when the run stopped because the master is rebooting itself. */
  masterRebooting: boolean;
  /** True when the person chose to stop the run at a failed node. */
  stopped: boolean;
}

/** How the master's own `reboot` command may end when the reboot overtakes it. */
const rebootUnderway: ReadonlySet<TransportErrorKind> = new Set<TransportErrorKind>([
  'command-killed',
  'connection-lost',
]);

/** Steps whose data later steps read: run in check mode when they are not chosen. */
const provesLogins = new Set<StepId>(['verify', 'harden']);

/** What a reboot makes take effect, and what is checked again after it. */
const networkStepIds = ['static-ip', 'hostname', 'hosts', 'ssh'] as const satisfies NodeStepId[];

const needs: Partial<Record<StepId, NodeStepId[]>> = {
  'fan-in': ['keys'],
  'fan-out': ['keys', 'fan-in'],
  harden: ['verify'],
};

export async function runSetup(options: SetupOptions): Promise<SetupResult> {
  const emit = (event: SetupEvent) => options.onEvent?.(event);
  const rows = options.rows.map((row) => ({ ...row }));
  const selected = new Set(options.nodes ?? rows.map((row) => row.hostname));
  const plan = planSteps(
    options.steps,
    selected,
    rows.map((row) => row.hostname),
  );
  const memory: SetupMemory = {
    ...options.memory,
    rebootPending: [...options.memory.rebootPending],
    ...(options.memory.undoneAtBoot ? { undoneAtBoot: { ...options.memory.undoneAtBoot } } : {}),
  };
  const cluster: ClusterContext = {
    settings: options.settings,
    rows,
    dryRun: options.dryRun ?? false,
    facts: new Map(),
    publicKeys: new Map(),
    loginMatrix: new Map(),
    fixClonedCards: options.fixClonedCards ?? false,
    rebootPending: new Set(memory.rebootPending),
    knownHostsPath: options.knownHostsPath ?? defaultKnownHostsPath(),
    concurrency: Math.max(1, Math.floor(options.concurrency ?? defaultConcurrency)),
  };
  const saveMemory = () => {
    memory.rebootPending = [...cluster.rebootPending].sort();
    emit({ type: 'memory', memory: { ...memory } });
  };
  const reports: StepReport[] = [];
  const failedNodes = new Set<string>();
  cluster.failedNodes = failedNodes;
  let stopped = false;
  const connections = new Map<string, NodeConnection>();
  const master = rows[0]!;
  let masterRebooted = false;

  const connect = async (row: NodeRow, fresh: boolean): Promise<NodeConnection> => {
    const open = connections.get(row.hostname);
    if (open && !fresh && (!(open instanceof SshNodeConnection) || open.isOpen)) return open;
    await open?.close();
    const connection: NodeConnection =
      row.index === 0
        ? new LocalNodeConnection({
            node: row.hostname,
            ...(options.password === undefined ? {} : { password: options.password }),
            ...(options.commandLog ? { commandLog: options.commandLog } : {}),
          })
        : await connectWorker(row);
    connections.set(row.hostname, connection);
    return connection;
  };

  const connectAt = (row: NodeRow, host: string) =>
    connectOverSsh({
      node: row.hostname,
      host,
      credentials: {
        username: options.settings.user,
        ...(options.password === undefined ? {} : { password: options.password }),
      },
      knownHostsPath: cluster.knownHostsPath,
      recordNewHostKeys: !cluster.dryRun,
      ...(options.commandLog ? { commandLog: options.commandLog } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onHostKey: (event) => emit({ type: 'host-key', event }),
    });

  /**
   * A worker where it answered last; if nothing answers there, at its static address: a run cut
   * off (killed, the person's SSH session lost) after rebooting it but before saving where it
   * came back leaves the old address in the session.
   */
  const connectWorker = async (row: NodeRow): Promise<NodeConnection> => {
    try {
      return await connectAt(row, row.reachAt);
    } catch (error) {
      if (row.reachAt === row.address || !isTransient(error)) throw error;
      const connection = await connectAt(row, row.address).catch(() => {
        throw error;
      });
      row.reachAt = row.address;
      emit({ type: 'reach-changed', node: row.hostname, address: row.address });
      return connection;
    }
  };

  const report = (
    step: StepId,
    node: string,
    status: StepReport['status'],
    summary: string,
    changes: PlannedChange[] = [],
  ) => {
    const each: StepReport = { step, node, status, summary, changes };
    reports.push(each);
    emit({ type: 'report', report: each });
    if (status === 'failed' && !cluster.dryRun) failedNodes.add(node);
    return each;
  };

  /** A node's retried step supersedes its failure: the run's outcome counts the last result. */
  const forgetFailure = (step: StepId, node: string) => {
    const index = reports.findLastIndex(
      (each) => each.step === step && each.node === node && each.status === 'failed',
    );
    if (index >= 0) reports.splice(index, 1);
    failedNodes.delete(node);
  };

  /** What later screens draw from a node's finished step: its public key, its row of logins. */
  const emitStepData = (step: StepId, node: string) => {
    if (step === 'keys') {
      const key = cluster.publicKeys.get(node);
      const parsed = key === undefined ? undefined : parsePublicKey(key);
      if (parsed)
        emit({
          type: 'public-key',
          node,
          fingerprint: sshFingerprint(Buffer.from(parsed.blob, 'base64')),
          comment: parsed.comment,
        });
    } else if (step === 'verify') {
      const logins = cluster.loginMatrix.get(node);
      if (logins)
        emit({
          type: 'logins',
          node,
          logins: [...logins].map(([to, each]) => ({ to, ok: each.ok, detail: each.detail })),
        });
    }
  };

  /**
   * Runs one step on the given rows; `checkOnly` when it only gathers data or plans, `quiet` when
   * the step was not chosen and only its failures are worth a report. Each node's report is
   * emitted the moment it finishes; a failed node's choice (retry, skip, stop) is asked at once.
   */
  const runStep = async (
    step: NodeStep,
    targets: NodeRow[],
    checkOnly: boolean,
    quiet: boolean,
  ): Promise<void> => {
    const choices = new Map<string, Promise<FailureChoice>>();
    const finished = (
      node: string,
      status: StepReport['status'],
      summary: string,
      changes: PlannedChange[] = [],
    ) => {
      if (quiet && status !== 'failed') return;
      report(step.id, node, status, summary, changes);
      if (status === 'failed' && options.decideOnFailure && !options.signal?.aborted && !stopped)
        choices.set(node, options.decideOnFailure({ step: step.id, node, summary }));
    };
    await runOnNodes(
      targets.map((row) => ({ name: row.hostname, row })),
      async ({ row }, attempt) => {
        const connection = await connect(row, attempt.attempt > 1);
        const value = await runNodeStep(step, new StepWork(connection, row, cluster, checkOnly));
        emitStepData(step.id, row.hostname);
        finished(row.hostname, value.status, value.summary, value.changes);
        return value;
      },
      {
        concurrency: Math.min(cluster.concurrency, step.nodesAtOnce ?? cluster.concurrency),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onEvent: (event) => {
          if (!quiet) emit({ type: 'node-progress', step: step.id, event });
          if (event.type === 'failed')
            finished(
              event.node,
              'failed',
              describeFailure(step.id, event.error, options.commandLog),
            );
        },
      },
    );
    await Promise.all(
      [...choices].map(async ([node, choice]) => {
        const chosen = await choice;
        if (chosen === 'stop') stopped = true;
        if (chosen !== 'retry' || stopped || options.signal?.aborted) return;
        forgetFailure(step.id, node);
        await runStep(
          step,
          targets.filter((row) => row.hostname === node),
          checkOnly,
          quiet,
        );
      }),
    );
  };

  try {
    // The master's own reboot interrupts a run by design; on resume, a new boot id proves it.
    if (memory.masterBootIdBeforeReboot !== null) {
      const bootId = await readBootId(await connect(master, false));
      if (bootId !== memory.masterBootIdBeforeReboot) {
        cluster.rebootPending.delete(master.hostname);
        memory.masterBootIdBeforeReboot = null;
        masterRebooted = true;
        if (master.reachAt !== master.address) {
          master.reachAt = master.address;
          emit({ type: 'reach-changed', node: master.hostname, address: master.address });
        }
        saveMemory();
      }
    }

    // Every step needs the facts of every node: preflight always runs, reporting only when chosen.
    const preflightChosen = options.steps.includes('preflight');
    if (preflightChosen)
      emit({ type: 'step-started', step: 'preflight', nodes: rows.map((row) => row.hostname) });
    await runStep(preflightStep, rows, true, !preflightChosen);
    if (preflightChosen) await handleClonedCards();
    if (preflightChosen) emit({ type: 'step-finished', step: 'preflight' });
    // Before anything is applied again: what the master had before its reboot must have held.
    if (masterRebooted && !failedNodes.has(master.hostname)) {
      emit({ type: 'step-started', step: 'reboot', nodes: [master.hostname] });
      const held = await checkedAfterReboot(await connect(master, false), master).catch(
        (error: unknown) => ({
          status: 'failed' as const,
          summary: describeFailure('reboot', error, options.commandLog),
        }),
      );
      report(
        'reboot',
        master.hostname,
        held.status === 'failed' ? 'failed' : 'ok',
        held.status === 'failed'
          ? held.summary
          : `${master.hostname}: rebooted and answering at ${master.address}, its setup held`,
      );
      emit({ type: 'step-finished', step: 'reboot' });
    }

    for (const id of plan.steps) {
      if (id === 'preflight') continue;
      if (options.signal?.aborted || stopped) break;
      for (const need of needs[id] ?? []) {
        if (!plan.steps.includes(need)) {
          const step = stepsById[need];
          await runStep(
            step,
            rows.filter((row) => step.appliesTo?.(row, cluster) ?? true),
            true,
            true,
          );
        }
      }
      if (id === 'reboot') {
        if (await rebootStep()) return { reports, masterRebooting: true, stopped };
        continue;
      }
      const step = stepsById[id as NodeStepId];
      const targets = rows.filter((row) => step.appliesTo?.(row, cluster) ?? true);
      if (!plan.isDue(id, cluster)) continue;
      const chosen = targets.filter((row) => plan.nodesOf(id).has(row.hostname));
      emit({ type: 'step-started', step: id, nodes: chosen.map((row) => row.hostname) });
      // Logins can only be proven once the planned changes exist.
      if (
        cluster.dryRun &&
        provesLogins.has(id) &&
        reports.some((each) => each.status === 'changed')
      ) {
        for (const row of chosen) {
          report(
            id,
            row.hostname,
            'skipped',
            `${row.hostname}: checked once the changes above are made`,
          );
        }
        emit({ type: 'step-finished', step: id });
        continue;
      }
      for (const row of chosen.filter((each) => failedNodes.has(each.hostname))) {
        report(
          id,
          row.hostname,
          'skipped',
          `${row.hostname}: skipped because an earlier step failed on it`,
        );
      }
      await runStep(
        step,
        chosen.filter((row) => !failedNodes.has(row.hostname)),
        cluster.dryRun,
        false,
      );
      // Data for steps that read every node (fan-in reads every key) also from nodes not chosen.
      const unchosen = targets.filter((row) => !plan.nodesOf(id).has(row.hostname));
      if (unchosen.length > 0) await runStep(step, unchosen, true, true);
      saveMemory();
      emit({ type: 'step-finished', step: id });
    }
    return { reports, masterRebooting: false, stopped };
  } finally {
    await Promise.all(
      [...connections.values()].map((connection) => connection.close().catch(() => {})),
    );
  }

  async function handleClonedCards(): Promise<void> {
    const groups = findClonedCards(cluster.facts);
    if (groups.length === 0) return;
    // The first node of each group (the master when it is one) keeps its identity.
    const order = (name: string) => rows.find((row) => row.hostname === name)?.index ?? 0;
    const toRenew = new Set(
      groups.flatMap((group) => [...group].sort((a, b) => order(a) - order(b)).slice(1)),
    );
    const described = groups.map((group) => group.join(' + ')).join('; ');
    if (!cluster.fixClonedCards && !cluster.dryRun && options.askFixClonedCards) {
      cluster.fixClonedCards = await options.askFixClonedCards(groups);
    }
    if (!cluster.fixClonedCards) {
      for (const name of toRenew) {
        report(
          'preflight',
          name,
          'failed',
          `${name}: shares its SSH host key or machine-id with another node (cloned SD card: ${described}); known_hosts and DHCP cannot tell them apart. Allow the wizard to give it a new host key and machine-id (--fix-cloned-cards), or run on it: sudo rm /etc/ssh/ssh_host_* && sudo ssh-keygen -A && sudo rm /etc/machine-id && sudo systemd-machine-id-setup`,
        );
      }
      return;
    }
    await runStep(
      regenerateIdentityStep,
      rows.filter((row) => toRenew.has(row.hostname) && selected.has(row.hostname)),
      cluster.dryRun,
      false,
    );
  }

  /** The node's own network stack must accept what the wizard wrote before it reboots into it. */
  async function acceptedByStack(connection: NodeConnection, row: NodeRow) {
    const step: NodeStep = {
      id: 'reboot',
      title: 'Ask the network stack before rebooting',
      section: 'Network',
      run: async (work) => work.note(await checkStackAcceptsConfiguration(work)),
    };
    return runNodeStep(step, new StepWork(connection, row, cluster, false));
  }

  /** The network steps this run made are checked again on the rebooted node (all when it made none). */
  async function checkedAfterReboot(connection: NodeConnection, row: NodeRow) {
    const made = networkStepIds.filter((id) => plan.steps.includes(id));
    const checked = (made.length > 0 ? made : networkStepIds).map((id) => stepsById[id]);
    const step: NodeStep = {
      id: 'reboot',
      title: 'Check the setup held through the reboot',
      section: 'Network',
      run: (work) => checkAfterReboot(work, checked),
    };
    const held = await runNodeStep(step, new StepWork(connection, row, cluster, false));
    const undone = { ...memory.undoneAtBoot };
    if (held.status === 'failed')
      undone[row.hostname] = {
        bootId: await readBootId(connection),
        reason: held.summary.split('\n')[0] ?? held.summary,
      };
    else delete undone[row.hostname];
    memory.undoneAtBoot = undone;
    saveMemory();
    return held;
  }

  /**
   * A node whose setup did not survive the wizard's last reboot of it is not rebooted again for
   * the same change: it would only come back undone (or loop, for the master). Once it has booted
   * since (the person rebooted it after fixing the cause), the wizard may reboot it again.
   */
  async function undoneAtLastBoot(
    connection: NodeConnection,
    row: NodeRow,
  ): Promise<{ status: 'failed'; summary: string } | undefined> {
    const last = memory.undoneAtBoot?.[row.hostname];
    if (!last) return undefined;
    if ((await readBootId(connection)) !== last.bootId) return undefined;
    return {
      status: 'failed',
      summary: formatFailure({
        message: `${row.hostname}: not rebooted again: what the wizard set did not survive its last reboot (${withoutNode(row.hostname, last.reason)})`,
        nextStep: 'fix that first, then reboot it yourself (sudo reboot) and run again',
      }),
    };
  }

  async function rebootStep(): Promise<boolean> {
    const needsReboot = (row: NodeRow) =>
      row.reachAt !== row.address || cluster.rebootPending.has(row.hostname);
    const workers = rows.filter((row) => row.index !== 0 && selected.has(row.hostname));
    emit({
      type: 'step-started',
      step: 'reboot',
      nodes: [...workers, ...(selected.has(master.hostname) ? [master] : [])].map(
        (row) => row.hostname,
      ),
    });
    const due = workers.filter((row) => !failedNodes.has(row.hostname) && needsReboot(row));
    for (const row of workers.filter((each) => !due.includes(each))) {
      if (failedNodes.has(row.hostname))
        report(
          'reboot',
          row.hostname,
          'skipped',
          `${row.hostname}: skipped because an earlier step failed on it`,
        );
      else
        report(
          'reboot',
          row.hostname,
          'ok',
          `${row.hostname}: already running its configuration at ${row.address}`,
        );
    }
    if (cluster.dryRun) {
      for (const row of due) {
        report(
          'reboot',
          row.hostname,
          'changed',
          `${row.hostname}: would reboot and reconnect at ${row.address}`,
          [{ kind: 'command', description: 'reboot', command: 'reboot', asRoot: true }],
        );
      }
    } else if (due.length > 0) {
      const outcomes = await runOnNodes(
        due.map((row) => ({ name: row.hostname, row })),
        async ({ row }) => {
          const connection = await connect(row, false);
          if (!(connection instanceof SshNodeConnection))
            throw new Error('only workers reboot here');
          const undone = await undoneAtLastBoot(connection, row);
          if (undone) return { held: undone, accepted: undone.summary };
          const accepted = await acceptedByStack(connection, row);
          if (accepted.status === 'failed') return { held: accepted, accepted: accepted.summary };
          const fresh = await rebootAndReconnect(connection, {
            expectedAddress: row.address,
            ...(options.rebootTimeoutMs === undefined
              ? {}
              : { timeoutMs: options.rebootTimeoutMs }),
            ...(options.signal ? { signal: options.signal } : {}),
          });
          connections.set(row.hostname, fresh);
          row.reachAt = row.address;
          cluster.rebootPending.delete(row.hostname);
          emit({ type: 'reach-changed', node: row.hostname, address: row.address });
          saveMemory();
          const held = await checkedAfterReboot(fresh, row);
          return { held, accepted: accepted.summary };
        },
        {
          retry: { maxAttempts: 1, initialDelayMs: 0, factor: 1, maxDelayMs: 0 },
          // Every due worker at once, however many: waiting for a boot costs nothing here, and
          // waves of reboots would add a whole boot per wave.
          concurrency: due.length,
          ...(options.signal ? { signal: options.signal } : {}),
          onEvent: (event) => emit({ type: 'node-progress', step: 'reboot', event }),
        },
      );
      for (const outcome of outcomes) {
        const row = rows.find((each) => each.hostname === outcome.node)!;
        if (outcome.ok)
          report(
            'reboot',
            outcome.node,
            outcome.value.held.status === 'failed' ? 'failed' : 'changed',
            outcome.value.held.status === 'failed'
              ? outcome.value.held.summary
              : `${outcome.node}: rebooted and answering at ${row.address}, its setup held (before: ${withoutNode(outcome.node, outcome.value.accepted)})`,
          );
        else
          report(
            'reboot',
            outcome.node,
            'failed',
            describeFailure('reboot', outcome.error, options.commandLog),
          );
      }
    }

    if (!selected.has(master.hostname)) return false;
    if (!needsReboot(master)) {
      report(
        'reboot',
        master.hostname,
        'ok',
        `${master.hostname}: already running its configuration at ${master.address}`,
      );
      return false;
    }
    const unfinished = workers.filter((row) => failedNodes.has(row.hostname));
    if (unfinished.length > 0) {
      report(
        'reboot',
        master.hostname,
        'skipped',
        `${master.hostname}: not rebooted while ${unfinished.map((row) => row.hostname).join(', ')} failed: the master is your way in; fix those first and run again`,
      );
      return false;
    }
    if (cluster.dryRun) {
      report(
        'reboot',
        master.hostname,
        'changed',
        `${master.hostname}: would reboot last; log in again with ssh ${options.settings.user}@${master.address} and run pi-cluster-wizard to resume`,
        [{ kind: 'command', description: 'reboot', command: 'reboot', asRoot: true }],
      );
      return false;
    }
    const connection = await connect(master, false);
    const accepted = await (async () =>
      (await undoneAtLastBoot(connection, master)) ?? acceptedByStack(connection, master))().catch(
      (error: unknown) => ({
        status: 'failed' as const,
        summary: describeFailure('reboot', error, options.commandLog),
      }),
    );
    if (accepted.status === 'failed') {
      report('reboot', master.hostname, 'failed', accepted.summary);
      return false;
    }
    memory.masterBootIdBeforeReboot = await readBootId(connection);
    saveMemory();
    emit({ type: 'master-rebooting', address: master.address, hostname: master.hostname });
    await Promise.all(
      [...connections.entries()]
        .filter(([name]) => name !== master.hostname)
        .map(([, each]) => each.close().catch(() => {})),
    );
    try {
      await connection.runAsRoot(['reboot'], { label: 'reboot the master', timeoutMs: 30_000 });
    } catch (error) {
      // The reboot takes this process's children (and soon this process) with it: a killed
      // command or a lost connection is the reboot happening, not a failure of it.
      if (!isTransportError(error) || !rebootUnderway.has(error.kind)) throw error;
    }
    return true;
  }
}

/** Runs one step on one node: plan (check), apply, then verify that a second check finds nothing. */
export async function runNodeStep(
  step: NodeStep,
  work: StepWork,
): Promise<Omit<StepReport, 'step' | 'node'>> {
  const name = work.row.hostname;
  try {
    await step.run(work);
    if (work.checkOnly) {
      const count = work.changes.length;
      const said = [
        ...(count === 0 ? [] : [`would make ${count} change${count === 1 ? '' : 's'}`]),
        ...work.notes,
      ];
      const summary = `${name}: ${said.length > 0 ? said.join('; ') : 'already as it should be'}`;
      return { status: count === 0 ? 'ok' : 'changed', summary, changes: work.changes };
    }
    if (work.changes.length > 0) {
      const recheck = new StepWork(work.connection, work.row, work.cluster, true);
      await step.run(recheck);
      if (recheck.changes.length > 0) {
        throw new StepFailure(
          `${name}: still differs after applying: ${recheck.changes.map(describeChange).join('; ')}`,
          `look at the node by hand; the command log lists what ran`,
        );
      }
    }
    await step.verify?.(work);
    const done = work.changes.map(describeChange);
    const said = [...done, ...work.notes];
    const summary = `${name}: ${said.length > 0 ? said.join('; ') : 'already as it should be'}`;
    return { status: work.changes.length === 0 ? 'ok' : 'changed', summary, changes: work.changes };
  } catch (error) {
    if (error instanceof StepFailure) {
      return {
        status: 'failed',
        summary: formatFailure({ message: error.message, nextStep: error.nextStep }),
        changes: work.changes,
      };
    }
    throw error;
  }
}

export function describeChange(change: PlannedChange): string {
  return change.kind === 'file' ? `wrote ${change.change.path}` : change.description;
}

/** A node's summary without its leading "node: ", to quote inside another line about it. */
function withoutNode(node: string, summary: string): string {
  return summary.startsWith(`${node}: `) ? summary.slice(node.length + 2) : summary;
}

function describeFailure(step: StepId, error: unknown, log: CommandLog | undefined): string {
  return `${step}: ${formatTransportError(error, log ? { commandLogPath: log.path } : {})}`;
}
