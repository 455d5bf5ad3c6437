// cloud-init as Raspberry Pi Imager 2.x leaves it (hostname: raspberrypi, manage_etc_hosts: true),
// with Debian's real cloud-init: its own config merge answers the wizard's questions, and a "boot"
// runs its real set_hostname, update_hostname and update_etc_hosts modules over the sandbox's files.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checkAfterReboot } from '../../source/steps/after-reboot.js';
import { cloudInitDropIn, cloudInitHostsTemplate } from '../../source/steps/cloud-init.js';
import { hostnameStep, hostsStep } from '../../source/steps/network-steps.js';
import { plannedChangeLines, StepFailure } from '../../source/steps/step.js';
import { factsFor, workOn } from './real-node.js';
import { SandboxNode } from './sandbox-node.js';

const imagerUserData = [
  '#cloud-config',
  'hostname: raspberrypi',
  'manage_etc_hosts: true',
  'manage_resolv_conf: false',
  'enable_ssh: true',
  'ssh_pwauth: true',
  '',
].join('\n');

// The per-boot modules, run the way cloud-init runs them: its merged configuration (cloud.cfg,
// cloud.cfg.d, the instance's user-data) and the datasource's hostname (Imager's meta-data has none
// of its own, so the user-data's decides).
const boot = `
import logging, sys
from cloudinit import cloud, stages
from cloudinit.sources import DataSourceHostname
from cloudinit.config import cc_set_hostname, cc_update_hostname, cc_update_etc_hosts
logging.basicConfig(stream=sys.stderr, level=logging.DEBUG)
init = stages.Init()
cfg = init.cfg
class Seed:
    distro = None
    def get_hostname(self, fqdn=False, resolve_ip=False, metadata_only=False):
        return DataSourceHostname("raspberrypi", False)
node = cloud.Cloud(Seed(), init.paths, cfg, init.distro, None)
for module, name in ((cc_set_hostname, "set_hostname"), (cc_update_hostname, "update_hostname"), (cc_update_etc_hosts, "update_etc_hosts")):
    module.handle(name, cfg, node, logging.getLogger(name), [])
`;

const nodes: SandboxNode[] = [];
after(() => Promise.all(nodes.map((node) => node.close())));

/** A card as Imager 2.x writes it, after its first boot. */
async function imagerCard(userData = imagerUserData): Promise<SandboxNode> {
  const node = new SandboxNode('worker1');
  nodes.push(node);
  node.seed('/etc/hostname', 'raspberrypi\n');
  node.seed('/var/lib/cloud/instance/cloud-config.txt', userData, 0o600);
  await node.shell('mkdir -p /var/lib/cloud/data');
  await bootCloudInit(node);
  return node;
}

async function bootCloudInit(node: SandboxNode): Promise<void> {
  const booted = await node.shell(`python3 -c '${boot.replace(/'/g, `'"'"'`)}'`);
  assert.equal(booted.code, 0, booted.out);
}

async function read(node: SandboxNode, path: string): Promise<string> {
  return (await node.shell(`cat ${path}`)).out;
}

const steps = [hostnameStep, hostsStep];

async function applySteps(node: SandboxNode, cloudInit = true): Promise<void> {
  for (const step of steps) await step.run(workOn(node, factsFor('netplan', cloudInit)));
}

async function afterRebootProblem(node: SandboxNode, cloudInit = true): Promise<string> {
  try {
    await checkAfterReboot(workOn(node, factsFor('netplan', cloudInit)), steps);
    return '';
  } catch (error) {
    assert.ok(error instanceof StepFailure, String(error));
    return `${error.message}. Next: ${error.nextStep}`;
  }
}

describe('cloud-init as Imager 2.x leaves it', () => {
  test('without the wizard taking care of it, the next boot undoes the hosts block', async () => {
    const node = await imagerCard();
    assert.match(await read(node, '/etc/hosts'), /^127\.0\.1\.1 raspberrypi raspberrypi$/m);
    await applySteps(node, false);
    assert.match(await read(node, '/etc/hosts'), /# pi-cluster network/);
    await bootCloudInit(node);
    assert.doesNotMatch(await read(node, '/etc/hosts'), /# pi-cluster network/);
    const problem = await afterRebootProblem(node, false);
    assert.match(problem, /after its reboot the wizard's setup no longer holds: \/etc\/hosts lost/);
  });

  test('the dry run shows the template and the drop-in, and writes nothing', async () => {
    const node = await imagerCard();
    const lines: string[] = [];
    for (const step of steps) {
      const work = workOn(node, factsFor('netplan', true), true);
      await step.run(work);
      lines.push(...work.changes.flatMap(plannedChangeLines));
    }
    const shown = lines.join('\n');
    assert.match(
      shown,
      new RegExp(`would write ${cloudInitDropIn}\\n\\s+.*\\n(.*\\n)*.*\\+preserve_hostname: true`),
    );
    assert.match(shown, /would write \/etc\/cloud\/templates\/hosts\.debian\.tmpl/);
    assert.match(shown, /-127\.0\.1\.1 \{\{fqdn\}\} \{\{hostname\}\}\n\s+\+127\.0\.1\.1\tworker1/);
    assert.match(shown, /\+# BEGIN pi-cluster-wizard pi-cluster-network/);
    assert.equal((await node.shell(`test -e ${cloudInitDropIn}`)).code, 1);
  });

  test("with the template and the drop-in, the wizard's setup survives every boot, and a second run changes nothing", async () => {
    const node = await imagerCard();
    await applySteps(node);
    for (let boots = 0; boots < 2; boots += 1) {
      await bootCloudInit(node);
      assert.equal(await afterRebootProblem(node), '');
    }
    const hosts = await read(node, '/etc/hosts');
    assert.match(hosts, /^127\.0\.1\.1\tworker1$/m);
    assert.match(
      hosts,
      /# pi-cluster network\n127\.0\.30\.10\tmaster\n127\.0\.30\.11\tworker1\n127\.0\.30\.12\tworker2\n/,
    );
    assert.equal(await read(node, '/etc/hostname'), 'worker1\n');
    assert.equal((await node.shell('hostname')).out, 'worker1\n');
    const files = `/etc/hosts /etc/hostname ${cloudInitHostsTemplate} ${cloudInitDropIn}`;
    const before = (await node.shell(`sha256sum ${files}; ls /etc /etc/cloud/templates | wc -l`))
      .out;
    await applySteps(node);
    for (const step of steps) {
      const recheck = workOn(node, factsFor('netplan', true), true);
      await step.run(recheck);
      assert.deepEqual(recheck.changes, []);
    }
    assert.equal(
      (await node.shell(`sha256sum ${files}; ls /etc /etc/cloud/templates | wc -l`)).out,
      before,
    );
  });

  test('a template edit removed by hand is caught after the next boot, naming cloud-init', async () => {
    const node = await imagerCard();
    await applySteps(node);
    await node.shell(
      `sed -i '/^# BEGIN pi-cluster-wizard/,/^# END pi-cluster-wizard/d' ${cloudInitHostsTemplate}`,
    );
    await bootCloudInit(node);
    const problem = await afterRebootProblem(node);
    assert.match(
      problem,
      /\/etc\/hosts lost the wizard's lines: cloud-init \(manage_etc_hosts\) rewrites it from \/etc\/cloud\/templates\/hosts\.debian\.tmpl at every boot/,
    );
    assert.match(
      problem,
      /\/etc\/cloud\/templates\/hosts\.debian\.tmpl no longer holds the wizard's lines/,
    );
  });

  test('"manage_etc_hosts: localhost" is refused in words: no template can keep the 127.0.1.1 line', async () => {
    const node = await imagerCard(
      imagerUserData.replace('manage_etc_hosts: true', 'manage_etc_hosts: localhost'),
    );
    await assert.rejects(
      hostnameStep.run(workOn(node, factsFor('netplan', true))),
      /manage_etc_hosts: localhost" puts its own hostname back on the 127\.0\.1\.1 line/,
    );
  });
});
