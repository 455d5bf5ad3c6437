// A reporter: one consumer of a run's events (plain lines, JSON lines; the Ink screens take the
// same events through the run store). The command picks one and hands it the outcome at the end.
import type { RunOutcome } from '../engine/journaled-run.js';
import type { SetupEvent } from '../engine/run-setup.js';

export interface RunReporter {
  onEvent(event: SetupEvent): void;
  /** The run has ended with this outcome and exit code. */
  end(outcome: RunOutcome, exitCode: number): void;
}

/** What every reporter is told about the run before it starts. */
export interface RunReporterContext {
  out: NodeJS.WritableStream;
  hostnames: readonly string[];
  user: string;
  dryRun: boolean;
}
