/**
 * The master: the machine the wizard runs on, reached through local child processes started
 * without a shell, behind the same interface as a worker.
 */

import { spawn } from 'node:child_process';
import type { CommandLog } from './command-log.js';
import { aborted, commandKilled, commandTimedOut } from './errors.js';
import type { NodeProcess, ProcessEnd } from './root-session.js';
import {
  type ExecuteRequest,
  type RawResult,
  ShellNodeConnection,
} from './shell-node-connection.js';

export interface LocalConnectionOptions {
  /** The master's name in messages and the log (default "master"). */
  node?: string;
  /** The password of the user running the wizard, for sudo when it asks. */
  password?: string;
  commandLog?: CommandLog;
}

export class LocalNodeConnection extends ShellNodeConnection {
  constructor(options: LocalConnectionOptions = {}) {
    super({
      node: options.node ?? 'master',
      address: 'local',
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.commandLog ? { commandLog: options.commandLog } : {}),
    });
  }

  protected execute(request: ExecuteRequest): Promise<RawResult> {
    const [program, ...args] = request.argv;
    return new Promise<RawResult>((resolve, reject) => {
      if (program === undefined) {
        reject(new Error('A command needs at least a program name.'));
        return;
      }
      if (request.signal?.aborted) {
        reject(aborted(this.node, request.what));
        return;
      }
      const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let failure: Error | undefined;
      let missingProgram = false;
      const stop = (error: Error) => {
        failure ??= error;
        // SIGTERM first: sudo passes it on to the command, which a SIGKILL of sudo would orphan.
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      };
      const onAbort = () => stop(aborted(this.node, request.what));
      const timer = setTimeout(
        () => stop(commandTimedOut(this.node, request.what, request.timeoutMs)),
        request.timeoutMs,
      );
      request.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      // A command that exits without reading its stdin closes the pipe: not an error of ours.
      child.stdin.on('error', () => {});
      child.on('error', (error: NodeJS.ErrnoException) => {
        // Same as a shell: a missing program is exit code 127 with a message, not a crash.
        if (error.code === 'ENOENT') {
          missingProgram = true;
          stderr.push(Buffer.from(`${program}: command not found\n`));
        } else {
          failure ??= error;
        }
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        if (failure) reject(failure);
        else if (missingProgram)
          resolve({ code: 127, stdout: Buffer.alloc(0), stderr: Buffer.concat(stderr) });
        else if (code !== null)
          resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
        else if (signal !== null) reject(commandKilled(this.node, request.what, signal));
        else resolve({ code: 127, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
      });
      if (request.stdin !== undefined) child.stdin.end(request.stdin);
      else child.stdin.end();
    });
  }

  /** Resolves once the program runs, so a missing one fails here and not as a process. */
  protected startProcess(argv: readonly string[]): Promise<NodeProcess> {
    const [program, ...args] = argv;
    return new Promise<NodeProcess>((resolve, reject) => {
      if (program === undefined) {
        reject(new Error('A command needs at least a program name.'));
        return;
      }
      const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const ended = new Promise<ProcessEnd>((settle) => {
        child.on('close', (code, signal) => settle({ code, signal }));
      });
      child.stdin.on('error', () => {});
      // Before the spawn: the program is missing. After it: a kill that failed, which the end of
      // the session shows anyway.
      child.on('error', reject);
      child.once('spawn', () =>
        resolve({
          stdin: child.stdin,
          stdout: child.stdout,
          stderr: child.stderr,
          ended,
          kill: () => {
            // SIGTERM: sudo passes it on to its command, whose trap ends what it runs; the closed
            // pipes end it too if sudo is already gone.
            child.stdin.destroy();
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
          },
        }),
      );
    });
  }

  protected async disconnect(): Promise<void> {}
}
