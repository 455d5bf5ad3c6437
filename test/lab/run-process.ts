// One child process run to completion for the lab and its helpers: stdin written, stdout and stderr
// collected, killed (with its process group) after a time limit. Detached, so no controlling
// terminal: ssh then asks SSH_ASKPASS instead of a terminal.
import { spawn } from 'node:child_process';
import type { RunResult } from './lab.js';

export interface ProcessOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export function runProcess(
  command: string,
  args: string[],
  options: ProcessOptions,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
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
