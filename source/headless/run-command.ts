// `pi-cluster-wizard run` and `status`: load the cluster (saved session or --cluster file), check it,
// get the password, run the steps with plain lines, and map the outcome to an exit code.
import { readFileSync } from 'node:fs';
import type { ReadStream } from 'node:tty';
import type { StepsOptions } from '../command-line/parse-command-line.js';
import { planSteps } from '../engine/carried-steps.js';
import {
  type ClusterSettings,
  type NodeRow,
  planCluster,
  type ValidationIssue,
  validateRows,
  validateSettings,
} from '../plan/plan-cluster.js';
import { sessionRunJournal } from '../session/run-journal.js';
import {
  readSavedSession,
  type SavedSession,
  sessionSchemaVersion,
} from '../session/saved-session.js';
import { openSessionFile } from '../session/session-file.js';
import { stepIds } from '../steps/step.js';
import {
  promptLine,
  promptPassword,
  readPasswordFile,
  readPasswordFromPipe,
} from './read-password.js';
import { runExitCodes, runHeadless } from './run-headless.js';

export interface CommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const processIo: CommandIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
};

export async function runStepsCommand(
  options: StepsOptions,
  io: CommandIo = processIo,
): Promise<number> {
  const fail = (message: string) => {
    io.stderr.write(`${message}\n`);
    return runExitCodes.usage;
  };
  const sessionFile = openSessionFile({ sessionName: options.sessionName });
  if (sessionFile.notice) io.stderr.write(`${sessionFile.notice}\n`);

  let session: SavedSession | undefined = sessionFile.saved;
  if (options.clusterFile) {
    const loaded = loadClusterFile(options.clusterFile);
    if (typeof loaded === 'string') return fail(loaded);
    // The same plan keeps what earlier runs learned; a different one starts a new run state.
    const samePlan =
      session &&
      JSON.stringify(session.rows.map(({ reachAt: _, ...row }) => row)) ===
        JSON.stringify(loaded.rows.map(({ reachAt: _, ...row }) => row));
    session = {
      schemaVersion: sessionSchemaVersion,
      screen: 'confirm',
      settings: loaded.settings,
      rows: samePlan && session ? session.rows : loaded.rows,
      rowsEdited: false,
      ...(samePlan && session?.run ? { run: session.run } : {}),
    };
  }
  if (!session || session.rows.length === 0) {
    return fail(
      'No cluster is planned in this session yet: run pi-cluster-wizard in a terminal first (it saves the lookup table), or pass --cluster FILE.',
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
  if (options.clusterFile) {
    const problem = sessionFile.save(session);
    if (problem) io.stderr.write(`${problem}\n`);
  }
  const names = new Set(session.rows.map((row) => row.hostname));
  const unknown = (options.nodes ?? []).filter((node) => !names.has(node));
  if (unknown.length > 0) {
    return fail(
      `No node called ${unknown.join(', ')} in this cluster. The nodes are: ${[...names].join(', ')}.`,
    );
  }

  const interactive = Boolean(io.stdin.isTTY);
  if (!options.dryRun && !options.yes) {
    if (!interactive) {
      return fail(
        'run changes the Pis: add --yes to run it without a terminal (or --dry-run to see the plan).',
      );
    }
    const targets = options.nodes?.join(', ') ?? `all ${session.rows.length} Pis`;
    // Steps a step for some nodes carries on through (keys → fan-in, fan-out, known-hosts).
    const names = session.rows.map((row) => row.hostname);
    const carried = planSteps(options.steps, new Set(options.nodes ?? names), names).steps.filter(
      (step) => !options.steps.includes(step),
    );
    const then = carried.length > 0 ? `, then ${carried.join(', ')} where needed` : '';
    const answer = await ask(io, `Run ${options.steps.join(', ')} on ${targets}${then}? [y/N] `);
    if (answer === 'interrupted') return runExitCodes.interrupted;
    if (!/^y(es)?$/i.test(answer)) {
      io.stderr.write('Nothing was changed.\n');
      return 1;
    }
  }

  let password: string | undefined;
  if (options.passwordFile) {
    const read = readPasswordFile(options.passwordFile);
    if (!read.ok) return fail(read.message);
    if (read.warning) io.stderr.write(`warning: ${read.warning}\n`);
    password = read.password;
  } else if (!interactive) {
    const read = await readPasswordFromPipe(io.stdin);
    if (read.ok) password = read.password;
  } else {
    const read = await promptPassword(
      io.stdin as ReadStream,
      io.stderr,
      `Password of ${session.settings.user} on the Pis (for SSH and sudo; not shown, not saved; Enter for none): `,
    );
    if (read === 'interrupted') return runExitCodes.interrupted;
    if (read.ok) password = read.password;
  }

  const journal = sessionRunJournal(sessionFile, session, (problem) =>
    io.stderr.write(`${problem}\n`),
  );
  const run = {
    journal,
    steps: options.steps,
    ...(options.nodes ? { nodes: options.nodes } : {}),
    dryRun: options.dryRun,
    fixClonedCards: options.fixClonedCards,
    ...(password === undefined ? {} : { password }),
  };
  const screens =
    options.screens ??
    (interactive && Boolean((io.stdout as { isTTY?: boolean }).isTTY) && !options.yes);
  if (screens) {
    const { runWithScreens } = await import('../app/run-with-screens.js');
    return runWithScreens(run);
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(runExitCodes.interrupted);
    io.stderr.write(
      '\nStopping: work in flight finishes, then the session is saved (Ctrl+C again to quit now).\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    return await runHeadless({
      ...run,
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
      out: io.stdout as never,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** `status`: the saved table and each node's last result per step, without connecting anywhere. */
export function statusCommand(sessionName: string, io: CommandIo = processIo): number {
  const sessionFile = openSessionFile({ sessionName });
  if (sessionFile.notice) io.stderr.write(`${sessionFile.notice}\n`);
  const session = sessionFile.saved;
  if (!session || session.rows.length === 0) {
    io.stdout.write(`No cluster is planned in ${sessionFile.path} yet.\n`);
    return 1;
  }
  const results = session.run?.results ?? {};
  const steps = stepIds.filter((step) => results[step]);
  const header = ['Pi', 'hostname', 'static IP', 'reach it now at', ...steps];
  const lines = session.rows.map((row) => [
    String(row.index),
    row.hostname,
    row.address,
    row.reachAt,
    ...steps.map((step) => results[step]?.[row.hostname] ?? '-'),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  io.stdout.write(`${[format(header), ...lines.map(format)].join('\n')}\n`);
  const pending = session.run?.memory.rebootPending ?? [];
  if (pending.length > 0) io.stdout.write(`Waiting for a reboot: ${pending.join(', ')}\n`);
  if (steps.length === 0) io.stdout.write('No step has run yet: pi-cluster-wizard run all\n');
  io.stdout.write(`Session: ${sessionFile.path}\n`);
  return 0;
}

function loadClusterFile(path: string): { settings: ClusterSettings; rows: NodeRow[] } | string {
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

function describeIssue(issue: ValidationIssue): string {
  return issue.scope === 'settings' ? `${issue.field}: ${issue.message}` : issue.message;
}

function ask(io: CommandIo, question: string): Promise<string | 'interrupted'> {
  return promptLine(io.stdin as ReadStream, io.stderr, question, { hidden: false }).then(
    (answer) => (answer === 'interrupted' ? answer : answer.trim()),
  );
}
