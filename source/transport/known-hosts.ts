/**
 * OpenSSH's known_hosts format and key fingerprints, as pure functions: what `ssh` writes and
 * reads, so keys recorded here are trusted by plain `ssh` afterwards and the other way round.
 */

import { createHash, createHmac } from 'node:crypto';

/** How OpenSSH names a host in known_hosts: the bare host on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The text `ssh-keygen -lf` prints for a key: `SHA256:` and the unpadded base64 of its hash. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) {
    throw new Error('The host key is too short to be an SSH public key.');
  }
  const length = keyBlob.readUInt32BE(0);
  if (length === 0 || length > 64 || keyBlob.length < 4 + length) {
    throw new Error('The host key does not start with a key type.');
  }
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

export interface KnownHostsEntry {
  lineNumber: number;
  marker: 'revoked' | 'cert-authority' | null;
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** Reads every key line of a known_hosts file; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostsEntry['marker'] = null;
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [hosts, keyType, keyText] = fields;
    if (!hosts || !keyType || !keyText || !/^[A-Za-z0-9+/]+={0,2}$/.test(keyText)) return;
    entries.push({
      lineNumber: index + 1,
      marker,
      hosts,
      keyType,
      key: Buffer.from(keyText, 'base64'),
    });
  });
  return entries;
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function hashedNameMatches(field: string, name: string): boolean {
  const [, magic, salt, hash] = field.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** Whether the host field of an entry (a `|1|…` hash, or a comma list of patterns) names `name`. */
export function hostFieldMatches(hostsField: string, name: string): boolean {
  if (hostsField.startsWith('|')) {
    return hashedNameMatches(hostsField, name);
  }
  let matched = false;
  for (const pattern of hostsField.split(',')) {
    const negated = pattern.startsWith('!');
    const bare = negated ? pattern.slice(1) : pattern;
    if (wildcardToRegExp(bare).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export type HostKeyStatus =
  | { status: 'known' }
  | { status: 'unknown' }
  | { status: 'changed'; knownLines: number[] }
  | { status: 'revoked'; lineNumber: number };

/**
 * What known_hosts says about `key` offered by the host called `name`. A host recorded with other
 * keys only is "changed", even when their type differs, so a key of a new type is never trusted
 * silently.
 */
export function checkHostKey(
  entries: readonly KnownHostsEntry[],
  name: string,
  key: Buffer,
): HostKeyStatus {
  const revoked = entries.find((entry) => entry.marker === 'revoked' && entry.key.equals(key));
  if (revoked) return { status: 'revoked', lineNumber: revoked.lineNumber };
  const forHost = entries.filter(
    (entry) => entry.marker === null && hostFieldMatches(entry.hosts, name),
  );
  if (forHost.some((entry) => entry.key.equals(key))) return { status: 'known' };
  if (forHost.length > 0) {
    return { status: 'changed', knownLines: forHost.map((entry) => entry.lineNumber) };
  }
  return { status: 'unknown' };
}

/** Key types known for a host, so the handshake can ask for one of them first (as `ssh` does). */
export function knownKeyTypes(entries: readonly KnownHostsEntry[], name: string): string[] {
  const types = entries
    .filter((entry) => entry.marker === null && hostFieldMatches(entry.hosts, name))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

/** One known_hosts line as `ssh` would write it with HashKnownHosts off. */
export function formatKnownHostsLine(name: string, key: Buffer): string {
  return `${name} ${keyTypeOfBlob(key)} ${key.toString('base64')}\n`;
}
