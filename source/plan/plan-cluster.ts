// The guide's "Network Lookup Table": from a few answers, every node's number, interface, static
// address and hostname, and the validation that keeps a bad table from ever reaching a Pi.
import {
  formatIpv4,
  formatSubnet,
  type Parsed,
  parseIpv4,
  parseSubnet,
  type Subnet,
  subnetContains,
} from './ipv4.js';

export interface ClusterSettings {
  nodeCount: number;
  /** CIDR, e.g. 192.168.0.0/24. */
  subnet: string;
  /** The master's static address; workers follow it, e.g. 192.168.0.100. */
  firstAddress: string;
  gateway: string;
  /** Name servers, in order. */
  dns: string[];
  /** The login user that exists on every Pi (no default `pi` user since 2022). */
  user: string;
  interfaceName: string;
  masterName: string;
  /** Workers are named prefix + number: worker1, worker2, … */
  workerPrefix: string;
}

export interface NodeRow {
  /** The guide's "Pi Number": 0 is the master. */
  index: number;
  interfaceName: string;
  /** The static address the node will have. */
  address: string;
  hostname: string;
  /** Where the node answers right now (its DHCP address); the static address when already set. */
  reachAt: string;
}

export type SettingsField = keyof ClusterSettings;
export type RowField = 'hostname' | 'address' | 'reachAt';

export type ValidationIssue =
  | { scope: 'settings'; field: SettingsField; message: string }
  | { scope: 'row'; row: number; field: RowField; message: string };

export const maxNodes = 256;

export const defaultSettings: ClusterSettings = {
  nodeCount: 5,
  subnet: '192.168.0.0/24',
  firstAddress: '192.168.0.100',
  gateway: '192.168.0.1',
  dns: ['192.168.0.1'],
  user: 'pi',
  interfaceName: 'eth0',
  masterName: 'master',
  workerPrefix: 'worker',
};

const hostnameLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** RFC 1123 host name label: letters, digits and hyphens, 1–63 characters, no hyphen at either end. */
export function hostnameProblem(name: string): string | undefined {
  if (name === '') return 'is empty: every Pi needs a hostname';
  if (name.length > 63) return `"${name}" is longer than 63 characters`;
  if (!hostnameLabel.test(name)) {
    return `"${name}" is not a valid hostname: use letters, digits and hyphens only, not starting or ending with a hyphen`;
  }
  if (/^[0-9]+$/.test(name)) return `"${name}" is all digits, which tools mistake for an address`;
  return undefined;
}

const userPattern = /^[a-z_][a-z0-9_-]{0,31}$/;

export function userProblem(user: string): string | undefined {
  if (user === '')
    return 'is empty: enter the login user you created on every Pi (e.g. in Raspberry Pi Imager)';
  if (!userPattern.test(user)) {
    return `"${user}" is not a Linux user name: start with a lowercase letter or _, then lowercase letters, digits, _ or -, at most 32 characters`;
  }
  if (user === 'root')
    return 'root cannot log in over SSH on Raspberry Pi OS: use the user you created';
  return undefined;
}

/** Parses the node count typed into a form: a whole number from 1 to maxNodes. */
export function parseNodeCount(
  text: string,
): { ok: true; value: number } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (!/^[0-9]+$/.test(trimmed)) {
    return { ok: false, message: `"${trimmed}" is not a whole number: enter how many Pis, e.g. 5` };
  }
  const value = Number(trimmed);
  if (value < 1) return { ok: false, message: 'a cluster needs at least 1 Pi (the master)' };
  if (value > maxNodes) return { ok: false, message: `at most ${maxNodes} Pis are supported` };
  return { ok: true, value };
}

function hostnameFor(settings: ClusterSettings, index: number): string {
  return index === 0 ? settings.masterName : `${settings.workerPrefix}${index}`;
}

/** Validates the answers of the cluster form; an empty list means planCluster can build the table. */
export function validateSettings(settings: ClusterSettings): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (field: SettingsField, message: string) =>
    issues.push({ scope: 'settings', field, message });

  if (!Number.isInteger(settings.nodeCount) || settings.nodeCount < 1) {
    add('nodeCount', 'a cluster needs at least 1 Pi (the master)');
  } else if (settings.nodeCount > maxNodes) {
    add('nodeCount', `at most ${maxNodes} Pis are supported`);
  }

  const subnet = parseSubnet(settings.subnet);
  if (!subnet.ok) add('subnet', subnet.message);
  const first = parseIpv4(settings.firstAddress);
  if (!first.ok) add('firstAddress', `first address ${first.message}`);
  const gateway = parseIpv4(settings.gateway);
  if (!gateway.ok) add('gateway', `gateway ${gateway.message}`);
  if (settings.dns.length === 0) add('dns', 'enter at least one DNS server (often the router)');
  for (const server of settings.dns) {
    const parsed = parseIpv4(server);
    if (!parsed.ok) add('dns', `DNS server ${parsed.message}`);
  }
  const userIssue = userProblem(settings.user);
  if (userIssue) add('user', `user ${userIssue}`);
  if (!/^[a-z][a-z0-9]{0,14}$/.test(settings.interfaceName)) {
    add(
      'interfaceName',
      `"${settings.interfaceName}" is not a network interface name such as eth0`,
    );
  }
  const masterIssue = hostnameProblem(settings.masterName);
  if (masterIssue) add('masterName', `master name ${masterIssue}`);
  const prefixIssue = hostnameProblem(`${settings.workerPrefix}1`);
  if (prefixIssue || settings.workerPrefix === '') {
    add(
      'workerPrefix',
      `worker prefix "${settings.workerPrefix}" must make names like worker1: letters, digits and hyphens`,
    );
  }

  if (subnet.ok && first.ok) checkRange(subnet.value, first.value, settings, add);
  if (subnet.ok && gateway.ok && !subnetContains(subnet.value, gateway.value)) {
    add(
      'gateway',
      `gateway ${settings.gateway} is outside the subnet ${formatSubnet(subnet.value)}`,
    );
  }
  return issues;
}

function checkRange(
  subnet: Subnet,
  first: number,
  settings: ClusterSettings,
  add: (field: SettingsField, message: string) => void,
): void {
  const subnetText = formatSubnet(subnet);
  if (!subnetContains(subnet, first)) {
    add(
      'firstAddress',
      `first address ${settings.firstAddress} is outside the subnet ${subnetText}`,
    );
    return;
  }
  if (first === subnet.network) {
    add(
      'firstAddress',
      `${settings.firstAddress} is the network address of ${subnetText}; no Pi can use it`,
    );
    return;
  }
  const room = subnet.broadcast - first;
  if (Number.isInteger(settings.nodeCount) && settings.nodeCount > room) {
    add(
      'nodeCount',
      `${settings.nodeCount} Pis do not fit: from ${settings.firstAddress} the subnet ${subnetText} has room for ${room} before its broadcast address ${formatIpv4(subnet.broadcast)}`,
    );
    return;
  }
  const gateway = parseIpv4(settings.gateway);
  if (gateway.ok && gateway.value >= first && gateway.value < first + settings.nodeCount) {
    add(
      'gateway',
      `gateway ${settings.gateway} is inside the Pis' range ${settings.firstAddress}–${formatIpv4(first + settings.nodeCount - 1)}: start the Pis after it or lower the count`,
    );
  }
}

/** The generated lookup table; call only when validateSettings returned no issues. */
export function planCluster(settings: ClusterSettings): NodeRow[] {
  const first = parseIpv4(settings.firstAddress);
  if (!first.ok) throw new Error(`planCluster: first address ${first.message}`);
  return Array.from({ length: settings.nodeCount }, (_, index) => {
    const address = formatIpv4(first.value + index);
    return {
      index,
      interfaceName: settings.interfaceName,
      address,
      hostname: hostnameFor(settings, index),
      reachAt: address,
    };
  });
}

/** Validates a (possibly hand-edited) table against the settings: every rule a row can break. */
export function validateRows(
  settings: ClusterSettings,
  rows: readonly NodeRow[],
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (row: number, field: RowField, message: string) =>
    issues.push({ scope: 'row', row, field, message });
  const subnet = parseSubnet(settings.subnet);
  const gateway = parseIpv4(settings.gateway);
  const seenAddresses = new Map<number, number>();
  const seenNames = new Map<string, number>();
  const seenReach = new Map<string, number>();

  for (const row of rows) {
    const who = `Pi ${row.index}`;
    const nameIssue = hostnameProblem(row.hostname);
    if (nameIssue) add(row.index, 'hostname', `${who}: hostname ${nameIssue}`);
    else {
      const key = row.hostname.toLowerCase();
      const other = seenNames.get(key);
      if (other !== undefined)
        add(
          row.index,
          'hostname',
          `${who}: hostname ${row.hostname} is already used by Pi ${other}`,
        );
      else seenNames.set(key, row.index);
    }

    const address = parseIpv4(row.address);
    if (!address.ok) add(row.index, 'address', `${who}: static IP ${address.message}`);
    else {
      if (subnet.ok) {
        const subnetText = formatSubnet(subnet.value);
        if (!subnetContains(subnet.value, address.value)) {
          add(
            row.index,
            'address',
            `${who}: static IP ${row.address} is outside the subnet ${subnetText}`,
          );
        } else if (address.value === subnet.value.network) {
          add(
            row.index,
            'address',
            `${who}: ${row.address} is the network address of ${subnetText}`,
          );
        } else if (address.value === subnet.value.broadcast) {
          add(
            row.index,
            'address',
            `${who}: ${row.address} is the broadcast address of ${subnetText}`,
          );
        }
      }
      if (gateway.ok && gateway.value === address.value) {
        add(row.index, 'address', `${who}: static IP ${row.address} is the gateway's address`);
      }
      const other = seenAddresses.get(address.value);
      if (other !== undefined)
        add(
          row.index,
          'address',
          `${who}: static IP ${row.address} is already used by Pi ${other}`,
        );
      else seenAddresses.set(address.value, row.index);
    }

    const reach = row.reachAt.trim();
    if (reach === '')
      add(row.index, 'reachAt', `${who}: enter where it answers now (its current IP address)`);
    else if (/^[0-9.]+$/.test(reach)) {
      const parsed = parseIpv4(reach);
      if (!parsed.ok) add(row.index, 'reachAt', `${who}: current address ${parsed.message}`);
    } else if (!reach.split('.').every((label) => hostnameProblem(label) === undefined)) {
      add(row.index, 'reachAt', `${who}: "${reach}" is neither an IPv4 address nor a host name`);
    }
    if (reach !== '') {
      const other = seenReach.get(reach.toLowerCase());
      if (other !== undefined) {
        add(
          row.index,
          'reachAt',
          `${who}: ${reach} is where Pi ${other} is reached too; each Pi answers at its own address`,
        );
      } else seenReach.set(reach.toLowerCase(), row.index);
    }
  }
  return issues;
}

const sameRow = (a: NodeRow, b: NodeRow | undefined) =>
  b !== undefined &&
  a.index === b.index &&
  a.interfaceName === b.interfaceName &&
  a.address === b.address &&
  a.hostname === b.hostname &&
  a.reachAt === b.reachAt;

/** How many rows differ from what planCluster(settings) gives. */
export function countEditedRows(settings: ClusterSettings, rows: readonly NodeRow[]): number {
  if (validateSettings(settings).length > 0) return rows.length;
  const planned = planCluster(settings);
  const changed = rows.filter((row, position) => !sameRow(row, planned[position])).length;
  return changed + Math.abs(planned.length - rows.length);
}

/**
 * The guide's addresses for a subnet: the master at .100, the router (and name server) at .1,
 * as its 192.168.0.x table has them. Undefined when the subnet cannot be read.
 */
export function guideAddressesFor(
  subnetText: string,
): Pick<ClusterSettings, 'firstAddress' | 'gateway' | 'dns'> | undefined {
  const subnet = parseSubnet(subnetText);
  if (!subnet.ok) return undefined;
  const gateway = formatIpv4(subnet.value.network + 1);
  return { firstAddress: formatIpv4(subnet.value.network + 100), gateway, dns: [gateway] };
}

/**
 * `count` new worker rows after the last: the next Pi numbers, names from the worker prefix (one
 * no row has), the next static addresses after the highest in use that nothing else holds (the
 * gateway, a name server). Where each answers now is for the caller to fill in.
 */
export function newRows(
  settings: ClusterSettings,
  rows: readonly NodeRow[],
  count: number,
): Parsed<NodeRow[]> {
  if (!Number.isInteger(count) || count < 1)
    return {
      ok: false,
      message: `--count must be a whole number of Pis, 1 or more (got ${count})`,
    };
  if (rows.length + count > maxNodes)
    return {
      ok: false,
      message: `a cluster holds at most ${maxNodes} Pis: it has ${rows.length}, so at most ${maxNodes - rows.length} more`,
    };
  const subnet = parseSubnet(settings.subnet);
  if (!subnet.ok) return { ok: false, message: `the session's subnet ${subnet.message}` };
  const taken = new Set(
    [...rows.map((row) => row.address), settings.gateway, ...settings.dns].flatMap((address) => {
      const parsed = parseIpv4(address);
      return parsed.ok ? [parsed.value] : [];
    }),
  );
  const names = new Set(rows.map((row) => row.hostname.toLowerCase()));
  let address = Math.max(
    subnet.value.network,
    ...[...taken].filter((value) => subnetContains(subnet.value, value)),
  );
  let index = Math.max(...rows.map((row) => row.index));
  let number = index;
  const added: NodeRow[] = [];
  const { broadcast } = subnet.value;
  for (let made = 0; made < count; made += 1) {
    index += 1;
    do number += 1;
    while (names.has(`${settings.workerPrefix}${number}`.toLowerCase()));
    do address += 1;
    while (taken.has(address));
    if (address >= broadcast) {
      return {
        ok: false,
        message: `${settings.subnet} has no free address left after ${formatIpv4(address - 1)} for ${count - made} more Pi${count - made === 1 ? '' : 's'}: give a row another address on the review screen, or use a larger subnet`,
      };
    }
    const row: NodeRow = {
      index,
      interfaceName: settings.interfaceName,
      address: formatIpv4(address),
      hostname: `${settings.workerPrefix}${number}`,
      reachAt: '',
    };
    names.add(row.hostname.toLowerCase());
    added.push(row);
  }
  return { ok: true, value: added };
}
