// One run of the steps with its journal: every result, changed address and memory is saved the
// moment the engine reports it, and the outcome is mapped to an exit code. The plain lines and the
// Ink screens are two views over this one run (they only add an onEvent).
import type { ClusterSettings, NodeRow } from '../plan/plan-cluster.js';
import type { StepId, StepReport, StepStatus } from '../steps/step.js';
import { CommandLog, defaultCommandLogPath } from '../transport/command-log.js';
import {
  type FailureChoice,
  type NodeFailure,
  runSetup,
  type SetupEvent,
  type SetupMemory,
} from './run-setup.js';

export const runExitCodes = { ok: 0, nodesFailed: 3, usage: 2, interrupted: 130 } as const;

/** Where the run keeps what it learns, so an interrupted run resumes (the saved session). */
export interface RunJournal {
  settings: ClusterSettings;
  rows: NodeRow[];
  memory: SetupMemory;
  saveRows(rows: NodeRow[]): void;
  saveMemory(memory: SetupMemory): void;
  saveResult(step: StepId, node: string, status: StepStatus): void;
}

export interface JournaledRunOptions {
  journal: RunJournal;
  steps: readonly StepId[];
  nodes?: readonly string[];
  dryRun: boolean;
  fixClonedCards: boolean;
  /** Asked (at a terminal) when cloned cards are found and fixClonedCards is off. */
  askFixClonedCards?: (groups: string[][]) => Promise<boolean>;
  /** Asked (on the run screens) when a node fails a step; without it the node is skipped. */
  decideOnFailure?: (failure: NodeFailure) => Promise<FailureChoice>;
  password?: string;
  signal?: AbortSignal;
  commandLogPath?: string;
  onEvent?: (event: SetupEvent) => void;
}

export interface RunOutcome {
  exitCode: number;
  /** Nodes whose last result of some step is a failure, in the order they failed. */
  failedNodes: string[];
  /** Set when the master is rebooting itself: the run resumes after the person logs in again. */
  masterRebooting?: { address: string; hostname: string; user: string };
  interrupted: boolean;
  /** The person chose "stop" at a failed node. */
  stopped: boolean;
  dryRun: boolean;
  commandLogPath: string;
  reports: StepReport[];
}

export async function runJournaled(options: JournaledRunOptions): Promise<RunOutcome> {
  const { journal } = options;
  const log = new CommandLog(options.commandLogPath ?? defaultCommandLogPath());
  const rows = journal.rows.map((row) => ({ ...row }));
  let masterRebooting: RunOutcome['masterRebooting'];

  const onEvent = (event: SetupEvent) => {
    if (event.type === 'report')
      journal.saveResult(event.report.step, event.report.node, event.report.status);
    else if (event.type === 'reach-changed') {
      const row = rows.find((each) => each.hostname === event.node);
      if (row) row.reachAt = event.address;
      journal.saveRows(rows);
    } else if (event.type === 'memory') journal.saveMemory(event.memory);
    else if (event.type === 'master-rebooting')
      masterRebooting = {
        address: event.address,
        hostname: event.hostname,
        user: journal.settings.user,
      };
    options.onEvent?.(event);
  };

  const result = await runSetup({
    settings: journal.settings,
    rows,
    steps: options.steps,
    ...(options.nodes ? { nodes: options.nodes } : {}),
    dryRun: options.dryRun,
    fixClonedCards: options.fixClonedCards,
    ...(options.askFixClonedCards ? { askFixClonedCards: options.askFixClonedCards } : {}),
    ...(options.decideOnFailure ? { decideOnFailure: options.decideOnFailure } : {}),
    ...(options.password === undefined ? {} : { password: options.password }),
    memory: journal.memory,
    commandLog: log,
    ...(options.signal ? { signal: options.signal } : {}),
    onEvent,
  });
  const failedNodes = [
    ...new Set(
      result.reports.filter((report) => report.status === 'failed').map((report) => report.node),
    ),
  ];
  const interrupted = Boolean(options.signal?.aborted) && !masterRebooting;
  const exitCode =
    masterRebooting || result.masterRebooting
      ? runExitCodes.ok
      : interrupted
        ? runExitCodes.interrupted
        : failedNodes.length > 0
          ? runExitCodes.nodesFailed
          : runExitCodes.ok;
  return {
    exitCode,
    failedNodes,
    ...(masterRebooting ? { masterRebooting } : {}),
    interrupted,
    stopped: result.stopped,
    dryRun: options.dryRun,
    commandLogPath: log.path,
    reports: result.reports,
  };
}

/** What a person reads when the run has ended, whichever view showed it. */
export function endOfRunLines(outcome: RunOutcome): string[] {
  if (outcome.masterRebooting) return masterRebootLines(outcome.masterRebooting);
  if (outcome.interrupted)
    return ['Interrupted: the session is saved; run the same command again to resume.'];
  const nodes = outcome.failedNodes;
  if (nodes.length > 0) {
    return [
      `${nodes.length} node${nodes.length === 1 ? '' : 's'} failed: ${nodes.join(', ')}. ${outcome.stopped ? 'You stopped the run' : 'The others finished'}. Command log: ${outcome.commandLogPath}`,
      `Fix what the FAILED lines say, then run again (finished work is checked, not redone), e.g. pi-cluster-wizard run all --node ${nodes[0]}`,
    ];
  }
  return [
    outcome.dryRun ? 'Dry run done: nothing was changed.' : 'Done: every step is ok on every node.',
  ];
}

/** Said before the master reboots itself: the process may not outlive the reboot command. */
export function masterRebootLines({ user, address }: { user: string; address: string }): string[] {
  return [
    'The master reboots now to take its new address and name. Your SSH session will drop.',
    `Log in again with: ssh ${user}@${address}`,
    'then run pi-cluster-wizard again: it resumes where it stopped.',
  ];
}
