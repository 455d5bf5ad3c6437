// `remove NAME --wipe`: reaches the node that leaves (where it answered last, else at its static
// address) as the run reaches workers, and takes the wizard's work off it (steps/wipe-node.ts).
import type { ClusterSettings, NodeRow } from '../plan/plan-cluster.js';
import { wipeNode } from '../steps/wipe-node.js';
import { CommandLog, defaultCommandLogPath } from '../transport/command-log.js';
import { formatTransportError } from '../transport/errors.js';
import { connectToNodes } from './node-access.js';

export type WipeOutcome = { ok: true; said: string[] } | { ok: false; message: string };

export async function wipeRemovedNode(options: {
  settings: ClusterSettings;
  row: NodeRow;
  password?: string;
  knownHostsPath: string;
  /** Every public key the wizard fanned in: what leaves the node's authorized_keys. */
  clusterKeys: readonly string[];
  signal?: AbortSignal;
}): Promise<WipeOutcome> {
  const commandLog = new CommandLog(defaultCommandLogPath());
  const access = connectToNodes(
    {
      settings: options.settings,
      ...(options.password === undefined ? {} : { password: options.password }),
      commandLog,
      knownHostsPath: options.knownHostsPath,
      recordNewHostKeys: true,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    { onHostKey: () => {}, onReachChanged: () => {} },
  );
  try {
    const connection = await access.connect(options.row, false);
    return { ok: true, said: await wipeNode(connection, options.clusterKeys) };
  } catch (error) {
    return { ok: false, message: formatTransportError(error, { commandLogPath: commandLog.path }) };
  } finally {
    await access.close();
  }
}
