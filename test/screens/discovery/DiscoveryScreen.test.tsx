// The discovery screen over the review table, against the fake Pi lab: loopback subnets only.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { discoveryWork } from '../../../source/commands/discovery-work.js';
import { defaultSettings } from '../../../source/plan/plan-cluster.js';
import { App } from '../../../source/screens/App.js';
import { ReviewTableScreen } from '../../../source/screens/review-table/ReviewTableScreen.js';
import { createAppStore } from '../../../source/store/app-store.js';
import { type Lab, startLab } from '../../lab/lab.js';
import { erase, frameOf, keys, typeText, waitForFrame } from '../frame.js';

afterEach(cleanup);

const right = '\u001B[C';

/** Like press, with room for a machine busy with other test files. */
async function pressSlow(
  instance: ReturnType<typeof render>,
  input: string,
  expected: string | RegExp | ((frame: string) => boolean),
) {
  instance.stdin.write(input);
  return waitForFrame(instance, expected, 15_000);
}

describe('DiscoveryScreen', () => {
  let lab: Lab;
  let dhcpSubnet: string;
  before(async () => {
    lab = await startLab({ nodes: 3 });
    dhcpSubnet = `${lab.nodes[0]!.dhcpAddress.split('.').slice(0, 3).join('.')}.0/24`;
    assert.match(dhcpSubnet, /^127\./);
  });
  after(async () => {
    await lab?.stop();
  });

  function plannedStore() {
    const store = createAppStore();
    store.getState().start();
    const result = store.getState().submitSettings({
      ...defaultSettings,
      nodeCount: 4,
      subnet: lab.subnet,
      firstAddress: lab.staticAddress(100),
      gateway: lab.staticAddress(1),
      dns: [lab.staticAddress(1)],
    });
    assert.equal(result.kind, 'planned');
    return store;
  }

  async function scanFromReview() {
    const store = plannedStore();
    const instance = render(<ReviewTableScreen store={store} discovery={discoveryWork} isActive />);
    await waitForFrame(instance, 'd find the Pis');
    await pressSlow(instance, 'd', `Subnet to scan   ${lab.subnet}`);
    await erase(instance, lab.subnet.length);
    await typeText(instance, dhcpSubnet);
    instance.stdin.write(keys.enter);
    const frame = await waitForFrame(instance, /3 found · done in/, 30_000);
    return { store, instance, frame };
  }

  test('d scans the subnet typed, lists the nodes, and Enter fills the table', async () => {
    const { store, instance, frame } = await scanFromReview();
    assert.match(frame, /\[█{30}\] 254\/254/);
    const [first, second, third] = lab.nodes.map((node) => node.dhcpAddress);
    for (const [address, row] of [
      [first, 'worker1'],
      [second, 'worker2'],
      [third, 'worker3'],
    ] as const) {
      assert.match(
        frame,
        new RegExp(`${address!.replaceAll('.', '\\.')}\\s+SHA256:\\S+\\s+OpenSSH[^\\n]*${row}`),
      );
    }
    // → gives the first machine the next row (worker2, taking it from the second); a restores.
    let moved = await pressSlow(instance, right, (current) =>
      /worker2[^\n]*\n[^\n]*—/.test(current),
    );
    assert.match(moved, new RegExp(`${first!.replaceAll('.', '\\.')}[^\\n]*worker2`));
    moved = await pressSlow(instance, 'a', (current) => !current.includes('—'));
    await pressSlow(instance, keys.enter, '✓ The table is valid.');
    assert.deepEqual(
      store.getState().rows.map((row) => row.reachAt),
      [lab.staticAddress(100), first, second, third],
    );
    const table = frameOf(instance);
    for (const address of [first, second, third]) assert.ok(table.includes(address!), table);
  });

  test('identify asks the password once, blinks the chosen board and restores its LED', async () => {
    const { store, instance } = await scanFromReview();
    await pressSlow(instance, keys.down, (frame) =>
      /›\s+127\S+\s+SHA256\S+\s+OpenSSH[^\n]*worker2/.test(frame),
    );
    await pressSlow(instance, 'i', 'Password of pi for worker2 (kept in memory only)');
    await typeText(instance, lab.password);
    assert.ok(frameOf(instance).includes('•'.repeat(lab.password.length)));
    assert.ok(!frameOf(instance).includes(lab.password));
    instance.stdin.write(keys.enter);
    await waitForFrame(instance, 'to blink its activity LED for 5 s');
    let trigger = '';
    for (let tries = 0; tries < 100 && trigger !== 'none'; tries++) {
      trigger = (await lab.nodes[1]!.runAsRoot('cat /sys/class/leds/ACT/trigger')).stdout.trim();
    }
    assert.equal(trigger, 'none', 'blinking by hand while identify runs');
    await waitForFrame(instance, 'worker2: its activity LED blinked for 5 s', 20_000);
    const after = await lab.nodes[1]!.runAsRoot(
      'cat /sys/class/leds/ACT/trigger /sys/class/leds/ACT/brightness',
    );
    assert.equal(after.stdout, 'mmc0\n0\n');
    assert.equal(store.getState().secrets.password, lab.password);
  });

  describe('while the scan runs', () => {
    const prefix = `127.${220 + Math.floor(Math.random() * 30)}.${1 + Math.floor(Math.random() * 250)}`;
    const silent: Server[] = [];
    before(async () => {
      // Half the /24 accepts and never speaks: the scan takes seconds unless stopped.
      for (let host = 1; host <= 128; host++) {
        const server = createServer(() => {});
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: `${prefix}.${host}`, port: 22 }, resolve);
        });
        silent.push(server);
      }
    });
    after(() => {
      for (const server of silent) server.close();
    });
    const openConnections = async () => {
      const counts = await Promise.all(
        silent.map(
          (server) =>
            new Promise<number>((resolve) => server.getConnections((_, count) => resolve(count))),
        ),
      );
      return counts.reduce((sum, count) => sum + count, 0);
    };

    async function startSlowScan(instance: ReturnType<typeof render>, subnet: string) {
      await pressSlow(instance, 'd', `Subnet to scan   ${subnet}`);
      await erase(instance, subnet.length);
      await typeText(instance, `${prefix}.0/24`);
      instance.stdin.write(keys.enter);
      await waitForFrame(instance, 'Esc stop the scan');
      for (let tries = 0; tries < 100 && (await openConnections()) === 0; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok((await openConnections()) > 0);
    }

    test('Esc stops it at once, keeping the screen', async () => {
      const store = plannedStore();
      const instance = render(
        <ReviewTableScreen store={store} discovery={discoveryWork} isActive />,
      );
      await waitForFrame(instance, 'd find the Pis');
      await startSlowScan(instance, lab.subnet);
      const stopping = performance.now();
      instance.stdin.write(keys.escape);
      const frame = await waitForFrame(instance, '· stopped', 15_000);
      // A probe waits 1500 ms for a silent address: stopping did not wait for them.
      const waited = performance.now() - stopping;
      assert.ok(waited < 1500, `stopped after ${Math.round(waited)} ms`);
      assert.doesNotMatch(frame, /254\/254/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await openConnections(), 0);
    });

    test('Ctrl+C quits the wizard and ends every probe in flight', async () => {
      const store = plannedStore();
      const instance = render(<App store={store} discovery={discoveryWork} />);
      await waitForFrame(instance, 'd find the Pis');
      await startSlowScan(instance, lab.subnet);
      instance.stdin.write(keys.ctrlC);
      for (let tries = 0; tries < 50 && store.getState().outcome === undefined; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual(store.getState().outcome, { kind: 'interrupted', signal: 'SIGINT' });
      instance.unmount();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(await openConnections(), 0);
    });
  });
});
