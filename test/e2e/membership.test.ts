// Issue #16 end to end on the fake Pi lab: a cluster of three set up, two Pis added (the first
// three not rebooted), a worker's card wiped and replaced (its old key gone everywhere), a worker
// removed (its key gone from every authorized_keys, its logins refused), each time with the N×N
// logins checked by plain OpenSSH and a rerun that changes nothing; then the cluster handed on
// (export: Ansible pings every node through the inventory, the machinefile and hosts fragment),
// used (exec -- hostname on every node) and shut down, the master last.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { NodeRow } from '../../source/plan/plan-cluster.js';
import { managedBlockMarkers } from '../../source/transport/managed-block.js';
import { type Lab, type LabNode, startLab } from '../lab/lab.js';
import { assertSetupHolds } from './assert-setup.js';
import { cli, drive, labPlan, parseJsonLines } from './drive.js';

/** `pi-cluster-wizard COMMAND --json ARGS` on the master as pi, the password on standard input. */
async function wizard(lab: Lab, args: string[]) {
  // --json right after the command: after exec's `--` every word is the command's.
  const [command, ...rest] = args;
  const quoted = [command!, '--json', ...rest].map((arg) => `'${arg}'`).join(' ');
  const result = await lab.nodes[0]!.runAsPi(`node ${cli} ${quoted}`, {
    input: `${lab.password}\n`,
    timeoutMs: 240_000,
  });
  const lines = parseJsonLines(result.stdout);
  const failed = lines.filter((line) => line.type === 'result' && line.status === 'failed');
  return { ...result, lines, failed };
}

/** The saved session's rows, as the wizard on the master sees them. */
async function savedRows(lab: Lab): Promise<NodeRow[]> {
  const status = await lab.nodes[0]!.runAsPi(`node ${cli} status --json`);
  return (
    JSON.parse(status.stdout) as {
      nodes: Array<{ pi: number; hostname: string; address: string; reachAt: string }>;
    }
  ).nodes.map((node) => ({
    index: node.pi,
    interfaceName: 'eth0',
    hostname: node.hostname,
    address: node.address,
    reachAt: node.reachAt,
  }));
}

const publicKeyOf = async (node: LabNode) =>
  (await node.readFile('/home/pi/.ssh/id_ed25519.pub')).trim().split(' ').slice(0, 2).join(' ');

describe('the cluster after its first setup: add, replace, remove', { timeout: 1_200_000 }, () => {
  let lab: Lab;
  after(() => lab?.stop());

  test('grows from 3 to 5, replaces a wiped card, removes a node; the others are never rebooted', async () => {
    lab = await startLab({ nodes: 5, profile: 'dhcpcd', rebootDelayMs: 300 });
    const [master, , worker2, worker3, worker4] = lab.nodes as LabNode[];
    const plan = labPlan(lab, 3);
    const bootsBefore = master!.bootCount;
    const first = await drive(lab, ['all', '--yes'], plan);
    assert.deepEqual(
      first.reports.filter((report) => report.status === 'failed'),
      [],
    );
    await master!.waitUntilUp({ afterBoot: bootsBefore, timeoutMs: 120_000 });
    const second = await drive(lab, ['all', '--yes']);
    assert.equal(second.code, 0, second.stdout + second.stderr);

    // Add two: found where they answer, saved, set up; the first three are not rebooted.
    const boots = lab.nodes.map((node) => node.bootCount);
    const add = await wizard(lab, [
      'add',
      '--count',
      '2',
      '--reach-at',
      `${worker3!.dhcpAddress},${worker4!.dhcpAddress}`,
      '--yes',
    ]);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    assert.deepEqual(add.failed, []);
    let rows = await savedRows(lab);
    assert.deepEqual(
      rows.map((row) => row.hostname),
      ['master', 'worker1', 'worker2', 'worker3', 'worker4'],
    );
    assert.deepEqual(
      lab.nodes.slice(0, 3).map((node) => node.bootCount),
      boots.slice(0, 3),
      'the first three are not rebooted',
    );
    await assertSetupHolds(lab, rows);
    const rerun = await drive(lab, ['all', '--yes']);
    assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
    assert.deepEqual(
      rerun.reports.filter((report) => report.status !== 'ok'),
      [],
      'a rerun after add changes nothing',
    );

    // worker2's card wiped: the stock network and name, no ~/.ssh, new host keys; back at DHCP.
    const oldKey = await publicKeyOf(worker2!);
    const oldHostKey = (await worker2!.readFile('/etc/ssh/ssh_host_ed25519_key.pub')).trim();
    const bootOfWiped = worker2!.bootCount;
    await worker2!.runAsRoot(
      [
        'for f in /etc/dhcpcd.conf /etc/hosts; do first=$(ls "$f".pcw-*.bak | sort | head -n 1); cp "$first" "$f"; done',
        'echo raspberrypi > /etc/hostname',
        'rm -rf /home/pi/.ssh /etc/ssh/ssh_host_*',
        'ssh-keygen -A',
        'reboot',
      ].join(' && '),
    );
    await worker2!.waitUntilUp({ afterBoot: bootOfWiped, timeoutMs: 120_000 });
    assert.equal(worker2!.address(), worker2!.dhcpAddress);
    const beforeReplace = lab.nodes.map((node) => node.bootCount);
    // Where it answers is given: the lab's DHCP pool is not in the cluster's subnet, so a scan of
    // that subnet would not find it there.
    const replace = await wizard(lab, [
      'replace',
      'worker2',
      '--reach-at',
      worker2!.dhcpAddress,
      '--yes',
    ]);
    assert.equal(replace.code, 0, replace.stdout + replace.stderr);
    assert.deepEqual(replace.failed, []);
    const newHostFingerprint = (
      await worker2!.runAsRoot('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')
    ).stdout.split(' ')[1];
    assert.match(
      replace.stderr,
      new RegExp(
        `answers at ${worker2!.dhcpAddress.replaceAll('.', '\\.')}:[^]*^Its host key: ssh-ed25519 ${newHostFingerprint!.replaceAll('+', '\\+')}$`,
        'm',
      ),
    );
    rows = await savedRows(lab);
    await assertSetupHolds(lab, rows);
    const newKey = await publicKeyOf(worker2!);
    assert.notEqual(newKey, oldKey);
    for (const node of lab.nodes) {
      const authorized = await node.readFile('/home/pi/.ssh/authorized_keys');
      assert.ok(!authorized.includes(oldKey), `node ${node.index} no longer trusts the old card`);
      assert.ok(authorized.includes(newKey), `node ${node.index} trusts the new card`);
      const known = await node.readFile('/home/pi/.ssh/known_hosts');
      assert.ok(
        !known.includes(oldHostKey.split(' ')[1]!),
        `node ${node.index} forgot the old host key`,
      );
    }
    assert.deepEqual(
      lab.nodes.map((node, index) => node.bootCount - beforeReplace[index]!),
      [0, 0, 1, 0, 0],
      'only the replaced card rebooted',
    );

    // Remove worker4 with --wipe: its key out of every authorized_keys (a copy of its key is then
    // refused by every node), the wizard's work off it; nobody reboots.
    const removedKey = await publicKeyOf(worker4!);
    await worker4!.runAsRoot('cp /home/pi/.ssh/id_ed25519 /root/old-cluster-key');
    const beforeRemove = lab.nodes.map((node) => node.bootCount);
    const remove = await wizard(lab, ['remove', 'worker4', '--wipe', '--yes']);
    assert.equal(remove.code, 0, remove.stdout + remove.stderr);
    assert.deepEqual(remove.failed, []);
    assert.match(remove.stderr, /On worker4: .*id_ed25519 removed/);
    rows = await savedRows(lab);
    assert.deepEqual(
      rows.map((row) => row.hostname),
      ['master', 'worker1', 'worker2', 'worker3'],
    );
    const remaining = lab.nodes.slice(0, 4);
    await assertSetupHolds(lab, rows, remaining);
    for (const node of remaining) {
      const authorized = await node.readFile('/home/pi/.ssh/authorized_keys');
      assert.ok(!authorized.includes(removedKey), `node ${node.index} no longer trusts worker4`);
      const hosts = await node.readFile('/etc/hosts');
      assert.doesNotMatch(hosts, /\tworker4$/m, `node ${node.index}'s hosts block`);
      const refused = await worker4!.runAsRoot(
        `ssh -n -i /root/old-cluster-key -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=10 pi@${node.address()} hostname`,
        { timeoutMs: 60_000 },
      );
      assert.notEqual(refused.code, 0, `worker4's old key is refused by node ${node.index}`);
      assert.match(refused.stderr, /Permission denied/);
    }
    // The wizard's own known_hosts (the master's) forgot worker4 as the run started.
    const wizardKnown = await master!.readFile('/home/pi/.ssh/known_hosts');
    const removedAddress = lab.staticAddress(104);
    assert.ok(
      !wizardKnown
        .split('\n')
        .some((line) => line.startsWith(`${removedAddress} `) || /worker4/.test(line)),
      wizardKnown,
    );
    // The wizard's work is off worker4; it keeps its address and name.
    assert.equal(worker4!.address(), lab.staticAddress(104));
    assert.equal(await worker4!.hostname(), 'worker4');
    const left = await worker4!.runAsRoot(
      'ls /home/pi/.ssh; grep -c pi-cluster-wizard /etc/hosts /home/pi/.ssh/known_hosts; grep -c ssh- /home/pi/.ssh/authorized_keys',
    );
    assert.doesNotMatch(left.stdout, /id_ed25519/);
    assert.match(left.stdout, /\/etc\/hosts:0\n\/home\/pi\/\.ssh\/known_hosts:0\n0\n/);
    assert.deepEqual(
      lab.nodes.map((node, index) => node.bootCount - beforeRemove[index]!),
      [0, 0, 0, 0, 0],
      'nobody rebooted',
    );
    const last = await drive(lab, ['all', '--yes']);
    assert.equal(last.code, 0, last.stdout + last.stderr);
    assert.deepEqual(
      last.reports.filter((report) => report.status !== 'ok'),
      [],
      'a rerun after remove changes nothing',
    );

    // Hand it on: Ansible pings every node through the exported inventory (with the keys the
    // wizard set up), the machinefile has each node's nproc, the hosts fragment is the master's.
    assert.match(last.summary?.message ?? '', /pi-cluster-wizard export ansible\|hosts/);
    const exported = await master!.runAsPi(`node ${cli} export ansible --output ~/inventory.yml`);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /^Wrote \/home\/pi\/inventory\.yml\.$/m);
    const again = await master!.runAsPi(`node ${cli} export ansible --output ~/inventory.yml`);
    assert.match(again.stderr, /already holds this export: nothing written/);
    const ansible = { ANSIBLE_PYTHON_INTERPRETER: 'auto_silent', ANSIBLE_NOCOLOR: '1' };
    const ping = await master!.runAsPi('ansible all -i ~/inventory.yml -m ping -o', {
      timeoutMs: 120_000,
      env: ansible,
    });
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    for (const row of rows)
      assert.match(
        ping.stdout,
        new RegExp(`^${row.hostname} \\| SUCCESS => .*"ping": "pong"`, 'm'),
      );
    const where = await master!.runAsPi(
      "ansible workers -i ~/inventory.yml -m command -a 'hostname -I' -o",
      { timeoutMs: 60_000, env: ansible },
    );
    assert.equal(where.code, 0, where.stdout + where.stderr);
    assert.match(
      where.stdout,
      new RegExp(
        `^worker1 \\| CHANGED \\| rc=0 \\| \\(stdout\\) .*${rows[1]!.address.replaceAll('.', '\\.')}`,
        'm',
      ),
    );
    const mpi = await master!.runAsPi(`node ${cli} export mpi`);
    assert.equal(mpi.code, 0, mpi.stderr);
    assert.equal(mpi.stderr, '', "preflight learned every node's processors");
    const processors = await Promise.all(
      remaining.map(async (node) => (await node.runAsPi('nproc')).stdout.trim()),
    );
    assert.equal(
      mpi.stdout,
      rows.map((row, index) => `${row.hostname}:${processors[index]}\n`).join(''),
    );
    const hosts = await master!.runAsPi(`node ${cli} export hosts`);
    assert.equal(hosts.code, 0, hosts.stderr);
    const { begin, end } = managedBlockMarkers('pi-cluster-network');
    const etcHosts = await master!.readFile('/etc/hosts');
    assert.equal(
      hosts.stdout,
      etcHosts.slice(
        etcHosts.indexOf(`${begin}\n`) + begin.length + 1,
        etcHosts.indexOf(`${end}\n`),
      ),
    );

    // Use it: a command on every node, each answering with its name; then the cluster shut down,
    // the workers first, the master last (worker4 is no longer in it and stays on).
    const exec = await wizard(lab, ['exec', '--', 'hostname']);
    assert.equal(exec.code, 0, exec.stdout + exec.stderr);
    const execResults = exec.lines.flatMap((line) =>
      line.type === 'result'
        ? [[(line as { node: string }).node, (line as { stdout?: string }).stdout]]
        : [],
    );
    assert.deepEqual(
      execResults.sort(),
      rows.map((row) => [row.hostname, `${row.hostname}\n`]),
    );
    const shutdown = await wizard(lab, ['shutdown', '--yes']);
    assert.ok(shutdown.code === null || shutdown.code === 0, shutdown.stdout + shutdown.stderr);
    assert.match(shutdown.stdout, /All 3 workers are off\./);
    const deadline = Date.now() + 60_000;
    while (master!.pid() !== undefined && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    for (const node of remaining) assert.equal(node.pid(), undefined, `node ${node.index} is off`);
    assert.notEqual(worker4!.pid(), undefined, 'worker4 left the cluster: it stays on');
  });
});
