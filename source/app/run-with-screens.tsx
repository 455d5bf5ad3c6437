// The run with the Ink screens: the same journaled run as the plain lines, its events into the run
// store, the engine's questions (a failed node, cloned cards) answered on screen. Returns the exit
// code once the screens are down and the terminal is restored.
import { render } from 'ink';
import {
  endOfRunLines,
  type JournaledRunOptions,
  masterRebootLines,
  runExitCodes,
  runJournaled,
} from '../engine/journaled-run.js';
import { createRunStore } from '../store/run-store.js';
import { RunApp } from './RunApp.js';

export type ScreensRunOptions = Omit<
  JournaledRunOptions,
  'onEvent' | 'decideOnFailure' | 'askFixClonedCards' | 'signal'
>;

const closingSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function runWithScreens(
  options: ScreensRunOptions,
  out: NodeJS.WriteStream = process.stdout,
): Promise<number> {
  const controller = new AbortController();
  const store = createRunStore({
    steps: options.steps,
    nodes: options.journal.rows.map((row) => row.hostname),
    user: options.journal.settings.user,
    dryRun: options.dryRun,
    onStop: () => controller.abort(),
  });
  const instance = render(
    <RunApp
      store={store}
      onForceQuit={() => {
        instance.unmount();
        process.exit(runExitCodes.interrupted);
      }}
    />,
    { exitOnCtrlC: false, maxFps: 15 },
  );
  // A closed terminal or a kill stops the run like Ctrl+C: work in flight finishes, it is saved.
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(runExitCodes.interrupted);
    store.getState().stop();
  };
  for (const signal of closingSignals) process.on(signal, onSignal);
  try {
    const outcome = await runJournaled({
      ...options,
      signal: controller.signal,
      decideOnFailure: (failure) => store.getState().askFailure(failure),
      askFixClonedCards: (groups) => store.getState().askClonedCards(groups),
      onEvent: (event) => {
        store.getState().apply(event);
        // The master's reboot may end this process: leave the terminal as it was before it does,
        // and say how to resume in plain lines (the screens would not draw again in time).
        if (event.type === 'master-rebooting') {
          instance.unmount();
          const user = options.journal.settings.user;
          out.write(`\n${masterRebootLines({ user, address: event.address }).join('\n')}\n`);
        }
      },
    });
    store.getState().finish(outcome);
    await instance.waitUntilExit();
    // The table truncates long messages: the failures in full, where the scrollback keeps them.
    for (const report of outcome.reports.filter((each) => each.status === 'failed'))
      out.write(`${report.step} ${report.node} FAILED ${report.summary}\n`);
    // The plan stayed until the person quit it; say how it ended below it.
    if (outcome.dryRun) out.write(`\n${endOfRunLines(outcome).join('\n')}\n`);
    return outcome.exitCode;
  } finally {
    for (const signal of closingSignals) process.off(signal, onSignal);
  }
}
