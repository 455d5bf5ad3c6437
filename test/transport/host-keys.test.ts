import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isTransportError } from '../../source/transport/errors.js';
import { type Lab, startLab } from '../lab/lab.js';
import { hostKeyFingerprints } from '../lab/real-ssh.js';
import { connectToLabNode, makeTestMaster, strictSsh } from './lab-connection.js';
import { startTcpProxy } from './tcp-proxy.js';

describe('host keys, as OpenSSH accept-new', () => {
  let lab: Lab;

  before(async () => {
    lab = await startLab({ nodes: 2 });
  });
  after(async () => {
    await lab?.stop();
  });

  it('records an unknown key, shows its fingerprint as ssh-keygen -lf does, and plain ssh then trusts it', async () => {
    const master = makeTestMaster();
    const node = lab.nodes[0]!;
    const address = node.address();

    // Control: with nothing recorded, strict ssh refuses, so the later success means something.
    writeFileSync(join(master.directory, 'empty_known_hosts'), '');
    const refused = await strictSsh({
      host: address,
      user: lab.user,
      password: lab.password,
      knownHostsPath: join(master.directory, 'empty_known_hosts'),
      command: 'true',
    });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Host key verification failed/);

    const connection = await connectToLabNode(master, lab, node);
    await connection.close();
    assert.equal(master.hostKeyEvents.length, 1);
    const event = master.hostKeyEvents[0]!;
    assert.equal(event.status, 'new');
    assert.equal(event.recorded, true);
    assert.equal(event.node, 'pi0');
    assert.equal(event.hostName, address);
    assert.ok((await hostKeyFingerprints(address)).includes(event.fingerprint));

    const text = readFileSync(master.knownHostsPath, 'utf8');
    assert.match(
      text,
      new RegExp(`^${address.replaceAll('.', '\\.')} ${event.keyType} [A-Za-z0-9+/=]+\\n$`),
    );
    assert.equal(statSync(master.knownHostsPath).mode & 0o777, 0o600);
    assert.equal(statSync(master.identityDirectory).mode & 0o777, 0o700);
    // The printed fingerprint of the recorded line is the one the event showed.
    const listed = spawnSync('ssh-keygen', ['-l', '-f', master.knownHostsPath], {
      encoding: 'utf8',
    });
    assert.equal(listed.stdout.split(' ')[1], event.fingerprint);

    const plain = await strictSsh({
      host: address,
      user: lab.user,
      password: lab.password,
      knownHostsPath: master.knownHostsPath,
      command: 'echo trusted',
    });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, 'trusted\n');

    // A second connection finds the key known and records nothing more.
    const again = await connectToLabNode(master, lab, node);
    await again.close();
    assert.equal(master.hostKeyEvents[1]?.status, 'known');
    assert.equal(readFileSync(master.knownHostsPath, 'utf8'), text);

    // Hashed by ssh-keygen -H, it is still recognised.
    spawnSync('ssh-keygen', ['-H', '-f', master.knownHostsPath]);
    assert.match(readFileSync(master.knownHostsPath, 'utf8'), /^\|1\|/);
    const hashed = await connectToLabNode(master, lab, node);
    await hashed.close();
    assert.equal(master.hostKeyEvents[2]?.status, 'known');
  });

  it('in a dry run shows a new key and accepts it for this run only, writing nothing', async () => {
    const master = makeTestMaster();
    const connection = await connectToLabNode(master, lab, lab.nodes[1]!, {
      recordNewHostKeys: false,
    });
    await connection.close();
    assert.equal(master.hostKeyEvents[0]?.status, 'new');
    assert.equal(master.hostKeyEvents[0]?.recorded, false);
    assert.equal(
      spawnSync('test', ['-e', master.knownHostsPath]).status,
      1,
      'no known_hosts written',
    );
  });

  it('trusts a host known only by another key type, asking for that type first as ssh does', async () => {
    const master = makeTestMaster();
    const address = lab.nodes[1]!.address();
    const scan = spawnSync('ssh-keyscan', ['-t', 'ecdsa', address], { encoding: 'utf8' });
    assert.match(scan.stdout, /ecdsa-sha2-nistp256/);
    spawnSync('mkdir', ['-p', '-m', '700', master.identityDirectory]);
    writeFileSync(master.knownHostsPath, scan.stdout, { mode: 0o600 });
    const connection = await connectToLabNode(master, lab, lab.nodes[1]!);
    await connection.close();
    assert.equal(master.hostKeyEvents[0]?.status, 'known');
    assert.equal(master.hostKeyEvents[0]?.keyType, 'ecdsa-sha2-nistp256');
  });

  it('refuses a changed key, naming the node and the exact command that forgets the old one', async () => {
    const master = makeTestMaster();
    const node = lab.nodes[0]!;
    const address = node.address();
    // Record some other machine's key for this address, as after a reflash.
    const keyPath = join(master.directory, 'other');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
    const [type, blob] = readFileSync(`${keyPath}.pub`, 'utf8').split(' ');
    spawnSync('mkdir', ['-p', '-m', '700', master.identityDirectory]);
    writeFileSync(master.knownHostsPath, `${address} ${type} ${blob}\n`, { mode: 0o600 });

    let failure: unknown;
    try {
      await connectToLabNode(master, lab, node);
    } catch (error) {
      failure = error;
    }
    assert.ok(isTransportError(failure));
    assert.equal(failure.kind, 'host-key-changed');
    assert.equal(failure.transient, false);
    assert.match(failure.message, /pi0/);
    const forget = `ssh-keygen -f "${master.knownHostsPath}" -R "${address}"`;
    assert.ok(failure.nextStep.includes(forget), failure.nextStep);
    assert.equal(master.hostKeyEvents.length, 0, 'nothing was trusted');

    // Running the command as given makes the node new again.
    const ran = spawnSync('sh', ['-c', forget], { encoding: 'utf8' });
    assert.equal(ran.status, 0, ran.stderr);
    const connection = await connectToLabNode(master, lab, node);
    await connection.close();
    assert.equal(master.hostKeyEvents[0]?.status, 'new');
  });

  it('records a node behind another port as [host]:port, which plain ssh then trusts', async () => {
    const master = makeTestMaster();
    const node = lab.nodes[1]!;
    const proxy = await startTcpProxy('127.0.0.1', node.address(), 22);
    try {
      const connection = await connectToLabNode(master, lab, node, {
        host: '127.0.0.1',
        port: proxy.port,
      });
      await connection.close();
      const text = readFileSync(master.knownHostsPath, 'utf8');
      assert.ok(text.startsWith(`[127.0.0.1]:${proxy.port} `), text);
      const plain = await strictSsh({
        host: '127.0.0.1',
        port: proxy.port,
        user: lab.user,
        password: lab.password,
        knownHostsPath: master.knownHostsPath,
        command: 'echo trusted',
      });
      assert.equal(plain.code, 0, plain.stderr);
    } finally {
      await proxy.close();
    }
  });
});
