// What a finished setup promises on every node, checked from outside and by plain OpenSSH.
import assert from 'node:assert/strict';
import type { Lab } from '../lab/lab.js';
import type { labPlan } from './drive.js';

/**
 * Every node at its static address with its hostname, exactly one cluster block in /etc/hosts
 * with 127.0.1.1 naming the node, and `ssh <name> hostname` answering from every node to every node
 * without a prompt (the N x N logins).
 */
export async function assertSetupHolds(
  lab: Lab,
  rows: ReturnType<typeof labPlan>['rows'],
  /** The lab's nodes the rows are, in order (default: every node of the lab). */
  nodes: readonly Lab['nodes'][number][] = lab.nodes,
) {
  for (const [index, node] of nodes.entries()) {
    const row = rows[index]!;
    assert.equal(node.address(), row.address, `${row.hostname} is at its static address`);
    assert.equal(await node.hostname(), row.hostname);
    const hosts = await node.readFile('/etc/hosts');
    assert.equal(hosts.split('# BEGIN pi-cluster-wizard pi-cluster-network').length, 2, hosts);
    assert.match(hosts, new RegExp(`^127\\.0\\.1\\.1\\t${row.hostname}$`, 'm'), hosts);
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
}

/** Every node rebooted at once, as after a power cut; returns when each is up again. */
export async function rebootEveryNodeAtOnce(lab: Lab): Promise<void> {
  const boots = lab.nodes.map((node) => node.bootCount);
  await Promise.all(lab.nodes.map((node) => node.runAsRoot('reboot').catch(() => {})));
  await Promise.all(
    lab.nodes.map((node, index) =>
      node.waitUntilUp({ afterBoot: boots[index]!, timeoutMs: 120_000 }),
    ),
  );
}
