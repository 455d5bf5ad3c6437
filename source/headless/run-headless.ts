// The run without screens: plain lines, one per node and step, for scripts, CI and terminals where
// Ink cannot draw. The same engine and the same saved session as the interactive wizard.
import type { Writable } from 'node:stream';
import { runSetup, type SetupEvent, type SetupMemory } from '../engine/run-setup.js';
import type { ClusterSettings, NodeRow } from '../plan/plan-cluster.js';
import type { StepId, StepStatus } from '../steps/step.js';
import { CommandLog, defaultCommandLogPath } from '../transport/command-log.js';

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

export interface HeadlessRunOptions {
  journal: RunJournal;
  steps: readonly StepId[];
  nodes?: readonly string[];
  dryRun: boolean;
  fixClonedCards: boolean;
  /** Asked (at a terminal) when cloned cards are found and fixClonedCards is off. */
  askFixClonedCards?: (groups: string[][]) => Promise<boolean>;
  password?: string;
  out: Writable;
  signal?: AbortSignal;
  commandLogPath?: string;
}

const statusWord: Record<StepStatus, string> = {
  ok: 'ok',
  changed: 'changed',
  failed: 'FAILED',
  skipped: 'skipped',
};

/** Runs the steps and prints a line per event; returns the exit code. */
export async function runHeadless(options: HeadlessRunOptions): Promise<number> {
  const { journal, out } = options;
  const print = (line: string) => out.write(`${line}\n`);
  const log = new CommandLog(options.commandLogPath ?? defaultCommandLogPath());
  const rows = journal.rows.map((row) => ({ ...row }));
  const width = Math.max(...rows.map((row) => row.hostname.length), 6);
  let masterRebooting = false;

  const onEvent = (event: SetupEvent) => {
    switch (event.type) {
      case 'step-started':
        print(`== ${event.step}${options.dryRun ? ' (dry run: nothing is changed)' : ''}`);
        break;
      case 'report': {
        const { report } = event;
        journal.saveResult(report.step, report.node, report.status);
        print(
          `${report.step.padEnd(11)} ${report.node.padEnd(width)} ${statusWord[report.status].padEnd(7)} ${report.summary}`,
        );
        if (options.dryRun) {
          for (const change of report.changes) {
            if (change.kind === 'command')
              print(`    would run${change.asRoot ? ' as root' : ''}: ${change.command}`);
            else {
              print(
                `    would write ${change.change.path}${change.change.metadataChange ? ` (${change.change.metadataChange})` : ''}`,
              );
              for (const line of change.change.diff.split('\n').filter(Boolean))
                print(`      ${line}`);
            }
          }
        }
        break;
      }
      case 'node-progress':
        if (event.event.type === 'retrying') {
          const { node, attempt, maxAttempts, delayMs, message } = event.event;
          print(
            `${event.step.padEnd(11)} ${node.padEnd(width)} retry   attempt ${attempt + 1} of ${maxAttempts} in ${Math.round(delayMs / 1000)} s: ${message}`,
          );
        }
        break;
      case 'host-key':
        if (event.event.status === 'new') {
          const { node, keyType, fingerprint, knownHostsPath, recorded } = event.event;
          print(
            `host-key    ${node.padEnd(width)} new     ${keyType} ${fingerprint}${recorded ? ` recorded in ${knownHostsPath}` : ' (dry run: not recorded)'}`,
          );
        }
        break;
      case 'reach-changed': {
        const row = rows.find((each) => each.hostname === event.node);
        if (row) row.reachAt = event.address;
        journal.saveRows(rows);
        break;
      }
      case 'memory':
        journal.saveMemory(event.memory);
        break;
      case 'master-rebooting':
        masterRebooting = true;
        print('');
        print(
          `The master reboots now to take its new address and name. Your SSH session will drop.`,
        );
        print(`Log in again with: ssh ${journal.settings.user}@${event.address}`);
        print('then run pi-cluster-wizard again: it resumes where it stopped.');
        break;
      case 'step-finished':
        break;
    }
  };

  const result = await runSetup({
    settings: journal.settings,
    rows,
    steps: options.steps,
    ...(options.nodes ? { nodes: options.nodes } : {}),
    dryRun: options.dryRun,
    fixClonedCards: options.fixClonedCards,
    ...(options.askFixClonedCards ? { askFixClonedCards: options.askFixClonedCards } : {}),
    ...(options.password === undefined ? {} : { password: options.password }),
    memory: journal.memory,
    commandLog: log,
    ...(options.signal ? { signal: options.signal } : {}),
    onEvent,
  });
  if (masterRebooting || result.masterRebooting) return runExitCodes.ok;
  if (options.signal?.aborted) {
    print('Interrupted: the session is saved; run the same command again to resume.');
    return runExitCodes.interrupted;
  }
  const failed = result.reports.filter((report) => report.status === 'failed');
  if (failed.length > 0) {
    const nodes = [...new Set(failed.map((report) => report.node))];
    print('');
    print(
      `${nodes.length} node${nodes.length === 1 ? '' : 's'} failed: ${nodes.join(', ')}. The others finished. Command log: ${log.path}`,
    );
    print(
      `Fix what the FAILED lines say, then run again (finished work is checked, not redone), e.g. pi-cluster-wizard run all --node ${nodes[0]}`,
    );
    return runExitCodes.nodesFailed;
  }
  print('');
  print(
    options.dryRun ? 'Dry run done: nothing was changed.' : 'Done: every step is ok on every node.',
  );
  return runExitCodes.ok;
}
