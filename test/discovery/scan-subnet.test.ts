// Scanning the fake Pi lab: loopback addresses only, inside the test run's private network.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clonedGroups, describeMachines } from '../../source/discovery/discovery-report.js';
import { parseScanRange } from '../../source/discovery/scan-range.js';
import { scanForSsh } from '../../source/discovery/scan-subnet.js';
import { probeSsh } from '../../source/discovery/ssh-probe.js';
import { type Lab, startLab } from '../lab/lab.js';
import { hostKeyFingerprints } from '../lab/real-ssh.js';

/** The /24 a lab node's DHCP address is in: the lab's DHCP range. */
function dhcpRange(lab: Lab): string {
  const address = lab.nodes[0]!.dhcpAddress;
  assert.match(address, /^127\./, 'tests scan loopback only');
  return `${address.split('.').slice(0, 3).join('.')}.0/24`;
}

function addressesOf(text: string): string[] {
  const range = parseScanRange(text);
  assert.ok(range.ok, text);
  for (const address of range.value.addresses) assert.match(address, /^127\./);
  return range.value.addresses;
}

const knownHostsPath = join(homedir(), '.ssh', 'known_hosts');
const knownHostsNow = () =>
  existsSync(knownHostsPath) ? readFileSync(knownHostsPath, 'utf8') : null;

describe('a scan of the lab', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ nodes: 4 });
  });
  after(async () => {
    await lab?.stop();
  });

  it('finds exactly the lab nodes in its DHCP range, with their host key fingerprints', async () => {
    const knownHostsBefore = knownHostsNow();
    const progress: number[] = [];
    const result = await scanForSsh(addressesOf(dhcpRange(lab)), {
      onProgress: ({ probed }) => progress.push(probed),
    });
    assert.equal(result.stopped, false);
    assert.equal(result.total, 254);
    assert.equal(result.probed, 254);
    assert.equal(progress.at(-1), 254);
    assert.deepEqual(
      result.found.map((machine) => machine.address),
      lab.nodes.map((node) => node.dhcpAddress),
    );
    for (const machine of result.found) {
      assert.match(machine.banner, /^SSH-2\.0-OpenSSH_/);
      assert.equal(machine.keyType, 'ssh-ed25519');
      // The ed25519 key is the one OpenSSH's client asks for first: ssh-keyscan shows it too.
      assert.ok(
        (await hostKeyFingerprints(machine.address)).includes(machine.fingerprint),
        `${machine.address}: ${machine.fingerprint}`,
      );
    }
    assert.equal(new Set(result.found.map((machine) => machine.fingerprint)).size, 4);
    assert.deepEqual(clonedGroups(describeMachines(result.found, { rows: [] })), []);
    assert.equal(knownHostsNow(), knownHostsBefore, 'a scan records no host key');
    console.log(`lab DHCP /24: ${result.found.length} found in ${result.durationMs} ms`);
  });

  it('never logs in: sshd saw no user, no password and no key', async () => {
    await scanForSsh([lab.nodes[1]!.dhcpAddress]);
    const log = await lab.nodes[1]!.readFile('/run/pcw-lab/sshd.log').catch(async () => {
      const result = await lab.nodes[1]!.runAsRoot('cat /run/pcw-lab/sshd.log');
      return result.stdout;
    });
    assert.match(log, /Connection closed by 127\.[\d.]+ port \d+ \[preauth\]/);
    assert.doesNotMatch(log, /Accepted|Failed|Invalid user|authenticating user|Postponed/);
  });

  it('recognises a member already at its planned static address', async () => {
    const node = lab.nodes[2]!;
    const result = await scanForSsh(addressesOf(dhcpRange(lab)));
    const rows = [
      { index: 0, interfaceName: 'eth0', address: '127.1.1.1', hostname: 'master', reachAt: '' },
      {
        index: 1,
        interfaceName: 'eth0',
        address: node.dhcpAddress,
        hostname: 'worker1',
        reachAt: node.dhcpAddress,
      },
    ];
    const machines = describeMachines(result.found, { rows });
    assert.equal(machines.find((each) => each.address === node.dhcpAddress)?.configuredAs, 1);
    assert.equal(machines.filter((each) => each.configuredAs !== undefined).length, 1);
  });
});

describe('a scan of cloned cards', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ nodes: 3, clonedCards: true });
  });
  after(async () => {
    await lab?.stop();
  });

  it('flags every node offering the same host key as cloned', async () => {
    const result = await scanForSsh(addressesOf(dhcpRange(lab)));
    const machines = describeMachines(result.found, { rows: [] });
    assert.equal(machines.length, 3);
    assert.deepEqual(clonedGroups(machines), [lab.nodes.map((node) => node.dhcpAddress)]);
    for (const machine of machines) assert.equal(machine.clonedWith.length, 2);
  });
});

describe('a scan where nothing answers SSH', () => {
  // A loopback /24 no lab uses: refused at once everywhere but where a silent listener waits.
  const prefix = `127.${220 + Math.floor(Math.random() * 30)}.${1 + Math.floor(Math.random() * 250)}`;
  const silent: Server[] = [];
  const sockets: Socket[] = [];
  before(async () => {
    for (const host of [5, 77, 200]) {
      const server = createServer((socket) => sockets.push(socket)); // accepts, never speaks
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: `${prefix}.${host}`, port: 22 }, resolve);
      });
      silent.push(server);
    }
  });
  after(() => {
    for (const socket of sockets) socket.destroy();
    for (const server of silent) server.close();
  });

  it('ends within its per-address time bound and finds nothing', async () => {
    const started = performance.now();
    const result = await scanForSsh(addressesOf(`${prefix}.0/24`), { timeoutMs: 600 });
    const elapsed = performance.now() - started;
    assert.deepEqual(result.found, []);
    assert.equal(result.probed, 254);
    assert.ok(elapsed < 4000, `took ${Math.round(elapsed)} ms`);
    console.log(`silent /24 (3 silent listeners, 600 ms bound): ${Math.round(elapsed)} ms`);
  });

  it('an address that accepts and never speaks is not SSH, after the bound', async () => {
    const outcome = await probeSsh(`${prefix}.77`, { timeoutMs: 300 });
    assert.equal(outcome.kind, 'nothing');
  });

  it('stops at once when asked, reporting the scan as stopped', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const scanning = scanForSsh(addressesOf(`${prefix}.0/24`), {
      timeoutMs: 30_000,
      concurrency: 8,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 200);
    const result = await scanning;
    const elapsed = performance.now() - started;
    assert.equal(result.stopped, true);
    assert.ok(result.probed < 254);
    assert.ok(elapsed < 1000, `took ${Math.round(elapsed)} ms to stop`);
  });
});
