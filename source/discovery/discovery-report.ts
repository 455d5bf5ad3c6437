// What a scan means for the cluster, as pure functions: which machine is which (a Raspberry Pi by
// its MAC, this machine, a member already at its static address, a cloned card), the suggested
// order of machines to rows, and the table's "reach it now at" addresses from an assignment.
import type { NodeRow } from '../plan/plan-cluster.js';
import { raspberryPiHolder } from './raspberry-pi-oui.js';
import { compareAddresses, type FoundMachine } from './scan-subnet.js';

export interface DiscoveredMachine extends FoundMachine {
  /** From the neighbour table, when it has the address. */
  mac?: string;
  /** The Raspberry Pi company holding the MAC's prefix; undefined for other MACs or none. */
  raspberryPi?: string;
  /** The Pi number of the row whose planned static address this is: already configured. */
  configuredAs?: number;
  /** The machine the wizard runs on (one of its addresses, or its own host key). */
  isThisMachine: boolean;
  /** Other addresses offering the same host key: cards copied from one image. */
  clonedWith: string[];
}

export interface ThisMachine {
  /** This machine's IPv4 addresses. */
  addresses: readonly string[];
  /** Fingerprints of this machine's own SSH host keys. */
  hostKeyFingerprints: readonly string[];
}

export function describeMachines(
  found: readonly FoundMachine[],
  context: {
    rows: readonly NodeRow[];
    neighbours?: ReadonlyMap<string, string>;
    thisMachine?: ThisMachine;
  },
): DiscoveredMachine[] {
  const byFingerprint = new Map<string, string[]>();
  for (const machine of found) {
    byFingerprint.set(machine.fingerprint, [
      ...(byFingerprint.get(machine.fingerprint) ?? []),
      machine.address,
    ]);
  }
  const ownAddresses = new Set(context.thisMachine?.addresses ?? []);
  const ownKeys = new Set(context.thisMachine?.hostKeyFingerprints ?? []);
  return [...found]
    .sort((a, b) => compareAddresses(a.address, b.address))
    .map((machine) => {
      const clonedWith = (byFingerprint.get(machine.fingerprint) ?? []).filter(
        (address) => address !== machine.address,
      );
      const mac = context.neighbours?.get(machine.address);
      const raspberryPi = mac === undefined ? undefined : raspberryPiHolder(mac);
      const configuredAs = context.rows.find((row) => row.address === machine.address)?.index;
      // A host key alone names this machine only when no clone shares it.
      const isThisMachine =
        ownAddresses.has(machine.address) ||
        (ownKeys.has(machine.fingerprint) && clonedWith.length === 0);
      return {
        ...machine,
        ...(mac === undefined ? {} : { mac }),
        ...(raspberryPi === undefined ? {} : { raspberryPi }),
        ...(configuredAs === undefined ? {} : { configuredAs }),
        isThisMachine,
        clonedWith,
      };
    });
}

/** Groups of addresses that offer one host key, each sorted; only groups of two or more. */
export function clonedGroups(machines: readonly DiscoveredMachine[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const machine of machines) {
    groups.set(machine.fingerprint, [...(groups.get(machine.fingerprint) ?? []), machine.address]);
  }
  return [...groups.values()]
    .filter((group) => group.length > 1)
    .map((group) => group.sort(compareAddresses));
}

/** What a person reads about cloned cards, pointing at the fix. */
export function clonedCardsAdvice(groups: readonly string[][]): string {
  return `Same SSH host key at ${groups.map((group) => group.join(' + ')).join('; ')}: these cards were copied from one image. The preflight step finds them again once assigned; give them their own host keys and machine-id with: pi-cluster-wizard run preflight --fix-cloned-cards`;
}

/** Pi number → the address it is reached at now. Rows left out keep their address. */
export type Assignment = ReadonlyMap<number, string>;

/**
 * The suggested order: a member already at its static address keeps its row; this machine is the
 * master (row 0); the other machines fill the remaining worker rows in address order. The master
 * row is never given another machine: the wizard runs on the master.
 */
export function suggestAssignment(
  rows: readonly NodeRow[],
  machines: readonly DiscoveredMachine[],
): Map<number, string> {
  const assignment = new Map<number, string>();
  const used = new Set<string>();
  for (const machine of machines) {
    if (machine.configuredAs !== undefined && !assignment.has(machine.configuredAs)) {
      assignment.set(machine.configuredAs, machine.address);
      used.add(machine.address);
    }
  }
  const master = rows.find((row) => row.index === 0);
  const self = machines.find((machine) => machine.isThisMachine && !used.has(machine.address));
  if (master && self && !assignment.has(0)) {
    assignment.set(0, self.address);
    used.add(self.address);
  }
  const free = machines.filter((machine) => !used.has(machine.address) && !machine.isThisMachine);
  for (const row of rows) {
    if (row.index === 0 || assignment.has(row.index)) continue;
    const next = free.shift();
    if (!next) break;
    assignment.set(row.index, next.address);
  }
  return assignment;
}

/** Gives `address` to row `index` (or to no row with undefined); a row holds one address. */
export function assignMachine(
  assignment: Assignment,
  address: string,
  index: number | undefined,
): Map<number, string> {
  const next = new Map([...assignment].filter(([, held]) => held !== address));
  if (index !== undefined) next.set(index, address);
  return next;
}

/** The row an address is assigned to, if any. */
export function rowOfAddress(assignment: Assignment, address: string): number | undefined {
  for (const [index, held] of assignment) if (held === address) return index;
  return undefined;
}

/** The rows whose "reach it now at" changes, as store patches. */
export function reachAtPatches(
  rows: readonly NodeRow[],
  assignment: Assignment,
): Array<{ index: number; reachAt: string }> {
  return rows
    .filter((row) => {
      const address = assignment.get(row.index);
      return address !== undefined && address !== row.reachAt;
    })
    .map((row) => ({ index: row.index, reachAt: assignment.get(row.index) ?? row.reachAt }));
}

/** One line per machine for people: address, OS hint, key, MAC, and what it is to the cluster. */
export function describeMachineNotes(
  machine: DiscoveredMachine,
  rows: readonly NodeRow[],
): string[] {
  const notes: string[] = [];
  if (machine.isThisMachine) notes.push('this machine');
  if (machine.configuredAs !== undefined) {
    const row = rows.find((each) => each.index === machine.configuredAs);
    notes.push(`already ${row?.hostname ?? `Pi ${machine.configuredAs}`} (its static address)`);
  }
  if (machine.mac === undefined) notes.push('MAC unknown');
  else if (machine.raspberryPi) notes.push('Raspberry Pi MAC');
  else notes.push('not a Raspberry Pi MAC');
  if (machine.clonedWith.length > 0)
    notes.push(`CLONED: same key as ${machine.clonedWith.join(', ')}`);
  return notes;
}

/** `[██████······] 120/254`: the scan's progress in a fixed width, for screens and terminals. */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${'█'.repeat(filled)}${'·'.repeat(width - filled)}] ${done}/${total}`;
}
