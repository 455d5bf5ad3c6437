// `pi-cluster-wizard exec [--node NAME…] [--sudo] -- COMMAND…`: one command on every node of the
// saved cluster at once, shown live at a terminal (plain lines with --yes or without one, JSON
// lines with --json), then the outputs grouped as clush -b groups them. Changes no saved state.
import type { ExecOptions } from '../command-line/parse-command-line.js';
import { execOnNodes } from '../engine/cluster-actions.js';
import { execJsonLines, execPlainLines, failedNodesOf } from '../reporters/cluster-action-lines.js';
import { shellCommand } from '../transport/shell-quote.js';
import { nodesExitCode } from './exit-codes.js';
import { type CommandIo, processIo } from './run-command.js';
import {
  chooseRows,
  loadSavedCluster,
  type Refused,
  refusedWith,
  startClusterWork,
} from './saved-cluster.js';

export async function execCommand(
  options: ExecOptions,
  io: CommandIo = processIo,
): Promise<number> {
  const fail = (refusal: Refused) => refusedWith(io, refusal);
  const loaded = loadSavedCluster(options.sessionName, io);
  if (!loaded.ok) return fail(loaded);
  const { session } = loaded;
  const chosen = chooseRows(session.rows, options.nodes);
  if (!chosen.ok) return fail(chosen);
  const { rows } = chosen;
  // As the login user, logins use keys when no password comes: only sudo needs it typed.
  const started = await startClusterWork(
    session,
    {
      ...(options.passwordFile ? { passwordFile: options.passwordFile } : {}),
      askAtTerminal: options.sudo,
      stopping: 'Stopping: nothing more is started, and what runs is told to stop',
    },
    io,
  );
  if (!started.ok) return fail(started);
  const { work } = started;
  const hostnames = rows.map((row) => row.hostname);
  const reporter = options.json
    ? execJsonLines(io.stdout, options.command, options.sudo)
    : execPlainLines(io.stdout, hostnames);
  try {
    if (!options.json && !options.yes && io.stdout.isTTY && io.stdin.isTTY) {
      const where =
        rows.length === session.rows.length ? `all ${rows.length} nodes` : hostnames.join(', ');
      const who = options.sudo ? 'as root' : `as ${session.settings.user}`;
      await work.openView(`${shellCommand(options.command)} ${who} on ${where}`, hostnames);
    }
    const results = await execOnNodes({
      access: work.access,
      rows,
      command: options.command,
      asRoot: options.sudo,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      signal: work.interrupts.signal,
      commandLogPath: work.commandLog.path,
      onEvent: (event) => (work.view ? work.view.onEvent(event) : reporter.onEvent(event)),
    });
    await work.closeView();
    const exitCode = nodesExitCode(failedNodesOf(results), work.interrupts.by);
    reporter.end({
      results,
      exitCode,
      interrupted: work.interrupts.by !== undefined,
      commandLogPath: work.commandLog.path,
    });
    return exitCode;
  } finally {
    await work.access.close();
    work.interrupts.dispose();
  }
}
