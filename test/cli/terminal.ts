// The built program in a real pseudo-terminal: a tmux server of our own (its own socket name),
// keys sent one at a time, the screen read back with capture-pane. Only that server is killed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let servers = 0;

/**
 * How long to wait before reading the terminal again, `since` the wait began: every 25 ms at first
 * (a key's answer shows within a frame or two), then less and less often, up to every 250 ms, so
 * that waiting minutes for a run costs a few tmux reads a second instead of forty.
 */
export function pollDelay(since: number): Promise<void> {
  const ms = Math.min(250, 25 + Math.floor((Date.now() - since) / 10));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Terminal {
  readonly socket = `pcw-cli-test-${process.pid}-${++servers}`;
  protected readonly target = 'wizard';

  /** Starts the command; when it ends the pane shows "[exit N]" and stays open to be read. */
  constructor(command: string, size = { columns: 120, rows: 40 }) {
    this.tmux(
      'new-session',
      '-d',
      '-s',
      this.target,
      '-x',
      String(size.columns),
      '-y',
      String(size.rows),
      `${command}; echo "[exit $?]"; sleep 3600`,
    );
  }

  protected tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
    });
  }

  /** The screen as text; with colours: its escape sequences too. */
  screen(options: { colours?: boolean } = {}): string {
    return this.tmux('capture-pane', '-p', ...(options.colours ? ['-e'] : []), '-t', this.target);
  }

  /** Everything the terminal printed, scrolled-off lines included, wrapped lines joined. */
  history(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', this.target);
  }

  /** Sends one key by tmux name (Enter, Escape, BSpace, Down, C-c) or literal text. */
  send(key: string, literal = false): void {
    this.tmux('send-keys', '-t', this.target, ...(literal ? ['-l'] : []), key);
  }

  async waitFor(expected: string | RegExp, timeoutMs = 8000): Promise<string> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (typeof expected === 'string' ? screen.includes(expected) : expected.test(screen)) {
        // A screen's key handlers subscribe just after it is drawn: return once it holds still.
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (this.screen() === screen) return screen;
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`the terminal never showed ${String(expected)}; screen:\n${screen}`);
      }
      await pollDelay(since);
    }
  }

  /** Sends a key, then waits for what it should bring. */
  async press(key: string, expected: string | RegExp): Promise<string> {
    this.send(key);
    return this.waitFor(expected);
  }

  /** Types text one character at a time, each after the screen has changed. */
  async type(text: string): Promise<void> {
    for (const character of text) {
      const before = this.screen();
      this.send(character, true);
      const deadline = Date.now() + 8000;
      while (this.screen() === before) {
        if (Date.now() > deadline) throw new Error(`typing ${character} changed nothing`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  }

  /** The process the pane runs (the command, started by the pane's shell). */
  commandPid(): number {
    const shell = this.tmux('display-message', '-p', '-t', this.target, '#{pane_pid}').trim();
    const child = execFileSync('pgrep', ['-P', shell], { encoding: 'utf8' }).trim().split('\n')[0];
    return Number(child);
  }

  async exitCode(): Promise<number> {
    const screen = await this.waitFor(/\[exit \d+\]/);
    return Number(/\[exit (\d+)\]/.exec(screen)?.[1]);
  }

  close(): void {
    let socketPath: string | undefined;
    try {
      socketPath = this.tmux('display-message', '-p', '#{socket_path}').trim();
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    // tmux leaves its socket file behind when its server is killed.
    if (socketPath) fs.rmSync(socketPath, { force: true });
  }
}
