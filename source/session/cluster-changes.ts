// The cluster's membership after its first setup, as changes to the saved session: new rows after
// the last (add), a row gone (remove), a row whose card was re-flashed (replace). Pure functions;
// the commands ask, save, and run the steps that bring every node up to date.
import type { ProbeOutcome, SshIdentity } from '../discovery/ssh-probe.js';
import type { SetupMemory } from '../engine/run-setup.js';
import type { NodeRow } from '../plan/plan-cluster.js';
import type { RunState, SavedSession } from './saved-session.js';

/** A change, or why it cannot be made, in words. */
export type Changed<T> = { ok: true; value: T } | { ok: false; message: string };

const emptyRun = (): RunState => ({
  memory: { rebootPending: [], masterBootIdBeforeReboot: null },
  results: {},
});

/** A row of the session by hostname, or why there is none (or why it may not change). */
export function workerRow(session: SavedSession, name: string, what: string): Changed<NodeRow> {
  const row = session.rows.find((each) => each.hostname === name);
  if (!row) {
    return {
      ok: false,
      message: `No node called ${name} in this cluster. The nodes are: ${session.rows.map((each) => each.hostname).join(', ')}.`,
    };
  }
  if (row.index === 0) {
    return {
      ok: false,
      message: `${name} is the master: the wizard runs on it, so it cannot ${what} itself. To move the cluster to another master, run the wizard there with a new session.`,
    };
  }
  return { ok: true, value: row };
}

/** The session with these rows added (each with where it answers now). */
export function withAddedRows(session: SavedSession, added: readonly NodeRow[]): SavedSession {
  const rows = [...session.rows, ...added];
  return {
    ...session,
    settings: { ...session.settings, nodeCount: rows.length },
    rows,
    rowsEdited: true,
  };
}

/** A run's memory with the public key the wizard fanned in for `node` retired, and the node forgotten. */
function forgetNode(memory: SetupMemory, node: string): SetupMemory {
  const { [node]: known, ...nodes } = memory.nodes ?? {};
  const retired = [...(memory.retiredKeys ?? [])];
  if (known?.publicKey && !retired.includes(known.publicKey)) retired.push(known.publicKey);
  const { [node]: _undone, ...undoneAtBoot } = memory.undoneAtBoot ?? {};
  return {
    ...memory,
    rebootPending: memory.rebootPending.filter((each) => each !== node),
    ...(memory.undoneAtBoot ? { undoneAtBoot } : {}),
    nodes,
    ...(retired.length > 0 ? { retiredKeys: retired } : {}),
  };
}

/** The run state without anything about `node`: its memory forgotten, its key retired, no results. */
function runWithout(run: RunState | undefined, node: string): RunState {
  const state = run ?? emptyRun();
  return {
    memory: forgetNode(state.memory, node),
    results: Object.fromEntries(
      Object.entries(state.results).map(([step, byNode]) => {
        const { [node]: _, ...others } = byNode;
        return [step, others];
      }),
    ),
  };
}

/**
 * The session without the node: its row, what the runs learned of it, its key retired, and its
 * names left for the next run to forget in the wizard's known_hosts.
 */
export function withoutNode(session: SavedSession, node: string): SavedSession {
  const gone = session.rows.find((row) => row.hostname === node);
  const rows = session.rows.filter((row) => row.hostname !== node);
  const run = runWithout(session.run, node);
  const names = gone ? [gone.hostname, gone.address, gone.reachAt].filter(Boolean) : [];
  const forget = [...new Set([...(run.memory.forgetHostKeys ?? []), ...names])];
  return {
    ...session,
    settings: { ...session.settings, nodeCount: rows.length },
    rows,
    rowsEdited: true,
    run: {
      ...run,
      memory: { ...run.memory, ...(forget.length > 0 ? { forgetHostKeys: forget } : {}) },
    },
  };
}

/**
 * The session with the node's card re-flashed: a new card answering at `reachAt` whose host key
 * (`type base64`) the person confirmed, its old public key retired. The next run forgets the old
 * card's host keys in the wizard's known_hosts and trusts this one before it connects.
 */
export function withReplacedNode(
  session: SavedSession,
  node: string,
  reachAt: string,
  hostKey: string,
): SavedSession {
  const old = session.rows.find((row) => row.hostname === node);
  const run = runWithout(session.run, node);
  const forget = [
    ...new Set([old?.reachAt ?? '', reachAt, ...(run.memory.newCards?.[node]?.forget ?? [])]),
  ].filter(Boolean);
  return {
    ...session,
    rows: session.rows.map((row) => (row.hostname === node ? { ...row, reachAt } : row)),
    run: {
      ...run,
      memory: { ...run.memory, newCards: { ...run.memory.newCards, [node]: { hostKey, forget } } },
    },
  };
}

/**
 * Whether what answers at `reachAt` can be the node's new card: it must answer SSH, must not offer
 * the old card's host key, must offer the pinned key when one was given (`SHA256:…`) and the key
 * a scan found there a moment ago, when it was found by a scan. `refused` says the answer was clear
 * and it is not.
 */
export function checkNewCard(
  session: Pick<SavedSession, 'run'>,
  row: NodeRow,
  reachAt: string,
  probe: ProbeOutcome,
  expected: { pinned?: string; scanned?: SshIdentity } = {},
): { ok: true; identity: SshIdentity } | { ok: false; message: string; refused: boolean } {
  if (probe.kind !== 'ssh') {
    return {
      ok: false,
      refused: false,
      message: `Nothing answers SSH at ${reachAt} (${probe.detail}): check that ${row.hostname}'s new card is in, powered and has SSH enabled (Raspberry Pi Imager: Services → Enable SSH), then say where it answers.`,
    };
  }
  const { identity } = probe;
  if (knownHostKeys(session, row.hostname).includes(identity.hostKey)) {
    return {
      ok: false,
      refused: true,
      message: `${reachAt} offers ${row.hostname}'s old host key (${identity.fingerprint}): that is the card the cluster already trusts, not a re-flashed one. To set it up again as it is: pi-cluster-wizard run all --node ${row.hostname}`,
    };
  }
  const { pinned, scanned } = expected;
  if (scanned && scanned.hostKey !== identity.hostKey) {
    return {
      ok: false,
      refused: true,
      message: `${reachAt} offered the host key ${scanned.fingerprint} to the scan and ${identity.fingerprint} a moment later: two machines may be answering at that address, or something between. Nothing was changed; check the address (your router lists it) and give it with --reach-at.`,
    };
  }
  if (pinned !== undefined && pinned !== identity.fingerprint) {
    return {
      ok: false,
      refused: true,
      message: `${reachAt} offers the host key ${identity.keyType} ${identity.fingerprint}, not the ${pinned} given with --host-key: nothing was changed. Check the key on the Pi itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and the address.`,
    };
  }
  return { ok: true, identity };
}

/** The public key the wizard fanned in for a node, when a run recorded it. */
export function knownPublicKey(session: SavedSession, node: string): string | undefined {
  return session.run?.memory.nodes?.[node]?.publicKey;
}

/** The host keys a run recorded for a node (`type base64`). */
export function knownHostKeys(session: Pick<SavedSession, 'run'>, node: string): string[] {
  return session.run?.memory.nodes?.[node]?.hostKeys ?? [];
}
