// End to end on the fake Pi lab: after a whole setup of two nodes, `export` on the master as pi
// hands the cluster on. Ansible pings every node through the exported inventory with the keys the
// wizard set up; the MPI machinefile has each node's nproc; the hosts fragment is the master's block.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { managedBlockMarkers } from '../../source/transport/managed-block.js';
import { type Lab, startLab } from '../lab/lab.js';
import { cli, drive, labPlan } from './drive.js';

describe('export on a cluster the wizard set up', { timeout: 300_000 }, () => {
  let lab: Lab;
  after(() => lab?.stop());

  test('ansible pings every node through the inventory; mpi and hosts match the nodes', async (t) => {
    lab = await startLab({ nodes: 2, profile: 'dhcpcd', sudo: 'nopasswd', rebootDelayMs: 300 });
    const { settings, rows } = labPlan(lab, 2);
    const master = lab.nodes[0]!;
    const bootsBefore = master.bootCount;
    // The first run ends with the master's reboot; the second resumes and finishes.
    const first = await drive(lab, ['all', '--yes'], { settings, rows });
    assert.ok(first.code === null || first.code === 0, first.stdout + first.stderr);
    await master.waitUntilUp({ afterBoot: bootsBefore, timeoutMs: 120_000 });
    const second = await drive(lab, ['all', '--yes']);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    // Every login verified: the run's last words name export.
    assert.match(second.summary?.message ?? '', /pi-cluster-wizard export ansible\|hosts/);

    const exported = await master.runAsPi(`node ${cli} export ansible --output ~/inventory.yml`);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /^Wrote \/home\/pi\/inventory\.yml\.$/m);
    const again = await master.runAsPi(`node ${cli} export ansible --output ~/inventory.yml`);
    assert.match(again.stderr, /already holds this export: nothing written/);

    const ping = await master.runAsPi('ansible all -i ~/inventory.yml -m ping -o', {
      timeoutMs: 120_000,
      env: { ANSIBLE_PYTHON_INTERPRETER: 'auto_silent', ANSIBLE_NOCOLOR: '1' },
    });
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    t.diagnostic(ping.stdout);
    for (const row of rows)
      assert.match(
        ping.stdout,
        new RegExp(`^${row.hostname} \\| SUCCESS => .*"ping": "pong"`, 'm'),
        ping.stdout,
      );
    // ansible_host, ansible_user: it went to each static address, as the session's user.
    const who = await master.runAsPi(
      "ansible workers -i ~/inventory.yml -m command -a 'hostname -I' -o",
      { timeoutMs: 60_000, env: { ANSIBLE_PYTHON_INTERPRETER: 'auto_silent' } },
    );
    assert.equal(who.code, 0, who.stdout + who.stderr);
    assert.match(
      who.stdout,
      new RegExp(
        `^worker1 \\| CHANGED \\| rc=0 \\| \\(stdout\\) .*${rows[1]!.address.replaceAll('.', '\\.')}`,
        'm',
      ),
    );

    const mpi = await master.runAsPi(`node ${cli} export mpi`);
    assert.equal(mpi.code, 0, mpi.stderr);
    t.diagnostic(mpi.stdout);
    assert.equal(mpi.stderr, '', 'preflight learned every node processors');
    const processors = await Promise.all(
      lab.nodes.map(async (node) => (await node.runAsPi('nproc')).stdout.trim()),
    );
    assert.equal(
      mpi.stdout,
      rows.map((row, index) => `${row.hostname}:${processors[index]}\n`).join(''),
    );

    const hosts = await master.runAsPi(`node ${cli} export hosts`);
    assert.equal(hosts.code, 0, hosts.stderr);
    const { begin, end } = managedBlockMarkers('pi-cluster-network');
    const etcHosts = await master.readFile('/etc/hosts');
    const block = etcHosts.slice(
      etcHosts.indexOf(`${begin}\n`) + begin.length + 1,
      etcHosts.indexOf(`${end}\n`),
    );
    assert.equal(hosts.stdout, block, etcHosts);
  });
});
