// The run without screens: plain lines, one per node and step, for scripts, CI and terminals where
// Ink cannot draw. The same engine and the same saved session as the interactive wizard.
import type { Writable } from 'node:stream';
import {
  endOfRunLines,
  type JournaledRunOptions,
  masterRebootLines,
  runJournaled,
} from '../engine/journaled-run.js';
import type { SetupEvent } from '../engine/run-setup.js';
import { plannedChangeLines, type StepStatus } from '../steps/step.js';

export { type RunJournal, runExitCodes } from '../engine/journaled-run.js';

export interface HeadlessRunOptions
  extends Omit<JournaledRunOptions, 'onEvent' | 'decideOnFailure'> {
  out: Writable;
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
  const width = Math.max(...journal.rows.map((row) => row.hostname.length), 6);

  const onEvent = (event: SetupEvent) => {
    switch (event.type) {
      case 'step-started':
        print(`== ${event.step}${options.dryRun ? ' (dry run: nothing is changed)' : ''}`);
        break;
      case 'report': {
        const { report } = event;
        print(
          `${report.step.padEnd(11)} ${report.node.padEnd(width)} ${statusWord[report.status].padEnd(7)} ${report.summary}`,
        );
        if (options.dryRun)
          for (const line of report.changes.flatMap(plannedChangeLines)) print(line);
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
      case 'master-rebooting':
        print('');
        for (const line of masterRebootLines({
          user: journal.settings.user,
          address: event.address,
        }))
          print(line);
        break;
      default:
        break;
    }
  };

  const outcome = await runJournaled({ ...options, onEvent });
  if (outcome.masterRebooting) return outcome.exitCode;
  if (!outcome.interrupted) print('');
  for (const line of endOfRunLines(outcome)) print(line);
  return outcome.exitCode;
}
