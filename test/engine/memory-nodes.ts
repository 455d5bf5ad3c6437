// In-memory nodes for the engine's own tests: a node access that reaches nothing and a book of
// steps that only record what ran where, when and how, and play the parts the real steps play for
// the scheduler (a network step leaves a reboot pending, keys learns a key, verify a row of logins).
import type { NodeAccess, NodeAccessEvents } from '../../source/engine/node-access.js';
import type { SetupEvent, SetupMemory, SetupOptions } from '../../source/engine/run-setup.js';
import { defaultSettings, type NodeRow, planCluster } from '../../source/plan/plan-cluster.js';
import type { NodeStepId, StepBook } from '../../source/steps/all-steps.js';
import { guideSteps } from '../../source/steps/all-steps.js';
import type { NodeFacts } from '../../source/steps/node-facts.js';
import { guideStepIds, type NodeStep, StepFailure, type StepId } from '../../source/steps/step.js';
import { connectionLost } from '../../source/transport/errors.js';
import type { NodeConnection } from '../../source/transport/node-connection.js';

export interface Ran {
  step: StepId;
  node: string;
  checkOnly: boolean;
  start: number;
  end: number;
}

/** How a step behaves on a node: how long it takes, and how it fails. */
export interface Behaviour {
  delayMs?: number;
  /** Fails with a transient error (retried) this many times first. */
  transientFailures?: number;
  /** Fails for good (a StepFailure) this many times (Infinity: always). */
  failures?: number;
}

export class MemoryLab {
  readonly settings = { ...defaultSettings, subnet: '127.0.90.0/24', firstAddress: '127.0.90.10' };
  readonly rows: NodeRow[];
  readonly ran: Ran[] = [];
  readonly events: SetupEvent[] = [];
  readonly bootIds = new Map<string, number>();
  readonly connects: Array<{ node: string; fresh: boolean }> = [];
  readonly reboots: Array<{ node: string; start: number; end: number }> = [];
  masterRebooted = false;
  rebootMs = 20;
  memory: SetupMemory = { rebootPending: [], masterBootIdBeforeReboot: null };
  readonly behaviours = new Map<string, Behaviour>();
  /** `step@node` of every change made (a second run finds them made). */
  readonly applied = new Set<string>();
  readonly justApplied = new Set<string>();
  private readonly clock = performance.now();

  constructor(nodeCount: number) {
    this.settings.nodeCount = nodeCount;
    this.rows = planCluster(this.settings).map((row, index) => ({
      ...row,
      // Every node still answers at a DHCP address: each needs a reboot.
      reachAt: `127.0.91.${10 + index}`,
    }));
    for (const row of this.rows) this.bootIds.set(row.hostname, 1);
  }

  now(): number {
    return performance.now() - this.clock;
  }

  behave(step: StepId, node: string, behaviour: Behaviour): void {
    this.behaviours.set(`${step}@${node}`, behaviour);
  }

  /** The steps that ran on a node, in order, as `step` or `step?` when only checked. */
  ranOn(node: string): string[] {
    return this.ran
      .filter((each) => each.node === node)
      .map((each) => `${each.step}${each.checkOnly ? '?' : ''}`);
  }

  reportsOf(step: StepId): Array<{ node: string; status: string; summary: string }> {
    return this.events.flatMap((event) =>
      event.type === 'report' && event.report.step === step
        ? [{ node: event.report.node, status: event.report.status, summary: event.report.summary }]
        : [],
    );
  }

  access = (events: NodeAccessEvents): NodeAccess => {
    void events;
    const lab = this;
    return {
      async connect(row, fresh) {
        lab.connects.push({ node: row.hostname, fresh });
        return { node: row.hostname } as unknown as NodeConnection;
      },
      async bootId(row) {
        return `boot-${lab.bootIds.get(row.hostname)}`;
      },
      async rebootWorker(row) {
        const start = lab.now();
        await new Promise((resolve) => setTimeout(resolve, lab.rebootMs));
        lab.bootIds.set(row.hostname, (lab.bootIds.get(row.hostname) ?? 0) + 1);
        lab.reboots.push({ node: row.hostname, start, end: lab.now() });
      },
      async rebootMaster(row) {
        lab.masterRebooted = true;
        lab.reboots.push({ node: row.hostname, start: lab.now(), end: lab.now() });
      },
      async powerWorker(row, action) {
        throw new Error(`the setup never calls powerWorker (${action} ${row.hostname})`);
      },
      async powerMaster(row, action) {
        throw new Error(`the setup never calls powerMaster (${action} ${row.hostname})`);
      },
      async close() {},
    };
  };

  private step(id: NodeStepId, real: NodeStep): NodeStep {
    const lab = this;
    const tries = new Map<string, number>();
    return {
      ...real,
      async run(work) {
        const node = work.row.hostname;
        const key = `${id}@${node}`;
        // The engine checks again after a step changed something: that second check is not a run.
        if (lab.justApplied.delete(key)) return;
        const start = lab.now();
        const behaviour = lab.behaviours.get(key) ?? {};
        if (behaviour.delayMs)
          await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
        const tried = (tries.get(node) ?? 0) + 1;
        tries.set(node, tried);
        const transient = behaviour.transientFailures ?? 0;
        if (tried <= transient) throw connectionLost(node, 'the lab dropped it');
        if (tried - transient <= (behaviour.failures ?? 0))
          throw new StepFailure(`${node}: ${id} broke`, `fix ${id} on ${node}`);
        lab.ran.push({ step: id, node, checkOnly: work.checkOnly, start, end: lab.now() });
        if (changing.has(id) && !lab.applied.has(key)) {
          work.changes.push({
            kind: 'command',
            description: `set ${id}`,
            command: id,
            asRoot: true,
          });
          if (!work.checkOnly) {
            lab.applied.add(key);
            lab.justApplied.add(key);
          }
        }
        lab.play(id, work);
      },
      verify: undefined,
    } as NodeStep;
  }

  /** What the real step leaves behind that the scheduler or a later step reads. */
  private play(id: NodeStepId, work: Parameters<NodeStep['run']>[0]): void {
    const node = work.row.hostname;
    const { cluster } = work;
    if (id === 'preflight') {
      cluster.facts.set(node, {
        user: cluster.settings.user,
        machineId: `machine-${node}`,
        hostKeyFingerprints: [`SHA256:${node}`],
        hostKeys: [`ssh-ed25519 AAAAhost${node}`],
        cores: 4,
      } as unknown as NodeFacts);
    } else if (id === 'static-ip' && work.changes.length > 0) {
      if (!work.checkOnly) cluster.rebootPending.add(node);
    } else if (id === 'keys') {
      cluster.publicKeys.set(node, `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${node} pi@${node}`);
    } else if (id === 'fan-in') {
      cluster.masterAuthorizedKeys = [...cluster.publicKeys.values()].join('\n');
    } else if (id === 'verify') {
      cluster.loginMatrix.set(
        node,
        new Map(cluster.rows.map((row) => [row.hostname, { ok: true, detail: row.hostname }])),
      );
    }
  }

  book(): StepBook {
    const byId = Object.fromEntries(
      Object.entries(guideSteps.byId).map(([id, real]) => [id, this.step(id as NodeStepId, real)]),
    ) as Record<NodeStepId, NodeStep>;
    return {
      byId,
      networkStepIds: guideSteps.networkStepIds,
      regenerateIdentity: { ...guideSteps.regenerateIdentity, run: async () => {} },
      checkBeforeReboot: async () => 'the lab accepts it',
      checkAfterReboot: async () => {},
      firstReadAfterReboot: guideSteps.firstReadAfterReboot,
    };
  }

  options(overrides: Partial<SetupOptions> = {}): SetupOptions {
    return {
      settings: this.settings,
      rows: this.rows,
      steps: allGuideSteps,
      memory: this.memory,
      knownHostsPath: '/nonexistent/known_hosts',
      retry: { maxAttempts: 3, initialDelayMs: 1, factor: 1, maxDelayMs: 1 },
      access: this.access,
      book: this.book(),
      onEvent: (event) => {
        this.events.push(event);
        if (event.type === 'memory') this.memory = event.memory;
      },
      ...overrides,
    };
  }
}

/** The steps whose first run changes the node (the others only read, as far as the engine sees). */
const changing = new Set<StepId>([
  'static-ip',
  'hostname',
  'hosts',
  'ssh',
  'keys',
  'fan-in',
  'fan-out',
  'known-hosts',
]);

/** A whole setup: the guide's steps. */
export const allGuideSteps: readonly StepId[] = guideStepIds;

/** The most intervals open at one moment (an end at the same moment as a start counts first). */
export function mostAtOnce(intervals: ReadonlyArray<{ start: number; end: number }>): number {
  const edges = intervals
    .flatMap((each) => [
      { at: each.start, delta: 1 },
      { at: each.end, delta: -1 },
    ])
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const edge of edges) {
    open += edge.delta;
    most = Math.max(most, open);
  }
  return most;
}
