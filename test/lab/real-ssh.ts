// The real OpenSSH client against lab nodes, logging in with a password (through SSH_ASKPASS) as a
// person does, plus host key fingerprints as ssh-keyscan and ssh-keygen report them.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunResult } from './lab.js';

const askpass = fileURLToPath(new URL('./askpass.sh', import.meta.url));

export interface SshTarget {
  address: string;
  user: string;
  password: string;
}

interface ProcessOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

function runProcess(command: string, args: string[], options: ProcessOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // detached: no controlling terminal, so ssh asks SSH_ASKPASS instead of a terminal.
    const child = spawn(command, args, {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
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
