// The one root of the screens, and the only exit(): the wizard one screen at a time under a header,
// then (when the command hands over `startRun`) the password on a masked screen and the run screens
// in the same Ink tree. The screens start no work: `startRun` is the command's, which starts the
// engine and hands back the store the run screens draw.
import { Box, Text, useApp } from 'ink';
import { useEffect } from 'react';
import { useStore } from 'zustand';
import type { AppStore } from '../store/app-store.js';
import type { RunStore } from '../store/run-store.js';
import { ClusterFormScreen } from './cluster-form/ClusterFormScreen.js';
import { ConfirmScreen } from './confirm/ConfirmScreen.js';
import type { DiscoveryWork } from './discovery/discovery-work.js';
import { Header } from './Header.js';
import { ReviewTableScreen } from './review-table/ReviewTableScreen.js';
import { StartRun } from './StartRun.js';
import useKeys from './use-keys.js';
import { WelcomeScreen } from './welcome/WelcomeScreen.js';

export interface AppProps {
  store: AppStore;
  /** Scans and board identification for the discovery screen (the command's I/O). */
  discovery: DiscoveryWork;
  /** Start the run with this password (memory only); without it, Start ends the screens. */
  startRun?: (password: string | undefined) => RunStore;
  /** Ctrl+C a second time while the run is stopping: the command ends the process. */
  onForceQuit?: () => void;
}

export function App({ store, discovery, startRun, onForceQuit = () => {} }: AppProps) {
  const screen = useStore(store, (state) => state.screen);
  const dryRun = useStore(store, (state) => state.dryRun);
  const saveProblem = useStore(store, (state) => state.saveProblem);
  const outcome = useStore(store, (state) => state.outcome);
  const user = useStore(store, (state) => state.settings.user);
  const { exit } = useApp();
  const running = outcome?.kind === 'start-run' && startRun !== undefined;

  useKeys(
    (input, key) => {
      if (key.ctrl && input === 'c')
        store.getState().finish({ kind: 'interrupted', signal: 'SIGINT' });
    },
    { isActive: !running },
  );
  useEffect(() => {
    if (outcome && !running) exit();
  }, [outcome, running, exit]);

  if (running) {
    // A password typed earlier (to identify a board) is used as it is.
    const known = store.getState().secrets.password;
    return (
      <StartRun
        user={user}
        dryRun={dryRun}
        {...(known === undefined ? {} : { password: { known } })}
        startRun={(password) => {
          store.getState().setPassword(password);
          return startRun(password);
        }}
        onCancel={() => store.getState().finish({ kind: 'interrupted', signal: 'SIGINT' })}
        onForceQuit={onForceQuit}
      />
    );
  }
  const isActive = outcome === undefined;
  return (
    <Box flexDirection="column">
      <Header screen={screen} dryRun={dryRun} />
      {screen === 'welcome' ? <WelcomeScreen store={store} isActive={isActive} /> : null}
      {screen === 'cluster-form' ? <ClusterFormScreen store={store} isActive={isActive} /> : null}
      {screen === 'review-table' ? (
        <ReviewTableScreen store={store} discovery={discovery} isActive={isActive} />
      ) : null}
      {screen === 'confirm' ? <ConfirmScreen store={store} isActive={isActive} /> : null}
      {saveProblem ? <Text color="yellow">{saveProblem}</Text> : null}
    </Box>
  );
}
