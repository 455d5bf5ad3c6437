// The refusals around a reboot, end to end on the lab's `trixie` profile (real NetworkManager,
// netplan and cloud-init, sudo asking the password): a node whose stack rejects its profile is
// never rebooted into it and stays where it was; a node whose cloud-init template edit was removed
// by hand is caught after its reboot, naming cloud-init, and is not rebooted again for it.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cloudInitDropIn, cloudInitHostsTemplate } from '../../source/steps/cloud-init.js';
import { networkManagerProfilePath } from '../../source/steps/network-config.js';
import { type Lab, startLab } from '../lab/lab.js';
import { drive, labPlan } from './drive.js';

const profile = networkManagerProfilePath('eth0');
const template = cloudInitHostsTemplate;
const dropIn = cloudInitDropIn;

describe('refusals before and after a reboot (trixie lab, 3 nodes)', { timeout: 1_200_000 }, () => {
  let lab: Lab;
  after(() => lab?.stop());

  test('a profile NetworkManager rejects is never rebooted into; a removed template edit is caught naming cloud-init', async () => {
    lab = await startLab({ nodes: 3, profile: 'trixie', sudo: 'password', rebootDelayMs: 300 });
    const { settings, rows } = labPlan(lab, 3);
    for (const [index, step] of ['static-ip', 'hostname', 'hosts', 'ssh'].entries()) {
      const network = await drive(
        lab,
        [step, '--yes'],
        index === 0 ? { settings, rows } : undefined,
      );
      assert.deepEqual(
        network.reports.filter((report) => report.status === 'failed'),
        [],
        network.stdout,
      );
    }
    const [, worker1, worker2] = lab.nodes;
    // worker1: an address NetworkManager cannot parse, as a hand edit might leave it.
    await worker1!.runAsRoot(
      `sed -i 's#^address1=.*#address1=${rows[1]!.address.replace(/\.\d+$/, '.300')}/24#' ${profile}`,
    );
    // worker2: the wizard's lines taken out of cloud-init's template, and its drop-in, by hand.
    await worker2!.runAsRoot(
      `sed -i '/^# BEGIN pi-cluster-wizard/,/^# END pi-cluster-wizard/d' ${template} && rm ${dropIn}`,
    );
    const boots = [worker1!.bootCount, worker2!.bootCount];
    const reboot = await drive(lab, ['reboot', '--node', 'worker1', '--node', 'worker2', '--yes']);

    const refused = reboot.reports.find((report) => report.node === 'worker1')!;
    assert.equal(refused.status, 'failed', reboot.stdout);
    assert.match(
      refused.summary,
      /not rebooted: NetworkManager \(nmcli --offline\) refuses .*pi-cluster-eth0\.nmconnection/,
    );
    assert.match(refused.summary, /ipv4\.addresses/);
    assert.equal(worker1!.bootCount, boots[0], 'worker1 was not rebooted');
    assert.equal(
      worker1!.address(),
      worker1!.dhcpAddress,
      'worker1 still answers at its old address',
    );

    const reverted = reboot.reports.find((report) => report.node === 'worker2')!;
    assert.equal(reverted.status, 'failed', reboot.stdout);
    assert.ok(worker2!.bootCount > boots[1]!, 'worker2 rebooted');
    assert.match(
      reverted.summary,
      /\/etc\/hosts lost the wizard's lines: cloud-init \(manage_etc_hosts\)/,
    );
    assert.match(reverted.summary, /hosts\.debian\.tmpl no longer holds the wizard's lines/);
    assert.ok(
      !reboot.reports.some((report) => report.node === 'master' && report.step === 'reboot'),
      `the master is not rebooted for a run on two workers:\n${reboot.stdout}`,
    );

    // The next run puts the wizard's lines back but does not reboot worker2 again into what did not
    // survive: that waits until someone has rebooted it (after fixing the cause).
    const bootsAfter = worker2!.bootCount;
    await drive(lab, ['hostname', '--node', 'worker2', '--yes']);
    const again = await drive(lab, ['reboot', '--node', 'worker2', '--yes']);
    assert.equal(worker2!.bootCount, bootsAfter, `worker2 not rebooted again:\n${again.stdout}`);
    const rebootAgain = again.reports.find((report) => report.node === 'worker2');
    if (rebootAgain?.status === 'failed')
      assert.match(rebootAgain.summary, /not rebooted again: what the wizard set did not survive/);
  });
});
