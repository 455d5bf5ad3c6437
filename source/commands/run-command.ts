// `pi-cluster-wizard run`: take the cluster (the saved session, --cluster FILE, or planned from
// --nodes and its flags), check it, get the password, run the steps with one reporter (the screens
// at a terminal, plain lines, or JSON lines with --json), and map the outcome to an exit code.
import { readFileSync } from 'node:fs';
import type { ReadStream } from 'node:tty';
import type { StepsOptions } from '../command-line/parse-command-line.js';
import { runDiscovery } from '../discovery/run-discovery.js';
import { parseScanRange } from '../discovery/scan-range.js';
import type { FoundMachine } from '../discovery/scan-subnet.js';
import { type JournaledRunOptions, runJournaled } from '../engine/journaled-run.js';
import { carriedSteps, describePlan, planRun } from '../engine/plan-run.js';
import {
  type ClusterSettings,
  type NodeRow,
  planCluster,
  type ValidationIssue,
  validateRows,
  validateSettings,
} from '../plan/plan-cluster.js';
import { jsonLinesReporter } from '../reporters/json-lines.js';
import { plainLinesReporter } from '../reporters/plain-lines.js';
import { sessionRunJournal } from '../session/run-journal.js';
import {
  readSavedSession,
  type SavedSession,
  sessionSchemaVersion,
} from '../session/saved-session.js';
import { openSessionFile } from '../session/session-file.js';
import { guideSteps } from '../steps/all-steps.js';
import { clusterFromFlags } from './cluster-from-flags.js';
import { exitCodes, runExitCode } from './exit-codes.js';
import { catchInterrupts } from './interrupts.js';
import {
  promptLine,
  promptPassword,
  readPasswordFile,
  readPasswordFromPipe,
} from './read-password.js';

export interface CommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

export const processIo: CommandIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
};

type Cluster = { settings: ClusterSettings; rows: NodeRow[] };

export async function runCommand(
  options: StepsOptions,
  io: CommandIo = processIo,
  /** A password already read for this command (remove --wipe needed it first). */
  preset?: { password: KnownPassword },
): Promise<number> {
  const fail = (message: string) => {
    io.stderr.write(`${message}\n`);
    return exitCodes.usage;
  };
  const sessionFile = openSessionFile({ sessionName: options.sessionName });
  if (sessionFile.notice) io.stderr.write(`${sessionFile.notice}\n`);

  let session: SavedSession | undefined = sessionFile.saved;
  let given: Cluster | undefined;
  if (options.clusterFile) {
    const loaded = loadClusterFile(options.clusterFile);
    if (typeof loaded === 'string') return fail(loaded);
    given = loaded;
  } else if (options.plan) {
    const planned = clusterFromFlags(options.plan);
    if (!planned.ok) {
      return fail(
        `The cluster cannot be planned from these flags:\n${planned.problems.map((problem) => `  - ${problem}`).join('\n')}`,
      );
    }
    given = planned;
    if (options.plan.discover) {
      const found = await discoverReachAt(planned, io);
      if (typeof found === 'string') return fail(found);
      given = { settings: planned.settings, rows: found };
    }
  }
  if (given) session = adoptCluster(session, given);
  if (!session || session.rows.length === 0) {
    return fail(
      'No cluster is planned in this session yet: run pi-cluster-wizard in a terminal first (it saves the lookup table), pass --cluster FILE, or plan it with --nodes N --subnet CIDR.',
    );
  }
  const issues = [
    ...validateSettings(session.settings),
    ...validateRows(session.settings, session.rows),
  ];
  if (issues.length > 0) {
    return fail(
      `The cluster cannot be used:\n${issues.map((issue) => `  - ${describeIssue(issue)}`).join('\n')}`,
    );
  }
  const names = new Set(session.rows.map((row) => row.hostname));
  const unknown = (options.nodes ?? []).filter((node) => !names.has(node));
  if (unknown.length > 0) {
    return fail(
      `No node called ${unknown.join(', ')} in this cluster. The nodes are: ${[...names].join(', ')}.`,
    );
  }
  const plan = planRun(guideSteps, options.steps, new Set(options.nodes ?? names), session.rows);
  if (options.showPlan) {
    for (const line of describePlan(plan, session.rows)) io.stdout.write(`${line}\n`);
    return exitCodes.done;
  }
  if (given) {
    const problem = sessionFile.save(session);
    if (problem) io.stderr.write(`${problem}\n`);
  }

  const interactive = Boolean(io.stdin.isTTY);
  // At a terminal without --yes the screens ask, draw the run and answer the engine's questions.
  const screens = !options.json && interactive && io.stdout.isTTY === true && !options.yes;
  let question: string | undefined;
  if (!options.dryRun && !options.yes && !options.confirmed) {
    if (!interactive) {
      return fail(
        'run changes the Pis: add --yes to run it without a terminal (or --dry-run to see the plan).',
      );
    }
    const targets = options.nodes?.join(', ') ?? `all ${session.rows.length} Pis`;
    // Steps a step for some nodes carries on through (keys → fan-in, fan-out, known-hosts).
    const carried = carriedSteps(plan);
    const then = carried.length > 0 ? `, then ${carried.join(', ')} where needed` : '';
    question = `Run ${options.steps.join(', ')} on ${targets}${then}?`;
  }
  if (question && !screens) {
    const answer = await ask(io, `${question} [y/N] `);
    if (answer === 'interrupted') return exitCodes.SIGINT;
    if (!/^y(es)?$/i.test(answer)) {
      io.stderr.write('Nothing was changed.\n');
      return exitCodes.notDone;
    }
  }

  const read = preset?.password
    ? preset.password
    : await readRunPassword(options, io, session.settings.user, !screens);
  if (read === 'interrupted') return exitCodes.SIGINT;
  if (read && 'problem' in read) return fail(read.problem);
  const password = read;

  const journal = sessionRunJournal(sessionFile, session, (problem) =>
    io.stderr.write(`${problem}\n`),
  );
  const run = {
    journal,
    steps: options.steps,
    ...(options.nodes ? { nodes: options.nodes } : {}),
    dryRun: options.dryRun,
    fixClonedCards: options.fixClonedCards,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  } satisfies Partial<JournaledRunOptions>;
  if (screens) {
    const { runOnScreens } = await import('./run-on-screens.js');
    return runOnScreens(run, {
      ...(question === undefined ? {} : { question }),
      ...(password === undefined ? {} : { password }),
    });
  }

  const context = {
    out: io.stdout,
    hostnames: journal.rows.map((row) => row.hostname),
    user: journal.settings.user,
    dryRun: options.dryRun,
  };
  const reporter = options.json ? jsonLinesReporter(context) : plainLinesReporter(context);
  const interrupts = catchInterrupts({
    onInterrupt: () =>
      io.stderr.write(
        '\nStopping: work in flight finishes, then the session is saved (Ctrl+C again to quit now).\n',
      ),
  });
  try {
    const outcome = await runJournaled({
      ...run,
      ...(password?.known === undefined ? {} : { password: password.known }),
      signal: interrupts.signal,
      onEvent: (event) => reporter.onEvent(event),
      ...(interactive
        ? {
            askFixClonedCards: async (groups: string[][]) => {
              const answer = await ask(
                io,
                `These Pis were cloned from one SD card (same SSH host key or machine-id): ${groups.map((group) => group.join(' + ')).join('; ')}.\nGive every one but the first new SSH host keys and a new machine-id? [y/N] `,
              );
              return answer !== 'interrupted' && /^y(es)?$/i.test(answer);
            },
          }
        : {}),
    });
    const exitCode = runExitCode(outcome, interrupts.by);
    reporter.end(outcome, exitCode);
    return exitCode;
  } finally {
    interrupts.dispose();
  }
}

/** The login password as read for a run: known, or undefined (none: logins by key, sudo without). */
export type KnownPassword = { known: string | undefined };

/**
 * The password as a run reads it: from --password-file, from standard input when it is a pipe, or
 * typed at a hidden prompt at a terminal (unless `prompt` is false: the screens ask it themselves,
 * and this gives undefined).
 */
export async function readRunPassword(
  options: { passwordFile?: string },
  io: CommandIo,
  user: string,
  prompt: boolean,
): Promise<KnownPassword | { problem: string } | 'interrupted' | undefined> {
  if (options.passwordFile) {
    const read = readPasswordFile(options.passwordFile);
    if (!read.ok) return { problem: read.message };
    if (read.warning) io.stderr.write(`warning: ${read.warning}\n`);
    return { known: read.password };
  }
  if (!io.stdin.isTTY) {
    const read = await readPasswordFromPipe(io.stdin);
    return { known: read.ok ? read.password : undefined };
  }
  if (!prompt) return undefined;
  const read = await promptPassword(
    io.stdin as ReadStream,
    io.stderr,
    `Password of ${user} on the Pis (for SSH and sudo; not shown, not saved; Enter for none): `,
  );
  if (read === 'interrupted') return read;
  return { known: read.ok ? read.password : undefined };
}

/** The given cluster as the session: the same plan keeps what earlier runs learned. */
function adoptCluster(session: SavedSession | undefined, given: Cluster): SavedSession {
  const shape = (rows: readonly NodeRow[]) =>
    JSON.stringify(rows.map(({ reachAt: _, ...row }) => row));
  const samePlan = session !== undefined && shape(session.rows) === shape(given.rows);
  return {
    schemaVersion: sessionSchemaVersion,
    screen: 'confirm',
    settings: given.settings,
    rows: samePlan && session ? session.rows : given.rows,
    rowsEdited: false,
    ...(samePlan && session?.run ? { run: session.run } : {}),
  };
}

/** --discover: where each planned Pi answers now, found as `discover --assign` finds it. */
async function discoverReachAt(cluster: Cluster, io: CommandIo): Promise<NodeRow[] | string> {
  const found = await findWhereRowsAnswer(cluster.settings, cluster.rows, cluster.rows, io);
  if (typeof found === 'string') return found;
  return cluster.rows.map((row) => ({
    ...row,
    reachAt: found.get(row.index)?.address ?? row.reachAt,
  }));
}

/**
 * Where the Pis of `wanted` answer now, and what answered there (its host key): a scan of the
 * cluster's subnet (members already at their static address keep their rows; the others get the
 * machines found, in address order), or why not.
 */
export async function findWhereRowsAnswer(
  settings: ClusterSettings,
  rows: readonly NodeRow[],
  wanted: readonly NodeRow[],
  io: CommandIo,
): Promise<Map<number, FoundMachine> | string> {
  const range = parseScanRange(settings.subnet);
  if (!range.ok) return `--discover cannot scan ${settings.subnet}: ${range.message}`;
  io.stderr.write(
    `Looking for the Pis answering SSH in ${range.value.subnet} (${range.value.addresses.length} addresses; no password is sent)…\n`,
  );
  const interrupts = catchInterrupts();
  try {
    const scan = await runDiscovery(range.value.addresses, rows, {
      signal: interrupts.signal,
    });
    if (scan.stopped) return 'Stopped before every address was probed: nothing was run.';
    const missing = wanted.filter((row) => !scan.suggestion.has(row.index));
    if (missing.length > 0) {
      return `--discover found ${scan.machines.length} machine${scan.machines.length === 1 ? '' : 's'} answering SSH in ${range.value.subnet}, but none for ${missing.map((row) => `Pi ${row.index} (${row.hostname})`).join(', ')}: check that every Pi is powered, on this network, with SSH enabled, or say where each answers with --reach-at ADDR,ADDR,…`;
    }
    return new Map(
      wanted.map((row) => {
        const address = scan.suggestion.get(row.index)!;
        return [row.index, scan.machines.find((machine) => machine.address === address)!];
      }),
    );
  } finally {
    interrupts.dispose();
  }
}

function loadClusterFile(path: string): Cluster | string {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return `Cannot read the cluster file ${path}: ${(error as Error).message}`;
  }
  const object = (data ?? {}) as { settings?: unknown; rows?: unknown };
  const withRows = Array.isArray(object.rows) && object.rows.length > 0;
  // Checked by the same reader as a saved session, so a file can never hold more than a session.
  const read = readSavedSession({
    schemaVersion: sessionSchemaVersion,
    screen: 'confirm',
    settings: object.settings,
    rows: withRows ? object.rows : [],
    rowsEdited: false,
  });
  if (read.kind !== 'ok')
    return `The cluster file ${path} is not usable: ${read.kind === 'invalid' ? read.reason : 'unknown format'}`;
  const { settings } = read.session;
  const problems = validateSettings(settings);
  if (problems.length > 0) {
    return `The cluster file ${path} is not usable:\n${problems.map((issue) => `  - ${describeIssue(issue)}`).join('\n')}`;
  }
  return { settings, rows: withRows ? read.session.rows : planCluster(settings) };
}

export function describeIssue(issue: ValidationIssue): string {
  return issue.scope === 'settings' ? `${issue.field}: ${issue.message}` : issue.message;
}

export function ask(io: CommandIo, question: string): Promise<string | 'interrupted'> {
  return promptLine(io.stdin as ReadStream, io.stderr, question, { hidden: false }).then(
    (answer) => (answer === 'interrupted' ? answer : answer.trim()),
  );
}
