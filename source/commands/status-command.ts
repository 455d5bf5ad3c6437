// `pi-cluster-wizard status`: the saved table and each node's last result per step, without
// connecting anywhere; as aligned lines, or with --json as one object (README: "status --json").
import { openSessionFile } from '../session/session-file.js';
import { stepIds } from '../steps/step.js';
import { exitCodes } from './exit-codes.js';

export function statusCommand(
  sessionName: string,
  options: { json: boolean },
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): number {
  const sessionFile = openSessionFile({ sessionName });
  if (sessionFile.notice) io.stderr.write(`${sessionFile.notice}\n`);
  const session = sessionFile.saved;
  const planned = session !== undefined && session.rows.length > 0;
  const results = session?.run?.results ?? {};
  const steps = stepIds.filter((step) => results[step]);
  const pending = session?.run?.memory.rebootPending ?? [];
  if (options.json) {
    const status = {
      version: 1,
      session: sessionFile.path,
      planned,
      ...(planned ? { settings: session.settings } : {}),
      steps,
      nodes: (planned ? session.rows : []).map((row) => ({
        pi: row.index,
        hostname: row.hostname,
        address: row.address,
        reachAt: row.reachAt,
        results: Object.fromEntries(
          steps.flatMap((step) => {
            const result = results[step]?.[row.hostname];
            return result ? [[step, result]] : [];
          }),
        ),
      })),
      rebootPending: pending,
    };
    io.stdout.write(`${JSON.stringify(status)}\n`);
    return planned ? exitCodes.done : exitCodes.notDone;
  }
  if (!planned) {
    io.stdout.write(`No cluster is planned in ${sessionFile.path} yet.\n`);
    return exitCodes.notDone;
  }
  const header = ['Pi', 'hostname', 'static IP', 'reach it now at', ...steps];
  const lines = session.rows.map((row) => [
    String(row.index),
    row.hostname,
    row.address,
    row.reachAt,
    ...steps.map((step) => results[step]?.[row.hostname] ?? '-'),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  io.stdout.write(`${[format(header), ...lines.map(format)].join('\n')}\n`);
  if (pending.length > 0) io.stdout.write(`Waiting for a reboot: ${pending.join(', ')}\n`);
  if (steps.length === 0) io.stdout.write('No step has run yet: pi-cluster-wizard run all\n');
  io.stdout.write(`Session: ${sessionFile.path}\n`);
  return exitCodes.done;
}
