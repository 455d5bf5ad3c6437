/**
 * The one interface through which every step acts on a node, the same for the master (local
 * processes) and for a worker (ssh2).
 */

/** A fixed script run by `sh -c`; values go in `args` ($1, $2, …), never into the script text. */
export interface ShellScript {
  readonly script: string;
  readonly args?: readonly string[];
}

/** An argv (each element arrives as exactly one argument) or a script with its arguments. */
export type Command = readonly string[] | ShellScript;

export interface RunOptions {
  /** Default 120 s. The command is killed and the call fails when it runs longer. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Written to the command's stdin, never logged. */
  stdin?: string | Buffer;
  /** What the command log shows instead of the full command (for long fixed scripts). */
  label?: string;
  /** Fail with a `command-failed` error on a non-zero exit code instead of returning it. */
  check?: boolean;
  /**
   * The command writes no file (it reads, or changes only running state), so the connection
   * keeps what it knows of files; after any other command it reads them again.
   */
  writesNoFile?: boolean;
  /** The command changes nothing on the node: the connection keeps all it knows. */
  readOnly?: boolean;
  /**
   * The command only reads and changes nothing: the connection remembers its answer and gives it
   * again for the same command, without a round trip, until the connection runs anything that may
   * change the node (any command not marked so, or a file write). For reads several steps (or a
   * step and its re-check) make of state no file holds: the running hostname, ssh's units.
   * `untilWritten`: the answer depends only on files under these paths, so it is kept through
   * commands that write no file and through the wizard's writes of other files.
   */
  remember?: boolean | { untilWritten: readonly string[] };
}

/**
 * What a login user's command can read along with it, in the same round trip, for the
 * connection's memory: one round trip where each read would cost its own.
 */
export interface ReadAlong {
  /** Also learn the boot id and how sudo behaves on the node, unless the connection knows them. */
  probe?: boolean;
  /** Also read these files (as the login user) into the connection's memory of files. */
  alsoInspect?: readonly string[];
}

/** A read the caller wants made along with something else, in the same round trip. */
export interface ReadToMake {
  command: Command;
  options: RunOptions & ReadAlong;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ReadFileOptions {
  /** Read through sudo (default false). */
  asRoot?: boolean;
  signal?: AbortSignal;
}

export interface ReplaceFileOptions {
  /** The mode the file must have, e.g. 0o644. */
  mode: number;
  /** Owner and group the file must have (names); left as they are when not given. */
  owner?: string;
  group?: string;
  /** Write through sudo (default true); false for files of the login user such as ~/.ssh/*. */
  asRoot?: boolean;
  /** Only work out what would change; write nothing. */
  dryRun?: boolean;
  /**
   * A command that must accept the new version before it replaces the old one, run as the writer;
   * an argument that is exactly `%s` becomes the temporary file, e.g. ['visudo', '-cf', '%s'].
   */
  validate?: readonly string[];
  signal?: AbortSignal;
}

/** One file to write: its whole content, or the wizard's block `block` in it (null removes it). */
export type FileWrite = { path: string; options: ReplaceFileOptions } & (
  | { content: string }
  | { block: string; content: string | null }
);

/** A file as the node has it. */
export interface FileState {
  content: string;
  /** Octal, e.g. "600". */
  mode: string;
  owner: string;
  group: string;
  /** Of the bytes on the node. */
  sha256: string;
}

export interface FileChange {
  path: string;
  /** Whether the file was (or, in a dry run, would be) written. */
  changed: boolean;
  /** Unified diff of the content, '' when the content stays the same. */
  diff: string;
  /** Mode or owner changes in words, e.g. "mode 644 → 600", when there are some. */
  metadataChange?: string;
  /** Where the previous version was kept, when there was one and the file was written. */
  backupPath?: string;
}

export interface NodeConnection {
  /** The node's name, used in every message and log line. */
  readonly node: string;
  /** Where it is reached: an IP address or name, or "local" for the master. */
  readonly address: string;
  run(command: Command, options?: RunOptions & ReadAlong): Promise<CommandResult>;
  /**
   * Runs through `sudo -n`, or in the connection's root session (one `sudo -S` per connection, the
   * password on its stdin once); plain when already root.
   */
  runAsRoot(command: Command, options?: RunOptions): Promise<CommandResult>;
  /** The file's content, or undefined when it does not exist. */
  readFile(path: string, options?: ReadFileOptions): Promise<string | undefined>;
  /** The file's content, mode and owner, or undefined when it does not exist. */
  inspectFile(path: string, options?: ReadFileOptions): Promise<FileState | undefined>;
  /**
   * Writes several files (each atomically, with a backup) in one round trip; see replaceFile and
   * editManagedBlock. The changes come in the order of the writes.
   */
  writeFiles(writes: readonly FileWrite[]): Promise<FileChange[]>;
  /** Atomic replace (temporary file in the same directory, then rename) with a timestamped backup. */
  replaceFile(path: string, content: string, options: ReplaceFileOptions): Promise<FileChange>;
  /** Sets (or with null removes) the wizard's block `id` in the file; nothing else is touched. */
  editManagedBlock(
    path: string,
    id: string,
    content: string | null,
    options: ReplaceFileOptions,
  ): Promise<FileChange>;
  /**
   * The node's boot id (/proc/sys/kernel/random/boot_id), read once per connection: a connection
   * ends with the boot it was made in.
   */
  bootId(signal?: AbortSignal): Promise<string>;
  /** The login user's home directory on the node. */
  homeDirectory(): Promise<string>;
  close(): Promise<void>;
}
