// Runs the guide's steps across the cluster, as the planner orders them: each node moves on to its
// next step as soon as what that step needs is done (barriers only where a step reads every node),
// a failed node is skipped for the rest of the run while the others go on, every due worker
// reboots at once and the master last. How nodes are reached and what the steps are is handed in;
// the engine only schedules, and emits events for whichever view is watching.
import type { ClusterSettings, NodeRow } from '../plan/plan-cluster.js';
import { guideSteps, type StepBook } from '../steps/all-steps.js';
import { parsePublicKey } from '../steps/authorized-keys.js';
import { findClonedCards } from '../steps/node-facts.js';
import {
  type ClusterContext,
  type NodeStep,
  type PlannedChange,
  type StepId,
  type StepReport,
  StepWork,
} from '../steps/step.js';
import type { CommandLog } from '../transport/command-log.js';
import { formatFailure, formatTransportError } from '../transport/errors.js';
import { defaultKnownHostsPath, type HostKeyEvent } from '../transport/host-keys.js';
import { sshFingerprint } from '../transport/known-hosts.js';
import { applyHostKeyChanges } from './host-key-changes.js';
import { connectToNodes, type NodeAccess, type NodeAccessEvents } from './node-access.js';
import { type PlannedStep, planRun } from './plan-run.js';
import type { RetryPolicy } from './retry-policy.js';
import { runNodeStep } from './run-node-step.js';
import {
  defaultConcurrency,
  limitConcurrency,
  type NodeRunEvent,
  runOnNodes,
} from './run-on-nodes.js';

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
  /**
   * What the wizard learned of each node that outlives a run: the public key it fanned in for it,
   * its host keys (in every node's known_hosts block), its processors. `remove` and `replace` take
   * exactly these out again; `export mpi` gives the processors as slots.
   */
  nodes?: Record<string, KnownNode>;
  /**
   * Public keys the wizard fanned in for nodes since removed or re-flashed: every authorized_keys
   * it merges loses them (a node that was off at the time loses them at its next run).
   */
  retiredKeys?: string[];
  /**
   * Names and addresses of nodes that left the cluster: the next run forgets their lines in the
   * wizard's known_hosts (a new card at the same address is then met as new), then clears this.
   */
  forgetHostKeys?: string[];
  /**
   * Re-flashed cards a person confirmed (`replace`): before anything connects, the next run
   * forgets the node's old host keys in the wizard's known_hosts (under its names and `forget`)
   * and trusts `hostKey` (`type base64`) at its addresses, then clears the entry.
   */
  newCards?: Record<string, { hostKey: string; forget: string[] }>;
}

export interface KnownNode {
  /** Its ~/.ssh/id_ed25519.pub line, as fanned in. */
  publicKey?: string;
  /** `type base64` of each /etc/ssh/ssh_host_*_key.pub. */
  hostKeys?: string[];
  cores?: number;
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
  | { type: 'logins'; node: string; logins: LoginResult[] }
  /** Something the person must know that is no node's step result (a file the run could not change). */
  | { type: 'warning'; text: string };

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
  /** The steps chosen (the planner adds what they carry on through and what they read). */
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
  /** How nodes are reached (default: the real nodes, locally and over SSH); tests give in-memory ones. */
  access?: (events: NodeAccessEvents) => NodeAccess;
  /** The steps (default the guide's); tests give in-memory ones. */
  book?: StepBook;
}

export interface SetupResult {
  reports: StepReport[];
  /** True when the run stopped because the master is rebooting itself. */
  masterRebooting: boolean;
  /** True when the person chose to stop the run at a failed node. */
  stopped: boolean;
}

/** The reboot is not retried: a node that did not come back is reported, not rebooted again. */
const once: RetryPolicy = { maxAttempts: 1, initialDelayMs: 0, factor: 1, maxDelayMs: 0 };

export async function runSetup(options: SetupOptions): Promise<SetupResult> {
  const emit = (event: SetupEvent) => options.onEvent?.(event);
  const book = options.book ?? guideSteps;
  const rows = options.rows.map((row) => ({ ...row }));
  const rowOf = (node: string) => rows.find((row) => row.hostname === node)!;
  const master = rows[0]!;
  const selected = new Set(options.nodes ?? rows.map((row) => row.hostname));
  const plan = planRun(book, options.steps, selected, rows);
  const memory: SetupMemory = {
    ...options.memory,
    rebootPending: [...options.memory.rebootPending],
    ...(options.memory.undoneAtBoot ? { undoneAtBoot: { ...options.memory.undoneAtBoot } } : {}),
    ...(options.memory.nodes ? { nodes: { ...options.memory.nodes } } : {}),
  };
  const failedNodes = new Set<string>();
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
    failedNodes,
    retiredKeys: memory.retiredKeys ?? [],
  };
  const events: NodeAccessEvents = {
    onHostKey: (event) => emit({ type: 'host-key', event }),
    onReachChanged: (node, address) => {
      rowOf(node).reachAt = address;
      emit({ type: 'reach-changed', node, address });
    },
  };
  const access = (
    options.access ??
    ((each: NodeAccessEvents) =>
      connectToNodes(
        {
          settings: options.settings,
          ...(options.password === undefined ? {} : { password: options.password }),
          ...(options.commandLog ? { commandLog: options.commandLog } : {}),
          knownHostsPath: cluster.knownHostsPath,
          recordNewHostKeys: !cluster.dryRun,
          ...(options.rebootTimeoutMs === undefined
            ? {}
            : { rebootTimeoutMs: options.rebootTimeoutMs }),
          ...(options.signal ? { signal: options.signal } : {}),
        },
        each,
      ))
  )(events);
  const reports: StepReport[] = [];
  let stopped = false;
  let masterRebooting = false;
  let masterRebooted = false;
  /** No new step starts once the person stopped the run, it was cancelled, or the master reboots. */
  const halted = () => stopped || masterRebooting || Boolean(options.signal?.aborted);
  // Nodes worked on at once; a step may bound itself further (verify, below sshd's MaxStartups).
  const slots = limitConcurrency(cluster.concurrency);
  const stepSlots = new Map(
    plan.steps.flatMap((planned) => {
      const atOnce = planned.id === 'reboot' ? undefined : book.byId[planned.id].nodesAtOnce;
      return atOnce === undefined ? [] : [[planned.id, limitConcurrency(atOnce)] as const];
    }),
  );

  const saveMemory = () => {
    memory.rebootPending = [...cluster.rebootPending].sort();
    emit({ type: 'memory', memory: { ...memory } });
  };

  // What remove and replace left for the wizard's known_hosts, before anything connects.
  if ((memory.forgetHostKeys || memory.newCards) && !cluster.dryRun) {
    const done = applyHostKeyChanges(memory, rows, cluster.knownHostsPath);
    for (const text of done.warnings) emit({ type: 'warning', text });
    delete memory.forgetHostKeys;
    delete memory.newCards;
    Object.assign(memory, done.memory);
    saveMemory();
  }

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

  /** What a node's finished step taught that outlives the run (saved with the memory). */
  const learn = (step: StepId, node: string) => {
    const known: KnownNode = { ...memory.nodes?.[node] };
    const facts = cluster.facts.get(node);
    if (step === 'preflight' && facts) {
      known.hostKeys = [...facts.hostKeys];
      if (facts.cores === undefined) delete known.cores;
      else known.cores = facts.cores;
    } else if (step === 'keys' && cluster.publicKeys.has(node)) {
      known.publicKey = cluster.publicKeys.get(node)!;
    } else return;
    memory.nodes = { ...memory.nodes, [node]: known };
  };

  /**
   * Runs a step on one node, with the retry policy; `checkOnly` when it only gathers data or
   * plans, `quiet` when the step was not chosen there and only a failure is worth a report. A
   * failed node's choice (retry, skip, stop) is asked at once, while the other nodes go on.
   */
  const runOnNode = async (
    step: NodeStep,
    row: NodeRow,
    how: { checkOnly: boolean; quiet: boolean },
  ): Promise<void> => {
    const node = row.hostname;
    const bounded = stepSlots.get(step.id) ?? (<T>(work: () => Promise<T>) => work());
    for (let again = false; ; again = true) {
      const [outcome] = await bounded(() =>
        slots(() =>
          runOnNodes(
            [{ name: node, row }],
            async (_, attempt) => {
              const connection = await access.connect(row, again || attempt.attempt > 1);
              return runNodeStep(step, new StepWork(connection, row, cluster, how.checkOnly));
            },
            {
              concurrency: 1,
              ...(options.retry ? { retry: options.retry } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
              onEvent: (event) => {
                if (!how.quiet) emit({ type: 'node-progress', step: step.id, event });
              },
            },
          ),
        ),
      );
      const result = outcome!.ok
        ? outcome!.value
        : {
            status: 'failed' as const,
            summary: describeFailure(step.id, outcome!.error, options.commandLog),
            changes: [],
          };
      if (outcome!.ok) emitStepData(step.id, node);
      if (outcome!.ok && !cluster.dryRun) learn(step.id, node);
      if (how.quiet && result.status !== 'failed') return;
      report(step.id, node, result.status, result.summary, result.changes);
      if (result.status !== 'failed' || !options.decideOnFailure || halted()) return;
      const choice = await options.decideOnFailure({
        step: step.id,
        node,
        summary: result.summary,
      });
      if (choice === 'stop') stopped = true;
      if (choice !== 'retry' || halted()) return;
      forgetFailure(step.id, node);
    }
  };

  // Each planned step, node by node: started (its header, once), then finished on every node.
  const progress = new Map(
    plan.steps.map((planned) => {
      let resolve = () => {};
      const done = new Promise<void>((settle) => {
        resolve = settle;
      });
      const left = planned.change.size + planned.check.size;
      // A step on no node at all (fan-out in a cluster of one) is done before it starts.
      if (left === 0) resolve();
      return [planned.id, { left, started: false, done, resolve }];
    }),
  );
  const startStep = (planned: PlannedStep) => {
    const state = progress.get(planned.id)!;
    if (state.started || planned.change.size === 0) return;
    state.started = true;
    const nodes = rows.filter((row) => planned.change.has(row.hostname)).map((row) => row.hostname);
    // The master reboots last.
    if (planned.id === 'reboot' && nodes[0] === master.hostname) nodes.push(nodes.shift()!);
    emit({ type: 'step-started', step: planned.id, nodes });
  };
  const finishStep = (planned: PlannedStep) => {
    const state = progress.get(planned.id)!;
    state.left -= 1;
    if (state.left > 0) return;
    state.resolve();
    saveMemory();
    if (state.started && !masterRebooting) emit({ type: 'step-finished', step: planned.id });
  };
  // The master reboots once every chosen worker has finished its reboot.
  const rebootingWorkers = [
    ...(plan.steps.find((each) => each.id === 'reboot')?.change ?? []),
  ].filter((node) => node !== master.hostname);
  let workersLeft = rebootingWorkers.length;
  let workersRebooted = () => {};
  const workersDone = new Promise<void>((resolve) => {
    workersRebooted = resolve;
  });
  if (workersLeft === 0) workersRebooted();

  /** Runs one planned step on one node, once what it needs is done. */
  const stepOnNode = async (planned: PlannedStep, row: NodeRow): Promise<void> => {
    const node = row.hostname;
    const quiet = !planned.change.has(node);
    for (const id of planned.after) await progress.get(id)!.done;
    const step = planned.id === 'reboot' ? undefined : book.byId[planned.id];
    // Logins can only be proven once the planned changes exist: in a dry run, after all of them.
    if (cluster.dryRun && step?.provesLogins)
      for (const earlier of plan.steps.slice(0, plan.steps.indexOf(planned)))
        await progress.get(earlier.id)!.done;
    if (planned.id === 'reboot' && row.index === 0) await workersDone;
    if (halted()) return;
    if (planned.carried && !planned.carried.when(cluster)) return;
    if (!quiet) startStep(planned);
    if (failedNodes.has(node)) {
      if (!quiet)
        report(
          planned.id,
          node,
          'skipped',
          `${node}: skipped because an earlier step failed on it`,
        );
      return;
    }
    if (!step) return row.index === 0 ? rebootMaster() : rebootWorker(row);
    if (
      cluster.dryRun &&
      step.provesLogins &&
      !quiet &&
      reports.some((each) => each.status === 'changed')
    ) {
      report(planned.id, node, 'skipped', `${node}: checked once the changes above are made`);
      return;
    }
    await runOnNode(step, row, { checkOnly: quiet || cluster.dryRun, quiet });
  };

  /** A node's own way through the plan: it moves on as soon as each step's needs are done. */
  const lane = async (row: NodeRow): Promise<void> => {
    for (const planned of plan.steps) {
      if (planned.id === 'preflight') continue;
      if (!planned.change.has(row.hostname) && !planned.check.has(row.hostname)) continue;
      try {
        await stepOnNode(planned, row);
      } finally {
        finishStep(planned);
        if (planned.id === 'reboot' && row.index !== 0) {
          workersLeft -= 1;
          if (workersLeft === 0) workersRebooted();
        }
      }
    }
  };

  try {
    // Every step needs the facts of every node: preflight always runs, reporting only when chosen.
    const preflight = plan.steps.find((each) => each.id === 'preflight');
    const preflightChosen = (preflight?.change.size ?? 0) > 0;
    if (preflightChosen)
      emit({ type: 'step-started', step: 'preflight', nodes: rows.map((row) => row.hostname) });
    await Promise.all(
      rows.map((row) =>
        runOnNode(book.byId.preflight, row, { checkOnly: true, quiet: !preflightChosen }),
      ),
    );
    // The master's own reboot interrupts a run by design; on resume, a new boot id proves it
    // (learned along with the facts: no round trip of its own).
    if (memory.masterBootIdBeforeReboot !== null) {
      const bootId = await access.bootId(master);
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

    if (preflightChosen) await handleClonedCards();
    if (preflightChosen) emit({ type: 'step-finished', step: 'preflight' });
    // Before anything is applied again: what the master had before its reboot must have held.
    if (masterRebooted && !failedNodes.has(master.hostname)) {
      emit({ type: 'step-started', step: 'reboot', nodes: [master.hostname] });
      const held = await checkedAfterReboot(master).catch((error: unknown) => ({
        status: 'failed' as const,
        summary: describeFailure('reboot', error, options.commandLog),
      }));
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
    if (preflight) progress.get('preflight')!.resolve();
    if (!halted()) {
      const settled = await Promise.allSettled(rows.map(lane));
      const broken = settled.find((each) => each.status === 'rejected');
      if (broken) throw broken.reason;
    }
    return { reports, masterRebooting, stopped };
  } finally {
    // The master's reboot closed the others; its own shell goes with the machine.
    if (!masterRebooting) await access.close();
  }

  async function handleClonedCards(): Promise<void> {
    const groups = findClonedCards(cluster.facts);
    if (groups.length === 0) return;
    // The first node of each group (the master when it is one) keeps its identity.
    const order = (name: string) => rowOf(name)?.index ?? 0;
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
    await Promise.all(
      rows
        .filter((row) => toRenew.has(row.hostname) && selected.has(row.hostname))
        .map((row) =>
          runOnNode(book.regenerateIdentity, row, { checkOnly: cluster.dryRun, quiet: false }),
        ),
    );
  }

  /** Runs a check of the reboot on the node as a step of its own, for one report. */
  async function rebootCheck(row: NodeRow, title: string, run: NodeStep['run']) {
    const step: NodeStep = { id: 'reboot', title, section: 'Network', run };
    const connection = await access.connect(row, false);
    return runNodeStep(step, new StepWork(connection, row, cluster, false));
  }

  /** The node's own network stack must accept what the wizard wrote before it reboots into it. */
  function acceptedByStack(row: NodeRow) {
    return rebootCheck(row, 'Ask the network stack before rebooting', async (work) =>
      work.note(await book.checkBeforeReboot(work)),
    );
  }

  /** The network steps this run made are checked again on the rebooted node (all when it made none). */
  async function checkedAfterReboot(row: NodeRow) {
    const made = book.networkStepIds.filter((id) =>
      plan.steps.some((each) => each.id === id && each.change.size > 0),
    );
    const checked = (made.length > 0 ? made : book.networkStepIds).map((id) => book.byId[id]);
    const held = await rebootCheck(row, 'Check the setup held through the reboot', (work) =>
      book.checkAfterReboot(work, checked),
    );
    const undone = { ...memory.undoneAtBoot };
    if (held.status === 'failed')
      undone[row.hostname] = {
        bootId: await access.bootId(row),
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
    row: NodeRow,
  ): Promise<{ status: 'failed'; summary: string } | undefined> {
    const last = memory.undoneAtBoot?.[row.hostname];
    if (!last) return undefined;
    if ((await access.bootId(row)) !== last.bootId) return undefined;
    return {
      status: 'failed',
      summary: formatFailure({
        message: `${row.hostname}: not rebooted again: what the wizard set did not survive its last reboot (${withoutNode(row.hostname, last.reason)})`,
        nextStep: 'fix that first, then reboot it yourself (sudo reboot) and run again',
      }),
    };
  }

  function needsReboot(row: NodeRow): boolean {
    return row.reachAt !== row.address || cluster.rebootPending.has(row.hostname);
  }

  /** A worker reboots as soon as its own network steps are done, at once with any others due. */
  async function rebootWorker(row: NodeRow): Promise<void> {
    const node = row.hostname;
    if (!needsReboot(row)) {
      report('reboot', node, 'ok', `${node}: already running its configuration at ${row.address}`);
      return;
    }
    if (cluster.dryRun) {
      report('reboot', node, 'changed', `${node}: would reboot and reconnect at ${row.address}`, [
        { kind: 'command', description: 'reboot', command: 'reboot', asRoot: true },
      ]);
      return;
    }
    // Not held in a slot: waiting for a boot costs nothing here, and waves of reboots would add a
    // whole boot per wave.
    const [outcome] = await runOnNodes(
      [{ name: node, row }],
      async () => {
        const undone = await undoneAtLastBoot(row);
        if (undone) return { held: undone, accepted: undone.summary };
        const accepted = await acceptedByStack(row);
        if (accepted.status === 'failed') return { held: accepted, accepted: accepted.summary };
        await access.rebootWorker(row, book.firstReadAfterReboot(row));
        row.reachAt = row.address;
        cluster.rebootPending.delete(node);
        emit({ type: 'reach-changed', node, address: row.address });
        saveMemory();
        const held = await checkedAfterReboot(row);
        return { held, accepted: accepted.summary };
      },
      {
        retry: once,
        ...(options.signal ? { signal: options.signal } : {}),
        onEvent: (event) => emit({ type: 'node-progress', step: 'reboot', event }),
      },
    );
    if (!outcome!.ok) {
      report(
        'reboot',
        node,
        'failed',
        describeFailure('reboot', outcome!.error, options.commandLog),
      );
      return;
    }
    const { held, accepted } = outcome!.value;
    if (held.status === 'failed') report('reboot', node, 'failed', held.summary);
    else
      report(
        'reboot',
        node,
        'changed',
        `${node}: rebooted and answering at ${row.address}, its setup held (before: ${withoutNode(node, accepted)})`,
      );
  }

  /** The master reboots last, only when no chosen worker failed: it is the person's way in. */
  async function rebootMaster(): Promise<void> {
    const node = master.hostname;
    if (!needsReboot(master)) {
      report(
        'reboot',
        node,
        'ok',
        `${node}: already running its configuration at ${master.address}`,
      );
      return;
    }
    const unfinished = rebootingWorkers.filter((worker) => failedNodes.has(worker));
    if (unfinished.length > 0) {
      report(
        'reboot',
        node,
        'skipped',
        `${node}: not rebooted while ${unfinished.join(', ')} failed: the master is your way in; fix those first and run again`,
      );
      return;
    }
    if (cluster.dryRun) {
      report(
        'reboot',
        node,
        'changed',
        `${node}: would reboot last; log in again with ssh ${options.settings.user}@${master.address} and run pi-cluster-wizard to resume`,
        [{ kind: 'command', description: 'reboot', command: 'reboot', asRoot: true }],
      );
      return;
    }
    const accepted = await (async () =>
      (await undoneAtLastBoot(master)) ?? acceptedByStack(master))().catch((error: unknown) => ({
      status: 'failed' as const,
      summary: describeFailure('reboot', error, options.commandLog),
    }));
    if (accepted.status === 'failed') {
      report('reboot', node, 'failed', accepted.summary);
      return;
    }
    memory.masterBootIdBeforeReboot = await access.bootId(master);
    saveMemory();
    emit({ type: 'master-rebooting', address: master.address, hostname: node });
    masterRebooting = true;
    await access.rebootMaster(master);
  }
}

/** A node's summary without its leading "node: ", to quote inside another line about it. */
function withoutNode(node: string, summary: string): string {
  return summary.startsWith(`${node}: `) ? summary.slice(node.length + 2) : summary;
}

function describeFailure(step: StepId, error: unknown, log: CommandLog | undefined): string {
  return `${step}: ${formatTransportError(error, log ? { commandLogPath: log.path } : {})}`;
}
