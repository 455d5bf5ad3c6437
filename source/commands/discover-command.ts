// `pi-cluster-wizard discover`: scan a subnet for machines answering SSH, print them as plain lines
// (or, with --json, as one object at the end), and (with --assign, or a yes at the terminal) save the
// suggested assignment into the session's table. A scan sends no password: banners and host keys.
import type { ReadStream } from 'node:tty';
import type { DiscoverOptions } from '../command-line/parse-command-line.js';
import {
  clonedCardsAdvice,
  clonedGroups,
  type DiscoveredMachine,
  describeMachineNotes,
  progressBar,
  reachAtPatches,
  type ThisMachine,
} from '../discovery/discovery-report.js';
import { type Discovery, runDiscovery } from '../discovery/run-discovery.js';
import { parseScanRange } from '../discovery/scan-range.js';
import { operatingSystemHint } from '../discovery/ssh-probe.js';
import type { NodeRow } from '../plan/plan-cluster.js';
import { countEditedRows } from '../plan/plan-cluster.js';
import { openSessionFile } from '../session/session-file.js';
import { exitCodes } from './exit-codes.js';
import { catchInterrupts } from './interrupts.js';
import { promptLine } from './read-password.js';

export interface DiscoverIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Replaceable in tests: what this machine is (default: read from the system). */
  thisMachine?: () => ThisMachine;
}

const processIo: DiscoverIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
};

/** The found machines as aligned plain lines. */
export function formatFoundMachines(
  machines: readonly DiscoveredMachine[],
  rows: readonly NodeRow[],
  assignment: ReadonlyMap<number, string>,
): string[] {
  const hostnameOf = (address: string) => {
    for (const [index, held] of assignment) {
      if (held === address) return rows.find((row) => row.index === index)?.hostname;
    }
    return undefined;
  };
  const table = machines.map((machine) => [
    machine.address,
    machine.fingerprint,
    operatingSystemHint(machine.banner),
    machine.mac ?? '-',
    [
      ...describeMachineNotes(machine, rows),
      ...(hostnameOf(machine.address) ? [`→ ${hostnameOf(machine.address)}`] : []),
    ].join('; '),
  ]);
  const header = ['Address', 'Host key', 'System', 'MAC', 'Notes'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((cells) => cells[column]?.length ?? 0)),
  );
  return [header, ...table].map((cells) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

export async function discoverCommand(
  options: DiscoverOptions,
  io: DiscoverIo = processIo,
): Promise<number> {
  // With --json the lines are not printed: one object is, when the command ends.
  const say = (line: string) => {
    if (!options.json) io.stdout.write(`${line}\n`);
  };
  const fail = (message: string, code: number = exitCodes.usage) => {
    io.stderr.write(`${message}\n`);
    return code;
  };
  const sessionFile = openSessionFile({ sessionName: options.sessionName });
  if (sessionFile.notice) io.stderr.write(`${sessionFile.notice}\n`);
  const session = sessionFile.saved;
  const rows = session?.rows ?? [];
  const subnetText = options.subnet ?? session?.settings.subnet;
  if (subnetText === undefined) {
    return fail(
      'Which subnet? Pass --subnet CIDR (such as 192.168.0.0/24), or plan the cluster in the wizard first (its subnet is used).',
    );
  }
  const range = parseScanRange(subnetText);
  if (!range.ok) return fail(`Cannot scan ${subnetText}: ${range.message}`);
  if (options.assign && rows.length === 0) {
    return fail(
      '--assign needs a lookup table: plan the cluster in the wizard first, then discover again.',
    );
  }

  const interrupts = catchInterrupts();
  const drawsProgress = io.stderr.isTTY === true;
  io.stderr.write(
    `Looking for machines answering SSH in ${range.value.subnet} (${range.value.addresses.length} addresses; no password is sent)…\n`,
  );
  let scan: Discovery;
  try {
    scan = await runDiscovery(range.value.addresses, rows, {
      signal: interrupts.signal,
      ...(io.thisMachine ? { thisMachine: io.thisMachine } : {}),
      ...(drawsProgress
        ? {
            onProgress: ({ probed, total, found }) =>
              io.stderr.write(`\r${progressBar(probed, total)} ${found} found`),
          }
        : {}),
    });
  } finally {
    interrupts.dispose();
  }
  if (drawsProgress) io.stderr.write('\n');

  const { machines, suggestion: assignment } = scan;
  const answer = (code: number, saved: boolean): number => {
    if (!options.json) return code;
    const result = {
      version: 1,
      subnet: range.value.subnet,
      probed: scan.probed,
      total: scan.total,
      durationMs: Math.round(scan.durationMs),
      stopped: scan.stopped,
      machines: machines.map((machine) => ({
        address: machine.address,
        keyType: machine.keyType,
        fingerprint: machine.fingerprint,
        banner: machine.banner,
        system: operatingSystemHint(machine.banner),
        mac: machine.mac ?? null,
        raspberryPi: machine.raspberryPi ?? null,
        configuredAs: machine.configuredAs ?? null,
        isThisMachine: machine.isThisMachine,
        clonedWith: machine.clonedWith,
        notes: describeMachineNotes(machine, rows),
      })),
      assignment: rows.map((row) => ({
        pi: row.index,
        hostname: row.hostname,
        reachAt: assignment.get(row.index) ?? null,
      })),
      saved,
      session: sessionFile.path,
    };
    io.stdout.write(`${JSON.stringify(result)}\n`);
    return code;
  };
  const seconds = (scan.durationMs / 1000).toFixed(1);
  say(
    `${machines.length === 0 ? 'No machine' : `${machines.length} machine${machines.length === 1 ? '' : 's'}`} answering SSH in ${range.value.subnet} (${scan.probed} of ${scan.total} addresses probed in ${seconds} s).`,
  );
  if (machines.length > 0)
    for (const line of formatFoundMachines(machines, rows, assignment)) say(`  ${line}`);
  const clones = clonedGroups(machines);
  if (clones.length > 0) say(clonedCardsAdvice(clones));
  if (scan.stopped) {
    say(`Stopped after ${scan.probed} of ${scan.total} addresses.`);
    return answer(interrupts.exitCode ?? exitCodes.SIGINT, false);
  }
  if (machines.length === 0) {
    say(
      'Check that the Pis are powered, on this network, and have SSH enabled (Raspberry Pi Imager: Services → Enable SSH).',
    );
    return answer(exitCodes.done, false);
  }
  if (!session || rows.length === 0) {
    say('No lookup table in this session yet: plan the cluster in the wizard to assign these.');
    return answer(exitCodes.done, false);
  }

  const patches = reachAtPatches(rows, assignment);
  say('Suggested assignment ("reach it now at"):');
  for (const row of rows) {
    const address = assignment.get(row.index);
    say(
      `  Pi ${row.index} ${row.hostname.padEnd(12)} ${address ?? `${row.reachAt} (no machine found for it; unchanged)`}`,
    );
  }
  if (patches.length === 0) {
    say('The table already says so: nothing to save.');
    return answer(exitCodes.done, false);
  }
  let save = options.assign;
  if (!save && io.stdin.isTTY && !options.json) {
    const reply = await promptLine(
      io.stdin as ReadStream,
      io.stderr,
      'Save this assignment to the table? [y/N] ',
      { hidden: false },
    );
    if (reply === 'interrupted') return exitCodes.SIGINT;
    save = /^y(es)?$/i.test(reply.trim());
  }
  if (!save) {
    say('Not saved. Run again with --assign to save it, or assign on the review screen (key d).');
    return answer(exitCodes.done, false);
  }
  const byIndex = new Map(patches.map((patch) => [patch.index, patch.reachAt]));
  const updatedRows = rows.map((row) => ({
    ...row,
    reachAt: byIndex.get(row.index) ?? row.reachAt,
  }));
  const problem = sessionFile.save({
    ...session,
    rows: updatedRows,
    rowsEdited: countEditedRows(session.settings, updatedRows) > 0,
  });
  if (problem) return answer(fail(problem, exitCodes.notDone), false);
  say(
    `Saved in ${sessionFile.path}: ${patches.length} row${patches.length === 1 ? '' : 's'} updated.`,
  );
  return answer(exitCodes.done, true);
}
