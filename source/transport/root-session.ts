/**
 * One privileged session per connection when sudo asks for the password: sudo checks the password
 * once and starts a small POSIX sh agent as root, and every later root command of the connection
 * is sent to that agent over its stdin and answered on its stdout, framed by lengths.
 */

import type { Readable, Writable } from 'node:stream';
import {
  aborted,
  commandKilled,
  commandTimedOut,
  connectionLost,
  droppedUnder,
  TransportError,
} from './errors.js';
import type { RawResult } from './shell-node-connection.js';

/** How a long-lived process on a node ended. */
export interface ProcessEnd {
  /** The exit code, null when a signal ended it or no exit status came at all. */
  code: number | null;
  signal: string | null;
  /** Set when the connection went away under the process (no exit status came). */
  lostReason?: string;
}

/** A long-lived process on a node with its three streams, started without a terminal. */
export interface NodeProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once the process has ended and its streams are closed; never rejects. */
  readonly ended: Promise<ProcessEnd>;
  /** Ends it at once and frees what it holds; `ended` still resolves afterwards. */
  kill(): void;
}

/** What the session runs: a shell command line (values already quoted) and its whole stdin. */
export interface SessionRequest {
  script: string;
  stdin: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  what: string;
}

/**
 * sudo's prompt. `-S` writes it to stderr each time sudo reads a password line, so seeing it twice
 * means the first line was refused and sudo waits for another: any language, any tty.
 */
export const SUDO_PROMPT = 'pcw-sudo-reads-password:';
const READY = 'pcw-root-session-ready';

/**
 * The agent, run by `sudo … sh -c AGENT sh`. A request on stdin is a line `<script bytes> <stdin
 * bytes>`, exactly those bytes (`head -c` reads no more than it is asked for from a pipe), then a
 * line `.`: a request cut short (the wizard gone mid-write) never runs. The script and the stdin go
 * to files in a private directory, and the script runs with that stdin and its own output files, so
 * the command never sees the agent's stdin and its output cannot break the framing. The answer on
 * stdout is a line `<code> <stdout bytes> <stderr bytes>`, then those bytes. The command runs in
 * the background and is waited for, so a TERM (a local kill of sudo, which relays it) reaches the
 * trap at once, which ends the command and removes the directory. The agent's files are private
 * (umask 077); the command gets the umask sudo gave, as a command of its own would. Few processes
 * per request: on a Pi Zero each costs.
 */
export const ROOT_AGENT = `set -u
mask=$(umask)
umask 077
dir=$(mktemp -d) || exit 1
running=
trap '[ -z "$running" ] || kill "$running" 2>/dev/null; rm -rf -- "$dir"' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE
trap 'exit 143' TERM
echo ${READY}
while IFS=' ' read -r scriptbytes inputbytes; do
  case "$scriptbytes:$inputbytes" in
    *[!0-9:]* | :* | *:) echo "pcw agent: bad request header" >&2; exit 2 ;;
  esac
  head -c "$scriptbytes" >"$dir/command"
  if [ "$inputbytes" -gt 0 ]; then head -c "$inputbytes" >"$dir/stdin"; else : >"$dir/stdin"; fi
  IFS= read -r end && [ "$end" = . ] || exit 2
  { umask "$mask"; . "$dir/command"; } <"$dir/stdin" >"$dir/stdout" 2>"$dir/stderr" &
  running=$!
  wait "$running"
  code=$?
  running=
  set -- $(cd "$dir" && exec wc -c stdout stderr)
  printf '%s %s %s\\n' "$code" "$1" "$3"
  cat -- "$dir/stdout" "$dir/stderr"
done`;

/** Reads lines and exact byte counts from a stream, one read at a time. */
class FrameReader {
  readonly #chunks: Buffer[] = [];
  #length = 0;
  #ended = false;
  #want:
    | { bytes: number | 'line'; resolve: (data: Buffer) => void; reject: () => void }
    | undefined;

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
      this.#serve();
    });
    const end = () => {
      this.#ended = true;
      this.#serve();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  /** The next line without its newline. */
  async line(): Promise<string> {
    return (await this.#read('line')).toString('utf8');
  }

  bytes(count: number): Promise<Buffer> {
    return this.#read(count);
  }

  #read(bytes: number | 'line'): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.#want = { bytes, resolve, reject };
      this.#serve();
    });
  }

  #serve(): void {
    const want = this.#want;
    if (!want) return;
    let taken: Buffer | undefined;
    if (want.bytes === 'line') {
      const all = Buffer.concat(this.#chunks);
      const newline = all.indexOf(0x0a);
      if (newline !== -1) {
        taken = all.subarray(0, newline);
        this.#keep(all.subarray(newline + 1));
      } else {
        this.#keep(all);
      }
    } else if (this.#length >= want.bytes) {
      const all = Buffer.concat(this.#chunks);
      taken = all.subarray(0, want.bytes);
      this.#keep(all.subarray(want.bytes));
    }
    if (taken !== undefined) {
      this.#want = undefined;
      want.resolve(taken);
    } else if (this.#ended) {
      this.#want = undefined;
      want.reject();
    }
  }

  #keep(rest: Buffer): void {
    this.#chunks.length = 0;
    if (rest.length > 0) this.#chunks.push(rest);
    this.#length = rest.length;
  }
}

export interface RootSessionOptions {
  node: string;
  /**
   * How long to wait for the answer of a command after the wizard gave up on it, before the session
   * is ended instead: the on-node `timeout -k 5` ends it within about 7 s. 0 when commands have no
   * timeout on the node: ending the session is then what ends the command.
   */
  answerGraceMs: number;
}

/** The outcome of starting: a session, or sudo's refusal with its exit code and words. */
/**
 * A started session, with the `pcw-file …` lines the agent printed before it was ready (files it
 * was asked to read as it started), or sudo's refusal.
 */
export type SessionStart = { session: RootSession; before: string[] } | { refused: RawResult };

export class RootSession {
  readonly #process: NodeProcess;
  readonly #reader: FrameReader;
  readonly #options: RootSessionOptions;
  #open = true;
  #idle: Promise<void> = Promise.resolve();
  #becomeIdle: () => void = noop;

  private constructor(process: NodeProcess, reader: FrameReader, options: RootSessionOptions) {
    this.#process = process;
    this.#reader = reader;
    this.#options = options;
    void process.ended.then(() => {
      this.#open = false;
      this.#becomeIdle();
    });
    // After the start nothing is expected on stderr; it is read so the channel never stalls.
    process.stderr.resume();
  }

  /**
   * Sends the password as the first line of sudo's stdin, then waits for the agent to say it is
   * ready, or for sudo to refuse (a second prompt means the password was wrong: stdin is closed so
   * sudo gives up at once instead of waiting for another line).
   */
  static start(
    process: NodeProcess,
    password: string,
    request: { timeoutMs: number; signal?: AbortSignal; what: string },
    options: RootSessionOptions,
  ): Promise<SessionStart> {
    const { node } = options;
    const reader = new FrameReader(process.stdout);
    const stderr: Buffer[] = [];
    const onStderr = (chunk: Buffer) => {
      stderr.push(chunk);
      if (Buffer.concat(stderr).toString('utf8').split(SUDO_PROMPT).length > 2) {
        process.stdin.end();
      }
    };
    process.stderr.on('data', onStderr);
    process.stdin.on('error', () => {});
    const words = () => Buffer.concat(stderr).toString('utf8').replaceAll(SUDO_PROMPT, '');
    return new Promise<SessionStart>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        process.stderr.off('data', onStderr);
        settle();
      };
      const stop = (error: TransportError) =>
        finish(() => {
          process.kill();
          reject(error);
        });
      const onAbort = () => stop(aborted(node, request.what));
      const timer = setTimeout(
        () => stop(commandTimedOut(node, request.what, request.timeoutMs)),
        request.timeoutMs,
      );
      if (request.signal?.aborted) {
        onAbort();
        return;
      }
      request.signal?.addEventListener('abort', onAbort, { once: true });
      // What the agent read before it says it is ready (see ShellNodeConnection), then READY.
      const before: string[] = [];
      const nextLine = (): Promise<string> =>
        reader.line().then((line) => {
          if (!line.startsWith('pcw-file ')) return line;
          before.push(line);
          return nextLine();
        });
      nextLine().then(
        (line) => {
          if (line === READY) {
            finish(() => resolve({ session: new RootSession(process, reader, options), before }));
          } else {
            stop(
              new TransportError(node, 'protocol', {
                message: `The root session on ${node} answered ${JSON.stringify(line)} instead of starting.`,
                nextStep:
                  'Retry; if it keeps failing, run `sudo true` on the node by hand to see what it says.',
              }),
            );
          }
        },
        () => {},
      );
      void process.ended.then((end) =>
        finish(() => {
          if (end.code !== null) {
            resolve({
              refused: { code: end.code, stdout: Buffer.alloc(0), stderr: Buffer.from(words()) },
            });
          } else reject(endError(node, request.what, end, words()));
        }),
      );
      process.stdin.write(`${password}\n`);
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Resolves when the agent has answered the last request, or the session has ended. */
  get idle(): Promise<void> {
    return this.#idle;
  }

  /** Runs one command; call it only when `idle` has resolved (the connection queues them). */
  run(request: SessionRequest): Promise<RawResult> {
    const { node } = this.#options;
    const { what } = request;
    if (!this.#open) return Promise.reject(connectionLost(node, `the root session had ended`));
    if (request.signal?.aborted) return Promise.reject(aborted(node, what));
    const script = Buffer.from(request.script);
    this.#process.stdin.write(
      Buffer.concat([
        Buffer.from(`${script.length} ${request.stdin.length}\n`),
        script,
        request.stdin,
        Buffer.from('.\n'),
      ]),
    );
    const answer = this.#readAnswer();
    this.#idle = new Promise<void>((resolve) => {
      this.#becomeIdle = resolve;
    });
    answer.then(this.#becomeIdle, this.#becomeIdle);
    return new Promise<RawResult>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const onAbort = () =>
        finish(() => {
          this.kill();
          reject(aborted(node, what));
        });
      const timer = setTimeout(
        () =>
          finish(() => {
            reject(commandTimedOut(node, what, request.timeoutMs));
            this.#endUnlessAnswered(answer);
          }),
        request.timeoutMs,
      );
      request.signal?.addEventListener('abort', onAbort, { once: true });
      answer.then(
        (result) => finish(() => resolve(result)),
        () =>
          void this.#process.ended.then((end) =>
            finish(() => reject(endError(node, what, end, ''))),
          ),
      );
    });
  }

  async #readAnswer(): Promise<RawResult> {
    const header = await this.#reader.line();
    const [code, outBytes, errBytes] = header.split(' ').map(Number);
    if (code === undefined || outBytes === undefined || errBytes === undefined) {
      throw new Error(`unexpected answer ${header}`);
    }
    const stdout = await this.#reader.bytes(outBytes);
    const stderr = await this.#reader.bytes(errBytes);
    return { code, stdout, stderr };
  }

  /** A command the wizard gave up on: its answer is awaited a little, then the session ends. */
  #endUnlessAnswered(answer: Promise<RawResult>): void {
    if (this.#options.answerGraceMs === 0) {
      this.kill();
      return;
    }
    const timer = setTimeout(() => this.kill(), this.#options.answerGraceMs);
    const done = () => clearTimeout(timer);
    answer.then(done, done);
  }

  /**
   * Ends the session at once: the next root command starts a new one. Over SSH the process itself
   * may outlive this (sshd keeps a channel until its process exits, and a root command it runs
   * ends at its timeout on the node), so nothing waits for it.
   */
  kill(): void {
    this.#open = false;
    this.#becomeIdle();
    this.#process.kill();
  }

  /** Ends the session cleanly: the agent reads the end of its stdin, removes its directory, exits. */
  async close(): Promise<void> {
    this.#open = false;
    this.#process.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), 2_000);
    });
    const outcome = await Promise.race([this.#process.ended, late]);
    clearTimeout(timer);
    if (outcome === 'late') this.#process.kill();
  }
}

function noop(): void {}

/** The error of a command under which the session's process ended without answering. */
function endError(node: string, what: string, end: ProcessEnd, stderr: string): TransportError {
  if (end.lostReason !== undefined) return droppedUnder(node, what, end.lostReason);
  if (end.signal !== null) return commandKilled(node, what, end.signal);
  const said = stderr.trim().split('\n').slice(-1)[0];
  return connectionLost(
    node,
    `the root session ended under ${what} (exit code ${end.code}${said ? `: ${said}` : ''})`,
  );
}
