// Which eth0 address a fake Pi boots with: read from its network configuration the way dhcpcd,
// ifupdown and NetworkManager would, as pure functions of the files' text.

export type NetworkProfile = 'dhcpcd' | 'networkmanager' | 'ifupdown';

export type Eth0Address = { kind: 'static'; address: string } | { kind: 'dhcp' };

const dhcp: Eth0Address = { kind: 'dhcp' };
const ipv4 = /^(\d{1,3}\.){3}\d{1,3}$/;

function staticAddress(value: string): Eth0Address {
  const address = value.trim().split('/')[0] ?? '';
  return ipv4.test(address) ? { kind: 'static', address } : dhcp;
}

/** dhcpcd.conf: the first `static ip_address=` inside an `interface eth0` block. */
export function eth0AddressFromDhcpcd(conf: string): Eth0Address {
  let block: string | undefined;
  for (const raw of conf.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword === 'interface') block = rest[0];
    else if (keyword === 'profile' || keyword === 'ssid') block = undefined;
    else if (keyword === 'static' && block === 'eth0') {
      const match = /^ip_address\s*=\s*(\S+)/.exec(rest.join(' '));
      if (match?.[1]) return staticAddress(match[1]);
    }
  }
  return dhcp;
}

const ifupdownStanzas = new Set([
  'iface',
  'mapping',
  'auto',
  'source',
  'source-directory',
  'no-auto-down',
  'no-scripts',
]);

/**
 * /etc/network/interfaces (with its `source` files already inlined): the `address` of an
 * `iface eth0 inet static` stanza, if eth0 is brought up at boot (`auto` or `allow-hotplug`).
 */
export function eth0AddressFromInterfaces(interfaces: string): Eth0Address {
  let inStaticEth0 = false;
  let broughtUp = false;
  let address: string | undefined;
  for (const raw of interfaces.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const [keyword, ...rest] = line.split(/\s+/);
    if (!keyword) continue;
    if (ifupdownStanzas.has(keyword) || keyword.startsWith('allow-')) {
      if ((keyword === 'auto' || keyword.startsWith('allow-')) && rest.includes('eth0')) {
        broughtUp = true;
      }
      inStaticEth0 =
        keyword === 'iface' && rest[0] === 'eth0' && rest[1] === 'inet' && rest[2] === 'static';
      continue;
    }
    if (inStaticEth0 && keyword === 'address' && address === undefined && rest[0]) {
      address = rest[0];
    }
  }
  return broughtUp && address !== undefined ? staticAddress(address) : dhcp;
}

export interface KeyfileProfile {
  name: string;
  content: string;
  /** Owner and mode of the file: NetworkManager ignores profiles not owned by root or readable by others. */
  uid: number;
  mode: number;
}

function parseKeyfile(content: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section = new Map<string, string>();
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      section = sections.get(header[1]) ?? new Map();
      sections.set(header[1], section);
      continue;
    }
    const equals = line.indexOf('=');
    if (equals > 0) section.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
  }
  return sections;
}

/**
 * NetworkManager keyfiles (system-connections/*.nmconnection): among the profiles it would load
 * (root-owned, no group or other permissions) that autoconnect on eth0, the one with the highest
 * autoconnect-priority wins (ties: the first by file name); `method=manual` gives its `address1`.
 */
export function eth0AddressFromNetworkManager(profiles: KeyfileProfile[]): Eth0Address {
  let best: { priority: number; ipv4: Map<string, string> } | undefined;
  const sorted = [...profiles].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const profile of sorted) {
    if (!profile.name.endsWith('.nmconnection')) continue;
    if (profile.uid !== 0 || (profile.mode & 0o077) !== 0) continue;
    const keyfile = parseKeyfile(profile.content);
    const connection = keyfile.get('connection') ?? new Map<string, string>();
    const type = connection.get('type');
    const interfaceName = connection.get('interface-name');
    const ethernet = type === 'ethernet' || type === '802-3-ethernet';
    if (!ethernet || (interfaceName !== undefined && interfaceName !== 'eth0')) continue;
    if (connection.get('autoconnect') === 'false') continue;
    const priority = Number.parseInt(connection.get('autoconnect-priority') ?? '0', 10) || 0;
    if (best === undefined || priority > best.priority) {
      best = { priority, ipv4: keyfile.get('ipv4') ?? new Map() };
    }
  }
  if (best?.ipv4.get('method') !== 'manual') return dhcp;
  const address = best.ipv4.get('address1') ?? best.ipv4.get('addresses1') ?? '';
  return staticAddress(address.split(',')[0] ?? '');
}
