// The one planner: from what each step declares (what it needs, what it reads, what a run of it for
// some nodes carries on through), the steps a run makes, in the guide's order; on which nodes each
// changes and on which it only reads; and after what it may start. The plan can be printed before
// anything runs (run --show-plan); the engine walks it, each node moving on by itself.
//
// Carried steps: a key pair made again for worker3 (its ~/.ssh was wiped, say) is no use until it
// is in the master's authorized_keys and every worker's, and worker3 trusts every host key again:
// so `run keys --node worker3` goes on through fan-in (the master), fan-out (every worker) and
// known-hosts (worker3). Each of them changes only what differs, so the other nodes gain worker3's
// new key and nothing else.
import type { NodeRow } from '../plan/plan-cluster.js';
import type { StepBook } from '../steps/all-steps.js';
import { type ClusterContext, type StepId, type StepNeed, stepIds } from '../steps/step.js';

export interface PlannedStep {
  id: StepId;
  /** The nodes it may change (the nodes it reports on). */
  change: ReadonlySet<string>;
  /** The nodes it only reads, quietly: a step in the plan reads what it learns there. */
  check: ReadonlySet<string>;
  /** Steps that finish on every node before this one starts on any. */
  after: readonly StepId[];
  /** Set for a step carried on from one chosen for some nodes: it runs once `when` holds. */
  carried?: { by: StepId; when: (cluster: ClusterContext) => boolean; whenSaid: string };
  /** The steps that read what it learns, when that is why it is in the plan. */
  readBy: readonly StepId[];
}

export interface RunPlan {
  steps: readonly PlannedStep[];
}

interface Entry {
  change: Set<string>;
  check: Set<string>;
  carried?: PlannedStep['carried'];
  readBy: Set<StepId>;
}

/** Every step needs the facts preflight reads on every node. */
const preflightNeed: StepNeed = { step: 'preflight', on: 'every node', reads: true };

function stepNeeds(book: StepBook, id: StepId): readonly StepNeed[] {
  if (id === 'preflight') return [];
  const declared = id === 'reboot' ? [] : (book.byId[id].needs ?? []);
  return [preflightNeed, ...declared];
}

/**
 * The chosen steps on the chosen nodes; when only some nodes are chosen, the steps those carry on
 * through (unless chosen already); and, check-only, every step whose findings a planned step reads.
 */
export function planRun(
  book: StepBook,
  chosenSteps: readonly StepId[],
  chosenNodes: ReadonlySet<string>,
  rows: readonly NodeRow[],
): RunPlan {
  const everyNode = rows.map((row) => row.hostname);
  const applying = (id: StepId, nodes: Iterable<string>) => {
    const applies = id === 'reboot' ? undefined : book.byId[id].appliesTo;
    const wanted = new Set(nodes);
    return new Set(
      rows
        .filter((row) => wanted.has(row.hostname) && (applies?.(row) ?? true))
        .map((row) => row.hostname),
    );
  };
  const entries = new Map<StepId, Entry>();
  for (const id of chosenSteps) {
    // Preflight reads every node whichever are chosen: every step needs every node's facts.
    const nodes = id === 'preflight' ? everyNode : chosenNodes;
    entries.set(id, { change: applying(id, nodes), check: new Set(), readBy: new Set() });
  }
  if (everyNode.some((node) => !chosenNodes.has(node))) {
    for (const id of chosenSteps) {
      const carries = id === 'reboot' ? undefined : book.byId[id].carries;
      for (const next of carries?.next ?? []) {
        if (entries.has(next.step)) continue;
        entries.set(next.step, {
          change: applying(next.step, next.on === 'every node' ? everyNode : chosenNodes),
          check: new Set(),
          carried: { by: id, when: carries!.when, whenSaid: carries!.whenSaid },
          readBy: new Set(),
        });
      }
    }
  }
  // What a planned step reads is learnt on every node, check-only where it is not changed; and
  // what that step reads in turn.
  const pending = [...entries.keys()];
  while (pending.length > 0) {
    const id = pending.pop()!;
    for (const need of stepNeeds(book, id)) {
      if (!need.reads) continue;
      let entry = entries.get(need.step);
      if (!entry) {
        entry = { change: new Set(), check: new Set(), readBy: new Set() };
        entries.set(need.step, entry);
        pending.push(need.step);
      }
      entry.readBy.add(id);
      for (const node of applying(need.step, everyNode))
        if (!entry.change.has(node)) entry.check.add(node);
    }
  }
  const ordered = stepIds.filter((id) => entries.has(id));
  const rebootAt = ordered.indexOf('reboot');
  return {
    steps: ordered.map((id, index) => {
      const entry = entries.get(id)!;
      const after = new Set(
        stepNeeds(book, id)
          .filter((need) => need.on === 'every node' && entries.has(need.step))
          .map((need) => need.step),
      );
      // The master reboots last and its reboot ends the run: nothing after it starts before it.
      if (rebootAt >= 0 && index > rebootAt) after.add('reboot');
      // A carried step waits for what carries it on every node: `when` reads what that learnt.
      if (entry.carried) after.add(entry.carried.by);
      return {
        id,
        change: entry.change,
        check: entry.check,
        after: ordered.filter((each) => after.has(each)),
        ...(entry.carried ? { carried: entry.carried } : {}),
        readBy: ordered.filter((each) => entry.readBy.has(each)),
      };
    }),
  };
}

/** The steps the plan adds to the chosen ones (carried on through), for the confirmation question. */
export function carriedSteps(plan: RunPlan): StepId[] {
  return plan.steps.filter((step) => step.carried).map((step) => step.id);
}

/** The plan in words, one line per step, for `run --show-plan` and the dry run. */
export function describePlan(plan: RunPlan, rows: readonly NodeRow[]): string[] {
  const master = rows[0]?.hostname;
  const names = (nodes: ReadonlySet<string>) => {
    if (nodes.size === rows.length) return 'every node';
    const workers = rows.filter((row) => row.index !== 0);
    if (
      master !== undefined &&
      !nodes.has(master) &&
      workers.length > 1 &&
      workers.every((row) => nodes.has(row.hostname))
    )
      return 'every worker';
    return rows
      .filter((row) => nodes.has(row.hostname))
      .map((row) => row.hostname)
      .join(', ');
  };
  const width = Math.max(...plan.steps.map((step) => step.id.length));
  return [
    'The plan: preflight first on every node, then each node moves on to its next step as soon as what that step needs is done.',
    ...plan.steps.map((step) => {
      const parts: string[] = [];
      if (step.id === 'reboot') {
        const workers = new Set([...step.change].filter((node) => node !== master));
        if (workers.size > 0)
          parts.push(`${names(workers)}, each once its own network steps are done, all at once`);
        if (master !== undefined && step.change.has(master))
          parts.push(`${master} last, once every worker has (its reboot ends the run)`);
        parts.push('only nodes whose new address or name is not running yet');
      } else if (step.change.size > 0) parts.push(names(step.change));
      if (step.check.size > 0)
        parts.push(
          `${step.change.size > 0 ? 'only read on ' : 'read on '}${names(step.check)} (${
            step.id === 'preflight'
              ? 'every step needs its facts'
              : `${step.readBy.join(', ')} ${step.readBy.length === 1 ? 'reads' : 'read'} it`
          })`,
        );
      if (step.carried) parts.push(`carried on from ${step.carried.by}, ${step.carried.whenSaid}`);
      const after = step.after.filter((id) => id !== 'preflight');
      if (after.length > 0) parts.push(`after ${after.join(', ')} on every node`);
      return `  ${step.id.padEnd(width)}  ${parts.join('; ')}`;
    }),
  ];
}
