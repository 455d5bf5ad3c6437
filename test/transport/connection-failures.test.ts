import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  formatTransportError,
  isTransportError,
  type TransportError,
} from '../../source/transport/errors.js';
import { type Lab, startLab } from '../lab/lab.js';
import { connectToLabNode, makeTestMaster, type TestMaster } from './lab-connection.js';
import { startTcpProxy } from './tcp-proxy.js';

async function failureOf(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isTransportError(error), `expected a TransportError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

describe('a node that cannot be reached or goes away', () => {
  let lab: Lab;
  let master: TestMaster;

  before(async () => {
    lab = await startLab({ nodes: 2 });
    master = makeTestMaster();
  });
  after(async () => {
    await lab?.stop();
  });

  it('says "refused" for a Pi that answers but where nothing listens on the port, as a transient error', async () => {
    const node = lab.nodes[0]!;
    const error = await failureOf(connectToLabNode(master, lab, node, { port: 9 }));
    assert.equal(error.kind, 'connection-refused');
    assert.equal(error.transient, true);
    assert.match(
      error.message,
      new RegExp(
        `pi0 \\(${node.address().replaceAll('.', '\\.')}:9\\) refused the SSH connection: nothing is listening on port 9`,
      ),
    );
    assert.match(formatTransportError(error), /\nWhat to do: If the Pi is still booting/);
  });

  it('says "no route" for an address nobody on the switch holds, as a transient error', async () => {
    const nowhere = lab.staticAddress(250);
    const error = await failureOf(
      connectToLabNode(master, lab, lab.nodes[0]!, { host: nowhere, readyTimeoutMs: 10_000 }),
    );
    assert.equal(error.kind, 'no-route');
    assert.equal(error.transient, true);
    assert.match(error.message, /nothing on the network answers/);
    assert.ok(error.message.includes(nowhere), error.message);
    assert.match(formatTransportError(error), /\nWhat to do: Check that the Pi is powered/);
  });

  it('says "timed out" for a server that accepts and never speaks, within the bound', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const error = await failureOf(
        connectToLabNode(master, lab, lab.nodes[0]!, {
          host: '127.0.0.1',
          port,
          readyTimeoutMs: 700,
        }),
      );
      assert.equal(error.kind, 'timed-out');
      assert.equal(error.transient, true);
      assert.ok(Date.now() - started < 3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('ends a command with an error, not a hang, when the node vanishes without closing the connection', async () => {
    const node = lab.nodes[0]!;
    const proxy = await startTcpProxy('127.0.0.1', node.address(), 22);
    try {
      const connection = await connectToLabNode(master, lab, node, {
        host: '127.0.0.1',
        port: proxy.port,
        keepaliveIntervalMs: 300,
        keepaliveCountMax: 2,
      });
      assert.equal((await connection.run(['true'])).code, 0);
      const started = Date.now();
      const outcome = failureOf(connection.run(['sleep', '60']));
      setTimeout(() => proxy.freeze(), 200);
      const error = await outcome;
      assert.equal(error.kind, 'connection-lost');
      assert.equal(error.transient, true);
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
      // Later commands fail at once with the same story.
      const next = await failureOf(connection.run(['true']));
      assert.equal(next.kind, 'connection-lost');
      await connection.close();
    } finally {
      await proxy.close();
    }
  });

  it('opens a refused session again a little later, and says so in words when sshd keeps refusing', async () => {
    const node = lab.nodes[0]!;
    await node.runAsRoot(
      "printf 'MaxSessions 2\\n' > /etc/ssh/sshd_config.d/00-sessions.conf && systemctl restart ssh",
    );
    await node.waitUntilUp();
    const connection = await connectToLabNode(master, lab, node);
    try {
      // Twelve quick commands, six channels at a time, against a limit of two: all succeed.
      const quick = await Promise.all(
        Array.from({ length: 12 }, (_, index) => connection.run(['echo', String(index)])),
      );
      assert.ok(quick.every((result, index) => result.stdout === `${index}\n`));
      // Three long ones: the third cannot get a session before the retries run out.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 3 }, () => connection.run(['sleep', '3'])),
      );
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      assert.equal(refused.length, 1);
      const reason = (refused[0] as PromiseRejectedResult).reason;
      assert.ok(isTransportError(reason));
      assert.equal(reason.kind, 'protocol');
      assert.match(reason.message, /pi0 refused to open a session/);
      assert.match(reason.nextStep, /MaxSessions/);
    } finally {
      await connection.close();
      await node.runAsRoot('rm /etc/ssh/sshd_config.d/00-sessions.conf && systemctl restart ssh');
    }
  });

  it('ends a command with "connection lost" when sshd is killed under it', async () => {
    const node = lab.nodes[1]!;
    const connection = await connectToLabNode(master, lab, node);
    const outcome = failureOf(connection.run(['sleep', '3171']));
    // Wait for the command to run, then kill the listener and the sshd processes of the session,
    // found by walking up from the command's pid inside the node.
    let killed = '';
    for (let attempt = 0; attempt < 50 && killed === ''; attempt += 1) {
      const result = await node.runAsRoot(`
        for p in /proc/[0-9]*; do
          [ "$(tr '\\0' ' ' < "$p/cmdline" 2>/dev/null)" = "sleep 3171 " ] || continue
          pid=\${p#/proc/}
          while [ "$pid" -gt 1 ]; do
            pid=$(awk '{print $4}' "/proc/$pid/stat")
            [ "$(cat "/proc/$pid/comm")" = sshd ] && echo "$pid"
          done
        done`);
      killed = result.stdout.trim().split('\n').filter(Boolean).join(' ');
      if (killed === '') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.notEqual(killed, '', 'found the session');
    await node.killSshd();
    await node.runAsRoot(`kill -KILL ${killed}`);
    // Counted from the kill: finding the session through the lab takes seconds under load.
    const killedAt = Date.now();
    const error = await outcome;
    assert.equal(error.kind, 'connection-lost');
    assert.equal(error.node, 'pi1');
    assert.match(error.message, /`sleep 3171` was running when the connection dropped/);
    assert.ok(Date.now() - killedAt < 10_000, `${Date.now() - killedAt} ms after the kill`);
    await connection.close();
  });
});
