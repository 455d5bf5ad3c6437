// `pi-cluster-wizard add`, `remove NAME`, `replace NAME`: the cluster after its first setup. Each
// changes who is in the saved session (and, for a node that left or was re-flashed, what the wizard
// trusts of it), then runs the whole guide on every node, which brings every hosts block,
// authorized_keys, known_hosts block and machinefile up to date and sets up only what is new.
import type {
  MembershipChange,
  MembershipOptions,
  StepsOptions,
} from '../command-line/parse-command-line.js';
import { probeSsh, type SshIdentity } from '../discovery/ssh-probe.js';
import { wipeRemovedNode } from '../engine/wipe-removed-node.js';
import { parseIpv4 } from '../plan/ipv4.js';
import { type NodeRow, newRows, validateRows, validateSettings } from '../plan/plan-cluster.js';
import {
  checkNewCard,
  knownPublicKey,
  withAddedRows,
  withoutNode,
  withReplacedNode,
  workerRow,
} from '../session/cluster-changes.js';
import type { SavedSession } from '../session/saved-session.js';
import { parsePublicKey } from '../steps/authorized-keys.js';
import { stepIds } from '../steps/step.js';
import { defaultKnownHostsPath } from '../transport/host-keys.js';
import { sshFingerprint } from '../transport/known-hosts.js';
import { exitCodes } from './exit-codes.js';
import {
  ask,
  type CommandIo,
  findWhereRowsAnswer,
  type KnownPassword,
  processIo,
  readRunPassword,
  runCommand,
} from './run-command.js';
import { loadSavedCluster, refusedWith } from './saved-cluster.js';

/** What a change does, before it is made: lines for the person, and the session it leads to. */
interface Prepared {
  session: SavedSession;
  said: string[];
  /** The question to ask before it is made (none for add: it only plans). */
  question?: string;
}

export async function membershipCommand(
  options: MembershipOptions,
  io: CommandIo = processIo,
  knownHostsPath = defaultKnownHostsPath(),
): Promise<number> {
  const fail = (message: string, code: number = exitCodes.usage) => {
    io.stderr.write(`${message}\n`);
    return code;
  };
  const loaded = loadSavedCluster(options.sessionName, io);
  if (!loaded.ok) return refusedWith(io, loaded);
  const { session, file: sessionFile } = loaded;
  const prepared = await prepare(options.change, session, io, knownHostsPath);
  if (typeof prepared === 'string') return fail(prepared);
  if ('refused' in prepared) return fail(prepared.refused, exitCodes.notDone);
  const problems = [
    ...validateSettings(prepared.session.settings),
    ...validateRows(prepared.session.settings, prepared.session.rows),
  ];
  if (problems.length > 0) {
    return fail(
      `The cluster would not be usable:\n${problems.map((issue) => `  - ${issue.message}`).join('\n')}`,
    );
  }
  for (const line of prepared.said) io.stderr.write(`${line}\n`);

  const interactive = Boolean(io.stdin.isTTY);
  if (prepared.question && !options.yes) {
    if (!interactive)
      return fail(
        `${options.change.kind} changes the cluster: add --yes to do it without a terminal.`,
      );
    const answer = await ask(io, `${prepared.question} [y/N] `);
    if (answer === 'interrupted') return exitCodes.SIGINT;
    if (!/^y(es)?$/i.test(answer)) {
      io.stderr.write('Nothing was changed.\n');
      return exitCodes.notDone;
    }
  }
  const saveProblem = sessionFile.save(prepared.session);
  if (saveProblem) return fail(saveProblem, exitCodes.notDone);
  // --wipe reaches the node before the run forgets its host keys (else it would be trusted anew).
  let preset: { password: KnownPassword } | undefined;
  const { change } = options;
  if (change.kind === 'remove' && change.wipe) {
    const read = await readRunPassword(options, io, session.settings.user, true);
    if (read === 'interrupted') return exitCodes.SIGINT;
    if (read && 'problem' in read) return fail(read.problem);
    preset = { password: read ?? { known: undefined } };
    const row = session.rows.find((each) => each.hostname === change.node)!;
    const wiped = await wipeRemovedNode({
      settings: session.settings,
      row,
      ...(preset.password.known === undefined ? {} : { password: preset.password.known }),
      knownHostsPath,
      clusterKeys: clusterKeysOf(session),
    });
    if (wiped.ok) {
      io.stderr.write(
        `On ${row.hostname}: ${wiped.said.length > 0 ? wiped.said.join('; ') : 'nothing of the wizard was left'}.\n`,
      );
    } else {
      io.stderr.write(
        `${row.hostname} was not wiped: ${wiped.message}\nIt is out of the cluster all the same; to wipe it later, remove its ~/.ssh/id_ed25519* and the pi-cluster-wizard blocks by hand.\n`,
      );
    }
  }
  if (options.change.kind === 'add' && !options.yes) {
    io.stderr.write(
      `Saved in ${sessionFile.path}. Set them up, and bring every other node up to date, with: pi-cluster-wizard run all${options.sessionName === 'default' ? '' : ` --session ${options.sessionName}`}\n`,
    );
    return exitCodes.done;
  }
  // Every hosts block, authorized_keys, known_hosts block and machinefile is brought up to date;
  // the network steps change only the new card, so only it reboots.
  const ran = session.run?.results ?? {};
  const steps = stepIds.filter(
    (id) =>
      (id !== 'mpi' || ran.mpi !== undefined) && (id !== 'harden' || ran.harden !== undefined),
  );
  const run: StepsOptions = {
    sessionName: options.sessionName,
    steps,
    dryRun: false,
    yes: options.yes,
    json: options.json,
    ...(options.passwordFile ? { passwordFile: options.passwordFile } : {}),
    fixClonedCards: options.fixClonedCards,
    showPlan: false,
    color: options.color,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    confirmed: true,
  };
  return runCommand(run, io, preset);
}

/** Every public key the wizard fanned in, for nodes in the cluster or since retired. */
function clusterKeysOf(session: SavedSession): string[] {
  const memory = session.run?.memory;
  return [
    ...Object.values(memory?.nodes ?? {}).flatMap((node) => node.publicKey ?? []),
    ...(memory?.retiredKeys ?? []),
  ];
}

async function prepare(
  change: MembershipChange,
  session: SavedSession,
  io: CommandIo,
  knownHostsPath: string,
): Promise<Prepared | string | { refused: string }> {
  if (change.kind === 'add') return prepareAdd(change, session, io);
  const row = workerRow(session, change.node, change.kind === 'remove' ? 'remove' : 'replace');
  if (!row.ok) return row.message;
  if (change.kind === 'remove')
    return prepareRemove(row.value, session, knownHostsPath, change.wipe);
  return prepareReplace(change, row.value, session, io, knownHostsPath);
}

async function prepareAdd(
  change: Extract<MembershipChange, { kind: 'add' }>,
  session: SavedSession,
  io: CommandIo,
): Promise<Prepared | string> {
  const made = newRows(session.settings, session.rows, change.count);
  if (!made.ok) return made.message;
  let added = made.value;
  if (change.reachAt !== undefined) {
    const addresses = change.reachAt.split(',').map((each) => each.trim());
    if (addresses.length !== added.length)
      return `--reach-at names ${addresses.length} address${addresses.length === 1 ? '' : 'es'} for ${added.length} new Pi${added.length === 1 ? '' : 's'}: give one per Pi, in order, e.g. --reach-at ${added.map((_, at) => `192.168.0.${23 + at}`).join(',')}`;
    added = added.map((row, at) => ({ ...row, reachAt: addresses[at]! }));
  } else {
    const found = await findWhereRowsAnswer(
      session.settings,
      [...session.rows, ...added],
      added,
      io,
    );
    if (typeof found === 'string') return found;
    added = added.map((row) => ({ ...row, reachAt: found.get(row.index)!.address }));
  }
  return {
    session: withAddedRows(session, added),
    said: added.map(
      (row) =>
        `Pi ${row.index}: ${row.hostname}, static IP ${row.address}, answers now at ${row.reachAt}`,
    ),
  };
}

function prepareRemove(
  row: NodeRow,
  session: SavedSession,
  knownHostsPath: string,
  wipe: boolean,
): Prepared {
  const key = knownPublicKey(session, row.hostname);
  const parsed = key === undefined ? undefined : parsePublicKey(key);
  const said = [
    `${row.hostname} (${row.address}) leaves the cluster: its row, and its lines in every node's hosts block, known_hosts block and MPI machinefile.`,
    parsed
      ? `Its public key (${parsed.type} ${sshFingerprint(Buffer.from(parsed.blob, 'base64'))} ${parsed.comment}) goes from every authorized_keys, now and at every later run (a node that is off now loses it then); nothing else in them changes.`
      : `warning: no run recorded ${row.hostname}'s public key (runs before this version did not), so it stays in the other nodes' authorized_keys: remove its line by hand (ssh-keygen -lf ~/.ssh/authorized_keys lists them).`,
    `Its host keys are forgotten in ${knownHostsPath} as the run starts. ${
      wipe
        ? `On ${row.hostname} itself, if it answers: its key pair, the cluster's keys and blocks, the machinefile and the hardening go; its static address and name stay.`
        : `${row.hostname} itself is not changed (--wipe would take the wizard's work off it).`
    }`,
  ];
  return {
    session: withoutNode(session, row.hostname),
    said,
    question: `Remove ${row.hostname} and bring the other ${session.rows.length - 1} nodes up to date?`,
  };
}

async function prepareReplace(
  change: Extract<MembershipChange, { kind: 'replace' }>,
  row: NodeRow,
  session: SavedSession,
  io: CommandIo,
  knownHostsPath: string,
): Promise<Prepared | string | { refused: string }> {
  let reachAt = change.reachAt?.trim();
  let scanned: SshIdentity | undefined;
  if (reachAt !== undefined && !parseIpv4(reachAt).ok && !/^[A-Za-z0-9.-]+$/.test(reachAt))
    return `--reach-at ${JSON.stringify(reachAt)} is neither an IPv4 address nor a host name`;
  if (reachAt === undefined) {
    const found = await findWhereRowsAnswer(
      session.settings,
      session.rows.map((each) =>
        each.hostname === row.hostname ? { ...each, reachAt: '' } : each,
      ),
      [row],
      io,
    );
    if (typeof found === 'string') return found;
    const machine = found.get(row.index)!;
    scanned = machine;
    reachAt = machine.address;
  }
  const checked = checkNewCard(
    session,
    row,
    reachAt,
    await probeSsh(reachAt, { timeoutMs: 5000 }),
    { ...(change.hostKey ? { pinned: change.hostKey } : {}), ...(scanned ? { scanned } : {}) },
  );
  if (!checked.ok) return checked.refused ? { refused: checked.message } : checked.message;
  const { identity } = checked;
  const key = knownPublicKey(session, row.hostname);
  const parsed = key === undefined ? undefined : parsePublicKey(key);
  const said = [
    `${row.hostname}'s new card answers at ${reachAt}: ${identity.banner}`,
    `Its host key: ${identity.keyType} ${identity.fingerprint}${change.hostKey ? ' (as given with --host-key)' : ''}${scanned ? ' (the same key the scan found)' : ''}`,
    `The old card's host keys are forgotten in ${knownHostsPath} and in every node's known_hosts block; ${
      parsed
        ? `its public key (${sshFingerprint(Buffer.from(parsed.blob, 'base64'))}) goes from every authorized_keys`
        : `no run recorded its public key, so remove its line from the other nodes' authorized_keys by hand`
    }. Then ${row.hostname} is set up again (static IP ${row.address}, its name, keys) and rebooted; the other nodes only get the new keys.`,
  ];
  return {
    session: withReplacedNode(session, row.hostname, reachAt, identity.hostKey),
    said,
    ...(change.hostKey === undefined
      ? { question: `Is this ${row.hostname}'s new card? Trust this host key and set it up?` }
      : {}),
  };
}
