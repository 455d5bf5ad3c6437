// End to end on a mixed cluster, as issue 13 asks: the master on Trixie as Raspberry Pi Imager 2.x
// writes it (cloud-init, netplan), workers on Bookworm's NetworkManager, the first guide's dhcpcd and
// the second guide's ifupdown, sudo asking the password everywhere. The master's reboot interrupts
// the first run by design; the second resumes; a third changes nothing.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type Lab, type NetworkProfile, startLab } from '../lab/lab.js';
import { assertSetupHolds } from './assert-setup.js';
import { clusterFiles, networkManagerFile } from './cluster-files.js';
import { drive, labPlan } from './drive.js';

const profiles: readonly NetworkProfile[] = ['trixie', 'networkmanager', 'dhcpcd', 'ifupdown'];

/** The file that holds each node's static address, by its card's network stack. */
const networkFile: Record<NetworkProfile, string> = {
  trixie: networkManagerFile,
  networkmanager: networkManagerFile,
  dhcpcd: '/etc/dhcpcd.conf',
  ifupdown: '/etc/network/interfaces',
};

/** The setup's files on every node, its own network file included. */
async function snapshot(lab: Lab): Promise<string> {
  const files = await clusterFiles(lab);
  const network = await Promise.all(
    lab.nodes.map((node) => node.readFile(networkFile[node.profile]).catch(() => '(none)')),
  );
  return JSON.stringify({ files, network });
}

describe('a mixed cluster: master trixie, workers networkmanager, dhcpcd and ifupdown, sudo password', {
  timeout: 900_000,
}, () => {
  let lab: Lab;
  after(() => lab?.stop());

  test('runs on the master, reboots it, resumes; every node on its own stack holds the setup, and a third run changes nothing', async () => {
    lab = await startLab({ nodes: 4, profile: profiles, sudo: 'password', rebootDelayMs: 300 });
    const { settings, rows } = labPlan(lab, 4);
    const master = lab.nodes[0]!;
    const bootsBefore = master.bootCount;
    const first = await drive(lab, ['all', '--yes'], { settings, rows });
    assert.deepEqual(
      first.reports.filter((report) => report.status === 'failed'),
      [],
      first.stdout,
    );
    assert.ok(
      first.lines.some((line) => line.type === 'master-rebooting'),
      `the first run ends at the master's reboot:\n${first.stdout}${first.stderr}`,
    );
    await master.waitUntilUp({ afterBoot: bootsBefore, timeoutMs: 180_000 });

    const second = await drive(lab, ['all', '--yes']);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.deepEqual(
      second.reports.filter((report) => report.status === 'failed'),
      [],
      second.stdout,
    );
    await assertSetupHolds(lab, rows);
    for (const [index, node] of lab.nodes.entries()) {
      const row = rows[index]!;
      const hosts = await node.readFile('/etc/hosts');
      for (const other of rows)
        assert.match(
          hosts,
          new RegExp(`^${other.address.replaceAll('.', '\\.')}\\t${other.hostname}$`, 'm'),
          `${row.hostname} (${node.profile}) names ${other.hostname} in /etc/hosts:\n${hosts}`,
        );
      assert.match(
        await node.readFile(networkFile[node.profile]),
        new RegExp(row.address.replaceAll('.', '\\.')),
        `${row.hostname}'s ${node.profile} file holds its static address`,
      );
    }

    const before = await snapshot(lab);
    const third = await drive(lab, ['all', '--yes']);
    assert.equal(third.code, 0, third.stdout + third.stderr);
    assert.equal(third.summary?.counts.changed, 0, third.stdout);
    assert.deepEqual(
      third.reports.filter((report) => report.status !== 'ok'),
      [],
      third.stdout,
    );
    assert.equal(await snapshot(lab), before, 'every file byte-identical');
  });
});
