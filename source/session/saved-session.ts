// What a session file holds, checked field by field when read back: the on-disk schema of the
// wizard's answers, the lookup table, the screen it was on and what runs left behind. Secrets are
// never part of it.
import type { KnownNode, SetupMemory } from '../engine/run-setup.js';
import type { ClusterSettings, NodeRow } from '../plan/plan-cluster.js';

/** The session file format; bump it when the saved shape changes. */
export const sessionSchemaVersion = 1;

/** The wizard's screens, in order: a session remembers which one the person was on. */
export const screenOrder = ['welcome', 'cluster-form', 'review-table', 'confirm'] as const;
export type ScreenName = (typeof screenOrder)[number];

/** What the runs so far left behind: the engine's memory and each node-step's last result. */
export interface RunState {
  memory: SetupMemory;
  /** step id → hostname → ok | changed | failed | skipped. */
  results: Record<string, Record<string, string>>;
}

/** Exactly what is written to disk. */
export interface SavedSession {
  schemaVersion: number;
  screen: ScreenName;
  settings: ClusterSettings;
  rows: NodeRow[];
  rowsEdited: boolean;
  run?: RunState;
}

export type SavedData = Omit<SavedSession, 'schemaVersion'>;

export type ReadSession =
  | { kind: 'ok'; session: SavedSession }
  | { kind: 'newer'; schemaVersion: number }
  | { kind: 'invalid'; reason: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const settingsStrings = [
  'subnet',
  'firstAddress',
  'gateway',
  'user',
  'interfaceName',
  'masterName',
  'workerPrefix',
] as const;
const rowStrings = ['interfaceName', 'address', 'hostname', 'reachAt'] as const;

/** Checks data read from a session file; anything unexpected is a reason, never an exception. */
export function readSavedSession(data: unknown): ReadSession {
  if (!isObject(data)) return { kind: 'invalid', reason: 'it does not hold a JSON object' };
  const version = data.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { kind: 'invalid', reason: 'it has no valid schemaVersion' };
  }
  if (version > sessionSchemaVersion) return { kind: 'newer', schemaVersion: version };

  const { screen, settings, rows, rowsEdited } = data;
  if (typeof screen !== 'string' || !(screenOrder as readonly string[]).includes(screen)) {
    return { kind: 'invalid', reason: `its screen ${JSON.stringify(screen)} is unknown` };
  }
  if (!isObject(settings)) return { kind: 'invalid', reason: 'it has no settings' };
  if (typeof settings.nodeCount !== 'number') {
    return { kind: 'invalid', reason: 'settings.nodeCount is not a number' };
  }
  for (const key of settingsStrings) {
    if (typeof settings[key] !== 'string') {
      return { kind: 'invalid', reason: `settings.${key} is not a string` };
    }
  }
  if (!Array.isArray(settings.dns) || !settings.dns.every((item) => typeof item === 'string')) {
    return { kind: 'invalid', reason: 'settings.dns is not a list of addresses' };
  }
  if (!Array.isArray(rows)) return { kind: 'invalid', reason: 'rows is not a list' };
  for (const [position, row] of rows.entries()) {
    if (!isObject(row) || typeof row.index !== 'number') {
      return { kind: 'invalid', reason: `row ${position} has no Pi number` };
    }
    for (const key of rowStrings) {
      if (typeof row[key] !== 'string') {
        return { kind: 'invalid', reason: `row ${position}'s ${key} is not a string` };
      }
    }
  }
  if (typeof rowsEdited !== 'boolean') {
    return { kind: 'invalid', reason: 'rowsEdited is not true or false' };
  }
  const session: SavedSession = {
    schemaVersion: sessionSchemaVersion,
    screen: screen as ScreenName,
    settings: {
      nodeCount: settings.nodeCount,
      subnet: settings.subnet as string,
      firstAddress: settings.firstAddress as string,
      gateway: settings.gateway as string,
      dns: [...(settings.dns as string[])],
      user: settings.user as string,
      interfaceName: settings.interfaceName as string,
      masterName: settings.masterName as string,
      workerPrefix: settings.workerPrefix as string,
    },
    rows: (rows as Json[]).map((row) => ({
      index: row.index as number,
      interfaceName: row.interfaceName as string,
      address: row.address as string,
      hostname: row.hostname as string,
      reachAt: row.reachAt as string,
    })),
    rowsEdited,
  };
  const run = readRunState(data.run);
  if (typeof run === 'string') return { kind: 'invalid', reason: run };
  if (run) session.run = run;
  return { kind: 'ok', session };
}

/** The optional run state; a string is the reason it cannot be used. */
function readRunState(value: unknown): RunState | undefined | string {
  if (value === undefined) return undefined;
  if (!isObject(value) || !isObject(value.memory) || !isObject(value.results)) {
    return 'its run state is not readable';
  }
  const { rebootPending, masterBootIdBeforeReboot, undoneAtBoot } = value.memory;
  if (!Array.isArray(rebootPending) || !rebootPending.every((item) => typeof item === 'string')) {
    return 'run.memory.rebootPending is not a list of hostnames';
  }
  if (masterBootIdBeforeReboot !== null && typeof masterBootIdBeforeReboot !== 'string') {
    return 'run.memory.masterBootIdBeforeReboot is not a boot id';
  }
  const undone: NonNullable<RunState['memory']['undoneAtBoot']> = {};
  if (undoneAtBoot !== undefined) {
    if (!isObject(undoneAtBoot)) return 'run.memory.undoneAtBoot is not a table';
    for (const [node, each] of Object.entries(undoneAtBoot)) {
      if (!isObject(each) || typeof each.bootId !== 'string' || typeof each.reason !== 'string')
        return `run.memory.undoneAtBoot.${node} is not a boot id and a reason`;
      undone[node] = { bootId: each.bootId, reason: each.reason };
    }
  }
  const nodes = readKnownNodes(value.memory.nodes);
  if (typeof nodes === 'string') return nodes;
  const { retiredKeys, forgetHostKeys } = value.memory;
  const strings = (list: unknown) =>
    list === undefined || (Array.isArray(list) && list.every((item) => typeof item === 'string'));
  if (!strings(retiredKeys)) return 'run.memory.retiredKeys is not a list of public keys';
  if (!strings(forgetHostKeys)) return 'run.memory.forgetHostKeys is not a list of host names';
  const newCards = readNewCards(value.memory.newCards);
  if (typeof newCards === 'string') return newCards;
  const results: RunState['results'] = {};
  for (const [step, byNode] of Object.entries(value.results)) {
    if (!isObject(byNode)) return `run.results.${step} is not a table`;
    results[step] = {};
    for (const [node, status] of Object.entries(byNode)) {
      if (typeof status !== 'string') return `run.results.${step}.${node} is not a status`;
      results[step][node] = status;
    }
  }
  return {
    memory: {
      rebootPending: [...(rebootPending as string[])],
      masterBootIdBeforeReboot,
      ...(undoneAtBoot === undefined ? {} : { undoneAtBoot: undone }),
      ...(nodes === undefined ? {} : { nodes }),
      ...(retiredKeys === undefined ? {} : { retiredKeys: [...(retiredKeys as string[])] }),
      ...(forgetHostKeys === undefined
        ? {}
        : { forgetHostKeys: [...(forgetHostKeys as string[])] }),
      ...(newCards === undefined ? {} : { newCards }),
    },
    results,
  };
}

/** run.memory.newCards: hostname → the host key a person confirmed; a string is why it cannot be used. */
function readNewCards(
  value: unknown,
): NonNullable<RunState['memory']['newCards']> | undefined | string {
  if (value === undefined) return undefined;
  if (!isObject(value)) return 'run.memory.newCards is not a table';
  const cards: NonNullable<RunState['memory']['newCards']> = {};
  for (const [node, each] of Object.entries(value)) {
    if (
      !isObject(each) ||
      typeof each.hostKey !== 'string' ||
      !/^[a-z0-9@.-]+ [A-Za-z0-9+/]+=*$/.test(each.hostKey) ||
      !Array.isArray(each.forget) ||
      !each.forget.every((name) => typeof name === 'string')
    )
      return `run.memory.newCards.${node} is not a host key and the names to forget`;
    cards[node] = { hostKey: each.hostKey, forget: [...(each.forget as string[])] };
  }
  return cards;
}

/** run.memory.nodes: hostname → what the wizard knows of it; a string is why it cannot be used. */
function readKnownNodes(value: unknown): Record<string, KnownNode> | undefined | string {
  if (value === undefined) return undefined;
  if (!isObject(value)) return 'run.memory.nodes is not a table';
  const nodes: Record<string, KnownNode> = {};
  for (const [node, each] of Object.entries(value)) {
    const why = `run.memory.nodes.${node}`;
    if (!isObject(each)) return `${why} is not a table`;
    const { publicKey, hostKeys, cores } = each;
    if (publicKey !== undefined && typeof publicKey !== 'string')
      return `${why}.publicKey is not a public key`;
    if (
      hostKeys !== undefined &&
      (!Array.isArray(hostKeys) || !hostKeys.every((key) => typeof key === 'string'))
    )
      return `${why}.hostKeys is not a list of host keys`;
    if (cores !== undefined && (typeof cores !== 'number' || !Number.isInteger(cores) || cores < 1))
      return `${why}.cores is not a number of processors`;
    nodes[node] = {
      ...(publicKey === undefined ? {} : { publicKey }),
      ...(hostKeys === undefined ? {} : { hostKeys: [...(hostKeys as string[])] }),
      ...(cores === undefined ? {} : { cores }),
    };
  }
  return nodes;
}
