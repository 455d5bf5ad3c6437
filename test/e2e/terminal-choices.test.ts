// The run screens' controls in a real terminal (tmux) on a lab master: Ctrl+C stops a run cleanly
// (work in flight finishes, the session is saved, the terminal is given back, exit 130), and a node
// that fails offers retry / skip / stop while the others finish; retry after the fault is cleared
// converges.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Lab, startLab } from '../lab/lab.js';
import { labPlan } from './drive.js';
import { answerYes, NodeTerminal, typePassword, waitForRunEnd } from './terminal.js';

const clusterPath = '/home/pi/cluster.json';
const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

describe('run screen controls in a terminal on 3 fake Pis', { timeout: 300_000 }, () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ nodes: 3, rebootDelayMs: 300 });
    await lab.nodes[0]!.runAsPi(`cat > ${clusterPath}`, {
      input: JSON.stringify(labPlan(lab, 3)),
    });
  });
  after(() => lab?.stop());

  test('Ctrl+C stops the run cleanly: work in flight finishes, nothing after it starts, exit 130, saved', async () => {
    const hostsBefore = await Promise.all(lab.nodes.map((node) => node.readFile('/etc/hosts')));
    const terminal = new NodeTerminal(lab.nodes[0]!, `run all --cluster ${clusterPath}`);
    try {
      await answerYes(terminal);
      await typePassword(terminal, lab.password);
      await terminal.waitInHistory(/now: static-ip/, 60_000);
      terminal.send('C-c');
      await terminal.waitInHistory(/Stopping: work in flight finishes/, 10_000);
      const { end, exit, output } = await waitForRunEnd(terminal, 60_000);
      assert.equal(end, 'interrupted', output);
      assert.equal(exit, 130, output);
      assert.doesNotMatch(output, /now: hosts/, 'no step starts after Ctrl+C');
    } finally {
      terminal.close();
    }
    // The step after the interrupted one never ran: every /etc/hosts is as it was.
    const hostsAfter = await Promise.all(lab.nodes.map((node) => node.readFile('/etc/hosts')));
    assert.deepEqual(hostsAfter, hostsBefore);
    // What finished is saved: status shows static-ip's results without connecting anywhere.
    const status = await lab.nodes[0]!.runAsPi(`node ${cli} status`);
    assert.match(status.stdout, /preflight\s+static-ip/);
    assert.match(status.stdout, /worker2\s+\S+\s+\S+\s+ok\s+(changed|ok)/);
  });

  test('a failed node offers retry, skip or stop while the others finish; retry after the fix converges', async () => {
    const worker2 = lab.nodes[2]!;
    // worker2's login password is changed: SSH (and sudo) refuse the cluster's password.
    await worker2.runAsRoot('echo "pi:not-the-password" | chpasswd');
    const terminal = new NodeTerminal(lab.nodes[0]!, 'run hosts');
    try {
      await answerYes(terminal);
      await typePassword(terminal, lab.password);
      // Reaching every node comes first (every step needs what preflight reads): worker2 fails
      // there, in words, while the others finish it.
      const screen = await terminal.waitInHistory(/✗ worker2 failed at preflight/, 90_000);
      assert.match(screen, /worker2 \(\S+\) did not accept the password for user pi/);
      assert.match(screen, /Retry it \(r\)/);
      assert.match(screen, /Skip this node for the rest of the run \(s\)/);
      assert.match(screen, /Stop the run/);
      assert.doesNotMatch(await worker2.readFile('/etc/hosts'), /pi-cluster-wizard/);

      await worker2.runAsRoot(`echo "pi:${lab.password}" | chpasswd`);
      terminal.send('r', true);
      const { end, exit, output } = await waitForRunEnd(terminal, 90_000);
      assert.equal(end, 'done', output);
      assert.equal(exit, 0, output);
    } finally {
      terminal.close();
    }
    const hosts = await Promise.all(lab.nodes.map((node) => node.readFile('/etc/hosts')));
    assert.match(hosts[2]!, /# BEGIN pi-cluster-wizard/);
    const block = (text: string) => text.slice(text.indexOf('# BEGIN pi-cluster-wizard'));
    assert.equal(block(hosts[2]!), block(hosts[0]!), "worker2's block is the cluster's");
  });
});
