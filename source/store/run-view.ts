// What the run screens show, as pure functions of the engine's events: one cell per node and step,
// the public keys on their way into the master, the login matrix, the questions waiting for the
// person, and the outcome. Tested without Ink; the screens only draw it.
import type { RunOutcome } from '../engine/journaled-run.js';
import type { LoginResult, NodeFailure, SetupEvent } from '../engine/run-setup.js';
import { stepsById } from '../steps/all-steps.js';
import {
  type GuideSection,
  type PlannedChange,
  plannedChangeLines,
  type StepId,
  type StepStatus,
  stepIds,
} from '../steps/step.js';

export type CellState = 'waiting' | 'running' | 'retrying' | StepStatus;

export interface NodeCell {
  state: CellState;
  attempt?: number;
  maxAttempts?: number;
  /** While retrying: when the next attempt starts (ms since the epoch). */
  retryAt?: number;
  /** Why the last attempt failed, while retrying. */
  message?: string;
  /** When the node's work on this step began (ms since the epoch). */
  startedAt?: number;
  /** How long the node's work on this step took, once it ended. */
  elapsedMs?: number;
  summary?: string;
  changes?: PlannedChange[];
}

export interface RunView {
  /** The chosen steps, in the guide's order. */
  steps: StepId[];
  /** Every node, master first. */
  nodes: string[];
  /** The login user on every Pi. */
  user: string;
  dryRun: boolean;
  /** The step running now (the last one started). */
  current?: StepId;
  /** Step → node → cell; a step's nodes are those it was started on. */
  cells: Partial<Record<StepId, Record<string, NodeCell>>>;
  stepNodes: Partial<Record<StepId, string[]>>;
  finishedSteps: StepId[];
  /** What the run must tell that is no node's step result (a file it could not change). */
  warnings: string[];
  /** Host keys seen for the first time (and recorded in known_hosts unless a dry run). */
  newHostKeys: Array<{ node: string; keyType: string; fingerprint: string }>;
  /** Each node's public key once known: it travels into the master's authorized_keys. */
  publicKeys: Record<string, { fingerprint: string; comment: string }>;
  /** The login matrix: from → the nodes it tried. */
  logins: Record<string, LoginResult[]>;
  /** Failed nodes waiting for the person's choice, oldest first. */
  failures: NodeFailure[];
  /** Cloned cards found by preflight, waiting for a yes or no. */
  clonedCards?: string[][];
  /** Ctrl+C was pressed: work in flight finishes, then the run ends. */
  stopping: boolean;
  masterRebooting?: { address: string; hostname: string };
  outcome?: RunOutcome;
  /** What the command has the screens say: before the master's reboot, at the end of the run. */
  notice?: string[];
}

export function initialRunView(options: {
  steps: readonly StepId[];
  nodes: readonly string[];
  user: string;
  dryRun: boolean;
}): RunView {
  return {
    steps: [...options.steps],
    nodes: [...options.nodes],
    user: options.user,
    dryRun: options.dryRun,
    cells: {},
    stepNodes: {},
    finishedSteps: [],
    warnings: [],
    newHostKeys: [],
    publicKeys: {},
    logins: {},
    failures: [],
    stopping: false,
  };
}

/** The section of the guide a step belongs to; the engine's own reboot step is part of SSH. */
export function sectionOf(step: StepId): GuideSection {
  return step === 'reboot' ? 'SSH' : stepsById[step].section;
}

/** The sections of the chosen steps, in order, each with its steps. */
export function sectionsOf(
  steps: readonly StepId[],
): Array<{ section: GuideSection; steps: StepId[] }> {
  const sections: Array<{ section: GuideSection; steps: StepId[] }> = [];
  for (const step of steps) {
    const section = sectionOf(step);
    const last = sections.at(-1);
    if (last?.section === section) last.steps.push(step);
    else sections.push({ section, steps: [step] });
  }
  return sections;
}

const updateCell = (
  view: RunView,
  step: StepId,
  node: string,
  update: (cell: NodeCell) => NodeCell,
): RunView => {
  const cells = view.cells[step] ?? {};
  return {
    ...view,
    cells: {
      ...view.cells,
      [step]: { ...cells, [node]: update(cells[node] ?? { state: 'waiting' }) },
    },
  };
};

const ended = (state: CellState) =>
  state === 'ok' || state === 'changed' || state === 'failed' || state === 'skipped';

/**
 * The section drawn as a table: the first where a node still has a step to finish (each node moves
 * on by itself, so a fast one may already be a section ahead), else the one the latest step is in.
 */
export function liveSectionIndex(view: RunView): number {
  const sections = sectionsOf(view.steps);
  const going = sections.findIndex((each) =>
    each.steps.some((step) =>
      Object.values(view.cells[step] ?? {}).some(
        (cell) => cell.state === 'waiting' || cell.state === 'running' || cell.state === 'retrying',
      ),
    ),
  );
  return going >= 0 ? going : currentSectionIndex(view);
}

/** The section of the step started last. */
export function currentSectionIndex(view: RunView): number {
  const current = view.current;
  return Math.max(
    0,
    sectionsOf(view.steps).findIndex(
      (each) => current !== undefined && each.steps.includes(current),
    ),
  );
}

/** The view after one event of the engine; `now` is the time it arrived. */
export function applySetupEvent(view: RunView, event: SetupEvent, now: number): RunView {
  switch (event.type) {
    case 'step-started': {
      const before = view.cells[event.step] ?? {};
      const cells = Object.fromEntries(
        event.nodes.map((node) => [node, before[node] ?? ({ state: 'waiting' } as NodeCell)]),
      );
      return {
        ...view,
        // A step the engine carries on through (keys for one node goes on to fan-in) gets its column.
        steps: view.steps.includes(event.step)
          ? view.steps
          : stepIds.filter((step) => step === event.step || view.steps.includes(step)),
        current: event.step,
        cells: { ...view.cells, [event.step]: cells },
        stepNodes: { ...view.stepNodes, [event.step]: [...event.nodes] },
      };
    }
    case 'node-progress': {
      const progress = event.event;
      if (progress.type === 'started')
        return updateCell(view, event.step, progress.node, (cell) => ({
          state: 'running',
          attempt: progress.attempt,
          maxAttempts: progress.maxAttempts,
          // A node retried after it failed starts its clock again.
          startedAt: cell.startedAt === undefined || ended(cell.state) ? now : cell.startedAt,
        }));
      if (progress.type === 'retrying')
        return updateCell(view, event.step, progress.node, (cell) => ({
          ...cell,
          state: 'retrying',
          attempt: progress.attempt,
          maxAttempts: progress.maxAttempts,
          retryAt: now + progress.delayMs,
          message: progress.message,
        }));
      return updateCell(view, event.step, progress.node, (cell) => ({
        ...cell,
        elapsedMs: progress.durationMs,
      }));
    }
    case 'report': {
      const { report } = event;
      return updateCell(view, report.step, report.node, (cell) => ({
        state: report.status,
        ...(cell.startedAt === undefined ? {} : { startedAt: cell.startedAt }),
        elapsedMs: cell.elapsedMs ?? (cell.startedAt === undefined ? 0 : now - cell.startedAt),
        summary: report.summary,
        changes: report.changes,
      }));
    }
    case 'host-key':
      if (event.event.status !== 'new') return view;
      return {
        ...view,
        newHostKeys: [
          ...view.newHostKeys,
          {
            node: event.event.node,
            keyType: event.event.keyType,
            fingerprint: event.event.fingerprint,
          },
        ],
      };
    case 'public-key':
      return {
        ...view,
        publicKeys: {
          ...view.publicKeys,
          [event.node]: { fingerprint: event.fingerprint, comment: event.comment },
        },
      };
    case 'logins':
      return { ...view, logins: { ...view.logins, [event.node]: event.logins } };
    case 'master-rebooting':
      return { ...view, masterRebooting: { address: event.address, hostname: event.hostname } };
    case 'step-finished':
      return { ...view, finishedSteps: [...view.finishedSteps, event.step] };
    case 'warning':
      return { ...view, warnings: [...view.warnings, event.text] };
    case 'reach-changed':
    case 'memory':
      return view;
  }
}

export function failureAsked(view: RunView, failure: NodeFailure): RunView {
  return { ...view, failures: [...view.failures, failure] };
}

export function failureAnswered(view: RunView, failure: NodeFailure): RunView {
  return {
    ...view,
    failures: view.failures.filter(
      (each) => each.node !== failure.node || each.step !== failure.step,
    ),
  };
}

/** Counts of a step's cells by state, for the one-line summaries of finished sections. */
export function countStates(view: RunView, steps: readonly StepId[]): Record<CellState, number> {
  const counts: Record<CellState, number> = {
    waiting: 0,
    running: 0,
    retrying: 0,
    ok: 0,
    changed: 0,
    failed: 0,
    skipped: 0,
  };
  for (const step of steps) {
    for (const cell of Object.values(view.cells[step] ?? {})) counts[cell.state] += 1;
  }
  return counts;
}

export interface PlanLine {
  /** Its position in the whole plan. */
  id: number;
  text: string;
  tone: 'title' | 'node' | 'add' | 'remove' | 'plain';
}

/** The dry run's plan as lines: per step and node, the commands and the diffs. */
export function planLines(view: RunView): PlanLine[] {
  const lines: PlanLine[] = [];
  const push = (text: string, tone: PlanLine['tone']) =>
    lines.push({ id: lines.length, text, tone });
  for (const step of view.steps) {
    const cells = view.cells[step];
    if (!cells) continue;
    push(`${step} (${stepTitle(step)})`, 'title');
    for (const node of view.stepNodes[step] ?? Object.keys(cells)) {
      const cell = cells[node];
      if (!cell) continue;
      // A failure's "What to do:" and command log are lines of their own, under its summary.
      const [first = '', ...more] = (cell.summary ?? `${node}: ${cell.state}`).split('\n');
      push(`  ${first}`, 'node');
      for (const line of more) push(`    ${line}`, 'plain');
      for (const line of (cell.changes ?? []).flatMap(plannedChangeLines)) {
        const diffLine = line.trimStart();
        const tone =
          diffLine.startsWith('+') && !diffLine.startsWith('+++')
            ? 'add'
            : diffLine.startsWith('-') && !diffLine.startsWith('---')
              ? 'remove'
              : 'plain';
        push(line, tone);
      }
    }
  }
  return lines;
}

export function stepTitle(step: StepId): string {
  return step === 'reboot' ? 'Reboot and reconnect at the new address' : stepsById[step].title;
}
