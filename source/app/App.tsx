// The root: one screen at a time under a header, Ctrl+C for every screen, and the only exit().
import { Box, Text, useApp } from 'ink';
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { ClusterFormScreen } from '../screens/cluster-form/ClusterFormScreen.js';
import { ConfirmScreen } from '../screens/confirm/ConfirmScreen.js';
import { ReviewTableScreen } from '../screens/review-table/ReviewTableScreen.js';
import useKeys from '../screens/use-keys.js';
import { WelcomeScreen } from '../screens/welcome/WelcomeScreen.js';
import type { AppStore } from '../store/app-store.js';
import { Header } from './Header.js';

export const interruptedExitCode = 130;

export function App({ store }: { store: AppStore }) {
  const screen = useStore(store, (state) => state.screen);
  const dryRun = useStore(store, (state) => state.dryRun);
  const saveProblem = useStore(store, (state) => state.saveProblem);
  const outcome = useStore(store, (state) => state.outcome);
  const { exit } = useApp();

  useKeys(
    (input, key) => {
      if (key.ctrl && input === 'c') store.getState().finish({ exitCode: interruptedExitCode });
    },
    { isActive: true },
  );
  useEffect(() => {
    if (outcome) exit();
  }, [outcome, exit]);

  const isActive = outcome === undefined;
  return (
    <Box flexDirection="column">
      <Header screen={screen} dryRun={dryRun} />
      {screen === 'welcome' ? <WelcomeScreen store={store} isActive={isActive} /> : null}
      {screen === 'cluster-form' ? <ClusterFormScreen store={store} isActive={isActive} /> : null}
      {screen === 'review-table' ? <ReviewTableScreen store={store} isActive={isActive} /> : null}
      {screen === 'confirm' ? <ConfirmScreen store={store} isActive={isActive} /> : null}
      {saveProblem ? <Text color="yellow">{saveProblem}</Text> : null}
    </Box>
  );
}
