// What a step of the guide is, and the one way every step checks, plans, applies and verifies:
// a step describes the state it wants through `StepWork`; in check mode (dry run) the same code
// only records what would change, so "verify" is simply a second check that must find nothing.
import type { ClusterSettings, NodeRow } from '../plan/plan-cluster.js';
import type {
  Command,
  FileChange,
  FileWrite,
  NodeConnection,
  ReplaceFileOptions,
  RunOptions,
} from '../transport/node-connection.js';
import { shellCommand } from '../transport/shell-quote.js';
import type { NodeFacts } from './node-facts.js';

export const stepIds = [
  'preflight',
  'static-ip',
  'hostname',
  'hosts',
  'ssh',
  'reboot',
  'keys',
  'fan-in',
  'fan-out',
  'known-hosts',
  'verify',
  'mpi',
  'harden',
] as const;

export type StepId = (typeof stepIds)[number];

/** What a whole setup runs: the guide's steps; mpi and harden only when chosen. */
export const guideStepIds = stepIds.filter((id) => id !== 'mpi' && id !== 'harden');

export function isStepId(value: string): value is StepId {
  return (stepIds as readonly string[]).includes(value);
}

/** The sections of the guide, in order: the run screens show one at a time. */
export type GuideSection = 'Network' | 'SSH' | 'Keys' | 'Verify' | 'MPI';

export type StepStatus = 'ok' | 'changed' | 'failed' | 'skipped';

/** One thing a step changed or, in a dry run, would change. */
export type PlannedChange =
  | { kind: 'file'; change: FileChange }
  | { kind: 'command'; description: string; command: string; asRoot: boolean };

/** A planned change as a dry run shows it, indented under its node: the command, or the file and its diff. */
export function plannedChangeLines(change: PlannedChange): string[] {
  if (change.kind === 'command')
    return [`    would run${change.asRoot ? ' as root' : ''}: ${change.command}`];
  const { path, metadataChange, diff } = change.change;
  return [
    `    would write ${path}${metadataChange ? ` (${metadataChange})` : ''}`,
    ...diff
      .split('\n')
      .filter(Boolean)
      .map((line) => `      ${line}`),
  ];
}

export interface StepReport {
  step: StepId;
  node: string;
  status: StepStatus;
  /** One line for people: what was found or done, or why it failed and what to do next. */
  summary: string;
  changes: PlannedChange[];
}

/** What every step may read about the whole cluster; filled as the run goes. */
export interface ClusterContext {
  settings: ClusterSettings;
  rows: readonly NodeRow[];
  dryRun: boolean;
  /** Facts gathered by preflight, by hostname. */
  facts: Map<string, NodeFacts>;
  /** Each node's public key line (~/.ssh/id_ed25519.pub), by hostname. */
  publicKeys: Map<string, string>;
  /** The master's authorized_keys after fan-in: what fan-out merges into every worker. */
  masterAuthorizedKeys?: string;
  /** From → to → the hostname that answered, or the error. */
  loginMatrix: Map<string, Map<string, { ok: boolean; detail: string }>>;
  /** Make cloned cards unique (new host keys and machine-id) when preflight finds them. */
  fixClonedCards: boolean;
  /** The wizard's own known_hosts (on the master), where it records the keys it accepted. */
  knownHostsPath: string;
  /** Nodes whose running state differs from their configuration until they reboot. */
  rebootPending: Set<string>;
  /** Nodes that failed earlier in this run: steps that read every node go on without them. */
  failedNodes?: ReadonlySet<string>;
  /**
   * Nodes the engine works on at once (--concurrency): work a node fans out itself (its logins to
   * the others in verify) stays within it too.
   */
  concurrency: number;
  /**
   * Public keys the wizard fanned in for nodes since removed or re-flashed: fan-in and fan-out take
   * them out of every authorized_keys they merge (SetupMemory.retiredKeys).
   */
  retiredKeys: readonly string[];
}

export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  /** What the person can do about it. */
  readonly nextStep: string;

  constructor(message: string, nextStep: string) {
    super(message);
    this.nextStep = nextStep;
  }
}

/** The handle a step acts through on one node; in check mode nothing is written or run. */
export class StepWork {
  readonly changes: PlannedChange[] = [];
  readonly notes: string[] = [];

  constructor(
    readonly connection: NodeConnection,
    readonly row: NodeRow,
    readonly cluster: ClusterContext,
    readonly checkOnly: boolean,
  ) {}

  get master(): NodeRow {
    return this.cluster.rows[0]!;
  }

  get isMaster(): boolean {
    return this.row.index === 0;
  }

  get facts(): NodeFacts {
    const facts = this.cluster.facts.get(this.row.hostname);
    if (!facts) {
      throw new StepFailure(
        `${this.row.hostname}: nothing is known about this node yet`,
        'run the preflight step first: pi-cluster-wizard run preflight',
      );
    }
    return facts;
  }

  /** Makes the file have exactly this content, mode and owner (atomic, with a backup). */
  async file(path: string, content: string, options: ReplaceFileOptions): Promise<FileChange> {
    return (await this.files([{ path, content, options }]))[0]!;
  }

  /** Makes the wizard's block `id` in the file hold this content; the rest of the file is kept. */
  async block(
    path: string,
    id: string,
    content: string,
    options: ReplaceFileOptions,
  ): Promise<FileChange> {
    return (await this.files([{ path, block: id, content, options }]))[0]!;
  }

  /** Writes several files as `file` and `block` do, in one round trip; their changes in order. */
  async files(writes: readonly FileWrite[]): Promise<FileChange[]> {
    const changes = await this.connection.writeFiles(
      writes.map((write) => ({ ...write, options: { ...write.options, dryRun: this.checkOnly } })),
    );
    for (const change of changes) if (change.changed) this.changes.push({ kind: 'file', change });
    return changes;
  }

  /** Runs a command that changes the node (recorded only in check mode); fails on a non-zero exit. */
  async command(
    description: string,
    command: Command,
    options: { asRoot?: boolean; timeoutMs?: number; stdin?: string; writesNoFile?: boolean } = {},
  ): Promise<void> {
    const asRoot = options.asRoot ?? false;
    const shown = Array.isArray(command)
      ? shellCommand(command as readonly string[])
      : (command as { script: string }).script;
    this.changes.push({ kind: 'command', description, command: shown, asRoot });
    if (this.checkOnly) return;
    const run = asRoot ? this.connection.runAsRoot : this.connection.run;
    await run.call(this.connection, command, {
      check: true,
      label: description,
      ...(options.writesNoFile ? { writesNoFile: true } : {}),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    });
  }

  /**
   * Runs a read-only command (always, also in check mode) and returns its output; `remember` as
   * for NodeConnection.run.
   */
  async read(
    command: Command,
    options: Pick<RunOptions, 'label' | 'timeoutMs' | 'remember'> & { asRoot?: boolean } = {},
  ) {
    const { asRoot, ...rest } = options;
    const run = asRoot ? this.connection.runAsRoot : this.connection.run;
    return run.call(this.connection, command, { timeoutMs: 60_000, ...rest, readOnly: true });
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

/**
 * What a step needs done first. `every node`: the step starts on no node before `step` has finished
 * on every node (a barrier); `same node`: only the node's own `step` first (the node moves on by
 * itself). `reads`: the step reads what `step` learns (facts, public keys, the master's
 * authorized_keys, logins), so when `step` is not chosen it still runs, check-only, to learn it.
 */
export interface StepNeed {
  step: StepId;
  on: 'every node' | 'same node';
  reads?: true;
}

/** A step that a run of this step for some nodes only carries on through, and on which nodes. */
export interface CarriedStep {
  step: Exclude<StepId, 'reboot'>;
  on: 'every node' | 'chosen nodes';
}

export interface NodeStep {
  id: StepId;
  title: string;
  section: GuideSection;
  /** Which nodes the step acts on (default every node). */
  appliesTo?: (row: NodeRow) => boolean;
  /** What must be done first; every step also needs preflight on every node. */
  needs?: readonly StepNeed[];
  /**
   * Run for some nodes only, the steps it carries on through (unless chosen too), once `when`
   * holds: a new key pair is no use until it is fanned in and out.
   */
  carries?: {
    next: readonly CarriedStep[];
    when: (cluster: ClusterContext) => boolean;
    /** `when` in words, for the printed plan. */
    whenSaid: string;
  };
  /** It proves logins, so a dry run with changes planned can only say it checks them once made. */
  provesLogins?: true;
  /** Reads the node and brings it to the wanted state through `work` (check mode: only records). */
  run(work: StepWork): Promise<void>;
  /** Checks after applying that are not file contents (e.g. the running hostname); throws StepFailure. */
  verify?(work: StepWork): Promise<void>;
  /**
   * The most nodes the step runs on at once, when fewer than the run's concurrency: for a step
   * whose nodes are all clients of each other's SSH servers (verify), which must stay below sshd's
   * MaxStartups whatever --concurrency says.
   */
  nodesAtOnce?: number;
}
