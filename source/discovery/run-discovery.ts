// One scan as the screens and the discover command use it: the probes, then what the neighbour
// table and this machine say about the machines found, and the suggested assignment.
import type { NodeRow } from '../plan/plan-cluster.js';
import {
  type DiscoveredMachine,
  describeMachines,
  suggestAssignment,
  type ThisMachine,
} from './discovery-report.js';
import { readNeighbourTable } from './neighbour-table.js';
import { type FoundMachine, type ScanProgress, scanForSsh } from './scan-subnet.js';
import { readThisMachine } from './this-machine.js';

export interface Discovery {
  machines: DiscoveredMachine[];
  suggestion: Map<number, string>;
  probed: number;
  total: number;
  stopped: boolean;
  durationMs: number;
}

export async function runDiscovery(
  addresses: readonly string[],
  rows: readonly NodeRow[],
  options: {
    signal?: AbortSignal;
    onProgress?: (progress: ScanProgress) => void;
    onFound?: (machine: FoundMachine) => void;
    thisMachine?: () => ThisMachine;
  } = {},
): Promise<Discovery> {
  const scan = await scanForSsh(addresses, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onFound ? { onFound: options.onFound } : {}),
  });
  const neighbours = await readNeighbourTable();
  const thisMachine = (options.thisMachine ?? readThisMachine)();
  const machines = describeMachines(scan.found, { rows, neighbours, thisMachine });
  return {
    machines,
    suggestion: rows.length > 0 ? suggestAssignment(rows, machines) : new Map(),
    probed: scan.probed,
    total: scan.total,
    stopped: scan.stopped,
    durationMs: scan.durationMs,
  };
}
