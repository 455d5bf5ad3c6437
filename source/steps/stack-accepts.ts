// Before a node reboots into its new address, its own network stack is asked whether it accepts
// the configuration the wizard wrote and would put that address on the interface: NetworkManager
// parses the keyfile (`nmcli --offline`, no daemon needed) and says whether it manages the
// interface; ifupdown dry-runs the boot's `ifup` and lists what it brings up at boot; dhcpcd runs
// in test mode, which reads the configuration and says which static address it would use. A node
// whose stack refuses is not rebooted: its failure quotes the stack and names the file.
import {
  networkManagerProfilePath,
  type StaticAddress,
  staticAddressFor,
} from './network-config.js';
import { StepFailure, type StepWork } from './step.js';

/** Throws a StepFailure naming the stack's complaint and the file; returns what the stack said. */
export async function checkStackAcceptsConfiguration(work: StepWork): Promise<string> {
  const target = staticAddressFor(work.cluster.settings, work.row);
  const stack = work.facts.networkStack;
  if (stack === 'networkmanager' || stack === 'netplan') return checkNetworkManager(work, target);
  if (stack === 'ifupdown') return checkIfupdown(work, target);
  if (stack === 'dhcpcd') return checkDhcpcd(work, target);
  throw new StepFailure(
    `${work.row.hostname}: no known network stack runs on it, so nothing can confirm it would come up at ${target.address}`,
    `set ${target.address}/${target.prefixLength} by hand and reboot it yourself, then mark the row's "reach it now at" as ${target.address}`,
  );
}

function refused(work: StepWork, stack: string, file: string, said: string): StepFailure {
  const name = work.row.hostname;
  return new StepFailure(
    `${name}: not rebooted: ${stack} refuses ${file}: ${said.trim() || '(it said nothing)'}`,
    `the node still answers at its old address; fix ${file} (sudo nano ${file}) or move it aside and run: pi-cluster-wizard run static-ip reboot --node ${name}`,
  );
}

function lastLines(text: string, count = 3): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}

// `connection modify` with no property reads the keyfile, normalizes it and writes it to stdout;
// then whether the running daemon manages the interface at all (an `iface eth0` stanza in
// /etc/network/interfaces with Debian's stock `[ifupdown] managed=false` makes it unmanaged). One
// round trip: the parse's own output, a line `pcw-devices <exit code>`, then nmcli's device list.
const askNetworkManager = `nmcli --offline connection modify < "$1" || exit
devices=$(nmcli -t -f DEVICE,STATE device 2>&1)
printf 'pcw-devices %s\\n%s\\n' "$?" "$devices"`;

async function checkNetworkManager(work: StepWork, target: StaticAddress): Promise<string> {
  const file = networkManagerProfilePath(target.interfaceName);
  // As the static-ip step wrote it (or as the node showed it, if it left it as it was).
  const written = await work.connection.inspectFile(file, { asRoot: true });
  if (written === undefined) throw refused(work, 'NetworkManager', file, 'the file is missing');
  // NetworkManager ignores a keyfile that is not root's or that anyone else may read.
  if (written.owner !== 'root' || (Number.parseInt(written.mode, 8) & 0o077) !== 0) {
    throw refused(
      work,
      'NetworkManager',
      file,
      `it is owned by ${written.owner} with mode ${written.mode}; NetworkManager ignores a profile that is not root's with mode 600`,
    );
  }
  const asked = await work.read(
    { script: askNetworkManager, args: [file] },
    {
      asRoot: true,
      label: 'nmcli --offline parses the profile; does NetworkManager manage the interface',
    },
  );
  if (asked.code !== 0) throw refused(work, 'NetworkManager (nmcli --offline)', file, asked.stderr);
  const marker = asked.stdout.lastIndexOf('pcw-devices ');
  const parsed = asked.stdout.slice(0, marker === -1 ? undefined : marker);
  const [devicesHeader = '', ...deviceLines] =
    marker === -1 ? [] : asked.stdout.slice(marker).split('\n');
  const wanted = `address1=${target.address}/${target.prefixLength}`;
  const lines = parsed.split('\n').map((line) => line.trim());
  if (!lines.includes('method=manual') || !lines.some((line) => line.startsWith(wanted))) {
    throw refused(
      work,
      'NetworkManager (nmcli --offline)',
      file,
      `it reads the profile without ${wanted} and method=manual`,
    );
  }
  if (marker === -1 || devicesHeader !== 'pcw-devices 0') {
    return `nmcli --offline accepts ${file} (${target.address}/${target.prefixLength}); the daemon did not answer whether it manages ${target.interfaceName}: ${lastLines(deviceLines.join('\n'), 1)}`;
  }
  const state = deviceLines
    .map((line) => line.split(':'))
    .find(([device]) => device === target.interfaceName)?.[1];
  if (state === undefined || state.startsWith('unmanaged')) {
    throw new StepFailure(
      `${work.row.hostname}: not rebooted: NetworkManager ${state === undefined ? `has no device ${target.interfaceName}` : `leaves ${target.interfaceName} unmanaged`}, so it would never use ${file}`,
      `if /etc/network/interfaces (or a file in /etc/network/interfaces.d) has a stanza for ${target.interfaceName}, remove it (ifupdown and NetworkManager must not both configure it), reboot, then run: pi-cluster-wizard run all --node ${work.row.hostname}`,
    );
  }
  return `NetworkManager accepts ${file} (${target.address}/${target.prefixLength}) and manages ${target.interfaceName}`;
}

async function checkIfupdown(work: StepWork, target: StaticAddress): Promise<string> {
  const file = '/etc/network/interfaces';
  const dryRun = await work.read(
    ['ifup', '--no-act', '--force', '--verbose', target.interfaceName],
    { asRoot: true, label: 'ifup --no-act' },
  );
  const said = `${dryRun.stdout}\n${dryRun.stderr}`;
  if (dryRun.code !== 0) throw refused(work, 'ifupdown (ifup --no-act)', file, lastLines(said));
  if (!said.includes(`ip addr add ${target.address}/`)) {
    throw refused(
      work,
      'ifupdown (ifup --no-act)',
      file,
      `it would not add ${target.address} to ${target.interfaceName}: ${lastLines(said)}`,
    );
  }
  // The boot brings up `auto` interfaces (ifup -a) and hotplug ones (ifup --allow=hotplug): both
  // lists in one round trip.
  const listed = await work.read(
    { script: 'ifquery --list --allow=auto; ifquery --list --allow=hotplug' },
    { asRoot: true, label: 'ifquery --list --allow=auto, then --allow=hotplug' },
  );
  const atBoot = listed.stdout.split('\n').map((line) => line.trim());
  if (!atBoot.includes(target.interfaceName)) {
    throw refused(
      work,
      'ifupdown (ifquery --list)',
      file,
      `no "auto ${target.interfaceName}" or "allow-hotplug ${target.interfaceName}" line: nothing would bring ${target.interfaceName} up at boot`,
    );
  }
  return `ifupdown would bring ${target.interfaceName} up at boot with ${target.address}/${target.prefixLength}`;
}

async function checkDhcpcd(work: StepWork, target: StaticAddress): Promise<string> {
  const file = '/etc/dhcpcd.conf';
  // Test mode reads the configuration and says what it would do without changing the interface;
  // no hook script runs (/bin/true instead) and ARP probing is skipped. A static address is
  // reported at once; only a configuration that falls back to DHCP waits for the timeout.
  const tested = await work.read(
    [
      'dhcpcd',
      '--test',
      '-4',
      '--noarp',
      '--script',
      '/bin/true',
      '--timeout',
      '10',
      target.interfaceName,
    ],
    { asRoot: true, label: 'dhcpcd --test' },
  );
  const said = `${tested.stdout}\n${tested.stderr}`;
  const complaints = said.split('\n').filter((line) => /unknown option|invalid|error/i.test(line));
  if (complaints.length > 0)
    throw refused(work, 'dhcpcd (dhcpcd --test)', file, complaints.join(' | '));
  const wanted = `${target.interfaceName}: using static address ${target.address}/${target.prefixLength}`;
  if (!said.includes(wanted)) {
    throw refused(
      work,
      'dhcpcd (dhcpcd --test)',
      file,
      `it would not use ${target.address}/${target.prefixLength} on ${target.interfaceName}: ${lastLines(said)}`,
    );
  }
  return `dhcpcd would use ${target.address}/${target.prefixLength} on ${target.interfaceName}`;
}
