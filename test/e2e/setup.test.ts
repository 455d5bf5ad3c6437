// End to end on the fake Pi lab: the setup engine runs on node 0 (the master) as pi, against four
// workers, for each network profile and for cloned cards. The master's reboot interrupts the first
// run by design; the second run resumes; a third changes nothing, byte for byte.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type Lab, type NetworkProfile, startLab } from '../lab/lab.js';
import { drive, labPlan } from './drive.js';

const networkFile: Record<NetworkProfile, string> = {
  dhcpcd: '/etc/dhcpcd.conf',
  networkmanager: '/etc/NetworkManager/system-connections/pi-cluster-eth0.nmconnection',
  ifupdown: '/etc/network/interfaces',
  trixie: '/etc/NetworkManager/system-connections/pi-cluster-eth0.nmconnection',
};

/** Every file the setup may write, on every node, as the node sees it. */
async function snapshot(lab: Lab, profile: NetworkProfile): Promise<string> {
  const files = [
    '/etc/hosts',
    '/etc/hostname',
    networkFile[profile],
    '/home/pi/.ssh/authorized_keys',
    '/home/pi/.ssh/known_hosts',
    '/home/pi/.ssh/id_ed25519.pub',
  ];
  const parts: string[] = [];
  for (const node of lab.nodes) {
    for (const file of files)
      parts.push(`== ${node.index} ${file}\n${await node.readFile(file).catch(() => '(none)')}`);
    const listing = await node.runAsRoot(
      'ls -la /etc /home/pi/.ssh | grep -v " \\.$" | awk \'{print $1, $3, $4, $9}\'',
    );
    parts.push(listing.stdout);
  }
  return parts.join('\n');
}

const cases: Array<{
  profile: NetworkProfile;
  clonedCards?: boolean;
  sudo?: 'password' | 'nopasswd';
}> = [
  { profile: 'networkmanager' },
  { profile: 'dhcpcd', sudo: 'nopasswd' },
  { profile: 'ifupdown' },
  { profile: 'networkmanager', clonedCards: true },
];

for (const { profile, clonedCards = false, sudo = 'password' } of cases) {
  const wanted = process.env.PCW_PROFILES?.split(',');
  if (wanted && !wanted.includes(clonedCards ? 'cloned' : profile)) continue;
  describe(`a whole setup on 5 nodes: ${profile}${clonedCards ? ', cloned cards' : ''}, sudo ${sudo}`, {
    timeout: 600_000,
  }, () => {
    let lab: Lab;
    after(() => lab?.stop());

    test('runs on the master as pi, reboots it, resumes, and the second run changes nothing', async () => {
      lab = await startLab({ nodes: 5, profile, clonedCards, sudo, rebootDelayMs: 300 });
      const { settings, rows } = labPlan(lab, 5);
      const master = lab.nodes[0]!;
      const bootsBefore = master.bootCount;
      const first = await drive(
        lab,
        ['all', '--yes', ...(clonedCards ? ['--fix-cloned-cards'] : [])],
        { settings, rows },
      );
      assert.equal(
        first.code,
        null,
        `the master rebooted under the first run:\n${first.stdout}${first.stderr}`,
      );
      assert.deepEqual(
        first.reports.filter((report) => report.status === 'failed'),
        [],
      );
      if (clonedCards) {
        assert.ok(
          first.reports.some(
            (report) => report.step === 'preflight' && report.status === 'changed',
          ),
          'cloned cards made unique',
        );
      }
      await master.waitUntilUp({ afterBoot: bootsBefore, timeoutMs: 30_000 });

      const second = await drive(lab, ['all', '--yes']);
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.deepEqual(
        second.reports.filter((report) => report.status === 'failed'),
        [],
      );

      for (const [index, node] of lab.nodes.entries()) {
        const row = rows[index]!;
        assert.equal(
          node.address(),
          row.address,
          `${row.hostname} came back at its static address`,
        );
        assert.equal(await node.hostname(), row.hostname);
        const hosts = await node.readFile('/etc/hosts');
        assert.equal(
          hosts.split('# BEGIN pi-cluster-wizard pi-cluster-network').length,
          2,
          'exactly one cluster block',
        );
        assert.equal(
          hosts
            .split('\n')
            .filter((line) => line.startsWith('127.0.1.1'))
            .join('|'),
          `127.0.1.1\t${row.hostname}`,
        );
        for (const other of rows)
          assert.match(
            hosts,
            new RegExp(`^${other.address.replaceAll('.', '\\.')}\\t${other.hostname}$`, 'm'),
          );
        assert.match(
          await node.readFile(networkFile[profile]),
          new RegExp(row.address.replaceAll('.', '\\.')),
        );
        // Plain OpenSSH, by name, no prompt: what the guide promises at its end.
        const logins = await node.runAsPi(
          `for h in ${rows.map((each) => each.hostname).join(' ')}; do ssh -n -o BatchMode=yes "$h" hostname; done`,
          { timeoutMs: 60_000 },
        );
        assert.equal(
          logins.stdout,
          rows.map((each) => `${each.hostname}\n`).join(''),
          `${row.hostname}: ${logins.stderr}`,
        );
      }
      if (clonedCards) {
        const fingerprints = await Promise.all(
          lab.nodes.map((node) => node.readFile('/etc/ssh/ssh_host_ed25519_key.pub')),
        );
        assert.equal(
          new Set(fingerprints).size,
          lab.nodes.length,
          'every node has its own host key',
        );
        const machineIds = await Promise.all(
          lab.nodes.map((node) => node.readFile('/etc/machine-id')),
        );
        assert.equal(
          new Set(machineIds).size,
          lab.nodes.length,
          'every node has its own machine-id',
        );
      }

      const before = await snapshot(lab, profile);
      const third = await drive(lab, ['all', '--yes']);
      assert.equal(third.code, 0, third.stdout + third.stderr);
      assert.deepEqual(
        third.reports.filter((report) => report.status !== 'ok'),
        [],
        'a second full run reports nothing changed',
      );
      assert.equal(await snapshot(lab, profile), before, 'and leaves every file byte-identical');
    });
  });
}
