// Steps that a step run for some nodes only carries on through. A key pair made again for worker3
// (its ~/.ssh was wiped, say) is no use until it is in the master's authorized_keys and every
// worker's, and worker3 trusts every host key again: so `run keys --node worker3` goes on through
// fan-in (the master), fan-out (every worker) and known-hosts (worker3). Each of them changes only
// what differs, so the other nodes gain worker3's new key and nothing else.
import type { NodeStepId } from '../steps/all-steps.js';
import { type ClusterContext, type StepId, stepIds } from '../steps/step.js';

interface Carried {
  step: NodeStepId;
  /** Every node the step applies to, or only the nodes chosen for the run. */
  on: 'every node' | 'chosen nodes';
}

const carries: Partial<Record<StepId, { next: readonly Carried[]; when: Ready }>> = {
  keys: {
    next: [
      { step: 'fan-in', on: 'every node' },
      { step: 'fan-out', on: 'every node' },
      { step: 'known-hosts', on: 'chosen nodes' },
    ],
    // Only once every node has a key: in the middle of a first setup the next steps wait for it.
    when: (cluster) => cluster.rows.every((row) => cluster.publicKeys.has(row.hostname)),
  },
};

type Ready = (cluster: ClusterContext) => boolean;

export interface StepPlan {
  /** The steps to run, in the guide's order. */
  steps: StepId[];
  /** The nodes each step may change. */
  nodesOf(step: StepId): ReadonlySet<string>;
  /** False for a carried step whose time has not come (it is left out of the run). */
  isDue(step: StepId, cluster: ClusterContext): boolean;
}

/**
 * The chosen steps on the chosen nodes and, when only some nodes are chosen, the steps those carry
 * on through (unless chosen already), each on the nodes it must change.
 */
export function planSteps(
  chosenSteps: readonly StepId[],
  chosenNodes: ReadonlySet<string>,
  everyNode: readonly string[],
): StepPlan {
  const nodes = new Map<StepId, ReadonlySet<string>>();
  const due = new Map<StepId, Ready>();
  if (everyNode.some((node) => !chosenNodes.has(node))) {
    for (const step of chosenSteps) {
      const carried = carries[step];
      if (!carried) continue;
      for (const { step: next, on } of carried.next) {
        if (chosenSteps.includes(next) || nodes.has(next)) continue;
        nodes.set(next, on === 'every node' ? new Set(everyNode) : chosenNodes);
        due.set(next, carried.when);
      }
    }
  }
  return {
    steps: stepIds.filter((step) => chosenSteps.includes(step) || nodes.has(step)),
    nodesOf: (step) => nodes.get(step) ?? chosenNodes,
    isDue: (step, cluster) => due.get(step)?.(cluster) ?? true,
  };
}
