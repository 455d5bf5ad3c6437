// How the engine reaches a node, as one object it is given: locally on the master, over SSH to a
// worker where it answered last (or at its static address), through a reboot and back. The engine
// only schedules; tests hand it in-memory nodes instead.
import type { ClusterSettings, NodeRow } from '../plan/plan-cluster.js';
import type { CommandLog } from '../transport/command-log.js';
import { isTransient, isTransportError, type TransportErrorKind } from '../transport/errors.js';
import type { HostKeyEvent } from '../transport/host-keys.js';
import { LocalNodeConnection } from '../transport/local-connection.js';
import type { NodeConnection, ReadToMake } from '../transport/node-connection.js';
import { powerOffAndWaitUntilGone, readBootId, rebootAndReconnect } from '../transport/reboot.js';
import { connectOverSsh, SshNodeConnection } from '../transport/ssh-connection.js';

export interface NodeAccess {
  /** The node's open connection, opened when there is none; `fresh` replaces it (a retry). */
  connect(row: NodeRow, fresh: boolean): Promise<NodeConnection>;
  /** The id of the node's current boot: a different one later proves it rebooted. */
  bootId(row: NodeRow): Promise<string>;
  /**
   * Reboots a worker and reconnects at its static address once it is back with a new boot id,
   * making `firstRead` along with that boot id.
   */
  rebootWorker(row: NodeRow, firstRead?: ReadToMake): Promise<void>;
  /**
   * Closes every other connection and reboots the master (this machine): the run ends with it. A
   * reboot that takes the command with it is the reboot happening, not a failure.
   */
  rebootMaster(row: NodeRow): Promise<void>;
  /**
   * The cluster's own reboot or power-off of a worker, where it answers now (not the setup's
   * reboot into a new address): a reboot ends once it is back there with a new boot id, a
   * power-off once its SSH port stops answering. `onGoingDown` is told once the node is on its way.
   */
  powerWorker(row: NodeRow, action: PowerAction, onGoingDown?: () => void): Promise<void>;
  /** As rebootMaster, for a reboot or a power-off of the master: the last thing a command does. */
  powerMaster(row: NodeRow, action: PowerAction): Promise<void>;
  close(): Promise<void>;
}

export type PowerAction = 'reboot' | 'poweroff';

/** What the access tells the engine as it reaches nodes. */
export interface NodeAccessEvents {
  onHostKey(event: HostKeyEvent): void;
  /** A worker answered at its static address, not where the session said (a run cut off after its reboot). */
  onReachChanged(node: string, address: string): void;
}

export interface NodeAccessOptions {
  settings: ClusterSettings;
  /** The login password, in memory only; used for SSH and sudo. */
  password?: string;
  commandLog?: CommandLog;
  knownHostsPath: string;
  /** False in a dry run: new host keys are shown, not recorded. */
  recordNewHostKeys: boolean;
  rebootTimeoutMs?: number;
  signal?: AbortSignal;
}

/** How the master's own `reboot` or `poweroff` command may end when it overtakes the command. */
const rebootUnderway: ReadonlySet<TransportErrorKind> = new Set<TransportErrorKind>([
  'command-killed',
  'connection-lost',
]);

/** The real nodes: the master through a local shell, the workers over SSH; one connection each, reused. */
export function connectToNodes(options: NodeAccessOptions, events: NodeAccessEvents): NodeAccess {
  const connections = new Map<string, NodeConnection>();
  const credentials = {
    username: options.settings.user,
    ...(options.password === undefined ? {} : { password: options.password }),
  };
  const sshOptions = (row: NodeRow, host: string) => ({
    node: row.hostname,
    host,
    credentials,
    knownHostsPath: options.knownHostsPath,
    recordNewHostKeys: options.recordNewHostKeys,
    ...(options.commandLog ? { commandLog: options.commandLog } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onHostKey: events.onHostKey,
  });

  /**
   * A worker where it answered last; if nothing answers there, at its static address: a run cut
   * off (killed, the person's SSH session lost) after rebooting it but before saving where it
   * came back leaves the old address in the session.
   */
  const connectWorker = async (row: NodeRow): Promise<NodeConnection> => {
    try {
      return await connectOverSsh(sshOptions(row, row.reachAt));
    } catch (error) {
      if (row.reachAt === row.address || !isTransient(error)) throw error;
      const connection = await connectOverSsh(sshOptions(row, row.address)).catch(() => {
        throw error;
      });
      events.onReachChanged(row.hostname, row.address);
      return connection;
    }
  };

  const connect = async (row: NodeRow, fresh: boolean): Promise<NodeConnection> => {
    const open = connections.get(row.hostname);
    if (open && !fresh && (!(open instanceof SshNodeConnection) || open.isOpen)) return open;
    await open?.close();
    const connection: NodeConnection =
      row.index === 0
        ? new LocalNodeConnection({
            node: row.hostname,
            ...(options.password === undefined ? {} : { password: options.password }),
            ...(options.commandLog ? { commandLog: options.commandLog } : {}),
          })
        : await connectWorker(row);
    connections.set(row.hostname, connection);
    return connection;
  };

  async function powerMaster(row: NodeRow, action: PowerAction): Promise<void> {
    const connection = await connect(row, false);
    await Promise.all(
      [...connections.entries()]
        .filter(([name]) => name !== row.hostname)
        .map(([, each]) => each.close().catch(() => {})),
    );
    try {
      await connection.runAsRoot([action], { label: `${action} the master`, timeoutMs: 30_000 });
    } catch (error) {
      // The reboot takes this process's children (and soon this process) with it: a killed
      // command or a lost connection is the reboot happening, not a failure of it.
      if (!isTransportError(error) || !rebootUnderway.has(error.kind)) throw error;
    }
  }

  return {
    connect,
    bootId: async (row) => readBootId(await connect(row, false)),
    async rebootWorker(row, firstRead) {
      const connection = await connect(row, false);
      if (!(connection instanceof SshNodeConnection)) throw new Error('only workers reboot here');
      const fresh = await rebootAndReconnect(connection, {
        expectedAddress: row.address,
        ...(firstRead ? { firstRead } : {}),
        ...(options.rebootTimeoutMs === undefined ? {} : { timeoutMs: options.rebootTimeoutMs }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      connections.set(row.hostname, fresh);
    },
    rebootMaster: (row) => powerMaster(row, 'reboot'),
    powerMaster,
    async powerWorker(row, action, onGoingDown) {
      const connection = await connect(row, false);
      if (!(connection instanceof SshNodeConnection))
        throw new Error('only workers power off here');
      const how = {
        ...(onGoingDown ? { onGoingDown } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      };
      connections.delete(row.hostname);
      try {
        if (action === 'poweroff') {
          await powerOffAndWaitUntilGone(connection, how);
          return;
        }
        const fresh = await rebootAndReconnect(connection, {
          ...how,
          expectedAddress: connection.address,
          ...(options.rebootTimeoutMs === undefined ? {} : { timeoutMs: options.rebootTimeoutMs }),
        });
        connections.set(row.hostname, fresh);
      } catch (error) {
        // Refused before it went down (sudo, say): close what is no longer in the map.
        await connection.close().catch(() => {});
        throw error;
      }
    },
    async close() {
      await Promise.all(
        [...connections.values()].map((connection) => connection.close().catch(() => {})),
      );
    },
  };
}
