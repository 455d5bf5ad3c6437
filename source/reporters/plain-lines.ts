// The run as plain lines, one per node and step, for people reading a log, a pipe or a terminal
// where Ink cannot draw.
import { plannedChangeLines, type StepStatus } from '../steps/step.js';
import type { RunReporter, RunReporterContext } from './reporter.js';
import { endOfRunLines, masterRebootLines } from './run-summary.js';

const statusWord: Record<StepStatus, string> = {
  ok: 'ok',
  changed: 'changed',
  failed: 'FAILED',
  skipped: 'skipped',
};

export function plainLinesReporter({
  out,
  hostnames,
  user,
  dryRun,
}: RunReporterContext): RunReporter {
  const print = (line: string) => out.write(`${line}\n`);
  const width = Math.max(...hostnames.map((name) => name.length), 6);
  return {
    onEvent(event) {
      switch (event.type) {
        case 'step-started':
          print(`== ${event.step}${dryRun ? ' (dry run: nothing is changed)' : ''}`);
          break;
        case 'report': {
          const { report } = event;
          print(
            `${report.step.padEnd(11)} ${report.node.padEnd(width)} ${statusWord[report.status].padEnd(7)} ${report.summary}`,
          );
          if (dryRun) for (const line of report.changes.flatMap(plannedChangeLines)) print(line);
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
        case 'warning':
          print(`warning     ${event.text}`);
          break;
        case 'master-rebooting':
          print('');
          for (const line of masterRebootLines({ user, address: event.address })) print(line);
          break;
        default:
          break;
      }
    },
    end(outcome) {
      // The reboot lines were printed before the reboot began.
      if (outcome.masterRebooting) return;
      if (!outcome.interrupted) print('');
      for (const line of endOfRunLines(outcome)) print(line);
    },
  };
}
