// What each network stack reads for a static address: dhcpcd (the first guide), NetworkManager
// (Raspberry Pi OS since Bookworm) and ifupdown (the second guide). Pure text in, text out.
import { createHash } from 'node:crypto';
import { parseSubnet } from '../plan/ipv4.js';
import type { ClusterSettings, NodeRow } from '../plan/plan-cluster.js';
import { managedBlockBoundary } from '../transport/managed-block.js';

export type NetworkStack = 'dhcpcd' | 'networkmanager' | 'ifupdown';

export interface StaticAddress {
  interfaceName: string;
  address: string;
  prefixLength: number;
  gateway: string;
  dns: readonly string[];
}

export function staticAddressFor(settings: ClusterSettings, row: NodeRow): StaticAddress {
  const subnet = parseSubnet(settings.subnet);
  if (!subnet.ok) throw new Error(`staticAddressFor: subnet ${subnet.message}`);
  return {
    interfaceName: row.interfaceName,
    address: row.address,
    prefixLength: subnet.value.prefixLength,
    gateway: settings.gateway,
    dns: settings.dns,
  };
}

/** The managed block appended to /etc/dhcpcd.conf; the stock commented example stays as it is. */
export function dhcpcdBlock(target: StaticAddress): string {
  return [
    `interface ${target.interfaceName}`,
    `static ip_address=${target.address}/${target.prefixLength}`,
    `static routers=${target.gateway}`,
    `static domain_name_servers=${target.dns.join(' ')}`,
  ].join('\n');
}

/** Lines outside the wizard's block that already configure the interface (e.g. a hand edit). */
export function dhcpcdConflicts(text: string, interfaceName: string): number[] {
  return activeLinesOutsideBlocks(text)
    .filter(({ line }) => new RegExp(`^\\s*interface\\s+${interfaceName}\\s*$`).test(line))
    .map(({ number }) => number);
}

export const networkManagerProfilePath = (interfaceName: string) =>
  `/etc/NetworkManager/system-connections/pi-cluster-${interfaceName}.nmconnection`;

/**
 * A keyfile of its own (root 0600, or NetworkManager ignores it) that outranks the stock
 * "Wired connection 1" (autoconnect-priority -999) and leaves it in place, so deleting this one
 * file undoes the change.
 */
export function networkManagerKeyfile(target: StaticAddress): string {
  const id = `pi-cluster-${target.interfaceName}`;
  return [
    '[connection]',
    `id=${id}`,
    `uuid=${stableUuid(`${id}/${target.address}`)}`,
    'type=ethernet',
    `interface-name=${target.interfaceName}`,
    'autoconnect=true',
    'autoconnect-priority=100',
    '',
    '[ethernet]',
    '',
    '[ipv4]',
    'method=manual',
    `address1=${target.address}/${target.prefixLength},${target.gateway}`,
    `dns=${target.dns.map((server) => `${server};`).join('')}`,
    '',
    '[ipv6]',
    'addr-gen-mode=default',
    'method=auto',
    '',
    '[proxy]',
    '',
  ].join('\n');
}

/** The `iface … inet static` stanza that replaces the stock `iface eth0 inet dhcp`. */
export function ifupdownStanza(target: StaticAddress): string {
  return [
    `iface ${target.interfaceName} inet static`,
    `    address ${target.address}/${target.prefixLength}`,
    `    gateway ${target.gateway}`,
    `    dns-nameservers ${target.dns.join(' ')}`,
  ].join('\n');
}

const stanzaKeyword =
  /^\s*(iface|auto|allow-\S+|mapping|source|source-directory|rename|no-auto-down|no-scripts)\b/;

/**
 * The line range [start, end) of the active `iface <name> inet …` stanza outside any managed
 * block, with its option lines, or undefined. Comments and blank lines after the options stay.
 */
export function ifupdownStanzaRange(
  text: string,
  interfaceName: string,
): { start: number; end: number } | undefined {
  const lines = text.split('\n');
  const active = new Set(activeLinesOutsideBlocks(text).map(({ number }) => number - 1));
  const header = new RegExp(`^\\s*iface\\s+${interfaceName}\\s+inet\\s+\\S+`);
  const start = lines.findIndex((line, index) => active.has(index) && header.test(line));
  if (start === -1) return undefined;
  let end = start + 1;
  while (end < lines.length) {
    const line = lines[end]!;
    // Any tool's `# BEGIN …` block (the wizard's or, say, Ansible's) ends the stanza.
    if (stanzaKeyword.test(line) || /^\s*#\s*BEGIN /.test(line)) break;
    end += 1;
  }
  while (end > start + 1 && /^\s*(#.*)?$/.test(lines[end - 1]!)) end -= 1;
  return { start, end };
}

/** Reads the static address the file sets for the interface, as the node will come up with it. */
export function configuredStaticAddress(
  stack: NetworkStack,
  text: string,
  interfaceName: string,
): string | undefined {
  const lines = activeLinesOutsideBlocks(text, { includeBlocks: true }).map(({ line }) =>
    line.trim(),
  );
  if (stack === 'dhcpcd') {
    let current: string | undefined;
    for (const line of lines) {
      const iface = /^interface\s+(\S+)/.exec(line);
      if (iface) current = iface[1];
      const address = /^static\s+ip_address=([0-9.]+)/.exec(line);
      if (address && current === interfaceName) return address[1];
    }
    return undefined;
  }
  if (stack === 'ifupdown') {
    let inStanza = false;
    for (const line of lines) {
      if (/^iface\s/.test(line))
        inStanza = new RegExp(`^iface\\s+${interfaceName}\\s+inet\\s+static`).test(line);
      const address = /^address\s+([0-9.]+)/.exec(line);
      if (inStanza && address) return address[1];
    }
    return undefined;
  }
  const method = lines.find((line) => line.startsWith('method='));
  const address = lines.find((line) => /^address1?=/.test(line));
  if (method !== 'method=manual' || !address) return undefined;
  return /=([0-9.]+)/.exec(address)?.[1];
}

/** Non-comment lines (1-based numbers) that are not inside a `# BEGIN … / # END …` block. */
function activeLinesOutsideBlocks(
  text: string,
  options: { includeBlocks?: boolean } = {},
): Array<{ number: number; line: string }> {
  const result: Array<{ number: number; line: string }> = [];
  let inBlock = false;
  text.split('\n').forEach((line, index) => {
    const boundary = managedBlockBoundary(line);
    if (boundary) inBlock = boundary === 'begin';
    else if ((!inBlock || options.includeBlocks) && !/^\s*(#.*)?$/.test(line)) {
      result.push({ number: index + 1, line });
    }
  });
  return result;
}

/** A name-based UUID (version 5 layout) so the same node always gets the same profile UUID. */
function stableUuid(name: string): string {
  const bytes = createHash('sha1').update(`pi-cluster-wizard:${name}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
