import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { isTransportError } from '../../source/transport/errors.js';
import {
  type AuthStep,
  loadIdentities,
  planAuthentication,
} from '../../source/transport/ssh-auth.js';
import { type Lab, startLab } from '../lab/lab.js';
import { connectToLabNode, makeTestMaster } from './lab-connection.js';

const { utils } = ssh2;

function describeSteps(steps: AuthStep[]): string[] {
  return steps.map((step) =>
    step.method === 'agent'
      ? `agent(${step.keys})`
      : step.method === 'publickey'
        ? `key ${step.identity.source.split('/').pop()}`
        : 'password',
  );
}

describe('planning the login attempts', async () => {
  const master = makeTestMaster();
  mkdirSync(master.identityDirectory, { recursive: true, mode: 0o700 });
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    const bits = { ed25519: undefined, ecdsa: 256, rsa: 2048 }[type];
    const pair = utils.generateKeyPairSync(type, bits === undefined ? {} : { bits });
    writeFileSync(join(master.identityDirectory, `id_${type}`), pair.private, { mode: 0o600 });
  }
  const identities = await loadIdentities({
    username: 'pi',
    identityDirectory: master.identityDirectory,
  });

  it('finds id_ed25519, id_ecdsa and id_rsa in that order', () => {
    assert.deepEqual(
      identities.map((identity) => identity.source.split('/').pop()),
      ['id_ed25519', 'id_ecdsa', 'id_rsa'],
    );
  });

  const table: Array<
    [string, Parameters<typeof planAuthentication>[0], string | undefined, string[]]
  > = [
    [
      'password only',
      { username: 'pi', password: 'x' },
      undefined,
      ['key id_ed25519', 'key id_ecdsa', 'key id_rsa', 'password'],
    ],
    [
      'agent, keys and password within 4 attempts',
      { username: 'pi', password: 'x' },
      '/run/agent.sock',
      ['agent(1)', 'key id_ed25519', 'key id_ecdsa', 'password'],
    ],
    [
      'a larger budget gives the agent more keys',
      { username: 'pi', password: 'x', maxAttempts: 6 },
      '/run/agent.sock',
      ['agent(2)', 'key id_ed25519', 'key id_ecdsa', 'key id_rsa', 'password'],
    ],
    [
      'no password: keys only',
      { username: 'pi' },
      undefined,
      ['key id_ed25519', 'key id_ecdsa', 'key id_rsa'],
    ],
    [
      'the agent turned off',
      { username: 'pi', password: 'x', agentSocket: null },
      '/run/agent.sock',
      ['key id_ed25519', 'key id_ecdsa', 'key id_rsa', 'password'],
    ],
    [
      'one attempt: the password',
      { username: 'pi', password: 'x', maxAttempts: 1 },
      '/run/agent.sock',
      ['password'],
    ],
  ];
  for (const [name, credentials, agentSocket, expected] of table) {
    it(name, () => {
      assert.deepEqual(
        describeSteps(planAuthentication(credentials, identities, agentSocket)),
        expected,
      );
    });
  }

  it('skips an encrypted key without its passphrase and uses it with one', async () => {
    const directory = join(master.directory, 'encrypted');
    mkdirSync(directory, { mode: 0o700 });
    spawnSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      'secret',
      '-f',
      join(directory, 'id_ed25519'),
    ]);
    assert.equal(
      (await loadIdentities({ username: 'pi', identityDirectory: directory })).length,
      0,
    );
    assert.equal(
      (await loadIdentities({ username: 'pi', identityDirectory: directory, passphrase: 'secret' }))
        .length,
      1,
    );
  });
});

describe('logging in to lab nodes', () => {
  let lab: Lab;
  let agent: ChildProcess | undefined;

  before(async () => {
    lab = await startLab({ nodes: 2 });
  });
  after(async () => {
    if (agent?.pid !== undefined) agent.kill();
    await lab?.stop();
  });

  it('answers keyboard-interactive with the password when sshd takes no plain password logins', async () => {
    const node = lab.nodes[0]!;
    await node.runAsRoot(
      "printf 'PasswordAuthentication no\\nKbdInteractiveAuthentication yes\\n' > /etc/ssh/sshd_config.d/00-kbd.conf && systemctl restart ssh",
    );
    await node.waitUntilUp();
    const effective = await node.runAsRoot(
      'sshd -T | grep -E "^(passwordauthentication|kbdinteractiveauthentication) "',
    );
    assert.equal(effective.stdout, 'passwordauthentication no\nkbdinteractiveauthentication yes\n');
    // No keys and no agent: only keyboard-interactive can have let this in.
    const master = makeTestMaster();
    const connection = await connectToLabNode(master, lab, node);
    assert.equal((await connection.run(['whoami'])).stdout, 'pi\n');
    await connection.close();
  });

  it('logs in through ssh-agent, and a crowded agent cannot use up MaxAuthTries before the password', async () => {
    const master = makeTestMaster();
    const socket = join(master.directory, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let tries = 0; tries < 50 && spawnSync('test', ['-S', socket]).status !== 0; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Eight keys the node does not know.
    for (let index = 0; index < 8; index += 1) {
      const path = join(master.directory, `stranger${index}`);
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
      const added = spawnSync('ssh-add', [path], {
        env: { SSH_AUTH_SOCK: socket },
        encoding: 'utf8',
      });
      assert.equal(added.status, 0, added.stderr);
    }
    const node = lab.nodes[1]!;
    const credentials = {
      username: 'pi',
      password: lab.password,
      identityDirectory: master.identityDirectory,
      agentSocket: socket,
    };
    const withPassword = await connectToLabNode(master, lab, node, { credentials });
    await withPassword.close();

    // Now the node knows the agent's first key: the agent alone logs in.
    const listed = spawnSync('ssh-add', ['-L'], {
      env: { SSH_AUTH_SOCK: socket },
      encoding: 'utf8',
    });
    const firstKey = listed.stdout.split('\n')[0] ?? '';
    await node.runAsPi(
      `mkdir -p -m 700 ~/.ssh && printf '%s\\n' '${firstKey}' >> ~/.ssh/authorized_keys`,
    );
    const byAgent = await connectToLabNode(master, lab, node, {
      credentials: { ...credentials, password: undefined },
    });
    assert.equal((await byAgent.run(['whoami'])).stdout, 'pi\n');
    await byAgent.close();

    // Without the password and without a key the node knows, the error says what was tried.
    spawnSync('ssh-add', ['-D'], { env: { SSH_AUTH_SOCK: socket } });
    spawnSync('ssh-add', [join(master.directory, 'stranger7')], { env: { SSH_AUTH_SOCK: socket } });
    try {
      await connectToLabNode(master, lab, node, {
        credentials: { ...credentials, password: undefined },
      });
      assert.fail('expected the login to be refused');
    } catch (error) {
      assert.ok(isTransportError(error));
      assert.equal(error.kind, 'auth-failed');
      assert.match(error.message, /did not accept any key .*ssh-agent/);
    }
  });
});
