// What preflight learns about a node before anything is changed: its OS, which network stack is
// really running, the login user and home, how sudo behaves, and what makes a card unique.
import { sshFingerprint } from '../transport/known-hosts.js';
import type { NodeConnection } from '../transport/node-connection.js';
import { keyIdentity } from './authorized-keys.js';
import type { NetworkStack } from './network-config.js';
import { StepFailure } from './step.js';

export interface NodeFacts {
  osRelease: string;
  /** The stack that configures eth0; netplan is NetworkManager fed by cloud-init. */
  networkStack: NetworkStack | 'netplan' | 'unknown';
  user: string;
  /** The login user's groups (`id -nG`). */
  groups: string[];
  home: string;
  sudo: 'root' | 'nopasswd' | 'password';
  hostname: string;
  machineId: string;
  /** `type base64` lines of /etc/ssh/ssh_host_*_key.pub. */
  hostKeys: string[];
  hostKeyFingerprints: string[];
  bootId: string;
  /** NetworkManager's devices and their states (`eth0` → `connected`), when it answers. */
  networkManagerDevices: Map<string, string>;
  /** Set when cloud-init ran at this boot (so it runs at the next): not disabled, not "not run". */
  cloudInit?: { version: string; status: string };
  /** Processors available (`nproc`): an MPI hostfile's slots. Undefined when nproc said nothing. */
  cores?: number;
}

// A fixed script: nothing from the plan or the person goes into it.
const factsScript = `
. /etc/os-release 2>/dev/null
printf 'os=%s\\n' "\${PRETTY_NAME:-unknown}"
printf 'user=%s\\n' "$(id -un)"
printf 'uid=%s\\n' "$(id -u)"
printf 'groups=%s\\n' "$(id -nG)"
printf 'home=%s\\n' "$HOME"
printf 'hostname=%s\\n' "$(hostname)"
for unit in NetworkManager dhcpcd networking; do
  printf 'active_%s=%s\\n' "$unit" "$(systemctl is-active "$unit" 2>/dev/null)"
done
if command -v nmcli >/dev/null 2>&1; then
  nmcli -t -f DEVICE,STATE device 2>/dev/null | sed 's/^/nm_device=/'
fi
if ls /etc/netplan/*.yaml >/dev/null 2>&1; then echo netplan=yes; fi
printf 'machine_id=%s\\n' "$(cat /etc/machine-id 2>/dev/null)"
printf 'boot_id=%s\\n' "$(cat /proc/sys/kernel/random/boot_id)"
printf 'cores=%s\\n' "$(nproc 2>/dev/null)"
if sudo -n true 2>/dev/null; then echo sudo=nopasswd; else echo sudo=password; fi
# cloud-init's own status reads /run/cloud-init/status.json: without it cloud-init says "not run"
# or "disabled" (it did not run at this boot, so it will not at the next). Asking it only when the
# file is there spares each node two Python start-ups per run (seconds on a Pi Zero) on cards
# where it does not run, and the package database gives the version without a third.
if command -v cloud-init >/dev/null 2>&1 && [ -e /run/cloud-init/status.json ]; then
  version=$(dpkg-query -W -f='\${Version}' cloud-init 2>/dev/null)
  [ -n "$version" ] || version=$(cloud-init --version 2>&1 | sed -n '1s/.* //p')
  printf 'cloud_init=%s\\n' "$version"
  printf 'cloud_init_status=%s\\n' "$(cloud-init status 2>/dev/null | sed -n 's/^status: //p')"
fi
for key in /etc/ssh/ssh_host_*_key.pub; do [ -r "$key" ] && printf 'hostkey=%s\\n' "$(cat "$key")"; done
`;

/**
 * Reads the facts; in the same round trip the connection learns its boot id and sudo's behaviour,
 * and reads `alsoInspect` (files later steps read) into its memory.
 */
export async function gatherNodeFacts(
  connection: NodeConnection,
  alsoInspect: readonly string[] = [],
): Promise<NodeFacts> {
  const result = await connection.run(
    { script: factsScript },
    { label: 'read node facts', writesNoFile: true, probe: true, alsoInspect },
  );
  const said = `${result.stdout}\n${result.stderr}`;
  // nologin (or false) as the login shell: every command over SSH is refused before it starts.
  if (result.code !== 0 && /account is currently not available|nologin/i.test(said)) {
    throw new StepFailure(
      `${connection.node}: the login user's shell is nologin, so no command can run over SSH (it said: ${said.trim().split('\n')[0]})`,
      `give the user a login shell on this Pi (as root: chsh -s /bin/bash <user>), or log in as the user created when flashing`,
    );
  }
  if (!/^user=/m.test(result.stdout)) {
    throw new StepFailure(
      `${connection.node}: reading what the node runs failed (exit code ${result.code})${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').slice(-2).join(' / ')}` : ''}`,
      'log in to the Pi by hand (ssh user@address) and check that a shell starts; see the command log',
    );
  }
  return parseNodeFacts(result.stdout);
}

export function parseNodeFacts(output: string): NodeFacts {
  const values = new Map<string, string>();
  const hostKeys: string[] = [];
  const networkManagerDevices = new Map<string, string>();
  for (const line of output.split('\n')) {
    const equals = line.indexOf('=');
    if (equals === -1) continue;
    const key = line.slice(0, equals);
    const value = line.slice(equals + 1).trim();
    if (key === 'hostkey') {
      const identity = keyIdentity(value);
      if (identity) hostKeys.push(identity);
    } else if (key === 'nm_device') {
      const [device, state] = value.split(':');
      if (device && state) networkManagerDevices.set(device, state);
    } else values.set(key, value);
  }
  const active = (unit: string) => values.get(`active_${unit}`) === 'active';
  let networkStack: NodeFacts['networkStack'] = 'unknown';
  if (active('NetworkManager')) networkStack = values.has('netplan') ? 'netplan' : 'networkmanager';
  else if (active('dhcpcd')) networkStack = 'dhcpcd';
  else if (active('networking')) networkStack = 'ifupdown';
  return {
    osRelease: values.get('os') ?? 'unknown',
    networkStack,
    user: values.get('user') ?? '',
    groups: (values.get('groups') ?? '').split(/\s+/).filter(Boolean),
    home: values.get('home') ?? '',
    sudo:
      values.get('uid') === '0'
        ? 'root'
        : values.get('sudo') === 'nopasswd'
          ? 'nopasswd'
          : 'password',
    hostname: values.get('hostname') ?? '',
    machineId: values.get('machine_id') ?? '',
    hostKeys,
    hostKeyFingerprints: hostKeys.map((line) =>
      sshFingerprint(Buffer.from(line.split(' ')[1] ?? '', 'base64')),
    ),
    bootId: values.get('boot_id') ?? '',
    networkManagerDevices,
    ...cloudInitFacts(values),
    ...coresFact(values.get('cores')),
  };
}

function coresFact(text: string | undefined): Pick<NodeFacts, 'cores'> {
  const cores = Number(text);
  return text && /^[0-9]+$/.test(text) && cores > 0 ? { cores } : {};
}

function cloudInitFacts(values: ReadonlyMap<string, string>): Pick<NodeFacts, 'cloudInit'> {
  const version = values.get('cloud_init');
  const status = values.get('cloud_init_status') ?? '';
  // "not run": installed but not started at this boot (a Bookworm card with the package, say), so
  // not at the next one either. A card Imager customised through cloud-init says done or running.
  if (version === undefined || status === 'disabled' || status === 'not run') return {};
  return { cloudInit: { version: version || 'unknown version', status: status || 'unknown' } };
}

/**
 * Why the static address could not take effect on this node, in words, or undefined: no stack the
 * wizard knows runs, or NetworkManager runs but leaves the interface alone (an ifupdown stanza for
 * it with Debian's stock `[ifupdown] managed=false`).
 */
export function networkStackProblem(facts: NodeFacts, interfaceName: string): string | undefined {
  if (facts.networkStack === 'unknown')
    return 'no network stack the wizard knows runs (NetworkManager, dhcpcd and networking are all inactive)';
  if (facts.networkStack !== 'networkmanager' && facts.networkStack !== 'netplan') return undefined;
  const state = facts.networkManagerDevices.get(interfaceName);
  if (state?.startsWith('unmanaged'))
    return `NetworkManager leaves ${interfaceName} unmanaged: ifupdown configures it too (a stanza for ${interfaceName} in /etc/network/interfaces or interfaces.d); remove that stanza and reboot`;
  return undefined;
}

/** The groups Debian, Raspberry Pi OS and others give sudo rights to in their stock sudoers. */
const sudoGroups = ['sudo', 'admin', 'wheel'];

/**
 * A warning, in words, when sudo asks for a password and the user is in no group with sudo rights:
 * sudoers may still name the user (so this is not a failure), but on a stock card sudo will refuse.
 * Without the password nothing more can be known before a step needs sudo.
 */
export function sudoRightsProblem(facts: NodeFacts): string | undefined {
  if (facts.sudo !== 'password' || facts.groups.length === 0) return undefined;
  if (facts.groups.some((group) => sudoGroups.includes(group))) return undefined;
  return `${facts.user} is in no sudo group (${facts.groups.join(' ')}): unless /etc/sudoers names ${facts.user}, sudo will refuse the static-ip, hostname and hosts steps; as root: usermod -aG sudo ${facts.user}`;
}

/** Groups of nodes that share a host key or a machine-id: cards copied with dd. */
export function findClonedCards(facts: ReadonlyMap<string, NodeFacts>): string[][] {
  const byIdentity = new Map<string, Set<string>>();
  for (const [node, each] of facts) {
    const identities = [
      ...each.hostKeyFingerprints,
      each.machineId ? `machine-id:${each.machineId}` : '',
    ];
    for (const identity of identities.filter(Boolean)) {
      const group = byIdentity.get(identity) ?? new Set<string>();
      group.add(node);
      byIdentity.set(identity, group);
    }
  }
  const groups = new Map<string, string[]>();
  for (const group of byIdentity.values()) {
    if (group.size < 2) continue;
    const sorted = [...group].sort();
    groups.set(sorted.join(','), sorted);
  }
  return [...groups.values()];
}
