/**
 * A JSON-lines log of every command run on every node, with its result and duration, so a failure
 * can point at the file. Secrets are redacted before anything is written; stdin is never logged.
 */

import { appendFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface CommandLogEntry {
  time: string;
  node: string;
  command: string;
  asRoot: boolean;
  /** An SSH login (a connection opened), not a command. */
  connection?: true;
  code: number | null;
  durationMs: number;
  /** The error kind when the command did not produce an exit code. */
  error?: string;
  /** The end of stderr when the command failed, redacted. */
  stderr?: string;
}

const REDACTED = '[redacted]';

export class CommandLog {
  readonly path: string;
  readonly #secrets = new Set<string>();

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    appendFileSync(path, '', { mode: 0o600 });
  }

  /** Every later entry has this value replaced, wherever it appears. */
  addSecret(secret: string | undefined): void {
    if (secret !== undefined && secret.length > 0) {
      this.#secrets.add(secret);
    }
  }

  redact(text: string): string {
    let result = text;
    // Longest first, so a secret containing another is not left half visible.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      result = result.split(secret).join(REDACTED);
    }
    return result;
  }

  record(entry: Omit<CommandLogEntry, 'time'>): void {
    const redacted: CommandLogEntry = {
      time: new Date().toISOString(),
      ...entry,
      node: this.redact(entry.node),
      command: this.redact(entry.command),
      ...(entry.stderr === undefined ? {} : { stderr: this.redact(entry.stderr) }),
    };
    // One write per line, appended: parallel nodes cannot interleave within a line.
    appendFileSync(this.path, `${JSON.stringify(redacted)}\n`, { mode: 0o600 });
  }
}

function timestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** `$XDG_STATE_HOME/pi-cluster-wizard/commands-<UTC time>.jsonl`, one file per run. */
export function defaultCommandLogPath(now = new Date()): string {
  const stateHome = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(stateHome, 'pi-cluster-wizard', `commands-${timestamp(now)}.jsonl`);
}
