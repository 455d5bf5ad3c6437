/**
 * Host key checking like OpenSSH's `StrictHostKeyChecking=accept-new`, against the master's
 * known_hosts file: a new key is recorded and announced, a changed key stops work on that node.
 */

import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { type ConnectionTarget, hostKeyChanged, TransportError } from './errors.js';
import {
  checkHostKey,
  formatKnownHostsLine,
  hostFieldMatches,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  sshFingerprint,
} from './known-hosts.js';
import { backupStamp } from './shell-node-connection.js';

export function defaultKnownHostsPath(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/** Told to the UI whenever a node's key is seen, so no key is ever trusted silently. */
export interface HostKeyEvent {
  node: string;
  /** The name under which the key is recorded: `host` or `[host]:port`. */
  hostName: string;
  keyType: string;
  fingerprint: string;
  /** `new`: recorded now (or, in a dry run, accepted for this run only); `known`: already in known_hosts. */
  status: 'new' | 'known';
  /** False when a dry run accepted a new key without writing known_hosts. */
  recorded: boolean;
  knownHostsPath: string;
}

/** ed25519 first, as OpenSSH's client asks: the fingerprint people compare with `ssh` prompts. */
export const hostKeyAlgorithms: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

function algorithmsForKeyType(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

function readKnownHosts(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/**
 * Host key algorithms in the order to offer: the types already recorded for this host first, as
 * `ssh` does, so a host known by its RSA key is not suddenly "changed" because ed25519 was asked.
 */
export function hostKeyAlgorithmsFor(
  knownHostsPath: string,
  host: string,
  port: number,
): ServerHostKeyAlgorithm[] {
  const known = knownKeyTypes(
    parseKnownHosts(readKnownHosts(knownHostsPath)),
    knownHostsName(host, port),
  );
  const preferred = known
    .flatMap(algorithmsForKeyType)
    .filter((algorithm): algorithm is ServerHostKeyAlgorithm =>
      (hostKeyAlgorithms as string[]).includes(algorithm),
    );
  return [...new Set([...preferred, ...hostKeyAlgorithms])];
}

/** Appends one line, creating `~/.ssh` (0700) and the file (0600) the way `ssh` would. */
function appendKnownHostsLine(path: string, line: string): void {
  const directory = dirname(path);
  if (!existsSync(directory)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    chmodSync(directory, 0o700);
  }
  const current = readKnownHosts(path);
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  // The mode applies only when the file is created, as with ssh: an existing file keeps its own.
  appendFileSync(path, separator + line, { mode: 0o600 });
}

export interface HostKeyCheck {
  /** Give to ssh2's `hostVerifier`; false refuses the connection. */
  verify: (key: Buffer) => boolean;
  /** Why `verify` refused, when it did. */
  refusal: () => TransportError | undefined;
}

/**
 * Checks the key a node offers. Everything here is synchronous on purpose: parallel connections
 * then cannot interleave their reads and appends of known_hosts inside this process.
 */
export function createHostKeyCheck(
  target: ConnectionTarget,
  knownHostsPath: string,
  onHostKey?: (event: HostKeyEvent) => void,
  /** False in a dry run: a new key is shown and accepted for this run, known_hosts stays as it is. */
  recordNewKeys = true,
): HostKeyCheck {
  let refusal: TransportError | undefined;
  const verify = (key: Buffer): boolean => {
    const hostName = knownHostsName(target.host, target.port);
    const fingerprint = sshFingerprint(key);
    let keyType: string;
    try {
      keyType = keyTypeOfBlob(key);
    } catch (error) {
      refusal = new TransportError(target.node, 'protocol', {
        message: `${target.node} sent a host key that cannot be read: ${(error as Error).message}`,
        nextStep: 'Check that the address really is a Raspberry Pi running OpenSSH.',
      });
      return false;
    }
    const entries = parseKnownHosts(readKnownHosts(knownHostsPath));
    const verdict = checkHostKey(entries, hostName, key);
    const event: Omit<HostKeyEvent, 'status' | 'recorded'> = {
      node: target.node,
      hostName,
      keyType,
      fingerprint,
      knownHostsPath,
    };
    switch (verdict.status) {
      case 'known':
        onHostKey?.({ ...event, status: 'known', recorded: true });
        return true;
      case 'unknown':
        if (recordNewKeys)
          appendKnownHostsLine(knownHostsPath, formatKnownHostsLine(hostName, key));
        onHostKey?.({ ...event, status: 'new', recorded: recordNewKeys });
        return true;
      case 'changed':
        refusal = hostKeyChanged(target, knownHostsPath, hostName, fingerprint);
        return false;
      case 'revoked':
        refusal = new TransportError(target.node, 'host-key-changed', {
          message: `The SSH host key of ${target.node} (${fingerprint}) is marked revoked in ${knownHostsPath} (line ${verdict.lineNumber}).`,
          nextStep:
            'Give this Pi new host keys (remove /etc/ssh/ssh_host_* and run ssh-keygen -A on it), then retry.',
        });
        return false;
    }
  };
  return { verify, refusal: () => refusal };
}

/** What to change in the wizard's known_hosts for a node whose host keys the wizard knows changed. */
export interface HostKeysRewrite {
  /** Hosts (names or addresses, port 22) whose lines go: each line naming only these, plainly or hashed. */
  forget: readonly string[];
  /** Then these keys (`type base64`) are recorded under each of `as`. */
  record?: { keys: readonly string[]; as: readonly string[] };
}

/**
 * Rewrites the wizard's known_hosts when it knows a node's host keys changed (it made them new, or
 * the person confirmed a re-flashed card's): the lines naming only the forgotten hosts go, wherever
 * they are (the cluster's block too: the known-hosts step writes it again); lines that also name
 * other hosts, wildcards and @revoked or @cert-authority lines stay. Replaced atomically with its
 * mode, a timestamped backup beside it; nothing is written when nothing changes. Returns the backup.
 */
export function rewriteHostKeys(path: string, change: HostKeysRewrite): string | undefined {
  const text = readKnownHosts(path);
  const names = new Set(change.forget.map((name) => name.toLowerCase()));
  const namesOnlyForgotten = (hosts: string) =>
    hosts.startsWith('|')
      ? change.forget.some((name) => hostFieldMatches(hosts, name))
      : hosts.split(',').every((pattern) => names.has(pattern.toLowerCase()));
  const stale = new Set(
    parseKnownHosts(text)
      .filter((entry) => entry.marker === null && namesOnlyForgotten(entry.hosts))
      .map((entry) => entry.lineNumber),
  );
  const kept = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const lines = kept.filter((_, index) => !stale.has(index + 1));
  const recorded = parseKnownHosts(lines.join('\n'));
  for (const key of change.record?.keys ?? []) {
    const blob = Buffer.from(key.split(' ')[1] ?? '', 'base64');
    for (const name of change.record?.as ?? []) {
      const known = recorded.some(
        (entry) =>
          entry.marker === null && entry.key.equals(blob) && hostFieldMatches(entry.hosts, name),
      );
      if (!known) lines.push(formatKnownHostsLine(name, blob).trimEnd());
    }
  }
  const next = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  if (next === text) return undefined;
  let mode = 0o600;
  let backup: string | undefined;
  if (existsSync(path)) {
    mode = statSync(path).mode & 0o7777;
    backup = `${path}.pcw-${backupStamp()}.bak`;
    for (let n = 1; existsSync(backup); n += 1) backup = `${path}.pcw-${backupStamp()}-${n}.bak`;
    copyFileSync(path, backup);
  } else mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.pcw-${process.pid}.tmp`;
  writeFileSync(temporary, next, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, path);
  return backup;
}
