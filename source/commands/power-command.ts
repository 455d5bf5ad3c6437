// `pi-cluster-wizard shutdown` and `pi-cluster-wizard reboot`: asks first (unless --yes), then
// every worker at once, each shown until it stops answering (reboot: until it is back with a new
// boot id), and the master (this machine) last: the command says everything, then it goes. A
// worker that failed keeps the master up. Changes no saved state.
import type { PowerOptions } from '../command-line/parse-command-line.js';
import { powerCluster } from '../engine/cluster-actions.js';
import type { PowerAction } from '../engine/node-access.js';
import { powerJsonLines, powerPlainLines } from '../reporters/cluster-action-lines.js';
import { formatTransportError } from '../transport/errors.js';
import { exitCodes, nodesExitCode } from './exit-codes.js';
import { ask, type CommandIo, processIo } from './run-command.js';
import { loadSavedCluster, type Refused, refusedWith, startClusterWork } from './saved-cluster.js';

export async function powerCommand(
  options: PowerOptions,
  io: CommandIo = processIo,
): Promise<number> {
  const fail = (refusal: Refused) => refusedWith(io, refusal);
  const usage = (message: string) => fail({ ok: false, exitCode: exitCodes.usage, message });
  const loaded = loadSavedCluster(options.sessionName, io);
  if (!loaded.ok) return fail(loaded);
  const { session } = loaded;
  const [master, ...workers] = session.rows;
  if (!master) return usage('The session has no master row.');
  const action: PowerAction = options.action === 'reboot' ? 'reboot' : 'poweroff';
  const pending = session.run?.memory.rebootPending ?? [];
  if (action === 'reboot' && pending.length > 0) {
    // Those come back at their new static address, which only the setup's reboot step waits at.
    return usage(
      `${pending.join(', ')} ${pending.length === 1 ? 'has a new address or name' : 'have new addresses or names'} waiting for the setup's reboot: run pi-cluster-wizard run reboot, which reconnects at the new address; then reboot works.`,
    );
  }
  const interactive = Boolean(io.stdin.isTTY);
  if (!options.yes) {
    if (!interactive) {
      return usage(
        `${options.action} ${action === 'reboot' ? 'reboots' : 'powers off'} every Pi: add --yes to run it without a terminal.`,
      );
    }
    const verb = action === 'reboot' ? 'Reboot' : 'Power off';
    const them =
      workers.length === 0
        ? `the master (${master.hostname}, this machine)`
        : `all ${session.rows.length} Pis: ${workers.map((row) => row.hostname).join(', ')} at once, then the master (${master.hostname}, this machine) last`;
    const answer = await ask(io, `${verb} ${them}? [y/N] `);
    if (answer === 'interrupted') return exitCodes.SIGINT;
    if (!/^y(es)?$/i.test(answer)) {
      io.stderr.write('Nothing was done.\n');
      return exitCodes.notDone;
    }
  }
  const started = await startClusterWork(
    session,
    {
      ...(options.passwordFile ? { passwordFile: options.passwordFile } : {}),
      askAtTerminal: true,
      stopping: 'Stopping: workers already told go on; the master stays up',
    },
    io,
  );
  if (!started.ok) return fail(started);
  const { work } = started;
  const hostnames = session.rows.map((row) => row.hostname);
  const reporter = options.json ? powerJsonLines(io.stdout) : powerPlainLines(io.stdout, hostnames);
  try {
    if (!options.json && !options.yes && io.stdout.isTTY && interactive) {
      const verb = action === 'reboot' ? 'Rebooting' : 'Powering off';
      await work.openView(
        `${verb} every worker at once, then the master (${master.hostname}) last`,
        hostnames,
      );
    }
    const outcome = await powerCluster({
      access: work.access,
      rows: session.rows,
      action,
      signal: work.interrupts.signal,
      commandLogPath: work.commandLog.path,
      onEvent: (event) => (work.view ? work.view.onEvent(event) : reporter.onEvent(event)),
    });
    await work.closeView();
    const exitCode = nodesExitCode(outcome.failedNodes, work.interrupts.by);
    reporter.end({
      outcome,
      exitCode,
      commandLogPath: work.commandLog.path,
      user: session.settings.user,
      masterAddress: master.reachAt,
    });
    if (outcome.master.goes && work.interrupts.by === undefined) {
      // The very last thing: this process may not outlive it.
      try {
        await work.access.powerMaster(master, action);
      } catch (error) {
        const commandLogPath = work.commandLog.path;
        io.stderr.write(`${formatTransportError(error, { commandLogPath })}\n`);
        return exitCodes.nodesFailed;
      }
    }
    return exitCode;
  } finally {
    await work.access.close();
    work.interrupts.dispose();
  }
}
