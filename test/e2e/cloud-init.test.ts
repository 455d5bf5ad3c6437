// End to end on cards like Raspberry Pi Imager 2.x writes them (the lab's `trixie` profile: netplan
// renders eth0 for NetworkManager, cloud-init runs set_hostname, update_hostname and
// update_etc_hosts at every boot, sudo asks the password): the whole setup holds through the
// wizard's reboots and through every node rebooting again at once, and a third run changes nothing.
// The refusals are in reboot-refusals.test.ts.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cloudInitDropIn, cloudInitHostsTemplate } from '../../source/steps/cloud-init.js';
import { networkManagerProfilePath } from '../../source/steps/network-config.js';
import { type Lab, startLab } from '../lab/lab.js';
import { assertSetupHolds, rebootEveryNodeAtOnce } from './assert-setup.js';
import { drive, labPlan } from './drive.js';

const profile = networkManagerProfilePath('eth0');
const template = cloudInitHostsTemplate;
const dropIn = cloudInitDropIn;

/** Every file the setup writes on every node, as the node sees it, with modes and owners. */
async function snapshot(lab: Lab): Promise<string> {
  const files = [
    '/etc/hosts',
    '/etc/hostname',
    profile,
    template,
    dropIn,
    '/home/pi/.ssh/authorized_keys',
    '/home/pi/.ssh/known_hosts',
  ];
  const parts: string[] = [];
  for (const node of lab.nodes) {
    for (const file of files)
      parts.push(`== ${node.index} ${file}\n${await node.readFile(file).catch(() => '(none)')}`);
    const listing = await node.runAsRoot(
      'ls -la /etc /etc/cloud/templates /etc/cloud/cloud.cfg.d /home/pi/.ssh | grep -v " \\.$" | awk \'{print $1, $3, $4, $9}\'',
    );
    parts.push(listing.stdout);
  }
  return parts.join('\n');
}

describe('Raspberry Pi OS Trixie as Imager 2.x writes it (cloud-init, netplan, password sudo)', {
  timeout: 900_000,
}, () => {
  let lab: Lab;
  after(() => lab?.stop());

  test('the whole setup holds through every node rebooting at once, and a third run changes no byte', async () => {
    lab = await startLab({ nodes: 5, profile: 'trixie', sudo: 'password', rebootDelayMs: 300 });
    const { settings, rows } = labPlan(lab, 5);
    const master = lab.nodes[0]!;
    const bootsBefore = master.bootCount;
    const first = await drive(lab, ['all', '--yes'], { settings, rows });
    assert.deepEqual(
      first.reports.filter((report) => report.status === 'failed'),
      [],
      first.stdout,
    );
    assert.ok(
      first.reports.some(
        (report) => report.step === 'preflight' && /cloud-init/.test(report.summary),
      ),
      `preflight shows cloud-init:\n${first.stdout}`,
    );
    assert.ok(
      first.lines.some((line) => line.type === 'master-rebooting'),
      `the first run ends at the master's reboot:\n${first.stdout}`,
    );
    await master.waitUntilUp({ afterBoot: bootsBefore, timeoutMs: 180_000 });
    const second = await drive(lab, ['all', '--yes']);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.ok(
      second.reports.some(
        (report) =>
          report.step === 'reboot' &&
          report.node === 'master' &&
          report.status === 'ok' &&
          /master: rebooted and answering at .*its setup held/.test(report.summary),
      ),
      `the resumed run checks the master's setup held:\n${second.stdout}`,
    );
    await assertSetupHolds(lab, rows);

    // Every node at once, as after a power cut: cloud-init and netplan run again everywhere.
    await rebootEveryNodeAtOnce(lab);
    await assertSetupHolds(lab, rows);

    const before = await snapshot(lab);
    const third = await drive(lab, ['all', '--yes']);
    assert.equal(third.code, 0, third.stdout + third.stderr);
    assert.deepEqual(
      third.reports.filter((report) => report.status !== 'ok'),
      [],
      third.stdout,
    );
    assert.equal(await snapshot(lab), before, 'every file byte-identical');
  });
});
