// One step on one node, the way every step runs: check (plan), apply, then a second check that
// must find nothing left to do, and the step's own verification.
import type { NodeStep, PlannedChange, StepReport } from '../steps/step.js';
import { StepFailure, StepWork } from '../steps/step.js';
import { formatFailure } from '../transport/errors.js';

/** Runs one step on one node: plan (check), apply, then verify that a second check finds nothing. */
export async function runNodeStep(
  step: NodeStep,
  work: StepWork,
): Promise<Omit<StepReport, 'step' | 'node'>> {
  const name = work.row.hostname;
  try {
    await step.run(work);
    if (work.checkOnly) {
      const count = work.changes.length;
      const said = [
        ...(count === 0 ? [] : [`would make ${count} change${count === 1 ? '' : 's'}`]),
        ...work.notes,
      ];
      const summary = `${name}: ${said.length > 0 ? said.join('; ') : 'already as it should be'}`;
      return { status: count === 0 ? 'ok' : 'changed', summary, changes: work.changes };
    }
    if (work.changes.length > 0) {
      const recheck = new StepWork(work.connection, work.row, work.cluster, true);
      await step.run(recheck);
      if (recheck.changes.length > 0) {
        throw new StepFailure(
          `${name}: still differs after applying: ${recheck.changes.map(describeChange).join('; ')}`,
          `look at the node by hand; the command log lists what ran`,
        );
      }
    }
    await step.verify?.(work);
    const done = work.changes.map(describeChange);
    const said = [...done, ...work.notes];
    const summary = `${name}: ${said.length > 0 ? said.join('; ') : 'already as it should be'}`;
    return { status: work.changes.length === 0 ? 'ok' : 'changed', summary, changes: work.changes };
  } catch (error) {
    if (error instanceof StepFailure) {
      return {
        status: 'failed',
        summary: formatFailure({ message: error.message, nextStep: error.nextStep }),
        changes: work.changes,
      };
    }
    throw error;
  }
}

export function describeChange(change: PlannedChange): string {
  return change.kind === 'file' ? `wrote ${change.change.path}` : change.description;
}
