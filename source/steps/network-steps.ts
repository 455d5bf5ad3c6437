// The guide's network section on one node: a static address, the hostname, the cluster's block in
// /etc/hosts and SSH enabled. Configuration only: the reboot step makes it take effect.
import { applyManagedBlock, managedBlockMarkers } from '../transport/managed-block.js';
import {
  keepHostnameThroughCloudInit,
  keepHostsBlockThroughCloudInit,
  verifyCloudInitKeepsHostname,
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
    // /etc/hosts first, so sudo resolves the new name as soon as it is set.
    const hosts = (await work.connection.readFile('/etc/hosts', { asRoot: true })) ?? '';
    await work.file('/etc/hosts', setLoopbackHostname(hosts, name), rootFile(0o644));
    const fileChange = await work.file('/etc/hostname', hostnameFile(name), rootFile(0o644));
    if (work.facts.cloudInit) await keepHostnameThroughCloudInit(work);
    const running = (
      await work.read(['hostname'], { label: 'read running hostname' })
    ).stdout.trim();
    if (running !== name) {
      await work.command(`set the running hostname to ${name}`, ['hostname', '--', name], {
        asRoot: true,
        writesNoFile: true,
      });
    }
    if (fileChange.changed) work.cluster.rebootPending.add(name);
  },
  async verify(work) {
    const running = (
      await work.read(['hostname'], { label: 'read running hostname' })
    ).stdout.trim();
    if (running !== work.row.hostname) {
      throw new StepFailure(
        `${work.row.hostname}: the running hostname is still "${running}"`,
        'reboot the node so it reads /etc/hostname, then run the step again',
      );
    }
    const sudoCheck = await work.connection.runAsRoot(['true'], {
      label: 'sudo after hostname change',
      writesNoFile: true,
    });
    if (/unable to resolve host/.test(sudoCheck.stderr)) {
      throw new StepFailure(
        `${work.row.hostname}: sudo says "unable to resolve host" after the hostname change`,
        'check the 127.0.1.1 line in /etc/hosts names the new hostname',
      );
    }
    if (work.facts.cloudInit) await verifyCloudInitKeepsHostname(work);
  },
};

export const hostsStep: NodeStep = {
  id: 'hosts',
  title: 'Map every hostname in /etc/hosts',
  section: 'Network',
  async run(work) {
    const block = clusterHostsBlock(work.cluster.rows);
    await work.block('/etc/hosts', 'pi-cluster-network', block, rootFile(0o644));
    if (work.facts.cloudInit)
      await keepHostsBlockThroughCloudInit(work, 'pi-cluster-network', block);
  },
};

export const sshStep: NodeStep = {
  id: 'ssh',
  title: 'Enable Secure Shell (SSH)',
  section: 'SSH',
  async run(work: StepWork) {
    const enabled = (
      await work.read(['systemctl', 'is-enabled', 'ssh'], { label: 'is ssh enabled' })
    ).stdout.trim();
    if (enabled !== 'enabled') {
      await work.command('enable ssh so it starts at boot', ['systemctl', 'enable', 'ssh'], {
        asRoot: true,
      });
    }
    const active = (
      await work.read(['systemctl', 'is-active', 'ssh'], { label: 'is ssh running' })
    ).stdout.trim();
    if (active !== 'active') {
      await work.command('start ssh now', ['systemctl', 'start', 'ssh'], { asRoot: true });
    }
  },
};
