// Host keys and known_hosts lookups made by OpenSSH's own ssh-keygen, for tests of the wizard's
// known_hosts: a key as `type base64`, and what `ssh-keygen -F` (as ssh reads the file) finds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A new ed25519 key made in `directory` under `name`, as `type base64`. */
export function newKey(directory: string, name: string): string {
  const path = join(directory, name);
  const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  assert.equal(made.status, 0, String(made.stderr));
  return readFileSync(`${path}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
}

/** The lines `ssh-keygen -F host` finds in the file ('' when none). */
export const found = (file: string, host: string) =>
  spawnSync('ssh-keygen', ['-F', host, '-f', file], { encoding: 'utf8' }).stdout;
