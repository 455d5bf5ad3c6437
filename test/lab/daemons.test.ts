// The real network daemons judge the files on a node's card at its next boot: the wizard's own
// files (from its renderers) bring a node up at its static address; files a daemon refuses or
// ignores do not, and the daemon's own log says why. And Trixie's cloud-init rewrites /etc/hosts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  dhcpcdBlock,
  ifupdownStanza,
  ifupdownStanzaRange,
  networkManagerKeyfile,
  networkManagerProfilePath,
  type StaticAddress,
} from '../../source/steps/network-config.js';
import { applyManagedBlock, managedBlockMarkers } from '../../source/transport/managed-block.js';
import { type Lab, type LabNode, startLab } from './lab.js';
import { sshWithPassword } from './real-ssh.js';

function staticTarget(lab: Lab, host: number): StaticAddress {
  return {
    interfaceName: 'eth0',
    address: lab.staticAddress(host),
    prefixLength: 24,
    gateway: lab.staticAddress(1),
    dns: [lab.staticAddress(1)],
  };
}

async function write(node: LabNode, path: string, text: string, mode: string): Promise<void> {
  const result = await node.runAsRoot(`cat > '${path}' && chmod ${mode} '${path}'`, {
    input: text,
  });
  assert.equal(result.code, 0, result.stderr);
}

/** Reboots the node (as `sudo reboot` would) and resolves once the next boot has started. */
async function reboot(node: LabNode): Promise<number> {
  const bootCount = node.bootCount;
  void node.runAsRoot('reboot');
  for (let tries = 0; tries < 600 && node.bootCount === bootCount; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(node.bootCount > bootCount, `node ${node.index} did not reboot`);
  return bootCount;
}

/** After a reboot: up where its stack put it (the DHCP lease when a daemon refused the file). */
async function upAfter(node: LabNode, bootCount: number): Promise<string> {
  await node.waitUntilUp({ afterBoot: bootCount, timeoutMs: 120_000 });
  return node.address();
}

async function logSays(node: LabNode, path: string, pattern: RegExp): Promise<void> {
  let text = '';
  for (let tries = 0; tries < 100; tries++) {
    text = await node.readFile(path).catch(() => '');
    if (pattern.test(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.match(text, pattern, `${path} of node ${node.index}`);
}

describe('NetworkManager judges keyfiles', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ nodes: 3, profile: 'networkmanager', rebootDelayMs: 200 });
  });
  after(() => lab?.stop());

  test("the wizard's keyfile (root 0600) brings eth0 up at its static address; a 0644 one and an invalid address are refused", async () => {
    const [good, open, invalid] = lab.nodes as [LabNode, LabNode, LabNode];
    const path = networkManagerProfilePath('eth0');
    await write(good, path, networkManagerKeyfile(staticTarget(lab, 101)), '0600');
    await write(open, path, networkManagerKeyfile(staticTarget(lab, 102)), '0644');
    const bad = networkManagerKeyfile(staticTarget(lab, 103)).replace(
      `address1=${lab.staticAddress(103)}/24`,
      `address1=${lab.staticAddress(0).replace(/0$/, '300')}/24`,
    );
    assert.match(bad, /address1=127\.\d+\.\d+\.300\/24/);
    await write(invalid, path, bad, '0600');

    const boots = await Promise.all(lab.nodes.map(reboot));
    const addresses = await Promise.all(lab.nodes.map((node, i) => upAfter(node, boots[i]!)));
    assert.equal(addresses[0], lab.staticAddress(101));
    // Refused, NetworkManager falls back on "Wired connection 1": the node answers only at its
    // DHCP lease, nowhere the wizard would look for it.
    assert.equal(addresses[1], open.dhcpAddress);
    assert.equal(addresses[2], invalid.dhcpAddress);
    await logSays(open, '/run/pcw-lab/NetworkManager.log', /permissions \(100644\) are insecure/);
    await logSays(invalid, '/run/pcw-lab/NetworkManager.log', /pi-cluster-eth0\.nmconnection/);
    const login = await sshWithPassword(
      { address: lab.staticAddress(101), user: lab.user, password: lab.password },
      'nmcli -t -f NAME connection show --active',
    );
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^pi-cluster-eth0$/m);
  });
});

describe('dhcpcd judges dhcpcd.conf', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ nodes: 2, profile: 'dhcpcd', rebootDelayMs: 200 });
  });
  after(() => lab?.stop());

  test("the wizard's block brings eth0 up at its static address; a misspelt option is ignored", async () => {
    const [good, misspelt] = lab.nodes as [LabNode, LabNode];
    const stock = await good.readFile('/etc/dhcpcd.conf');
    const block = (host: number) =>
      applyManagedBlock(stock, 'static-ip', dhcpcdBlock(staticTarget(lab, host))).text;
    await write(good, '/etc/dhcpcd.conf', block(101), '0644');
    const typo = block(102).replace(/^static ip_address=/m, 'static ip_adress=');
    assert.match(typo, /^static ip_adress=127\./m);
    await write(misspelt, '/etc/dhcpcd.conf', typo, '0644');

    const boots = await Promise.all(lab.nodes.map(reboot));
    const addresses = await Promise.all(lab.nodes.map((node, i) => upAfter(node, boots[i]!)));
    assert.equal(addresses[0], lab.staticAddress(101));
    // dhcpcd says nothing and asks the DHCP server instead.
    assert.equal(addresses[1], misspelt.dhcpAddress);
  });
});

describe('ifupdown judges /etc/network/interfaces', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ nodes: 2, profile: 'ifupdown', rebootDelayMs: 200 });
  });
  after(() => lab?.stop());

  test("the wizard's stanza brings eth0 up at its static address; one without auto or allow-hotplug leaves the node unreachable", async () => {
    const [good, noAuto] = lab.nodes as [LabNode, LabNode];
    const stock = await good.readFile('/etc/network/interfaces');
    // As the wizard's static-ip step does: the stock `iface eth0 inet dhcp` stanza becomes its block.
    const { begin, end } = managedBlockMarkers('static-ip');
    const range = ifupdownStanzaRange(stock, 'eth0');
    assert.ok(range);
    const lines = stock.split('\n');
    lines.splice(range.start, range.end - range.start, begin, end);
    const prepared = lines.join('\n');
    const wizard = (host: number) =>
      applyManagedBlock(prepared, 'static-ip', ifupdownStanza(staticTarget(lab, host))).text;
    await write(good, '/etc/network/interfaces', wizard(101), '0644');
    const withoutAuto = wizard(102).replace(/^auto eth0\n/m, '');
    assert.doesNotMatch(withoutAuto, /^(auto|allow-hotplug) eth0/m);
    await write(noAuto, '/etc/network/interfaces', withoutAuto, '0644');

    const boots = await Promise.all(lab.nodes.map(reboot));
    assert.equal(await upAfter(good, boots[0]!), lab.staticAddress(101));
    await assert.rejects(
      noAuto.waitUntilUp({ afterBoot: boots[1]!, timeoutMs: 8000 }),
      /gave eth0 no address/,
    );
    const eth0 = await noAuto.runAsRoot(
      'ip -4 -o addr show dev eth0; systemctl is-active networking',
    );
    assert.equal(eth0.stdout, 'active\n', 'ifup -a succeeded, configuring nothing, saying nothing');
  });
});

describe('a Trixie card flashed with Raspberry Pi Imager', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ nodes: 1, profile: 'trixie', rebootDelayMs: 200 });
  });
  after(() => lab?.stop());

  test('eth0 comes up by DHCP through netplan and NetworkManager', async () => {
    const node = lab.nodes[0]!;
    assert.equal(node.address(), node.dhcpAddress);
    const answers = await node.runAsPi(
      'systemctl is-active NetworkManager; nmcli -t -f NAME,DEVICE connection show --active; hostname',
    );
    assert.equal(answers.stdout, 'active\nnetplan-eth0:eth0\nraspberrypi\n', answers.stderr);
    assert.match(
      await node.readFile('/run/NetworkManager/system-connections/netplan-eth0.nmconnection'),
      /^method=auto$/m,
    );
  });

  test("a line added to /etc/hosts by hand is gone after one reboot (cloud-init's update_etc_hosts)", async () => {
    const node = lab.nodes[0]!;
    const added = `${lab.staticAddress(7)}\tworker7`;
    const edit = await node.runAsRoot(`printf '%s\\n' '${added}' >> /etc/hosts; cat /etc/hosts`);
    assert.ok(edit.stdout.includes(added));
    await upAfter(node, await reboot(node));
    const hosts = await node.readFile('/etc/hosts');
    assert.ok(!hosts.includes('worker7'), hosts);
    assert.match(hosts, /^127\.0\.1\.1 raspberrypi raspberrypi$/m);
    const log = await node.readFile('/run/pcw-lab/cloud-init.log');
    const modules = [...log.matchAll(/Running module (\w+)/g)].map((match) => match[1]);
    assert.deepEqual(
      [...new Set(modules)].sort(),
      ['set_hostname', 'update_etc_hosts', 'update_hostname'],
      'cloud-init ran exactly the three per-boot modules',
    );
  });
});

describe('a mixed lab: one profile per node', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({
      nodes: 4,
      profile: ['trixie', 'networkmanager', 'dhcpcd', 'ifupdown'],
      rebootDelayMs: 200,
    });
  });
  after(() => lab?.stop());

  test('each node boots its own stack from its own card, at its DHCP lease', async () => {
    const unit = { trixie: 'NetworkManager', networkmanager: 'NetworkManager', dhcpcd: 'dhcpcd' };
    const answers = await Promise.all(
      lab.nodes.map((node) =>
        node.runAsPi(
          'for u in NetworkManager dhcpcd networking; do printf "%s=%s\\n" "$u" "$(systemctl is-active "$u")"; done; cat /usr/local/lib/pcw-lab/profile',
        ),
      ),
    );
    const expected = (['trixie', 'networkmanager', 'dhcpcd', 'ifupdown'] as const).map(
      (profile) => {
        const active = profile === 'ifupdown' ? 'networking' : unit[profile];
        const lines = ['NetworkManager', 'dhcpcd', 'networking'].map(
          (each) => `${each}=${each === active ? 'active' : 'inactive'}`,
        );
        return `${lines.join('\n')}\n${profile}\n`;
      },
    );
    for (const [index, node] of lab.nodes.entries()) {
      assert.equal(node.profile, ['trixie', 'networkmanager', 'dhcpcd', 'ifupdown'][index]);
      assert.equal(node.address(), node.dhcpAddress, `node ${index} at its lease`);
      assert.equal(
        answers[index]!.stdout,
        expected[index],
        `node ${index}: ${answers[index]!.stderr}`,
      );
      const login = await sshWithPassword(
        { address: node.dhcpAddress, user: lab.user, password: lab.password },
        'hostname',
      );
      assert.equal(login.code, 0, login.stderr);
    }
    // Each card has only its own stack's stock configuration.
    assert.match(await lab.nodes[0]!.readFile('/etc/netplan/50-cloud-init.yaml'), /dhcp4: true/);
    assert.ok(
      (
        await lab.nodes[1]!.readFile(
          '/etc/NetworkManager/system-connections/Wired connection 1.nmconnection',
        )
      ).includes('method=auto'),
    );
    assert.match(
      await lab.nodes[3]!.readFile('/etc/network/interfaces'),
      /^iface eth0 inet dhcp$/m,
    );
    await assert.rejects(lab.nodes[2]!.readFile('/etc/netplan/50-cloud-init.yaml'));
    // Trixie's cloud-init runs only on the Trixie card.
    assert.match(await lab.nodes[0]!.readFile('/run/pcw-lab/cloud-init.log'), /update_etc_hosts/);
    await assert.rejects(lab.nodes[1]!.readFile('/run/pcw-lab/cloud-init.log'));
  });

  test('startLab refuses a profile list whose length is not the node count', async () => {
    await assert.rejects(
      startLab({ nodes: 3, profile: ['trixie', 'dhcpcd'] }),
      /one profile per node: 3 nodes, 2 profiles/,
    );
  });
});
