// The guide's network section on one node: a static address, the hostname, the cluster's block in
// /etc/hosts and SSH enabled. Configuration only: the reboot step makes it take effect.

import type { NodeRow } from '../plan/plan-cluster.js';
import { applyManagedBlock, managedBlockMarkers } from '../transport/managed-block.js';
import type { ReadToMake } from '../transport/node-connection.js';
import {
  checkCloudInitKeepsHostname,
  cloudInitDropIn,
  cloudInitHostnameWrites,
  cloudInitHostsTemplate,
  cloudInitHostsWrites,
} from './cloud-init.js';
import { clusterHostsBlock, hostnameFile, setLoopbackHostname } from './hosts-file.js';
import {
  dhcpcdBlock,
  dhcpcdConflicts,
  ifupdownStanza,
  ifupdownStanzaRange,
  networkManagerKeyfile,
  networkManagerProfilePath,
  staticAddressFor,
} from './network-config.js';
import { networkStackProblem } from './node-facts.js';
import { type NodeStep, StepFailure, type StepWork } from './step.js';

const rootFile = (mode: number) => ({ mode, owner: 'root', group: 'root', asRoot: true });

/**
 * Every file the network steps may read on this node, whichever stack it runs: read along with
 * another command (the node's facts, the check after a reboot) into the connection's memory, so
 * the steps' reads cost no round trip of their own. Those the login user cannot read (a
 * NetworkManager keyfile) are read as root when a step needs them.
 */
export function networkStepFiles(row: NodeRow): string[] {
  return [
    '/etc/dhcpcd.conf',
    networkManagerProfilePath(row.interfaceName),
    '/etc/network/interfaces',
    '/etc/hosts',
    '/etc/hostname',
    cloudInitHostsTemplate,
    cloudInitDropIn,
  ];
}

// A fixed script: nothing from the plan goes into it. getent resolves the name as sudo does (the
// system's resolver, /etc/hosts first), without needing sudo: sudo says "unable to resolve host"
// exactly when this fails.
const runningStateScript = `printf 'hostname=%s\\n' "$(hostname)"
if getent ahosts "$(hostname)" >/dev/null 2>&1; then echo resolves=yes; else echo resolves=no; fi
printf 'ssh_enabled=%s\\n' "$(systemctl is-enabled ssh 2>/dev/null)"
printf 'ssh_active=%s\\n' "$(systemctl is-active ssh 2>/dev/null)"`;

/**
 * The running state's read with every file the network steps read along: the first read on a
 * node just rebooted (see StepBook.firstReadAfterReboot).
 */
export function runningStateRead(row: NodeRow): ReadToMake {
  return {
    command: { script: runningStateScript },
    options: {
      label: 'read hostname, whether it resolves, ssh enabled and running',
      remember: true,
      timeoutMs: 60_000,
      alsoInspect: networkStepFiles(row),
    },
  };
}

/** What the hostname and ssh steps check that no file holds. */
export interface RunningState {
  hostname: string;
  /** Whether the running hostname resolves (else sudo says "unable to resolve host"). */
  resolves: boolean;
  /** `systemctl is-enabled ssh` and `is-active ssh`. */
  sshEnabled: string;
  sshActive: string;
}

/**
 * The node's running state in one read that the connection remembers until the wizard changes
 * something there: the hostname and ssh steps, their re-checks and verifies, and the check after a
 * reboot share it, where each used to ask again. `alsoInspect`: files to read in the same round trip.
 */
export async function readRunningState(
  work: StepWork,
  alsoInspect: readonly string[] = [],
): Promise<RunningState> {
  const { command, options } = runningStateRead(work.row);
  const result = await work.connection.run(command, { ...options, alsoInspect });
  const values = new Map(
    result.stdout.split('\n').map((line) => {
      const equals = line.indexOf('=');
      return [line.slice(0, equals), line.slice(equals + 1).trim()] as const;
    }),
  );
  return {
    hostname: values.get('hostname') ?? '',
    resolves: values.get('resolves') === 'yes',
    sshEnabled: values.get('ssh_enabled') ?? '',
    sshActive: values.get('ssh_active') ?? '',
  };
}

export const staticIpStep: NodeStep = {
  id: 'static-ip',
  title: 'Assign a static IP address',
  section: 'Network',
  async run(work) {
    const target = staticAddressFor(work.cluster.settings, work.row);
    const stack = work.facts.networkStack;
    const before = work.changes.length;
    const problem = networkStackProblem(work.facts, target.interfaceName);
    if (problem && stack !== 'unknown') {
      throw new StepFailure(
        `${work.row.hostname}: ${problem}`,
        `then run: pi-cluster-wizard run static-ip --node ${work.row.hostname}`,
      );
    }
    if (stack === 'dhcpcd') {
      const path = '/etc/dhcpcd.conf';
      const current = (await work.connection.readFile(path, { asRoot: true })) ?? '';
      const conflicts = dhcpcdConflicts(current, target.interfaceName);
      if (conflicts.length > 0) {
        throw new StepFailure(
          `${work.row.hostname}: ${path} already configures ${target.interfaceName} on line ${conflicts.join(', ')}, outside the wizard's block (an earlier edit by hand?)`,
          `comment out or delete that stanza (sudo nano ${path}), then run: pi-cluster-wizard run static-ip --node ${work.row.hostname}`,
        );
      }
      await work.block(path, 'static-ip', dhcpcdBlock(target), rootFile(0o644));
    } else if (stack === 'networkmanager' || stack === 'netplan') {
      await work.file(
        networkManagerProfilePath(target.interfaceName),
        networkManagerKeyfile(target),
        rootFile(0o600),
      );
      if (stack === 'netplan') {
        work.note(
          'cloud-init/netplan is present: the wizard profile in /etc/NetworkManager outranks its generated one',
        );
      }
    } else if (stack === 'ifupdown') {
      const path = '/etc/network/interfaces';
      const current = (await work.connection.readFile(path, { asRoot: true })) ?? '';
      const { begin, end } = managedBlockMarkers('static-ip');
      const range = current.includes(begin)
        ? undefined
        : ifupdownStanzaRange(current, target.interfaceName);
      if (range) {
        // Turn the stock `iface eth0 inet dhcp` stanza into the (empty) block, which `block` fills.
        const lines = current.split('\n');
        lines.splice(range.start, range.end - range.start, begin, end);
        const prepared = lines.join('\n');
        await work.file(
          path,
          applyManagedBlock(prepared, 'static-ip', ifupdownStanza(target)).text,
          rootFile(0o644),
        );
      } else {
        await work.block(path, 'static-ip', ifupdownStanza(target), rootFile(0o644));
      }
    } else {
      throw new StepFailure(
        `${work.row.hostname}: no known network stack is running (not NetworkManager, dhcpcd or ifupdown)`,
        `set ${target.address}/${target.prefixLength} by hand, then mark the row's "reach it now at" as ${target.address}`,
      );
    }
    if (work.changes.length > before) work.cluster.rebootPending.add(work.row.hostname);
  },
};

export const hostnameStep: NodeStep = {
  id: 'hostname',
  title: 'Change Hostname',
  section: 'Network',
  async run(work) {
    const name = work.row.hostname;
    // /etc/hosts first, so sudo resolves the new name as soon as it is set; one round trip for all.
    const hosts = (await work.connection.readFile('/etc/hosts', { asRoot: true })) ?? '';
    const [, fileChange] = await work.files([
      { path: '/etc/hosts', content: setLoopbackHostname(hosts, name), options: rootFile(0o644) },
      { path: '/etc/hostname', content: hostnameFile(name), options: rootFile(0o644) },
      ...(work.facts.cloudInit ? await cloudInitHostnameWrites(work) : []),
    ]);
    if (work.facts.cloudInit) await checkCloudInitKeepsHostname(work);
    const running = (await readRunningState(work)).hostname;
    if (running !== name) {
      await work.command(`set the running hostname to ${name}`, ['hostname', '--', name], {
        asRoot: true,
        writesNoFile: true,
      });
    }
    if (fileChange!.changed) work.cluster.rebootPending.add(name);
  },
  async verify(work) {
    const running = await readRunningState(work);
    if (running.hostname !== work.row.hostname) {
      throw new StepFailure(
        `${work.row.hostname}: the running hostname is still "${running.hostname}"`,
        'reboot the node so it reads /etc/hostname, then run the step again',
      );
    }
    if (!running.resolves) {
      throw new StepFailure(
        `${work.row.hostname}: the new hostname does not resolve, so sudo says "unable to resolve host" after the hostname change`,
        'check the 127.0.1.1 line in /etc/hosts names the new hostname',
      );
    }
    if (work.facts.cloudInit) await checkCloudInitKeepsHostname(work);
  },
};

export const hostsStep: NodeStep = {
  id: 'hosts',
  title: 'Map every hostname in /etc/hosts',
  section: 'Network',
  async run(work) {
    const block = clusterHostsBlock(work.cluster.rows);
    await work.files([
      { path: '/etc/hosts', block: 'pi-cluster-network', content: block, options: rootFile(0o644) },
      ...(work.facts.cloudInit
        ? await cloudInitHostsWrites(work, 'pi-cluster-network', block)
        : []),
    ]);
  },
};

export const sshStep: NodeStep = {
  id: 'ssh',
  title: 'Enable Secure Shell (SSH)',
  section: 'SSH',
  async run(work: StepWork) {
    // Both from one read: enabling ssh does not start it, so "running" read before still holds.
    const { sshEnabled, sshActive } = await readRunningState(work);
    if (sshEnabled !== 'enabled') {
      await work.command('enable ssh so it starts at boot', ['systemctl', 'enable', 'ssh'], {
        asRoot: true,
      });
    }
    if (sshActive !== 'active') {
      await work.command('start ssh now', ['systemctl', 'start', 'ssh'], { asRoot: true });
    }
  },
};
