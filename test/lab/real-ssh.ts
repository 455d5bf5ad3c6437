// The real OpenSSH client against lab nodes, logging in with a password (through SSH_ASKPASS) as a
// person does, plus host key fingerprints as ssh-keyscan and ssh-keygen report them.

import { fileURLToPath } from 'node:url';
import type { RunResult } from './lab.js';
import { runProcess } from './run-process.js';

const askpass = fileURLToPath(new URL('./askpass.sh', import.meta.url));

export interface SshTarget {
  address: string;
  user: string;
  password: string;
}

/** Runs `command` on the target with `ssh user@address`, password authentication only. */
export function sshWithPassword(
  target: SshTarget,
  command: string,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const args = [
    ...['-F', '/dev/null', '-T'],
    ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
    ...['-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
    ...['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password'],
    ...['-o', 'NumberOfPasswordPrompts=1', '-o', 'ConnectTimeout=5'],
    ...['-o', 'ServerAliveInterval=2', '-o', 'ServerAliveCountMax=3'],
    `${target.user}@${target.address}`,
    '--',
    command,
  ];
  return runProcess('ssh', args, {
    ...options,
    env: {
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: 'force',
      PCW_LAB_SSH_PASSWORD: target.password,
    },
  });
}

/** `SHA256:…` fingerprints of the host keys served at address:22, sorted, one per key type. */
export async function hostKeyFingerprints(address: string): Promise<string[]> {
  const scan = await runProcess('ssh-keyscan', ['-T', '5', '-t', 'ed25519,ecdsa', address], {});
  if (scan.code !== 0 || scan.stdout.trim() === '') {
    throw new Error(`ssh-keyscan ${address} failed: ${scan.stderr}`);
  }
  const fingerprints = await runProcess('ssh-keygen', ['-l', '-f', '-'], { input: scan.stdout });
  if (fingerprints.code !== 0) throw new Error(`ssh-keygen -l failed: ${fingerprints.stderr}`);
  return fingerprints.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .sort();
}
