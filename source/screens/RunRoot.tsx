// The run screens as a root of their own (`run` at a terminal) or inside the wizard's root: until
// the run ends (or, for a dry run, until the person has read the plan), then exit().
import { useApp } from 'ink';
import { useEffect } from 'react';
import { useStore } from 'zustand';
import type { RunStore } from '../store/run-store.js';
import { RunScreen } from './run/RunScreen.js';

export function RunRoot({ store, onForceQuit }: { store: RunStore; onForceQuit: () => void }) {
  const { exit } = useApp();
  const outcome = useStore(store, (state) => state.view.outcome);
  const dryRun = useStore(store, (state) => state.view.dryRun);
  useEffect(() => {
    // A dry run's plan stays until the person has read it (q).
    if (outcome && !(dryRun && !outcome.interrupted)) exit();
  }, [outcome, dryRun, exit]);
  return <RunScreen store={store} isActive onQuit={exit} onForceQuit={onForceQuit} />;
}
