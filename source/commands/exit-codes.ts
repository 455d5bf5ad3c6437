// The one table of exit codes (the README's), and how a run's outcome maps onto it. Every command
// ends through these; nothing else writes a number.
import type { RunOutcome } from '../engine/journaled-run.js';

export type InterruptSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export const exitCodes = {
  /** Everything asked for was done (a dry run: planned). */
  done: 0,
  /** Stopped without doing what was asked: the person said no, nothing planned, a save failed. */
  notDone: 1,
  /** The command line was wrong, or a terminal was needed and there is none. */
  usage: 2,
  /** Some Pis failed; the others finished. */
  nodesFailed: 3,
  /** Ended by a closed terminal (SIGHUP), Ctrl+C (SIGINT) or a kill (SIGTERM): 128 + the signal. */
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

/** The code a run ends with; `interruptedBy` is the signal (or Ctrl+C key) that stopped it. */
export function runExitCode(outcome: RunOutcome, interruptedBy?: InterruptSignal): number {
  if (outcome.masterRebooting) return exitCodes.done;
  if (outcome.interrupted) return exitCodes[interruptedBy ?? 'SIGINT'];
  if (outcome.failedNodes.length > 0) return exitCodes.nodesFailed;
  return exitCodes.done;
}

/** The code exec, shutdown and reboot end with, from their failed nodes and any interrupt. */
export function nodesExitCode(
  failedNodes: readonly string[],
  interruptedBy?: InterruptSignal,
): number {
  if (interruptedBy) return exitCodes[interruptedBy];
  return failedNodes.length > 0 ? exitCodes.nodesFailed : exitCodes.done;
}
