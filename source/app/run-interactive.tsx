// The interactive run: open the session file, make the store, draw the screens until the root
// exits, then say what happened and where the session is. Returns the exit code.
import { render } from 'ink';
import type { WizardOptions } from '../command-line/parse-command-line.js';
import { persistSession } from '../session/persist-session.js';
import { openSessionFile } from '../session/session-file.js';
import { createAppStore } from '../store/app-store.js';
import { App, interruptedExitCode } from './App.js';

const signalExitCodes = { SIGHUP: 129, SIGTERM: 143 } as const;

export async function runInteractive(
  options: WizardOptions,
): Promise<{ exitCode: number; startRun: boolean }> {
  const session = openSessionFile({ sessionName: options.sessionName, fresh: options.fresh });
  const store = createAppStore({
    ...(session.saved ? { saved: session.saved } : {}),
    ...(session.notice ? { sessionNotice: session.notice } : {}),
    dryRun: options.dryRun,
  });
  const stopPersisting = persistSession(store, session);
  // A closed terminal or a kill ends the run like Ctrl+C: the session is already saved.
  const onSignal = (signal: keyof typeof signalExitCodes) => {
    store.getState().finish({ exitCode: signalExitCodes[signal] });
    // Should the screens not come down (a terminal that is gone), do not linger without one.
    setTimeout(() => process.exit(signalExitCodes[signal]), 2000).unref();
  };
  for (const signal of Object.keys(signalExitCodes) as Array<keyof typeof signalExitCodes>) {
    process.on(signal, onSignal);
  }

  const instance = render(<App store={store} />, { exitOnCtrlC: false, maxFps: 15 });
  try {
    await instance.waitUntilExit();
  } finally {
    stopPersisting();
    for (const signal of Object.keys(signalExitCodes) as Array<keyof typeof signalExitCodes>) {
      process.off(signal, onSignal);
    }
  }

  const { outcome, screen, saveProblem } = store.getState();
  const exitCode = outcome?.exitCode ?? 0;
  if (outcome?.startRun) return { exitCode, startRun: true };
  const lines: string[] = [];
  if (exitCode === interruptedExitCode) lines.push('Stopped.');
  if (outcome?.message) lines.push(outcome.message);
  const again = `npx pi-cluster-wizard${options.sessionName === 'default' ? '' : ` --session ${options.sessionName}`}`;
  if (saveProblem) lines.push(saveProblem);
  else if (screen !== 'welcome' || session.saved) {
    lines.push(`Your session is saved in ${session.path}. Run ${again} again to resume.`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return { exitCode, startRun: false };
}
