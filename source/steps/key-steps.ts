// The guide's key section: a key pair per node, every public key fanned in to the master's
// authorized_keys, that file fanned out to every worker (merged, never overwritten), every host key
// in every known_hosts, and the N×N proof that every node logs into every other by name.
import type { NodeRow } from '../plan/plan-cluster.js';
import {
  keyIdentity,
  mergeAuthorizedKeys,
  parsePublicKey,
  removeAuthorizedKeys,
} from './authorized-keys.js';
import type { NodeFacts } from './node-facts.js';
import { type NodeStep, StepFailure, type StepWork } from './step.js';

const userFile = { mode: 0o600, asRoot: false } as const;

const sshDirectory = (work: StepWork) => `${work.facts.home}/.ssh`;

interface SshDirectory {
  /** '' when ~/.ssh does not exist. */
  mode: string;
  hasPrivateKey: boolean;
  hasPublicKey: boolean;
  /** The content of ~/.ssh/id_ed25519.pub, '' when there is none. */
  publicKey: string;
}

// Fixed script, the directory in $1: its mode, whether each half of the key pair exists, then the
// public key itself.
const sshDirectoryScript = `mode=$(stat -c %a -- "$1" 2>/dev/null) || mode=
printf '%s\\n' "$mode"
for f in "$1/id_ed25519" "$1/id_ed25519.pub"; do if [ -e "$f" ]; then echo yes; else echo no; fi; done
cat -- "$1/id_ed25519.pub" 2>/dev/null
exit 0`;

/**
 * ~/.ssh as the key steps check it, in one read the connection remembers until the wizard changes
 * something: each key step, and its re-check, asked for the directory's mode again.
 */
async function readSshDirectory(work: StepWork): Promise<SshDirectory> {
  const result = await work.connection.run(
    { script: sshDirectoryScript, args: [sshDirectory(work)] },
    { label: 'look at ~/.ssh (mode, id_ed25519)', remember: true, timeoutMs: 60_000 },
  );
  const [mode = '', hasPrivate, hasPublic, ...publicKey] = result.stdout.split('\n');
  return {
    mode: mode.trim(),
    hasPrivateKey: hasPrivate === 'yes',
    hasPublicKey: hasPublic === 'yes',
    publicKey: publicKey.join('\n'),
  };
}

/** ~/.ssh exists with mode 700 (sshd's StrictModes refuses keys in a group-writable one). */
async function ensureSshDirectory(work: StepWork, seen?: SshDirectory): Promise<void> {
  const directory = sshDirectory(work);
  const { mode } = seen ?? (await readSshDirectory(work));
  if (mode === '') {
    await work.command('create ~/.ssh (mode 700)', ['mkdir', '-m', '700', '--', directory]);
  } else if (mode !== '700') {
    await work.command(`make ~/.ssh mode 700 (was ${mode})`, ['chmod', '700', '--', directory]);
  }
}

/** A node that failed earlier in this run: steps that read every node go on without it. */
function failedEarlier(work: StepWork, hostname: string): boolean {
  return work.cluster.failedNodes?.has(hostname) ?? false;
}

/**
 * An authorized_keys file brought up to date: the retired keys out (unless a node of the cluster
 * holds one again), then every key of `incoming` it lacks merged in.
 */
function updateAuthorizedKeys(work: StepWork, existing: string, incoming: readonly string[]) {
  const current = new Set(
    [...work.cluster.publicKeys.values()].flatMap((line) => keyIdentity(line) ?? []),
  );
  const retired = work.cluster.retiredKeys.filter((line) => {
    const id = keyIdentity(line);
    return id !== undefined && !current.has(id);
  });
  return mergeAuthorizedKeys(removeAuthorizedKeys(existing, retired), incoming);
}

function noteLeftOut(work: StepWork, rows: readonly NodeRow[], what: string): void {
  if (rows.length === 0) return;
  const names = rows.map((row) => row.hostname).join(', ');
  const whose = rows.length === 1 ? 'its' : 'their';
  work.note(`without ${names} for now: ${whose} ${what} once the run is repeated after the fix`);
}

export const keysStep: NodeStep = {
  id: 'keys',
  title: 'Generate an ed25519 key pair',
  section: 'Keys',
  // Only once every node has a key: in the middle of a first setup the next steps wait for it.
  carries: {
    next: [
      { step: 'fan-in', on: 'every node' },
      { step: 'fan-out', on: 'every node' },
      { step: 'known-hosts', on: 'chosen nodes' },
    ],
    when: (cluster) => cluster.rows.every((row) => cluster.publicKeys.has(row.hostname)),
    whenSaid: 'once every node has a key',
  },
  async run(work) {
    // Creating ~/.ssh adds no key: what was read before it still says which keys exist.
    const seen = await readSshDirectory(work);
    await ensureSshDirectory(work, seen);
    const key = `${sshDirectory(work)}/id_ed25519`;
    if (!seen.hasPrivateKey) {
      // An existing key is never overwritten: ssh-keygen only runs when there is none.
      await work.command('generate an ed25519 key pair', [
        'ssh-keygen',
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        `${work.facts.user}@${work.row.hostname}`,
        '-f',
        key,
      ]);
    } else if (!seen.hasPublicKey) {
      await work.command('recreate id_ed25519.pub from the private key', {
        script: 'umask 022 && ssh-keygen -y -f "$1" > "$1.pub"',
        args: [key],
      });
    }
    // Read again only when a command above ran (it made the memory forget); the re-check then
    // finds this read remembered.
    const { publicKey } = await readSshDirectory(work);
    if (parsePublicKey(publicKey)) {
      work.cluster.publicKeys.set(work.row.hostname, publicKey.trim());
    }
  },
};

export const fanInStep: NodeStep = {
  id: 'fan-in',
  title: "Every public key into the master's authorized_keys",
  section: 'Keys',
  appliesTo: (row) => row.index === 0,
  needs: [{ step: 'keys', on: 'every node', reads: true }],
  async run(work) {
    const missing = work.cluster.rows.filter((row) => !work.cluster.publicKeys.has(row.hostname));
    const blocking = missing.filter((row) => !failedEarlier(work, row.hostname));
    if (blocking.length > 0 && !work.checkOnly) {
      throw new StepFailure(
        `master: no public key known yet for ${blocking.map((row) => row.hostname).join(', ')}`,
        `run the keys step for them first: pi-cluster-wizard run keys --node ${blocking[0]!.hostname}`,
      );
    }
    noteLeftOut(work, missing, 'keys are added');
    await ensureSshDirectory(work);
    const path = `${sshDirectory(work)}/authorized_keys`;
    const existing = (await work.connection.readFile(path)) ?? '';
    const incoming = work.cluster.rows.flatMap(
      (row) => work.cluster.publicKeys.get(row.hostname) ?? [],
    );
    const merged = updateAuthorizedKeys(work, existing, incoming);
    await work.file(path, merged, userFile);
    work.cluster.masterAuthorizedKeys = merged;
  },
};

export const fanOutStep: NodeStep = {
  id: 'fan-out',
  title: "The master's authorized_keys out to every worker",
  section: 'Keys',
  appliesTo: (row) => row.index !== 0,
  needs: [
    { step: 'keys', on: 'every node', reads: true },
    { step: 'fan-in', on: 'every node', reads: true },
  ],
  async run(work) {
    const masterKeys = work.cluster.masterAuthorizedKeys;
    if (masterKeys === undefined) {
      throw new StepFailure(
        `${work.row.hostname}: the master's authorized_keys is not known yet`,
        'run the fan-in step first: pi-cluster-wizard run fan-in',
      );
    }
    await ensureSshDirectory(work);
    const path = `${sshDirectory(work)}/authorized_keys`;
    const existing = (await work.connection.readFile(path)) ?? '';
    await work.file(path, updateAuthorizedKeys(work, existing, masterKeys.split('\n')), userFile);
  },
};

/** `name,address type key` for every host key of every node. */
export function clusterKnownHosts(
  rows: readonly NodeRow[],
  facts: ReadonlyMap<string, NodeFacts>,
): string {
  return rows
    .flatMap((row) =>
      (facts.get(row.hostname)?.hostKeys ?? []).map(
        (key) => `${row.hostname},${row.address} ${key}`,
      ),
    )
    .join('\n');
}

export const knownHostsStep: NodeStep = {
  id: 'known-hosts',
  title: 'Every host key in every known_hosts',
  section: 'Keys',
  async run(work) {
    const missing = work.cluster.rows.filter(
      (row) => !work.cluster.facts.get(row.hostname)?.hostKeys.length,
    );
    const blocking = missing.filter((row) => !failedEarlier(work, row.hostname));
    if (blocking.length > 0) {
      throw new StepFailure(
        `${work.row.hostname}: the host keys of ${blocking.map((row) => row.hostname).join(', ')} are not known`,
        'run the preflight step for every node first: pi-cluster-wizard run preflight',
      );
    }
    noteLeftOut(work, missing, 'host keys are added');
    await ensureSshDirectory(work);
    await work.block(
      `${sshDirectory(work)}/known_hosts`,
      'cluster',
      clusterKnownHosts(work.cluster.rows, work.cluster.facts),
      userFile,
    );
  },
};

/**
 * How the N×N check stays below sshd's MaxStartups (10:30:100 by default: with 10 unauthenticated
 * connections pending, new ones start being refused), even with every node checking at once. A
 * login is unauthenticated at its target from the TCP connect until its key is accepted.
 *
 * - At most `verifyNodesAtOnce` (9) nodes run their logins at once, and a node has at most one
 *   login to a given target at a time (each target is on its list once): whatever the timing, a
 *   target has at most 9 of them pending, one below MaxStartups, leaving room for the wizard's own
 *   connection to it.
 * - Each node runs at most `loginsAtOnce` (4) of its logins at once, never more than --concurrency
 *   allows: sources at once × 4 logins in flight, at most 36.
 * - Each node tries the others in rotated order (node i: i+1, i+2, … mod N), so at any moment the
 *   sources are at different targets: while they go at a like pace, the k-th logins of node i are
 *   to i+k … i+k+3, and each target has 4 of them at a time (from a different 4 nodes as they go
 *   on), not 9. The bound of 9 is for when they do not keep pace (one slow target the others
 *   catch up on).
 *
 * A node that does not answer holds one of a node's 4 places for its ConnectTimeout (10 s) while
 * the others go on: up to 3 silent nodes cost a node's check about 10 s together, where logging in
 * one after the other cost 10 s for each of them.
 */
const maxStartups = 10;
export const verifyNodesAtOnce = maxStartups - 1;
export const loginsAtOnce = 4;
/** ssh's ConnectTimeout for each login of the check, in seconds. */
const connectTimeoutSeconds = 10;

/**
 * How long one node's whole login check may take: each round of logins at once may wait out the
 * connect timeout and then log in (10 s more), so many nodes or few at once get longer than the
 * minute a command usually gets.
 */
export function loginCheckTimeoutMs(logins: number, atOnce: number): number {
  const rounds = Math.ceil(logins / Math.max(1, atOnce));
  return Math.max(60_000, rounds * (connectTimeoutSeconds + 10) * 1000);
}

/** The others, in the order `from` logs into them: the nodes after it, wrapping around. */
export function loginOrder(rows: readonly NodeRow[], from: NodeRow): NodeRow[] {
  const at = rows.findIndex((row) => row.hostname === from.hostname);
  return [...rows.slice(at + 1), ...rows.slice(0, Math.max(at, 0))].filter(
    (row) => row.hostname !== from.hostname,
  );
}

// Fixed script: $1 is how many logins run at once, the names (in the order to try them) follow as
// arguments; no value is ever part of the script. xargs -P runs the logins, each writing its
// "name<TAB>exit<TAB>output" line into its own file; the lines are printed in the order of the
// names once every login has ended (one round trip per node, a stable order).
export const loginScript = `
at_once=$1
shift
dir=$(mktemp -d) || exit 1
trap 'rm -rf -- "$dir"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
i=0
for name in "$@"; do
  i=$((i + 1))
  printf '%s\\0%s\\0' "$i" "$name"
done | xargs -0 -n 2 -P "$at_once" sh -c '
  out=$(ssh -n -o BatchMode=yes -o ConnectTimeout=${connectTimeoutSeconds} -o StrictHostKeyChecking=yes -- "$3" hostname 2>&1)
  printf "%s\\t%s\\t%s\\n" "$3" "$?" "$(printf "%s" "$out" | tr "\\t\\n" "  ")" > "$1/$2"
' sh "$dir"
i=0
for name in "$@"; do
  i=$((i + 1))
  cat -- "$dir/$i" 2>/dev/null
done
`;

export const verifyStep: NodeStep = {
  id: 'verify',
  title: 'Every node logs into every other by name',
  section: 'Verify',
  nodesAtOnce: verifyNodesAtOnce,
  needs: [
    { step: 'fan-in', on: 'every node' },
    { step: 'fan-out', on: 'every node' },
    { step: 'known-hosts', on: 'every node' },
  ],
  provesLogins: true,
  async run(work) {
    // A node that failed cannot answer by name, nor can one left unrebooted because of a failure
    // (the master waits for every worker).
    const unready = work.cluster.rows.filter(
      (row) =>
        row.index !== work.row.index &&
        (failedEarlier(work, row.hostname) ||
          ((work.cluster.failedNodes?.size ?? 0) > 0 &&
            work.cluster.rebootPending.has(row.hostname))),
    );
    noteLeftOut(work, unready, 'logins are checked');
    const others = work.cluster.rows
      .filter((row) => row.index !== work.row.index && !unready.includes(row))
      .map((row) => row.hostname);
    const row = new Map<string, { ok: boolean; detail: string }>();
    work.cluster.loginMatrix.set(work.row.hostname, row);
    if (others.length === 0) return;
    const order = loginOrder(work.cluster.rows, work.row)
      .map((each) => each.hostname)
      .filter((name) => others.includes(name));
    const atOnce = Math.max(1, Math.min(loginsAtOnce, work.cluster.concurrency));
    const result = await work.read(
      { script: loginScript, args: [String(atOnce), ...order] },
      {
        label: `ssh to ${order.length} nodes, ${atOnce} at a time`,
        timeoutMs: loginCheckTimeoutMs(order.length, atOnce),
      },
    );
    const answers = new Map<string, { ok: boolean; detail: string }>();
    for (const line of result.stdout.split('\n')) {
      const [name, code, output = ''] = line.split('\t');
      if (!name || code === undefined) continue;
      const ok = code === '0' && output.trim() === name;
      answers.set(name, { ok, detail: ok ? output.trim() : output.trim() || `exit ${code}` });
    }
    // The row in the table's order, whatever order the logins ran in.
    for (const name of others) {
      const answer = answers.get(name);
      if (answer) row.set(name, answer);
    }
    const unchecked = others.filter((name) => !answers.has(name));
    if (unchecked.length > 0) {
      // The script itself stopped short (no temporary folder, no xargs): not a key problem.
      const why = result.stderr.trim().split('\n')[0] || `exit ${result.code}`;
      throw new StepFailure(
        `${work.row.hostname}: the login check did not finish (${why}); not checked: ${unchecked.join(', ')}`,
        `look at what ran in the command log, then run: pi-cluster-wizard run verify --node ${work.row.hostname}`,
      );
    }
    const failed = others.filter((name) => !row.get(name)?.ok);
    work.note(
      `logs into ${others.length - failed.length} of ${others.length} nodes by name, no password`,
    );
    if (failed.length > 0) {
      // A node that does not answer at all is not a key problem: say to bring it back first.
      const silent = failed.filter((name) =>
        /Connection refused|timed out|No route to host|Could not resolve|Connection closed/i.test(
          row.get(name)?.detail ?? 'no answer',
        ),
      );
      throw new StepFailure(
        `${work.row.hostname}: cannot log in without a password to ${failed.map((name) => `${name} (${row.get(name)?.detail ?? 'no answer'})`).join(', ')}`,
        silent.length === failed.length
          ? `check that ${silent.join(', ')} ${silent.length === 1 ? 'is' : 'are'} powered on with its SSH server running (sudo systemctl start ssh), then run: pi-cluster-wizard run verify`
          : `run the keys, fan-in, fan-out and known-hosts steps again, e.g. pi-cluster-wizard run fan-out --node ${failed[0]}`,
      );
    }
  },
};
