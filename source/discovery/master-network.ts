// The network the master is on, read on the master itself, so that the cluster form starts from
// it instead of the guide's 192.168.0.x: the subnet of the interface with the default route, the
// router of that route, and the name servers of /etc/resolv.conf. Each value says where it came
// from; whatever cannot be read stays the guide's.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { formatIpv4, parseIpv4 } from '../plan/ipv4.js';
import { type ClusterSettings, guideAddressesFor } from '../plan/plan-cluster.js';

export type NetworkField = 'subnet' | 'firstAddress' | 'gateway' | 'dns';

export interface NetworkDefaults {
  settings: Pick<ClusterSettings, NetworkField>;
  /** Where each value came from, in words for the form. */
  sources: Record<NetworkField, string>;
}

/** `ip -4 route show default`: the first default route's router and interface. */
export function parseDefaultRoute(text: string): { gateway: string; device: string } | undefined {
  const match = /^default via (\S+) dev (\S+)/m.exec(text);
  if (!match || !parseIpv4(match[1] ?? '').ok) return undefined;
  return { gateway: match[1] as string, device: match[2] as string };
}

/** `ip -4 -o addr show dev DEVICE`: the first address's subnet, as CIDR. */
export function parseInterfaceSubnet(text: string): string | undefined {
  const match = /\binet (\d+\.\d+\.\d+\.\d+)\/(\d{1,2})\b/.exec(text);
  if (!match) return undefined;
  const address = parseIpv4(match[1] ?? '');
  const prefix = Number(match[2]);
  if (!address.ok || prefix < 8 || prefix > 30) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${formatIpv4((address.value & mask) >>> 0)}/${prefix}`;
}

/** resolv.conf's IPv4 name servers, leaving out a local stub (127.x), which no Pi can use. */
export function parseNameServers(text: string): string[] {
  return [...text.matchAll(/^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)]
    .map((match) => match[1] as string)
    .filter((address) => parseIpv4(address).ok && !address.startsWith('127.'));
}

/** The form's network values from what was read; undefined when no subnet could be read. */
export function networkDefaultsFrom(read: {
  route?: string;
  address?: string;
  resolvConf?: string;
}): NetworkDefaults | undefined {
  const route = parseDefaultRoute(read.route ?? '');
  if (!route) return undefined;
  const subnet = parseInterfaceSubnet(read.address ?? '');
  const guide = subnet === undefined ? undefined : guideAddressesFor(subnet);
  if (subnet === undefined || !guide) return undefined;
  const servers = parseNameServers(read.resolvConf ?? '');
  return {
    settings: {
      subnet,
      firstAddress: guide.firstAddress,
      gateway: route.gateway,
      dns: servers.length > 0 ? servers : [route.gateway],
    },
    sources: {
      subnet: `this Pi's network (${route.device}, ip -4 addr)`,
      firstAddress: "the guide's .100 of this subnet",
      gateway: `this Pi's default route (ip -4 route)`,
      dns:
        servers.length > 0
          ? "this Pi's /etc/resolv.conf"
          : 'the gateway (no name server in /etc/resolv.conf)',
    },
  };
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 2000 }, (error, stdout) => resolve(error ? '' : stdout));
  });
}

/** Reads the master's network; undefined when it cannot be read (no default route, no `ip`). */
export async function readMasterNetwork(): Promise<NetworkDefaults | undefined> {
  const route = await run('ip', ['-4', 'route', 'show', 'default']);
  const device = parseDefaultRoute(route)?.device;
  if (device === undefined) return undefined;
  const address = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', device]);
  const resolvConf = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  return networkDefaultsFrom({ route, address, resolvConf });
}
