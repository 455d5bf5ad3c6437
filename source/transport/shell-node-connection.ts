/**
 * Everything a NodeConnection does beyond running one command (sudo, reading and replacing files,
 * managed blocks, the command log), written once on top of `execute`, so the master and the workers
 * behave the same.
 */

import { createHash } from 'node:crypto';
import type { CommandLog } from './command-log.js';
import {
  aborted,
  commandFailed,
  isTransportError,
  type SudoRefusal,
  sudoRefused,
  TransportError,
} from './errors.js';
import { applyManagedBlock } from './managed-block.js';
import type {
  Command,
  CommandResult,
  FileChange,
  FileState,
  FileWrite,
  NodeConnection,
  ReadAlong,
  ReadFileOptions,
  ReplaceFileOptions,
  RunOptions,
} from './node-connection.js';
import { type NodeProcess, ROOT_AGENT, RootSession, SUDO_PROMPT } from './root-session.js';
import { shellCommand } from './shell-quote.js';
import { unifiedDiff } from './unified-diff.js';

export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;

export interface ExecuteRequest {
  argv: readonly string[];
  stdin?: string | Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  /** For error messages: what was being run. */
  what: string;
}

export interface RawResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** The argv that runs a command: argv as is, a script as `sh -c script sh args…`. */
export function commandArgv(command: Command): readonly string[] {
  if ('script' in command) {
    return ['sh', '-c', command.script, 'sh', ...(command.args ?? [])];
  }
  return command as readonly string[];
}

type SudoMode = 'root' | 'nopasswd' | 'password';

/**
 * Starts the root session. `-k` ignores cached credentials, so sudo always reads the password
 * line sent first on stdin and never passes it on to the agent; `-p` sets the prompt the session
 * counts to tell a refused password.
 */
function sudoStartsRootSession(readFirst: readonly string[]): readonly string[] {
  return [
    'sudo',
    '-k',
    '-S',
    '-p',
    SUDO_PROMPT,
    '--',
    'sh',
    '-c',
    AGENT_READING_FIRST,
    'sh',
    ...readFirst,
  ];
}
const SUDO_WITHOUT_PASSWORD = ['sudo', '-n', '--'];

/** The bound on sudo checking the password and the agent starting. */
const ROOT_SESSION_START_TIMEOUT_MS = 30_000;

/**
 * After the wizard gave up on a root command, how long its answer is awaited before the session is
 * ended: the node's `timeout -k 5` ends the command at most about 7 s later.
 */
const ROOT_ANSWER_GRACE_MS = 8_000;

const SUDO_PROBE = `if [ "$(id -u)" = 0 ]; then echo root; exit 0; fi
command -v sudo >/dev/null 2>&1 || { echo no-sudo; exit 0; }
if sudo -n true >/dev/null 2>&1; then echo nopasswd; else echo password; fi`;

/**
 * Prints `pcw-probe <boot id> <sudo probe's answer>`: what a connection learns once, since neither
 * changes while it lasts (a reboot ends it).
 */
const PROBE_LINE = `printf 'pcw-probe %s %s\\n' "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)" "$(
${SUDO_PROBE}
)"`;

const VALIDATION_FAILED_CODE = 45;
const CHANGED_MEANWHILE_CODE = 46;

/**
 * Prints `present <mode> <owner> <group> <sha256>` and the content, `missing`, or `unseen` (not
 * there for this user, who cannot look into its directory). Follows symlinks. The hash is the
 * node's, of the bytes (the content arrives as text).
 */
const INSPECT_FILE = `if [ ! -e "$1" ]; then
  dir=$(dirname -- "$1")
  if [ -d "$dir" ] && [ -x "$dir" ]; then echo missing; else echo unseen; fi
  exit 0
fi
meta=$(stat -L -c 'present %a %U %G' -- "$1") && sum=$(sha256sum < "$1") || exit 1
printf '%s %s\\n' "$meta" "\${sum%% *}"
exec cat -- "$1"`;

/** Prints a `pcw-file …` line for the file "$1" (see READ_ALONG); defines `inspect_line`. */
const INSPECT_LINE = `inspect() {
${INSPECT_FILE}
}
inspect_line() {
  printf 'pcw-file %s\\n' "$({ (inspect "$1") 2>/dev/null; printf '\\n%s' "$?"; } | base64 -w 0)"
}`;

/**
 * The root agent, after reading the files named in its arguments (as root, one `pcw-file …` line
 * each, before it says it is ready): files the login user could not read come along with the
 * password check instead of costing a round trip of their own.
 */
const AGENT_READING_FIRST = `${INSPECT_LINE}
for file do inspect_line "$file"; done
${ROOT_AGENT}`;

/**
 * Runs "$@" after reading along (see ReadAlong): `$1` yes/no for the probe line, `$2` how many
 * files follow (each inspected as INSPECT_FILE does, its output and exit code base64-encoded on
 * one line `pcw-file …`), then `pcw-end` and the command itself, whose output follows unchanged.
 * Nothing here can stop the command from running.
 */
const READ_ALONG = `probe=$1 n=$2
shift 2
if [ "$probe" = yes ]; then
${PROBE_LINE}
fi
${INSPECT_LINE}
while [ "$n" -gt 0 ]; do
  inspect_line "$1"
  shift
  n=$((n - 1))
done
echo pcw-end
exec "$@"`;

/**
 * Writes files atomically, several in one round trip: for each, a temporary file in the same
 * directory gets the content, mode and owner, the old version is copied to a timestamped backup,
 * then a rename puts the new one in place. Arguments: the backup stamp, then for each file
 * `<count> <content bytes>` and its `count` arguments: target mode owner group backup(yes/no)
 * expected, then an optional validation command whose `%s` arguments become the temporary file (if
 * it fails, nothing is replaced). Stdin is the contents, one after the other; each is taken first
 * (`head -c` reads no more than it is asked for), so one file's failure leaves the next in line.
 * `expected` is the sha256 of the version the new one was made from (or `missing`): when the file
 * is something else by now, someone else changed it meanwhile and nothing is written. Prints one
 * line per file: `pcw-wrote <code> unchanged` (content, mode and owner were already right, nothing
 * written) or `pcw-wrote 0 changed <owner> <group> <backup path>`.
 */
const REPLACE_FILES = `stamp=$1
shift
stage=$(mktemp -d) || exit 1
trap 'rm -rf -- "$stage"' EXIT
replace() {
  content=$1 target=$2 mode=$3 owner=$4 group=$5 keep=$6 expected=$7
  shift 7
  if [ -L "$target" ]; then target=$(readlink -f -- "$target"); fi
  if [ -d "$target" ]; then echo "$target is a directory" >&2; exit 2; fi
  dir=$(dirname -- "$target")
  tmp=$(mktemp "$dir/.pcw-tmp.XXXXXXXX")
  trap 'rm -f -- "$tmp"' EXIT
  cat -- "$content" > "$tmp"
  if [ -e "$target" ]; then
    same=yes
    cmp -s -- "$tmp" "$target" || same=no
    [ "$(stat -c %a -- "$target")" = "$mode" ] || same=no
    [ -z "$owner" ] || [ "$(stat -c %U -- "$target")" = "$owner" ] || same=no
    [ -z "$group" ] || [ "$(stat -c %G -- "$target")" = "$group" ] || same=no
    if [ "$same" = yes ]; then echo unchanged; exit 0; fi
    [ -n "$owner" ] || owner=$(stat -c %U -- "$target")
    [ -n "$group" ] || group=$(stat -c %G -- "$target")
  fi
  now=missing
  if [ -e "$target" ]; then now=$(sha256sum < "$target"); now=\${now%% *}; fi
  [ "$now" = "$expected" ] || exit ${CHANGED_MEANWHILE_CODE}
  chmod -- "$mode" "$tmp"
  if [ -n "$owner" ]; then chown -- "$owner" "$tmp"; fi
  if [ -n "$group" ]; then chgrp -- "$group" "$tmp"; fi
  if [ "$#" -gt 0 ]; then
    n=$#
    while [ "$n" -gt 0 ]; do
      arg=$1
      shift
      if [ "$arg" = %s ]; then arg=$tmp; fi
      set -- "$@" "$arg"
      n=$((n - 1))
    done
    if ! "$@" >&2; then exit ${VALIDATION_FAILED_CODE}; fi
  fi
  backup=
  if [ -e "$target" ] && [ "$keep" = yes ]; then
    backup="$target.pcw-$stamp.bak"
    n=1
    while [ -e "$backup" ]; do backup="$target.pcw-$stamp-$n.bak"; n=$((n + 1)); done
    cp -p -- "$target" "$backup"
  fi
  sync -- "$tmp" 2>/dev/null || true
  mv -f -- "$tmp" "$target"
  trap - EXIT
  printf 'changed %s %s\\n' "$(stat -c '%U %G' -- "$target")" "$backup"
}
# The first $1 of the arguments after $2 are one file's: replace gets those, in a subshell of its
# own (set -e, its exit and trap end only this file).
replace_first() (
  set -eu
  count=$1 content=$2
  shift 2
  total=$#
  k=0
  while [ "$k" -lt "$total" ]; do
    arg=$1
    shift
    if [ "$k" -lt "$count" ]; then set -- "$@" "$arg"; fi
    k=$((k + 1))
  done
  replace "$content" "$@"
)
i=0
while [ "$#" -gt 0 ]; do
  count=$1 bytes=$2
  shift 2
  i=$((i + 1))
  head -c "$bytes" > "$stage/$i"
  replace_first "$count" "$stage/$i" "$@" > "$stage/said"
  code=$?
  printf 'pcw-wrote %s %s\\n' "$code" "$(head -n 1 "$stage/said")"
  shift "$count"
done`;

/** A write worked out from the version of the file the connection read. */
interface PlannedWrite {
  index: number;
  write: FileWrite;
  current: FileState | undefined;
  content: string;
}

/**
 * What a command may change on the node, so what the connection must forget before it runs:
 * nothing, running state only, any file, or these files (the connection's own writes).
 */
type Changes = 'nothing' | 'state' | 'files' | { written: readonly string[] };

interface ConnectionProbe {
  bootId: string;
  /** SUDO_PROBE's answer. */
  sudo: string;
}

function parseProbeLine(line: string): ConnectionProbe | undefined {
  const [tag, bootId, sudo] = line.trim().split(' ');
  return tag === 'pcw-probe' && bootId && sudo ? { bootId, sudo } : undefined;
}

const sha256Of = (content: string) => createHash('sha256').update(content, 'utf8').digest('hex');

/** What a caller's command may change, by its options. */
function changesOf(options: RunOptions): Changes {
  if (options.remember || options.readOnly) return 'nothing';
  return options.writesNoFile ? 'state' : 'files';
}

/** The stamp in a backup's name: `FILE.pcw-<stamp>.bak`. */
export function backupStamp(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');
}

function assertAbsolutePath(path: string): void {
  if (!path.startsWith('/')) {
    throw new Error(`A path on a node must be absolute, got ${JSON.stringify(path)}.`);
  }
}

function classifySudoRefusal(stderr: string): SudoRefusal {
  if (/not in the sudoers|may not run sudo|not allowed to (run|execute)/i.test(stderr)) {
    return 'not-in-sudoers';
  }
  if (/incorrect password|try again|authentication fail|no password was provided/i.test(stderr)) {
    return 'wrong-password';
  }
  return 'no-sudo';
}

export interface ShellNodeConnectionOptions {
  node: string;
  address: string;
  /** The login password, given to sudo when it asks. */
  password?: string;
  commandLog?: CommandLog;
}

export abstract class ShellNodeConnection implements NodeConnection {
  readonly node: string;
  readonly address: string;
  readonly commandLog: CommandLog | undefined;
  readonly #password: string | undefined;
  #sudoMode: Promise<SudoMode> | undefined;
  #home: Promise<string> | undefined;
  /** The root session of this connection, once sudo accepted the password; see runAsRoot. */
  #rootSession: RootSession | undefined;
  /** Root commands waiting for their turn in the session, first in line first. */
  readonly #rootQueue: Array<() => void> = [];
  #rootBusy = false;
  /**
   * What this connection last read or wrote of each file (null: missing), so that a step's
   * second check and the next step's read cost no round trip. Forgotten when a command that may
   * change files runs; every write checks the file is still what was read (REPLACE_FILES).
   */
  readonly #files = new Map<string, { state: FileState | null; asRoot: boolean }>();
  /**
   * The answers of commands run with `remember` (by who ran them and their argv), forgotten as
   * soon as the connection runs anything that may change the node.
   */
  readonly #remembered = new Map<
    string,
    { result: CommandResult; untilWritten: readonly string[] | undefined }
  >();
  /**
   * Files read along that the login user could not read (a NetworkManager keyfile): read as root
   * when the root session starts, if they are still unknown then.
   */
  readonly #unseen = new Set<string>();
  /** The boot id and sudo's behaviour, learned once per connection (see PROBE_LINE). */
  #probe: Promise<ConnectionProbe> | undefined;

  constructor(options: ShellNodeConnectionOptions) {
    this.node = options.node;
    this.address = options.address;
    this.#password = options.password;
    this.commandLog = options.commandLog;
    this.commandLog?.addSecret(options.password);
  }

  /** Runs one argv on the node: resolves with its exit code, fails with a TransportError otherwise. */
  protected abstract execute(request: ExecuteRequest): Promise<RawResult>;

  /**
   * Whether commands also get a timeout on the node itself. Over SSH, the TERM the wizard asks sshd
   * for as it gives up reaches the command (sudo relays it to root's), but a command that ignores
   * it, or one the wizard stopped waiting for without a signal, would go on: coreutils' `timeout`
   * ends it there a second later.
   */
  protected readonly timesOutOnNode: boolean = false;

  /**
   * Starts one long-lived process (no terminal) and hands over its streams: the root session.
   * Fails with a TransportError when the node cannot start it.
   */
  protected abstract startProcess(argv: readonly string[], what: string): Promise<NodeProcess>;

  /** Ends the connection itself, after the root session. */
  protected abstract disconnect(): Promise<void>;

  async close(): Promise<void> {
    const session = this.#rootSession;
    this.#rootSession = undefined;
    await session?.close();
    await this.disconnect();
  }

  /**
   * Runs `sudo argv` (sudo empty for a plain command), with the timeouts, the log and `check`;
   * `execute` is how it runs (in the root session instead of as a command of its own).
   */
  async #logged(
    asRoot: boolean,
    sudo: readonly string[],
    argv: readonly string[],
    options: RunOptions,
    stdin: string | Buffer | undefined,
    execute: (request: ExecuteRequest) => Promise<RawResult> = (request) => this.execute(request),
  ): Promise<CommandResult> {
    const shown = options.label ?? shellCommand([...sudo, ...argv]);
    const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const onNode = this.timesOutOnNode
      ? ['timeout', '-k', '5', `${Math.ceil(timeoutMs / 1000) + 1}`, ...argv]
      : argv;
    const started = performance.now();
    try {
      const raw = await execute({
        argv: [...sudo, ...onNode],
        stdin,
        timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        what: options.label ?? `\`${shellCommand(argv).slice(0, 80)}\``,
      });
      const durationMs = Math.round(performance.now() - started);
      const result: CommandResult = {
        code: raw.code,
        stdout: raw.stdout.toString('utf8'),
        stderr: raw.stderr.toString('utf8'),
        durationMs,
      };
      this.commandLog?.record({
        node: this.node,
        command: shown,
        asRoot,
        code: result.code,
        durationMs,
        ...(result.code === 0 ? {} : { stderr: result.stderr.slice(-500) }),
      });
      if (options.check && result.code !== 0) {
        throw commandFailed(this.node, options.label ?? `\`${shown}\``, result.code, result.stderr);
      }
      return result;
    } catch (error) {
      if (!isTransportError(error) || error.kind !== 'command-failed') {
        this.commandLog?.record({
          node: this.node,
          command: shown,
          asRoot,
          code: null,
          durationMs: Math.round(performance.now() - started),
          error: isTransportError(error) ? error.kind : String(error),
        });
      }
      throw error;
    }
  }

  run(command: Command, options: RunOptions & ReadAlong = {}): Promise<CommandResult> {
    return this.#remembering(false, command, options, changesOf(options), async (argv) => {
      // Files the connection knows already are not read again.
      const files = (options.alsoInspect ?? []).filter(
        (path) => !this.#files.has(path) && !this.#unseen.has(path),
      );
      files.forEach(assertAbsolutePath);
      const probe = options.probe === true && this.#probe === undefined;
      if (!probe && files.length === 0)
        return this.#logged(false, [], argv, options, options.stdin);
      const also = [
        ...(probe ? ['read boot id, probe sudo'] : []),
        ...(files.length > 0 ? [`inspect ${files.join(' ')}`] : []),
      ];
      const result = await this.#logged(
        false,
        [],
        [
          ...commandArgv({
            script: READ_ALONG,
            args: [probe ? 'yes' : 'no', String(files.length), ...files],
          }),
          ...argv,
        ],
        { ...options, label: `${options.label ?? shellCommand(argv)}; ${also.join('; ')}` },
        options.stdin,
      );
      return this.#takeReadAlong(result, probe, files);
    });
  }

  /**
   * Learns what READ_ALONG read before the command and returns the command's own result. Output
   * without its frame (a login shell that refused to run anything) is returned as it came.
   */
  #takeReadAlong(result: CommandResult, probe: boolean, files: readonly string[]): CommandResult {
    const end = result.stdout.indexOf('pcw-end\n');
    if (end === -1) return result;
    const lines = result.stdout.slice(0, end).split('\n');
    if (probe) {
      const learned = parseProbeLine(lines.shift() ?? '');
      if (learned) this.#probe ??= Promise.resolve(learned);
    }
    this.#learnFileLines(lines, files, false);
    return { ...result, stdout: result.stdout.slice(end + 'pcw-end\n'.length) };
  }

  /**
   * Learns the `pcw-file …` lines read along, one per file in order. A file the login user could
   * not read is left for root: read along when the root session starts, or by a read of its own.
   */
  #learnFileLines(lines: readonly string[], files: readonly string[], asRoot: boolean): void {
    for (const [index, path] of files.entries()) {
      const line = lines[index] ?? '';
      const answer = line.startsWith('pcw-file ')
        ? Buffer.from(line.slice('pcw-file '.length), 'base64').toString('utf8')
        : '';
      const split = answer.lastIndexOf('\n');
      const learned =
        split !== -1 && answer.slice(split + 1) === '0'
          ? this.#learnInspected(path, asRoot, answer.slice(0, split))
          : undefined;
      if (asRoot) this.#unseen.delete(path);
      else if (learned === undefined && !this.#files.has(path)) this.#unseen.add(path);
    }
  }

  /**
   * Runs a command, or answers from memory when it is a read remembered since nothing changed;
   * forgets, before it runs, what the command may change.
   */
  async #remembering(
    asRoot: boolean,
    command: Command,
    options: RunOptions,
    changes: Changes,
    execute: (argv: readonly string[]) => Promise<CommandResult>,
  ): Promise<CommandResult> {
    const argv = commandArgv(command);
    const key =
      options.remember && options.stdin === undefined ? JSON.stringify([asRoot, argv]) : undefined;
    const known = key === undefined ? undefined : this.#remembered.get(key);
    if (known) return known.result;
    this.#forget(changes);
    const result = await execute(argv);
    if (key !== undefined && result.code === 0) {
      const untilWritten =
        typeof options.remember === 'object' ? options.remember.untilWritten : undefined;
      this.#remembered.set(key, { result, untilWritten });
    }
    return result;
  }

  /** Forgets what `changes` may make untrue. */
  #forget(changes: Changes): void {
    if (changes === 'nothing') return;
    if (changes === 'files') {
      this.#remembered.clear();
      this.#files.clear();
      return;
    }
    const written = changes === 'state' ? [] : changes.written;
    for (const [key, { untilWritten }] of this.#remembered) {
      const stale =
        untilWritten === undefined ||
        untilWritten.some((prefix) => written.some((path) => path.startsWith(prefix)));
      if (stale) this.#remembered.delete(key);
    }
  }

  bootId(signal?: AbortSignal): Promise<string> {
    return this.#learnProbe(signal).then((probe) => probe.bootId);
  }

  /** The probe, from memory or from a round trip of its own. */
  #learnProbe(signal: AbortSignal | undefined): Promise<ConnectionProbe> {
    if (this.#probe) return this.#probe;
    const probe = (async (): Promise<ConnectionProbe> => {
      const result = await this.#logged(
        false,
        [],
        commandArgv({ script: PROBE_LINE }),
        { label: 'read boot id, probe sudo', timeoutMs: 30_000, ...(signal ? { signal } : {}) },
        undefined,
      );
      const learned = parseProbeLine(result.stdout);
      if (!learned) {
        throw commandFailed(
          this.node,
          'Reading the boot id and probing sudo',
          result.code,
          result.stderr || `unexpected answer ${JSON.stringify(result.stdout.trim())}`,
        );
      }
      return learned;
    })();
    this.#probe = probe;
    // A failed probe (e.g. a lost connection) may be retried on the next call.
    probe.catch(() => {
      if (this.#probe === probe) this.#probe = undefined;
    });
    return probe;
  }

  /** Finds out once per connection how to become root here (the root session checks the password). */
  #detectSudo(signal: AbortSignal | undefined): Promise<SudoMode> {
    this.#sudoMode ??= (async (): Promise<SudoMode> => {
      const answer = (await this.#learnProbe(signal)).sudo;
      if (answer === 'root' || answer === 'nopasswd') return answer;
      if (answer === 'no-sudo') throw sudoRefused(this.node, 'no-sudo', 'sudo is not installed');
      if (answer !== 'password') {
        throw sudoRefused(this.node, 'no-sudo', `the probe answered ${JSON.stringify(answer)}`);
      }
      if (this.#password === undefined) throw sudoRefused(this.node, 'password-needed', '');
      if (this.#password.includes('\n')) {
        throw sudoRefused(
          this.node,
          'wrong-password',
          'a password with a line break cannot be typed to sudo',
        );
      }
      return 'password';
    })();
    // A failed probe (e.g. a lost connection) may be retried on the next call.
    this.#sudoMode.catch(() => {
      this.#sudoMode = undefined;
    });
    return this.#sudoMode;
  }

  /**
   * With a password, one sudo per connection: the first root command starts the root session
   * (sudo checks the password once), and every root command of the connection runs in it, one at a
   * time in the order they came. The log shows each as the command itself, run as root.
   */
  runAsRoot(command: Command, options: RunOptions = {}): Promise<CommandResult> {
    const changes = changesOf(options);
    return this.#remembering(true, command, options, changes, (argv) =>
      this.#runAsRoot(argv, options, changes),
    );
  }

  async #runAsRoot(
    argv: readonly string[],
    options: RunOptions,
    changes: Changes,
  ): Promise<CommandResult> {
    const mode = await this.#detectSudo(options.signal);
    if (mode === 'root') return this.#logged(true, [], argv, options, options.stdin);
    if (mode === 'nopasswd') {
      return this.#logged(true, SUDO_WITHOUT_PASSWORD, argv, options, options.stdin);
    }
    await this.#rootTurn(options.signal, options.label ?? `\`${shellCommand(argv).slice(0, 80)}\``);
    let session: RootSession | undefined;
    try {
      // What the session reads as it starts holds unless the command may change any file.
      session = await this.#openRootSession(options.signal, changes !== 'files');
      const inSession = session;
      return await this.#logged(true, [], argv, options, options.stdin, (request) =>
        inSession.run({
          ...request,
          // `exec`: the process the agent waits for, and ends on TERM, is the command itself.
          script: `exec ${shellCommand(request.argv)}`,
          stdin: Buffer.from(request.stdin ?? ''),
        }),
      );
    } finally {
      // The next command goes once the agent answered this one (or the session ended), even when
      // the wizard stopped waiting for it earlier.
      void (session?.idle ?? Promise.resolve()).then(() => this.#nextRootTurn());
    }
  }

  /**
   * Starts the root session now if sudo asks for a password and none is open (it reads the files
   * the login user could not along); false when there is no session to start.
   */
  async #startsRootSession(signal: AbortSignal | undefined): Promise<boolean> {
    if (this.#rootSession?.isOpen || (await this.#detectSudo(signal)) !== 'password') return false;
    await this.#rootTurn(signal, 'start root session');
    try {
      await this.#openRootSession(signal, true);
    } finally {
      this.#nextRootTurn();
    }
    return true;
  }

  /** Waits until no other root command is in the session; an abort leaves the line at once. */
  #rootTurn(signal: AbortSignal | undefined, what: string): Promise<void> {
    if (signal?.aborted) return Promise.reject(aborted(this.node, what));
    if (!this.#rootBusy) {
      this.#rootBusy = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.#rootQueue.indexOf(go);
        if (index !== -1) this.#rootQueue.splice(index, 1);
        reject(aborted(this.node, what));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#rootQueue.push(go);
    });
  }

  #nextRootTurn(): void {
    const next = this.#rootQueue.shift();
    if (next) next();
    else this.#rootBusy = false;
  }

  /** The open root session, or a new one: sudo checks the password here, once per session. */
  async #openRootSession(
    signal: AbortSignal | undefined,
    readAlong: boolean,
  ): Promise<RootSession> {
    if (this.#rootSession?.isOpen) return this.#rootSession;
    this.#rootSession = undefined;
    const password = this.#password ?? '';
    const files = readAlong ? [...this.#unseen].filter((path) => !this.#files.has(path)) : [];
    const argv = sudoStartsRootSession(files);
    const what = 'start root session';
    let session: RootSession | undefined;
    const start = await this.#logged(
      false,
      [],
      argv,
      {
        label: files.length > 0 ? `${what}; inspect ${files.join(' ')}` : what,
        timeoutMs: ROOT_SESSION_START_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      },
      undefined,
      // Not the argv of the request: the session is no command of its own with a timeout on the node.
      async (request) => {
        const process = await this.startProcess(argv, what);
        const outcome = await RootSession.start(process, password, request, {
          node: this.node,
          answerGraceMs: this.timesOutOnNode ? ROOT_ANSWER_GRACE_MS : 0,
        });
        if ('refused' in outcome) return outcome.refused;
        session = outcome.session;
        this.#learnFileLines(outcome.before, files, true);
        return { code: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
      },
    );
    if (!session) {
      const stderr = this.commandLog?.redact(start.stderr) ?? start.stderr;
      throw sudoRefused(this.node, classifySudoRefusal(stderr), stderr.trim().split('\n')[0] ?? '');
    }
    this.#rootSession = session;
    return session;
  }

  /** The connection's own reads and writes of files: they change `changes`, and nothing more. */
  #runMaybeAsRoot(
    asRoot: boolean,
    command: Command,
    options: RunOptions,
    changes: Changes,
  ): Promise<CommandResult> {
    return this.#remembering(asRoot, command, options, changes, (argv) =>
      asRoot
        ? this.#runAsRoot(argv, options, changes)
        : this.#logged(false, [], argv, options, options.stdin),
    );
  }

  async readFile(path: string, options: ReadFileOptions = {}): Promise<string | undefined> {
    return (await this.inspectFile(path, options))?.content;
  }

  inspectFile(path: string, options: ReadFileOptions = {}): Promise<FileState | undefined> {
    assertAbsolutePath(path);
    return this.#inspect(path, options.asRoot ?? false, options.signal);
  }

  /** The file as this connection knows it, or as the node says when it does not. */
  async #inspect(
    path: string,
    asRoot: boolean,
    signal?: AbortSignal,
  ): Promise<FileState | undefined> {
    // What root saw the login user may not see: the user's read asks the node.
    const known = this.#files.get(path);
    if (known && (asRoot || !known.asRoot)) return known.state ?? undefined;
    if (asRoot && this.#unseen.has(path) && (await this.#startsRootSession(signal))) {
      const learned = this.#files.get(path);
      if (learned) return learned.state ?? undefined;
    }
    const result = await this.#runMaybeAsRoot(
      asRoot,
      { script: INSPECT_FILE, args: [path] },
      { label: `inspect ${path}`, ...(signal ? { signal } : {}) },
      'nothing',
    );
    if (result.code !== 0)
      throw commandFailed(this.node, `Reading ${path}`, result.code, result.stderr);
    const learned = this.#learnInspected(path, asRoot, result.stdout);
    if (learned === 'unexpected') {
      const header = result.stdout.split('\n')[0];
      throw commandFailed(this.node, `Reading ${path}`, result.code, `unexpected answer ${header}`);
    }
    return learned;
  }

  /** Remembers what INSPECT_FILE said of the file (not `unseen`, which says nothing of it). */
  #learnInspected(
    path: string,
    asRoot: boolean,
    output: string,
  ): FileState | undefined | 'unexpected' {
    const newline = output.indexOf('\n');
    const header = output.slice(0, newline === -1 ? undefined : newline);
    if (header === 'missing' || header === 'unseen') {
      if (header === 'missing') this.#files.set(path, { state: null, asRoot });
      return undefined;
    }
    const [present, mode, owner, group, sha256] = header.split(' ');
    if (present !== 'present' || !mode || !owner || !group || !sha256) return 'unexpected';
    const state = { content: output.slice(newline + 1), mode, owner, group, sha256 };
    this.#files.set(path, { state, asRoot });
    return state;
  }

  /**
   * Writes the files that change, one round trip for root's and one for the login user's, each
   * made from the version this connection read; a block whose file changed meanwhile is made again
   * from a fresh read, once.
   */
  async writeFiles(writes: readonly FileWrite[]): Promise<FileChange[]> {
    for (const write of writes) assertAbsolutePath(write.path);
    const changes: Array<FileChange | undefined> = writes.map(() => undefined);
    let pending = writes.map((_, index) => index);
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const planned: PlannedWrite[] = [];
      for (const index of pending) {
        const write = writes[index]!;
        const { asRoot = true, signal } = write.options;
        const current = await this.#inspect(write.path, asRoot, signal);
        if (!('block' in write)) {
          planned.push({ index, write, current, content: write.content });
        } else if (current === undefined && write.content === null) {
          changes[index] = { path: write.path, changed: false, diff: '' };
        } else {
          const edit = applyManagedBlock(current?.content ?? '', write.block, write.content);
          planned.push({ index, write, current, content: edit.text });
        }
      }
      const outcomes = await this.#replaceAll(planned);
      pending = [];
      for (const [position, outcome] of outcomes.entries()) {
        const { index, write } = planned[position]!;
        if (outcome !== 'changed-meanwhile') changes[index] = outcome;
        else if ('block' in write && attempt === 1) pending.push(index);
        // The content was worked out from the version read; another read must decide again.
        else throw this.#changedMeanwhile(write.path);
      }
    }
    return changes as FileChange[];
  }

  /**
   * Makes each file hold its content, from its `current` version; 'changed-meanwhile' for a file
   * that is no longer that version on the node (nothing written, nothing remembered of it).
   */
  async #replaceAll(
    planned: readonly PlannedWrite[],
  ): Promise<Array<FileChange | 'changed-meanwhile'>> {
    const outcomes: Array<FileChange | 'changed-meanwhile'> = [];
    /** Positions in `planned` of the files that change, with the mode as the node writes it. */
    const due: Array<{ position: number; mode: string }> = [];
    for (const [position, { write, current, content }] of planned.entries()) {
      const { options } = write;
      const mode = options.mode.toString(8);
      const diff = unifiedDiff(current?.content ?? '', content, {
        oldLabel: current ? write.path : '/dev/null',
        newLabel: write.path,
      });
      const metadata: string[] = [];
      if (current && current.mode !== mode) metadata.push(`mode ${current.mode} → ${mode}`);
      if (current && options.owner && current.owner !== options.owner)
        metadata.push(`owner ${current.owner} → ${options.owner}`);
      if (current && options.group && current.group !== options.group)
        metadata.push(`group ${current.group} → ${options.group}`);
      const predicted = current === undefined || diff !== '' || metadata.length > 0;
      outcomes[position] = {
        path: write.path,
        changed: predicted,
        diff,
        ...(metadata.length > 0 ? { metadataChange: metadata.join(', ') } : {}),
      };
      if (predicted && !options.dryRun) due.push({ position, mode });
    }
    // One command for root's files, one for the login user's.
    for (const asRoot of [true, false]) {
      const batch = due.filter(
        ({ position }) => (planned[position]!.write.options.asRoot ?? true) === asRoot,
      );
      if (batch.length === 0) continue;
      const paths = batch.map(({ position }) => planned[position]!.write.path);
      for (const path of paths) this.#files.delete(path);
      const args = [backupStamp()];
      const contents: Buffer[] = [];
      for (const { position, mode } of batch) {
        const { write, current, content } = planned[position]!;
        const fileArgs = [
          write.path,
          mode,
          write.options.owner ?? '',
          write.options.group ?? '',
          'yes',
          current?.sha256 ?? 'missing',
          ...(write.options.validate ?? []),
        ];
        const bytes = Buffer.from(content, 'utf8');
        args.push(String(fileArgs.length), String(bytes.length), ...fileArgs);
        contents.push(bytes);
      }
      const signal = planned[batch[0]!.position]!.write.options.signal;
      const result = await this.#runMaybeAsRoot(
        asRoot,
        { script: REPLACE_FILES, args },
        {
          label: `replace ${paths.join(', ')}`,
          stdin: Buffer.concat(contents),
          ...(signal ? { signal } : {}),
        },
        // The files it writes are forgotten above and learned below; what was remembered of
        // running state may depend on them (sudo resolving the hostname reads /etc/hosts).
        { written: paths },
      );
      const lines = result.stdout.split('\n').filter((line) => line.startsWith('pcw-wrote '));
      if (result.code !== 0 || lines.length !== batch.length)
        throw commandFailed(this.node, `Writing ${paths.join(', ')}`, result.code, result.stderr);
      let failure: Error | undefined;
      for (const [k, { position, mode }] of batch.entries()) {
        const { write, current, content } = planned[position]!;
        const predicted = outcomes[position] as FileChange;
        const [, code, said, owner, group, ...backup] = lines[k]!.split(' ');
        if (Number(code) === CHANGED_MEANWHILE_CODE) {
          outcomes[position] = 'changed-meanwhile';
        } else if (Number(code) === VALIDATION_FAILED_CODE && write.options.validate) {
          failure ??= new TransportError(this.node, 'command-failed', {
            message: `The new ${write.path} on ${this.node} did not pass \`${shellCommand(write.options.validate)}\`, so the file was left as it was: ${result.stderr.trim().split('\n').slice(-3).join(' / ')}`,
            nextStep: 'Fix the content the wizard was about to write (see the plan), then retry.',
          });
        } else if (code !== '0' || (said !== 'changed' && said !== 'unchanged')) {
          failure ??= commandFailed(
            this.node,
            `Writing ${write.path}`,
            Number(code),
            result.stderr,
          );
        } else {
          // Now the file is what was sent, with that mode and the owner the node names.
          const knownOwner = said === 'changed' ? owner : current?.owner;
          const knownGroup = said === 'changed' ? group : current?.group;
          if (knownOwner && knownGroup) {
            const state = {
              content,
              mode,
              owner: knownOwner,
              group: knownGroup,
              sha256: sha256Of(content),
            };
            this.#files.set(write.path, { state, asRoot });
          }
          const backupPath = backup.join(' ');
          outcomes[position] =
            said === 'unchanged'
              ? { path: write.path, changed: false, diff: '' }
              : { ...predicted, ...(backupPath ? { backupPath } : {}) };
        }
      }
      if (failure) throw failure;
    }
    return outcomes;
  }

  #changedMeanwhile(path: string): TransportError {
    return new TransportError(this.node, 'command-failed', {
      message: `${path} on ${this.node} changed while the wizard was writing it (edited by someone or something else), so the wizard left it as it was.`,
      nextStep: 'Retry: the wizard reads it again and keeps what the other edit wrote.',
    });
  }

  async replaceFile(
    path: string,
    content: string,
    options: ReplaceFileOptions,
  ): Promise<FileChange> {
    return (await this.writeFiles([{ path, content, options }]))[0]!;
  }

  async editManagedBlock(
    path: string,
    id: string,
    content: string | null,
    options: ReplaceFileOptions,
  ): Promise<FileChange> {
    return (await this.writeFiles([{ path, block: id, content, options }]))[0]!;
  }

  homeDirectory(): Promise<string> {
    this.#home ??= this.run(
      { script: 'printf %s "$HOME"' },
      { label: 'home directory', check: true, remember: true },
    ).then((result) => {
      if (!result.stdout.startsWith('/')) {
        throw new TransportError(this.node, 'command-failed', {
          message: `The login user on ${this.node} has no home directory.`,
          nextStep: 'Log in with the user created when the card was flashed.',
        });
      }
      return result.stdout;
    });
    return this.#home;
  }
}
