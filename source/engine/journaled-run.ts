// One run of the steps with its journal: every result, changed address and memory is saved the
// moment the engine reports it. The reporters (Ink screens, plain lines, JSON lines) are
// interchangeable consumers of this one run's events (they only add an onEvent).
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
  /** Nodes worked on at once (--concurrency); the engine's default when not given. */
  concurrency?: number;
  signal?: AbortSignal;
  commandLogPath?: string;
  onEvent?: (event: SetupEvent) => void;
}

export interface RunOutcome {
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
    // A dry run's results and reboot list are what would happen: the journal keeps what did.
    if (event.type === 'report') {
      if (!options.dryRun)
        journal.saveResult(event.report.step, event.report.node, event.report.status);
    } else if (event.type === 'reach-changed') {
      const row = rows.find((each) => each.hostname === event.node);
      if (row) row.reachAt = event.address;
      journal.saveRows(rows);
    } else if (event.type === 'memory') {
      if (!options.dryRun) journal.saveMemory(event.memory);
    } else if (event.type === 'master-rebooting')
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
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.signal ? { signal: options.signal } : {}),
    onEvent,
  });
  const failedNodes = [
    ...new Set(
      result.reports.filter((report) => report.status === 'failed').map((report) => report.node),
    ),
  ];
  const interrupted = Boolean(options.signal?.aborted) && !result.masterRebooting;
  return {
    failedNodes,
    ...(masterRebooting ? { masterRebooting } : {}),
    interrupted,
    stopped: result.stopped,
    dryRun: options.dryRun,
    commandLogPath: log.path,
    reports: result.reports,
  };
}
