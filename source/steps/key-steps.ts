// The guide's key section: a key pair per node, every public key fanned in to the master's
// authorized_keys, that file fanned out to every worker (merged, never overwritten), every host key
// in every known_hosts, and the N×N proof that every node logs into every other by name.
import type { NodeRow } from '../plan/plan-cluster.js';
import { mergeAuthorizedKeys, parsePublicKey } from './authorized-keys.js';
import type { NodeFacts } from './node-facts.js';
import { type NodeStep, StepFailure, type StepWork } from './step.js';

const userFile = { mode: 0o600, asRoot: false } as const;

const sshDirectory = (work: StepWork) => `${work.facts.home}/.ssh`;

/** ~/.ssh exists with mode 700 (sshd's StrictModes refuses keys in a group-writable one). */
async function ensureSshDirectory(work: StepWork): Promise<void> {
  const directory = sshDirectory(work);
  const mode = (
    await work.read(
      { script: 'stat -c %a -- "$1" 2>/dev/null || true', args: [directory] },
      { label: 'mode of ~/.ssh' },
    )
  ).stdout.trim();
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
  async run(work) {
    await ensureSshDirectory(work);
    const key = `${sshDirectory(work)}/id_ed25519`;
    const present = (
      await work.read(
        {
          script:
            'for f in "$1" "$1.pub"; do if [ -e "$f" ]; then echo yes; else echo no; fi; done',
          args: [key],
        },
        { label: 'look for ~/.ssh/id_ed25519' },
      )
    ).stdout
      .trim()
      .split('\n');
    const [hasPrivate, hasPublic] = [present[0] === 'yes', present[1] === 'yes'];
    if (!hasPrivate) {
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
    } else if (!hasPublic) {
      await work.command('recreate id_ed25519.pub from the private key', {
        script: 'umask 022 && ssh-keygen -y -f "$1" > "$1.pub"',
        args: [key],
      });
    }
    const publicKey = await work.connection.readFile(`${key}.pub`);
    if (publicKey !== undefined && parsePublicKey(publicKey)) {
      work.cluster.publicKeys.set(work.row.hostname, publicKey.trim());
    }
  },
};

export const fanInStep: NodeStep = {
  id: 'fan-in',
  title: "Every public key into the master's authorized_keys",
  section: 'Keys',
  appliesTo: (row) => row.index === 0,
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
    const merged = mergeAuthorizedKeys(existing, incoming);
    await work.file(path, merged, userFile);
    work.cluster.masterAuthorizedKeys = merged;
  },
};

export const fanOutStep: NodeStep = {
  id: 'fan-out',
  title: "The master's authorized_keys out to every worker",
  section: 'Keys',
  appliesTo: (row) => row.index !== 0,
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
    await work.file(path, mergeAuthorizedKeys(existing, masterKeys.split('\n')), userFile);
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

// Fixed script; the names arrive as arguments. Each login prints "name<TAB>exit<TAB>output".
const loginScript = `
for name in "$@"; do
  out=$(ssh -n -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=yes -- "$name" hostname 2>&1)
  printf '%s\\t%s\\t%s\\n' "$name" "$?" "$(printf '%s' "$out" | tr '\\t\\n' '  ')"
done
`;

export const verifyStep: NodeStep = {
  id: 'verify',
  title: 'Every node logs into every other by name',
  section: 'Verify',
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
    const result = await work.read(
      { script: loginScript, args: others },
      { label: `ssh to ${others.length} nodes` },
    );
    for (const line of result.stdout.split('\n')) {
      const [name, code, output = ''] = line.split('\t');
      if (!name || code === undefined) continue;
      const ok = code === '0' && output.trim() === name;
      row.set(name, { ok, detail: ok ? output.trim() : output.trim() || `exit ${code}` });
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
