// What the commands over a cluster already set up start from: the cluster saved in the session
// (exec, shutdown and reboot never change it; add, remove and replace save it through `file`), the
// nodes asked for, the login password, and the real nodes reached as the setup reaches
// them. Every refusal is words for standard error with exit code 2.
import { connectToNodes, type NodeAccess } from '../engine/node-access.js';
import { type NodeRow, validateRows, validateSettings } from '../plan/plan-cluster.js';
import type { SavedSession } from '../session/saved-session.js';
import { openSessionFile, type SessionFile } from '../session/session-file.js';
import { CommandLog, defaultCommandLogPath } from '../transport/command-log.js';
import { defaultKnownHostsPath, type HostKeyEvent } from '../transport/host-keys.js';
import type { ActionScreen } from './action-screen.js';
import { exitCodes } from './exit-codes.js';
import { catchInterrupts, type Interrupts } from './interrupts.js';
import { type CommandIo, describeIssue, readRunPassword } from './run-command.js';

export type Refused = { ok: false; exitCode: number; message?: string };

/** A refusal said on standard error; its exit code. */
export function refusedWith(io: CommandIo, refusal: Refused): number {
  if (refusal.message) io.stderr.write(`${refusal.message}\n`);
  return refusal.exitCode;
}

/** The session's cluster, checked as run checks it, and its file (to save a changed cluster). */
export function loadSavedCluster(
  sessionName: string,
  io: CommandIo,
): { ok: true; session: SavedSession; file: SessionFile } | Refused {
  const sessionFile = openSessionFile({ sessionName });
  if (sessionFile.notice) io.stderr.write(`${sessionFile.notice}\n`);
  const session = sessionFile.saved;
  if (!session || session.rows.length === 0) {
    return refused(
      `No cluster is planned in the session ${JSON.stringify(sessionName)} yet: set it up first, with pi-cluster-wizard in a terminal (or pi-cluster-wizard run all --cluster FILE), then use it.`,
    );
  }
  const issues = [
    ...validateSettings(session.settings),
    ...validateRows(session.settings, session.rows),
  ];
  if (issues.length > 0) {
    return refused(
      `The cluster in this session cannot be used:\n${issues.map((issue) => `  - ${describeIssue(issue)}`).join('\n')}\nFix it with pi-cluster-wizard (the review screen), then try again.`,
    );
  }
  return { ok: true, session, file: sessionFile };
}

/** The rows of the nodes named (every row when none are), in the table's order. */
export function chooseRows(
  rows: readonly NodeRow[],
  names: readonly string[] | undefined,
): { ok: true; rows: NodeRow[] } | Refused {
  if (names === undefined) return { ok: true, rows: [...rows] };
  const known = new Set(rows.map((row) => row.hostname));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    return refused(
      `No node called ${unknown.join(', ')} in this cluster. The nodes are: ${[...known].join(', ')}.`,
    );
  }
  return { ok: true, rows: rows.filter((row) => names.includes(row.hostname)) };
}

/** What a command over the saved cluster works with, once it has the password. */
export interface ClusterWork {
  interrupts: Interrupts;
  /** The real nodes, reached as the setup reaches them. */
  access: NodeAccess;
  commandLog: CommandLog;
  /** The live view, once opened (at a terminal): it gets the events instead of the reporter. */
  readonly view: ActionScreen | undefined;
  openView(title: string, nodes: readonly string[]): Promise<void>;
  /** The nodes are done: the view comes down, and the host keys first seen are told. */
  closeView(): Promise<void>;
}

/**
 * The login password (as run reads it), then: Ctrl+C and signals as an orderly stop (said on the
 * view, or with `stopping` on standard error), the real nodes with a command log of their own, and
 * the live view when asked for. New host keys are recorded (as OpenSSH's accept-new does) and told
 * once the view is down.
 */
export async function startClusterWork(
  session: SavedSession,
  options: { passwordFile?: string; askAtTerminal: boolean; stopping: string },
  io: CommandIo,
): Promise<{ ok: true; work: ClusterWork } | Refused> {
  // As run reads it; without askAtTerminal, logins at a terminal use keys only.
  const read = await readRunPassword(
    options.passwordFile ? { passwordFile: options.passwordFile } : {},
    io,
    session.settings.user,
    options.askAtTerminal,
  );
  if (read === 'interrupted') return { ok: false, exitCode: exitCodes.SIGINT };
  if (read && 'problem' in read) return refused(read.problem);
  const password = read?.known;
  const commandLog = new CommandLog(defaultCommandLogPath());
  const newHostKeys: HostKeyEvent[] = [];
  let view: ActionScreen | undefined;
  const interrupts = catchInterrupts({
    onInterrupt: () => {
      if (view) view.stop();
      else io.stderr.write(`\n${options.stopping} (Ctrl+C again to quit now).\n`);
    },
    beforeQuit: () => view?.quit(),
  });
  const access = connectToNodes(
    {
      settings: session.settings,
      ...(password === undefined ? {} : { password }),
      commandLog,
      knownHostsPath: defaultKnownHostsPath(),
      recordNewHostKeys: true,
      signal: interrupts.signal,
    },
    {
      onHostKey: (event) => {
        if (event.status === 'new') newHostKeys.push(event);
      },
      // Where a node answers is the setup's to save: these commands change no saved state.
      onReachChanged: () => {},
    },
  );
  const work: ClusterWork = {
    interrupts,
    access,
    commandLog,
    get view() {
      return view;
    },
    async openView(title, nodes) {
      const { openActionScreen } = await import('./action-screen.js');
      view = openActionScreen(title, nodes, interrupts);
    },
    async closeView() {
      await view?.close();
      // As OpenSSH's "Permanently added" says it, once the view is down.
      for (const { node, keyType, fingerprint, knownHostsPath } of newHostKeys)
        io.stderr.write(
          `Recorded ${node}'s host key (${keyType} ${fingerprint}) in ${knownHostsPath}.\n`,
        );
    },
  };
  return { ok: true, work };
}

function refused(message: string): Refused {
  return { ok: false, exitCode: exitCodes.usage, message };
}
