// Before a reboot, each stack's own tools judge what the wizard wrote (real nmcli --offline,
// ifup --no-act and ifquery, dhcpcd --test from Debian's packages, in a sandbox): the wizard's
// files pass, and a file the stack rejects is refused with the stack's own words and the path.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { networkManagerKeyfile, staticAddressFor } from '../../source/steps/network-config.js';
import { staticIpStep } from '../../source/steps/network-steps.js';
import { checkStackAcceptsConfiguration } from '../../source/steps/stack-accepts.js';
import { StepFailure } from '../../source/steps/step.js';
import { factsFor, settings, stock, worker1, workOn } from './real-node.js';
import { SandboxNode } from './sandbox-node.js';

const nodes: SandboxNode[] = [];
after(() => Promise.all(nodes.map((node) => node.close())));

function sandbox(): SandboxNode {
  const node = new SandboxNode(worker1.hostname);
  nodes.push(node);
  return node;
}

async function refusal(node: SandboxNode, stack: Parameters<typeof factsFor>[0]): Promise<string> {
  try {
    const said = await checkStackAcceptsConfiguration(workOn(node, factsFor(stack)));
    assert.fail(`expected a refusal, the stack said: ${said}`);
  } catch (error) {
    assert.ok(error instanceof StepFailure, String(error));
    return `${error.message}. Next: ${error.nextStep}`;
  }
}

const profile = '/etc/NetworkManager/system-connections/pi-cluster-eth0.nmconnection';
const target = staticAddressFor(settings, worker1);

describe('NetworkManager judges the profile (nmcli --offline)', () => {
  test("the wizard's own profile is accepted with its address", async () => {
    const node = sandbox();
    node.seed(
      '/etc/NetworkManager/system-connections/Wired connection 1.nmconnection',
      stock('Wired connection 1.nmconnection'),
      0o600,
    );
    await staticIpStep.run(workOn(node, factsFor('networkmanager')));
    const said = await checkStackAcceptsConfiguration(workOn(node, factsFor('networkmanager')));
    assert.match(
      said,
      /nmcli --offline accepts .*pi-cluster-eth0\.nmconnection \(127\.0\.30\.11\/24\)/,
    );
  });

  test('an invalid address is refused with nmcli own complaint', async () => {
    const node = sandbox();
    node.seed(
      profile,
      networkManagerKeyfile(target).replace('127.0.30.11/24', '127.0.30.311/24'),
      0o600,
    );
    const said = await refusal(node, 'networkmanager');
    assert.match(
      said,
      /not rebooted: NetworkManager \(nmcli --offline\) refuses .*pi-cluster-eth0\.nmconnection/,
    );
    assert.match(said, /ipv4\.addresses: this property cannot be empty for 'method=manual'/);
    assert.match(said, /still answers at its old address/);
  });

  test('a profile others may read is refused: NetworkManager would ignore it', async () => {
    const node = sandbox();
    node.seed(profile, networkManagerKeyfile(target), 0o644);
    assert.match(await refusal(node, 'netplan'), /owned by root with mode 644.*mode 600/);
  });
});

describe('ifupdown judges the interfaces file (ifup --no-act, ifquery)', () => {
  test("the wizard's stanza is brought up at boot with its address", async () => {
    const node = sandbox();
    node.seed('/etc/network/interfaces', stock('interfaces'));
    await staticIpStep.run(workOn(node, factsFor('ifupdown')));
    const said = await checkStackAcceptsConfiguration(workOn(node, factsFor('ifupdown')));
    assert.equal(said, 'ifupdown would bring eth0 up at boot with 127.0.30.11/24');
  });

  test('a stanza without auto or allow-hotplug is refused: nothing brings eth0 up', async () => {
    const node = sandbox();
    node.seed('/etc/network/interfaces', stock('interfaces').replace('auto eth0\n', ''));
    await staticIpStep.run(workOn(node, factsFor('ifupdown')));
    assert.match(
      await refusal(node, 'ifupdown'),
      /ifupdown \(ifquery --list\) refuses \/etc\/network\/interfaces: no "auto eth0" or "allow-hotplug eth0" line/,
    );
  });

  test('a misspelt address option is refused with ifup own complaint', async () => {
    const node = sandbox();
    node.seed('/etc/network/interfaces', stock('interfaces'));
    await staticIpStep.run(workOn(node, factsFor('ifupdown')));
    await node.shell("sed -i 's/    address /    adress /' /etc/network/interfaces");
    assert.match(await refusal(node, 'ifupdown'), /missing required variable: address/);
  });
});

describe('dhcpcd judges dhcpcd.conf (dhcpcd --test)', () => {
  test("the wizard's block gives eth0 its static address", async () => {
    const node = sandbox();
    node.seed('/etc/dhcpcd.conf', stock('dhcpcd.conf'));
    await staticIpStep.run(workOn(node, factsFor('dhcpcd')));
    const said = await checkStackAcceptsConfiguration(workOn(node, factsFor('dhcpcd')));
    assert.equal(said, 'dhcpcd would use 127.0.30.11/24 on eth0');
  });

  test('a misspelt option elsewhere in the file is refused with dhcpcd own complaint', async () => {
    const node = sandbox();
    node.seed('/etc/dhcpcd.conf', stock('dhcpcd.conf').replace('\npersistent\n', '\npersistant\n'));
    await staticIpStep.run(workOn(node, factsFor('dhcpcd')));
    assert.match(
      await refusal(node, 'dhcpcd'),
      /dhcpcd \(dhcpcd --test\) refuses \/etc\/dhcpcd.conf: .*unknown option: persistant/,
    );
  });

  test('an invalid address in the block is refused', async () => {
    const node = sandbox();
    node.seed('/etc/dhcpcd.conf', stock('dhcpcd.conf'));
    await staticIpStep.run(workOn(node, factsFor('dhcpcd')));
    await node.shell("sed -i 's/ip_address=127.0.30.11/ip_address=127.0.30.311/' /etc/dhcpcd.conf");
    assert.match(await refusal(node, 'dhcpcd'), /invalid IP address: 127\.0\.30\.311/);
  });
});
