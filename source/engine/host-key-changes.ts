// What `remove` and `replace` leave for the wizard's own known_hosts, done by the next run before
// anything connects: a removed node's names are forgotten (a new card at its address is then met
// as new), and a re-flashed card's old host keys give way to the key the person confirmed.
import type { NodeRow } from '../plan/plan-cluster.js';
import { rewriteHostKeys } from '../transport/host-keys.js';
import type { SetupMemory } from './run-setup.js';

export interface HostKeyChangesDone {
  /** The memory with what was done taken out; what failed stays for the next run. */
  memory: SetupMemory;
  /** What failed, in words: the file, the error, what follows from it and what to do. */
  warnings: string[];
}

export function applyHostKeyChanges(
  memory: SetupMemory,
  rows: readonly NodeRow[],
  knownHostsPath: string,
): HostKeyChangesDone {
  const warnings: string[] = [];
  const next: SetupMemory = { ...memory };
  const failure = (error: unknown) =>
    `${(error as Error).message}. Check that you own ${knownHostsPath} and can write it (ls -l ${knownHostsPath}); the next run tries again.`;

  if (memory.forgetHostKeys) {
    // Names a node of the cluster uses now stay: only nodes that left are forgotten here.
    const inUse = new Set(
      rows
        .flatMap((row) => [row.hostname, row.address, row.reachAt])
        .map((name) => name.toLowerCase()),
    );
    const forget = memory.forgetHostKeys.filter((name) => !inUse.has(name.toLowerCase()));
    try {
      if (forget.length > 0) rewriteHostKeys(knownHostsPath, { forget });
      delete next.forgetHostKeys;
    } catch (error) {
      warnings.push(
        `The host keys of nodes removed from the cluster (${forget.join(', ')}) could not be forgotten in ${knownHostsPath}: ${failure(error)} Until then a new card at one of those addresses is refused as "changed".`,
      );
    }
  }

  if (memory.newCards) {
    const pending = { ...memory.newCards };
    for (const [node, card] of Object.entries(memory.newCards)) {
      const row = rows.find((each) => each.hostname === node);
      if (!row) {
        delete pending[node];
        continue;
      }
      try {
        rewriteHostKeys(knownHostsPath, {
          forget: [...new Set([...card.forget, row.hostname, row.address, row.reachAt])],
          record: { keys: [card.hostKey], as: [...new Set([row.reachAt, row.address])] },
        });
        delete pending[node];
      } catch (error) {
        warnings.push(
          `${node}'s new card could not be trusted in ${knownHostsPath} (its old host keys are still there, so it is refused as "changed"): ${failure(error)}`,
        );
      }
    }
    if (Object.keys(pending).length > 0) next.newCards = pending;
    else delete next.newCards;
  }
  return { memory: next, warnings };
}
