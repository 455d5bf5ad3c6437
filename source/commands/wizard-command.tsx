// The wizard (no command): one Ink root from the welcome screen to the end of the run. Opens the
// session file, makes the store, hands the root `startRun` (this command starts the engine, the
// screens only draw it), and maps how it ended to an exit code.
import { type Instance, render } from 'ink';
import type { WizardOptions } from '../command-line/parse-command-line.js';
import { readMasterNetwork } from '../discovery/master-network.js';
import type { RunOutcome } from '../engine/journaled-run.js';
import { App } from '../screens/App.js';
import { sessionRunJournal } from '../session/run-journal.js';
import { openSessionFile } from '../session/session-file.js';
import { guideStepIds } from '../steps/step.js';
import { createAppStore } from '../store/app-store.js';
import { persistSession, toSavedSession } from '../store/persist-session.js';
import type { RunStore } from '../store/run-store.js';
import { discoveryWork } from './discovery-work.js';
import { exitCodes } from './exit-codes.js';
import { catchInterrupts } from './interrupts.js';
import { afterScreensRun, startRunOnScreens } from './run-on-screens.js';

export async function wizardCommand(
  options: WizardOptions,
  out: NodeJS.WriteStream = process.stdout,
): Promise<number> {
  const session = openSessionFile({ sessionName: options.sessionName, fresh: options.fresh });
  // A new plan starts from the master's own network (this is the master), not the guide's.
  const networkDefaults = await readMasterNetwork();
  const store = createAppStore({
    ...(session.saved ? { saved: session.saved } : {}),
    ...(session.notice ? { sessionNotice: session.notice } : {}),
    dryRun: options.dryRun,
    ...(networkDefaults ? { networkDefaults } : {}),
  });
  const stopPersisting = persistSession(store, session);
  let instance: Instance | undefined;
  let runStore: RunStore | undefined;
  let run: Promise<RunOutcome> | undefined;
  const interrupts = catchInterrupts({
    // A closed terminal or a kill ends the screens like Ctrl+C: the session is already saved.
    onInterrupt: (signal) => {
      if (runStore) runStore.getState().stop();
      else {
        store.getState().finish({ kind: 'interrupted', signal });
        // Should the screens not come down (a terminal that is gone), do not linger without one.
        setTimeout(() => process.exit(exitCodes[signal]), 2000).unref();
      }
    },
    beforeQuit: () => instance?.unmount(),
  });

  const startRun = (password: string | undefined): RunStore => {
    // From here the run's journal keeps the session; the screens' answers are final.
    stopPersisting();
    const state = store.getState();
    const journal = sessionRunJournal(session, toSavedSession(state), (problem) =>
      store.setState({ saveProblem: problem }),
    );
    const started = startRunOnScreens(
      {
        journal,
        steps: [...guideStepIds],
        dryRun: state.dryRun,
        fixClonedCards: false,
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        ...(password === undefined ? {} : { password }),
      },
      interrupts,
      { instance: () => instance, out },
    );
    runStore = started.store;
    run = started.outcome;
    return started.store;
  };

  try {
    instance = render(
      <App
        store={store}
        discovery={discoveryWork}
        startRun={startRun}
        onForceQuit={() => interrupts.interrupt('SIGINT')}
      />,
      { exitOnCtrlC: false, maxFps: 15 },
    );
    await instance.waitUntilExit();
    if (run) return afterScreensRun(await run, interrupts, out);
  } finally {
    stopPersisting();
    interrupts.dispose();
  }

  const { outcome, screen, saveProblem } = store.getState();
  const lines: string[] = [];
  if (outcome?.kind === 'interrupted') lines.push('Stopped.');
  const again = `npx pi-cluster-wizard${options.sessionName === 'default' ? '' : ` --session ${options.sessionName}`}`;
  if (saveProblem) lines.push(saveProblem);
  else if (screen !== 'welcome' || session.saved) {
    lines.push(`Your session is saved in ${session.path}. Run ${again} again to resume.`);
  }
  out.write(`${lines.join('\n')}\n`);
  return outcome?.kind === 'interrupted' ? exitCodes[outcome.signal] : exitCodes.done;
}
