// `pi-cluster-wizard exec [--node NAME…] [--sudo] -- COMMAND…`: one command on every node of the
// saved cluster at once, shown live at a terminal (plain lines with --yes or without one, JSON
// lines with --json), then the outputs grouped as clush -b groups them. Changes no saved state.
import type { ExecOptions } from '../command-line/parse-command-line.js';
import { execOnNodes } from '../engine/cluster-actions.js';
import { execJsonLines, execPlainLines, failedNodesOf } from '../reporters/cluster-action-lines.js';
import { shellCommand } from '../transport/shell-quote.js';
import type { ActionScreen } from './action-screen.js';
import { nodesExitCode } from './exit-codes.js';
import { catchInterrupts } from './interrupts.js';
import { type CommandIo, processIo } from './run-command.js';
import {
  chooseRows,
  loadSavedCluster,
  type Refused,
  reachSavedNodes,
  readLoginPassword,
  tellNewHostKeys,
} from './saved-cluster.js';

export async function execCommand(
  options: ExecOptions,
  io: CommandIo = processIo,
): Promise<number> {
  const fail = (refusal: Refused) => {
    if (refusal.message) io.stderr.write(`${refusal.message}\n`);
    return refusal.exitCode;
  };
  const loaded = loadSavedCluster(options.sessionName, io);
  if (!loaded.ok) return fail(loaded);
  const { session } = loaded;
  const chosen = chooseRows(session.rows, options.nodes);
  if (!chosen.ok) return fail(chosen);
  const { rows } = chosen;
  // As the login user, logins use keys when no password comes: only sudo needs it typed.
  const password = await readLoginPassword(
    {
      ...(options.passwordFile ? { passwordFile: options.passwordFile } : {}),
      askAtTerminal: options.sudo,
      user: session.settings.user,
    },
    io,
  );
  if (!password.ok) return fail(password);

  let view: ActionScreen | undefined;
  const interrupts = catchInterrupts({
    onInterrupt: () => {
      if (view) view.stop();
      else
        io.stderr.write(
          '\nStopping: commands still running are stopped (Ctrl+C again to quit now).\n',
        );
    },
    beforeQuit: () => view?.quit(),
  });
  const { access, commandLog, newHostKeys } = reachSavedNodes(
    session,
    password.password,
    interrupts.signal,
  );
  const hostnames = rows.map((row) => row.hostname);
  const reporter = options.json
    ? execJsonLines(io.stdout, options.command, options.sudo)
    : execPlainLines(io.stdout, hostnames);
  try {
    if (!options.json && !options.yes && io.stdout.isTTY && io.stdin.isTTY) {
      const { openActionScreen } = await import('./action-screen.js');
      const where =
        rows.length === session.rows.length ? `all ${rows.length} nodes` : hostnames.join(', ');
      const who = options.sudo ? 'as root' : `as ${session.settings.user}`;
      view = openActionScreen(
        `${shellCommand(options.command)} ${who} on ${where}`,
        hostnames,
        interrupts,
      );
    }
    const results = await execOnNodes({
      access,
      rows,
      command: options.command,
      asRoot: options.sudo,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      signal: interrupts.signal,
      commandLogPath: commandLog.path,
      onEvent: (event) => (view ? view.onEvent(event) : reporter.onEvent(event)),
    });
    await view?.close();
    await access.close();
    tellNewHostKeys(newHostKeys, io);
    const exitCode = nodesExitCode(failedNodesOf(results), interrupts.by);
    reporter.end({
      results,
      exitCode,
      interrupted: interrupts.by !== undefined,
      commandLogPath: commandLog.path,
    });
    return exitCode;
  } finally {
    interrupts.dispose();
  }
}
