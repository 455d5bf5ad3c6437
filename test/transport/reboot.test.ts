import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTransportError } from '../../source/transport/errors.js';
import { readBootId, rebootAndReconnect } from '../../source/transport/reboot.js';
import { type Lab, startLab } from '../lab/lab.js';
import { connectToLabNode, makeTestMaster, type TestMaster } from './lab-connection.js';

describe('reboot and reconnect', () => {
  let lab: Lab;
  let master: TestMaster;

  before(async () => {
    lab = await startLab({ nodes: 2, profile: 'dhcpcd', rebootDelayMs: 700 });
    master = makeTestMaster();
  });
  after(async () => {
    await lab?.stop();
  });

  it('reboots a node into its new static address and proves it by a new boot id', async () => {
    const node = lab.nodes[0]!;
    const oldAddress = node.address();
    const newAddress = lab.staticAddress(21);
    const connection = await connectToLabNode(master, lab, node);
    const bootBefore = await readBootId(connection);
    const bootCountBefore = node.bootCount;
    await connection.editManagedBlock(
      '/etc/dhcpcd.conf',
      'static-address',
      `interface eth0\nstatic ip_address=${newAddress}/24`,
      { mode: 0o644, owner: 'root', group: 'root' },
    );
    const waiting: string[] = [];
    const fresh = await rebootAndReconnect(connection, {
      expectedAddress: newAddress,
      initialDelayMs: 200,
      timeoutMs: 30_000,
      onWaiting: (event) => waiting.push(`${event.attempt}@${event.address}`),
    });
    try {
      assert.equal(fresh.address, newAddress);
      // sshd can answer before the lab's watcher reports the boot's addresses: wait for it.
      await node.waitUntilUp({ afterBoot: bootCountBefore });
      assert.equal(node.address(), newAddress, 'the lab agrees where the node is');
      assert.notEqual(await readBootId(fresh), bootBefore);
      assert.equal(await readBootId(fresh), await node.bootId());
      assert.equal(
        (await fresh.runAsRoot(['id', '-u'])).stdout,
        '0\n',
        'sudo works on the new connection',
      );
      assert.notEqual(oldAddress, newAddress);
      // The key is the same machine's, recorded again under the new address, and shown.
      const recorded = master.hostKeyEvents.filter((event) => event.status === 'new');
      assert.deepEqual(
        recorded.map((event) => event.hostName),
        [oldAddress, newAddress],
      );
      assert.equal(recorded[0]?.fingerprint, recorded[1]?.fingerprint);
    } finally {
      await fresh.close();
    }
  });

  it('reports a node that does not come back where expected, naming both addresses', async () => {
    const node = lab.nodes[1]!;
    const connection = await connectToLabNode(master, lab, node);
    const nowhere = lab.staticAddress(99);
    const started = Date.now();
    let failure: unknown;
    try {
      await rebootAndReconnect(connection, {
        expectedAddress: nowhere,
        initialDelayMs: 200,
        maxDelayMs: 500,
        timeoutMs: 2_500,
      });
    } catch (error) {
      failure = error;
    }
    assert.ok(isTransportError(failure));
    assert.equal(failure.kind, 'did-not-come-back');
    assert.ok(failure.message.includes(nowhere), failure.message);
    assert.ok(failure.message.includes(node.dhcpAddress), failure.message);
    assert.ok(Date.now() - started < 6_000);
    // It did reboot, at its old address: the error sends the person there.
    await node.waitUntilUp({ afterBoot: 1 });
    assert.equal(node.address(), node.dhcpAddress);
  });
});
