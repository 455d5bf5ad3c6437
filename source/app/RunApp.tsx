// The run's root: the run screens until the run ends (or, for a dry run, until the person has read
// the plan), and the only exit().
import { useApp } from 'ink';
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { RunScreen } from '../screens/run/RunScreen.js';
import type { RunStore } from '../store/run-store.js';

export function RunApp({ store, onForceQuit }: { store: RunStore; onForceQuit: () => void }) {
  const { exit } = useApp();
  const outcome = useStore(store, (state) => state.view.outcome);
  const dryRun = useStore(store, (state) => state.view.dryRun);
  useEffect(() => {
    // A dry run's plan stays until the person has read it (q).
    if (outcome && !(dryRun && !outcome.interrupted)) exit();
  }, [outcome, dryRun, exit]);
  return <RunScreen store={store} isActive onQuit={exit} onForceQuit={onForceQuit} />;
}
