/**
 * A worker reached over SSH: one ssh2 connection per node, one channel per command, keepalive so a
 * vanished node ends in an error, and host keys checked like OpenSSH's accept-new.
 */

import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import type { CommandLog } from './command-log.js';
import {
  aborted,
  authenticationFailed,
  type ConnectionTarget,
  commandKilled,
  commandTimedOut,
  connectionError,
  connectionLost,
  droppedUnder,
  TransportError,
} from './errors.js';
import {
  createHostKeyCheck,
  defaultKnownHostsPath,
  type HostKeyEvent,
  hostKeyAlgorithmsFor,
} from './host-keys.js';
import { loadSsh2 } from './load-ssh2.js';
import type { NodeProcess, ProcessEnd } from './root-session.js';
import {
  type ExecuteRequest,
  type RawResult,
  ShellNodeConnection,
} from './shell-node-connection.js';
import { shellCommand } from './shell-quote.js';
import {
  type AuthProgress,
  createAuthHandler,
  loadIdentities,
  planAuthentication,
  type SshCredentials,
} from './ssh-auth.js';

export interface SshConnectOptions {
  /** The node's name for messages and the log, e.g. "node-3". */
  node: string;
  host: string;
  port?: number;
  credentials: SshCredentials;
  /** Default ~/.ssh/known_hosts of the user running the wizard. */
  knownHostsPath?: string;
  /** False in a dry run: new host keys are shown and accepted for this run but not written. */
  recordNewHostKeys?: boolean;
  /** Called for every host key seen; `status: 'new'` means it was just recorded. */
  onHostKey?: (event: HostKeyEvent) => void;
  /** Bound on TCP connect + handshake + login (default 20 s). */
  readyTimeoutMs?: number;
  /** Keepalive every this many ms (default 5 s); after `keepaliveCountMax` (default 3) unanswered the connection fails. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  commandLog?: CommandLog;
  signal?: AbortSignal;
}

/**
 * Channels open at once on one connection. sshd refuses more than MaxSessions (default 10); the
 * rest wait here for a free channel instead of failing.
 */
const MAX_OPEN_CHANNELS = 6;
const CHANNEL_OPEN_ATTEMPTS = 5;

/** sshd said no to a new channel on a connection that is still fine. */
class ChannelRefused extends Error {}

export class SshNodeConnection extends ShellNodeConnection {
  protected override readonly timesOutOnNode = true;
  readonly options: SshConnectOptions;
  readonly #client: Client;
  #lost: TransportError | undefined;
  #lostReason = '';
  #closing = false;
  #openChannels = 0;
  readonly #waitingForChannel: Array<() => void> = [];

  constructor(options: SshConnectOptions, client: Client) {
    super({
      node: options.node,
      address: options.host,
      ...(options.credentials.password === undefined
        ? {}
        : { password: options.credentials.password }),
      ...(options.commandLog ? { commandLog: options.commandLog } : {}),
    });
    this.options = options;
    this.#client = client;
    client.on('error', (error: Error & { level?: string }) => {
      if (this.#lost) return;
      // Whatever ends an established connection (a reset by a reboot, keepalive unanswered) is
      // the same story for the person: the node went away.
      this.#lostReason =
        error.level === 'client-timeout'
          ? 'the node stopped answering (keepalive timeout)'
          : error.message;
      this.#lost = connectionLost(options.node, this.#lostReason, error);
    });
    client.on('close', () => {
      if (!this.#closing && !this.#lost) {
        this.#lostReason = 'the node closed the connection';
        this.#lost = connectionLost(options.node, this.#lostReason);
      }
    });
  }

  /** Whether the connection is still usable. */
  get isOpen(): boolean {
    return this.#lost === undefined && !this.#closing;
  }

  protected async execute(request: ExecuteRequest): Promise<RawResult> {
    await this.#takeChannel();
    try {
      return await this.#openingAgainWhenRefused(request.what, () =>
        this.#executeOnChannel(request),
      );
    } finally {
      this.#giveBackChannel();
    }
  }

  /**
   * sshd can still count a just-closed session against MaxSessions for a moment, mostly under
   * load: a refused channel ran nothing, so opening it again a little later is safe.
   */
  async #openingAgainWhenRefused<T>(what: string, open: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await open();
      } catch (error) {
        if (!(error instanceof ChannelRefused)) throw error;
        if (attempt >= CHANNEL_OPEN_ATTEMPTS) {
          throw new TransportError(this.node, 'protocol', {
            message: `${this.node} refused to open a session for ${what} (${error.message}), ${attempt} times.`,
            nextStep: 'Check MaxSessions in the sshd configuration of the node, then retry.',
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }

  /**
   * A long-lived process holds one of the connection's channel slots until its channel closes.
   * There is at most one at a time (the root session), so the other slots stay for commands.
   */
  protected async startProcess(argv: readonly string[], what: string): Promise<NodeProcess> {
    await this.#takeChannel();
    let channel: ClientChannel;
    try {
      channel = await this.#openingAgainWhenRefused(what, () => this.#openChannel(argv));
    } catch (error) {
      this.#giveBackChannel();
      throw error;
    }
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    channel.on('exit', (code: number | null, signalName?: string) => {
      if (typeof code === 'number') exitCode = code;
      else exitSignal = signalName ?? 'unknown';
    });
    channel.on('error', () => {});
    const ended = new Promise<ProcessEnd>((resolve) => {
      channel.once('close', () => {
        this.#giveBackChannel();
        resolve({
          code: exitCode,
          signal: exitSignal,
          ...(exitCode === null && exitSignal === null ? { lostReason: this.#lostReason } : {}),
        });
      });
    });
    return {
      stdin: channel,
      stdout: channel,
      stderr: channel.stderr,
      ended,
      kill: () => {
        stopSession(channel);
        channel.close();
      },
    };
  }

  #openChannel(argv: readonly string[]): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      if (this.#closing) {
        reject(connectionLost(this.node, 'the connection was already closed by the wizard'));
        return;
      }
      if (this.#lost) {
        reject(this.#lost);
        return;
      }
      try {
        this.#client.exec(remoteCommandLine(argv), (error, channel) => {
          if (error) reject(this.#lost ?? new ChannelRefused(error.message));
          else resolve(channel);
        });
      } catch (error) {
        reject(
          this.#lost ??
            connectionLost(
              this.node,
              `could not run a command (${(error as Error).message})`,
              error,
            ),
        );
      }
    });
  }

  #takeChannel(): Promise<void> {
    if (this.#openChannels < MAX_OPEN_CHANNELS) {
      this.#openChannels += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waitingForChannel.push(resolve));
  }

  /** Hands the slot straight to the next waiting command, so no newcomer can slip in between. */
  #giveBackChannel(): void {
    const next = this.#waitingForChannel.shift();
    if (next) next();
    else this.#openChannels -= 1;
  }

  #executeOnChannel(request: ExecuteRequest): Promise<RawResult> {
    const { node } = this.options;
    return new Promise<RawResult>((resolve, reject) => {
      if (this.#closing) {
        reject(connectionLost(node, 'the connection was already closed by the wizard'));
        return;
      }
      if (this.#lost) {
        reject(this.#lost);
        return;
      }
      if (request.signal?.aborted) {
        reject(aborted(node, request.what));
        return;
      }
      let settled = false;
      let channel: ClientChannel | undefined;
      let timer: NodeJS.Timeout | undefined;
      const stop = (error: TransportError) => {
        if (settled) return;
        settled = true;
        cleanup();
        if (channel) {
          stopSession(channel);
          channel.close();
        }
        reject(error);
      };
      const onAbort = () => stop(aborted(node, request.what));
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
      };
      timer = setTimeout(
        () => stop(commandTimedOut(node, request.what, request.timeoutMs)),
        request.timeoutMs,
      );
      request.signal?.addEventListener('abort', onAbort, { once: true });

      try {
        this.#client.exec(remoteCommandLine(request.argv), (error, opened) => {
          if (error) {
            if (!settled) {
              settled = true;
              cleanup();
              reject(this.#lost ?? new ChannelRefused(error.message));
            }
            return;
          }
          channel = opened;
          if (settled) {
            opened.close();
            return;
          }
          const stdout: Buffer[] = [];
          const stderr: Buffer[] = [];
          let exitCode: number | undefined;
          let exitSignal: string | undefined;
          opened.on('data', (chunk: Buffer) => stdout.push(chunk));
          opened.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
          opened.on('exit', (code: number | null, signalName?: string) => {
            if (typeof code === 'number') exitCode = code;
            else exitSignal = signalName ?? 'unknown';
          });
          opened.on('error', () => {});
          opened.on('close', () => {
            if (settled) return;
            settled = true;
            cleanup();
            if (exitCode !== undefined) {
              resolve({
                code: exitCode,
                stdout: Buffer.concat(stdout),
                stderr: Buffer.concat(stderr),
              });
            } else if (exitSignal !== undefined) {
              reject(commandKilled(node, request.what, exitSignal));
            } else {
              // No exit status at all: the connection went away under the command.
              reject(droppedUnder(node, request.what, this.#lostReason));
            }
          });
          if (request.stdin !== undefined) opened.end(request.stdin);
          else opened.end();
        });
      } catch (error) {
        settled = true;
        cleanup();
        reject(
          this.#lost ??
            connectionLost(node, `could not run a command (${(error as Error).message})`, error),
        );
      }
    });
  }

  protected async disconnect(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#lost) {
      this.#client.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#client.destroy();
        resolve();
      }, 2_000);
      this.#client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#client.end();
    });
  }
}

function targetOf(options: SshConnectOptions): ConnectionTarget {
  return {
    node: options.node,
    host: options.host,
    port: options.port ?? 22,
    username: options.credentials.username,
  };
}

/**
 * Opens the one connection to a node. Fails with a TransportError in words: refused, timed out, no
 * route, login refused, host key changed. Each call uses a new ssh2 Client.
 */
export async function connectOverSsh(options: SshConnectOptions): Promise<SshNodeConnection> {
  const { Client } = await loadSsh2();
  const target = targetOf(options);
  const knownHostsPath = options.knownHostsPath ?? defaultKnownHostsPath();
  const hostKeys = createHostKeyCheck(
    target,
    knownHostsPath,
    options.onHostKey,
    options.recordNewHostKeys ?? true,
  );
  const progress: AuthProgress = { tried: [], offered: [] };
  const steps = planAuthentication(options.credentials, await loadIdentities(options.credentials));
  const authHandler = await createAuthHandler(
    options.credentials.username,
    options.credentials.password,
    steps,
    progress,
  );
  const client = new Client();
  const started = performance.now();
  // Every login is in the command log too: how many a run needs, and how each went.
  const logLogin = (outcome: { code: 0 } | { code: null; error: string }) =>
    options.commandLog?.record({
      node: options.node,
      command: `ssh login ${options.credentials.username}@${options.host}:${target.port}${progress.tried.length > 0 ? ` (${progress.tried.join(', ')})` : ''}`,
      asRoot: false,
      connection: true,
      durationMs: Math.round(performance.now() - started),
      ...outcome,
    });

  return new Promise<SshNodeConnection>((resolve, reject) => {
    let settled = false;
    const fail = (error: TransportError) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      logLogin({ code: null, error: error.kind });
      reject(error);
    };
    const onAbort = () => fail(aborted(options.node, `Connecting to ${options.host}`));
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    client.on('error', (error: Error & { level?: string }) => {
      const refusal = hostKeys.refusal();
      if (refusal) {
        fail(refusal);
      } else if (error.level === 'client-authentication') {
        fail(authenticationFailed(target, progress.tried, progress.offered));
      } else {
        fail(connectionError(target, error));
      }
    });
    client.on('close', () => {
      fail(
        hostKeys.refusal() ??
          connectionLost(options.node, 'the node closed the connection during login'),
      );
    });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      client.removeAllListeners('error');
      client.removeAllListeners('close');
      logLogin({ code: 0 });
      resolve(new SshNodeConnection(options, client));
    });

    const config: ConnectConfig = {
      host: options.host,
      port: target.port,
      username: options.credentials.username,
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      keepaliveInterval: options.keepaliveIntervalMs ?? 5_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      hostVerifier: hostKeys.verify,
      algorithms: {
        serverHostKey: hostKeyAlgorithmsFor(knownHostsPath, options.host, target.port),
      },
      authHandler: authHandler as unknown as ConnectConfig['authHandler'],
    };
    try {
      client.connect(config);
    } catch (error) {
      fail(connectionError(target, error));
    }
  });
}

/**
 * The command line sshd gives the login shell: `exec` makes the command replace the shell, so it
 * leads the session's process group and a stop (sshd's killpg of the session) reaches it and its
 * children; coreutils' timeout, forked by the shell, would have made a group of its own.
 */
function remoteCommandLine(argv: readonly string[]): string {
  return `exec ${shellCommand(argv)}`;
}

/**
 * Asks sshd to TERM a command's session (RFC 4254 6.9): OpenSSH signals the session's process
 * group as the login user, and sudo, which runs as that user too, relays the TERM to the root
 * command it started (a KILL would end sudo before it could). ssh2's `channel.signal` sends
 * nothing once our side of the channel ended (its stdin is closed as every command starts: state
 * `eof`), so the request goes through its protocol while the channel is still open.
 */
function stopSession(channel: ClientChannel): void {
  const open = channel as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  };
  try {
    const id = open.outgoing?.id;
    const protocol = open._client?._protocol;
    const state = open.outgoing?.state;
    if ((state === 'open' || state === 'eof') && id !== undefined && protocol?.signal)
      protocol.signal(id, 'TERM');
    else channel.signal('TERM');
  } catch {}
}
