// A run drawn by the Ink screens: the command starts the journaled run, its events go into the run
// store, the engine's questions (a failed node, cloned cards) are answered on screen. Used by `run`
// at a terminal (a root of its own, asking its question and the password first) and by the wizard
// (inside its one root, after the password).
import { type Instance, render } from 'ink';
import type { JournaledRunOptions, RunOutcome } from '../engine/journaled-run.js';
import { runJournaled } from '../engine/journaled-run.js';
import { endOfRunLines, masterRebootLines } from '../reporters/run-summary.js';
import { StartRun } from '../screens/StartRun.js';
import { createRunStore, type RunStore } from '../store/run-store.js';
import { exitCodes, runExitCode } from './exit-codes.js';
import { catchInterrupts, type Interrupts } from './interrupts.js';

export type ScreensRunOptions = Omit<
  JournaledRunOptions,
  'onEvent' | 'decideOnFailure' | 'askFixClonedCards' | 'signal'
>;

export interface ScreensRun {
  store: RunStore;
  outcome: Promise<RunOutcome>;
}

/**
 * Starts the run for the screens. When the master is about to reboot itself the screens come down
 * and the way to resume is printed below them, since this process may not outlive the reboot.
 */
export function startRunOnScreens(
  options: ScreensRunOptions,
  interrupts: Interrupts,
  screens: { instance: () => Pick<Instance, 'unmount'> | undefined; out: NodeJS.WritableStream },
): ScreensRun {
  const store = createRunStore({
    steps: options.steps,
    nodes: options.journal.rows.map((row) => row.hostname),
    user: options.journal.settings.user,
    dryRun: options.dryRun,
    onStop: () => interrupts.stop('SIGINT'),
  });
  const outcome = runJournaled({
    ...options,
    signal: interrupts.signal,
    decideOnFailure: (failure) => store.getState().askFailure(failure),
    askFixClonedCards: (groups) => store.getState().askClonedCards(groups),
    onEvent: (event) => {
      store.getState().apply(event);
      if (event.type === 'master-rebooting') {
        const lines = masterRebootLines({
          user: options.journal.settings.user,
          address: event.address,
        });
        store.getState().say(lines);
        const instance = screens.instance();
        if (instance) leaveScreensForReboot(instance, lines, screens.out);
      }
    },
  }).then((ended) => {
    store.getState().finish(ended, endOfRunLines(ended));
    return ended;
  });
  return { store, outcome };
}

/** What stays in the scrollback once the screens are down; returns the exit code. */
export function afterScreensRun(
  outcome: RunOutcome,
  interrupts: Interrupts,
  out: NodeJS.WritableStream,
): number {
  if (!outcome.masterRebooting) {
    // The table truncates long messages: the failures in full, where the scrollback keeps them.
    for (const report of outcome.reports.filter((each) => each.status === 'failed'))
      out.write(`${report.step} ${report.node} FAILED ${report.summary}\n`);
    // A dry run's plan stayed until the person quit it; say how it ended below it.
    if (outcome.dryRun) out.write(`\n${endOfRunLines(outcome).join('\n')}\n`);
  }
  return runExitCode(outcome, interrupts.by);
}

/** Leaves the screens and says how to resume, before the master's reboot may end this process. */
function leaveScreensForReboot(
  instance: Pick<Instance, 'unmount'>,
  lines: string[],
  out: NodeJS.WritableStream,
): void {
  instance.unmount();
  out.write(`\n${lines.join('\n')}\n`);
}

/** What `run` settles on screen before the run: its question, and the password unless known. */
export interface BeforeScreensRun {
  question?: string;
  password?: { known: string | undefined };
}

/**
 * `run` at a terminal: one Ink root asks the question and the password (masked), then draws the
 * run. Returns the exit code.
 */
export async function runOnScreens(
  options: Omit<ScreensRunOptions, 'password'>,
  before: BeforeScreensRun,
  out: NodeJS.WriteStream = process.stdout,
): Promise<number> {
  let instance: Instance | undefined;
  let store: RunStore | undefined;
  let outcome: Promise<RunOutcome> | undefined;
  // Said no to the question; otherwise no run means an interrupt (a key or a signal).
  let declined = false;
  const interrupts = catchInterrupts({
    onInterrupt: () => {
      if (store) store.getState().stop();
      else instance?.unmount();
    },
    beforeQuit: () => instance?.unmount(),
  });
  try {
    const startRun = (password: string | undefined): RunStore => {
      const run = startRunOnScreens(
        { ...options, ...(password === undefined ? {} : { password }) },
        interrupts,
        { instance: () => instance, out },
      );
      store = run.store;
      outcome = run.outcome;
      return run.store;
    };
    instance = render(
      <StartRun
        user={options.journal.settings.user}
        dryRun={options.dryRun}
        {...before}
        startRun={startRun}
        onCancel={(why) => {
          declined = why === 'declined';
          instance?.unmount();
        }}
        onForceQuit={() => interrupts.interrupt('SIGINT')}
      />,
      { exitOnCtrlC: false, maxFps: 15 },
    );
    await instance.waitUntilExit();
    if (outcome) return afterScreensRun(await outcome, interrupts, out);
    if (declined) {
      process.stderr.write('Nothing was changed.\n');
      return exitCodes.notDone;
    }
    return interrupts.exitCode ?? exitCodes.SIGINT;
  } finally {
    interrupts.dispose();
  }
}
