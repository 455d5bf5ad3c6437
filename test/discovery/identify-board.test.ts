// Identify on the fake Pi lab: each node has its own writable /sys/class/leds (see lab.ts, led).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { identifyBoard, identifyMachine } from '../../source/discovery/identify-board.js';
import { isTransportError } from '../../source/transport/errors.js';
import type { SshNodeConnection } from '../../source/transport/ssh-connection.js';
import { type Lab, type LabNode, startLab } from '../lab/lab.js';
import { connectToLabNode, makeTestMaster, type TestMaster } from '../transport/lab-connection.js';

const stockTrigger =
  'none rc-feedback kbd-scrolllock kbd-numlock timer oneshot heartbeat backlight gpio cpu default-on input panic actpwr [mmc0]';

async function ledFiles(
  node: LabNode,
  name: string,
): Promise<{ trigger: string; brightness: string }> {
  const result = await node.runAsRoot(
    `cat /sys/class/leds/${name}/trigger; echo ---; cat /sys/class/leds/${name}/brightness`,
  );
  assert.equal(result.code, 0, result.stderr);
  const [trigger = '', brightness = ''] = result.stdout.split('---\n');
  return { trigger: trigger.trim(), brightness: brightness.trim() };
}

/**
 * Every distinct trigger|brightness state of the LED while `during` runs, sampled on the node every
 * 50 ms by a loop that is already sampling when `during` starts (entering a node can take seconds
 * on a loaded machine: a watcher started beside `during` could miss a 2 s blink).
 */
async function watchLed<T>(
  node: LabNode,
  name: string,
  during: () => Promise<T>,
): Promise<{ value: T; seen: Set<string> }> {
  const dir = `/sys/class/leds/${name}`;
  const log = `/run/led-watch-${name}`;
  await node.runAsRoot(
    `rm -f ${log} ${log}.stop; (while [ ! -e ${log}.stop ]; do echo "$(cat ${dir}/trigger)|$(cat ${dir}/brightness)" >>${log}; sleep 0.05; done; echo end >>${log}) </dev/null >/dev/null 2>&1 & while [ ! -s ${log} ]; do sleep 0.05; done`,
  );
  const value = await during();
  const result = await node.runAsRoot(
    `touch ${log}.stop; while ! grep -qx end ${log}; do sleep 0.05; done; grep -vx end ${log}`,
  );
  return { value, seen: new Set(result.stdout.trim().split('\n')) };
}

describe("identify: blinking a board's activity LED", () => {
  let lab: Lab;
  let master: TestMaster;
  const connections: SshNodeConnection[] = [];
  before(async () => {
    lab = await startLab({ nodes: 3, led: ['ACT', 'led0', 'none'] });
    master = makeTestMaster();
  });
  after(async () => {
    for (const connection of connections) await connection.close();
    await lab?.stop();
  });
  const connect = async (node: LabNode) => {
    const connection = await connectToLabNode(master, lab, node);
    connections.push(connection);
    return connection;
  };

  it('blinks ACT through sudo, then gives back its trigger and brightness', async () => {
    const node = lab.nodes[0]!;
    assert.deepEqual(await ledFiles(node, 'ACT'), { trigger: stockTrigger, brightness: '0' });
    const connection = await connect(node);
    const { value: outcome, seen } = await watchLed(node, 'ACT', () =>
      identifyBoard(connection, { seconds: 2 }),
    );
    assert.deepEqual(outcome, {
      kind: 'blinked',
      led: '/sys/class/leds/ACT',
      restoredTrigger: 'mmc0',
      seconds: 2,
    });
    // The fake has no timer trigger files (delay_on), so the wizard toggled the brightness itself.
    assert.ok(seen.has('none|1'), [...seen].join(', '));
    assert.ok(seen.has('none|0'), [...seen].join(', '));
    assert.deepEqual(await ledFiles(node, 'ACT'), { trigger: 'mmc0', brightness: '0' });
  });

  it('uses led0 where the kernel names the LED so', async () => {
    const node = lab.nodes[1]!;
    const outcome = await identifyMachine(
      {
        node: 'worker2',
        address: node.address(),
        isThisMachine: false,
        user: lab.user,
        password: lab.password,
        knownHostsPath: master.knownHostsPath,
      },
      1,
    );
    assert.equal(outcome.kind, 'blinked');
    assert.deepEqual(await ledFiles(node, 'led0'), { trigger: 'mmc0', brightness: '0' });
  });

  it('says so where there is no LED, and changes nothing', async () => {
    const node = lab.nodes[2]!;
    const outcome = await identifyBoard(await connect(node), { seconds: 1 });
    assert.equal(outcome.kind, 'no-led');
    assert.match(outcome.kind === 'no-led' ? outcome.message : '', /no activity LED/);
    const listing = await node.runAsRoot('ls /sys/class/leds 2>&1; true');
    assert.doesNotMatch(listing.stdout, /ACT|led0/);
  });

  it('stopped halfway, the LED still gets its trigger back', async () => {
    const node = lab.nodes[0]!;
    await node.runAsRoot(
      'echo heartbeat > /sys/class/leds/ACT/trigger; echo 1 > /sys/class/leds/ACT/brightness',
    );
    const controller = new AbortController();
    // A blink far longer than the test, so that the stop always comes halfway, however slow the
    // lab's CPU makes each look at the LED.
    const identifying = identifyBoard(await connect(node), {
      seconds: 120,
      signal: controller.signal,
    });
    // Wait until the blink has started (the LED's trigger read directly from the node's
    // filesystem: no process per look), then stop it.
    const deadline = Date.now() + 60_000;
    while ((await node.readFile('/sys/class/leds/ACT/trigger')).trim() !== 'none') {
      assert.ok(Date.now() < deadline, 'the blink never started');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    controller.abort();
    await assert.rejects(
      identifying,
      (error) => isTransportError(error) && error.kind === 'aborted',
    );
    assert.deepEqual(await ledFiles(node, 'ACT'), { trigger: 'heartbeat', brightness: '1' });
    // The node's blink loop was ended too: nothing toggles the LED afterwards.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(await ledFiles(node, 'ACT'), { trigger: 'heartbeat', brightness: '1' });
  });

  it('a wrong password fails in words and leaves the LED alone', async () => {
    const node = lab.nodes[0]!;
    const before = await ledFiles(node, 'ACT');
    await assert.rejects(
      identifyMachine(
        {
          node: 'worker1',
          address: node.address(),
          isThisMachine: false,
          user: lab.user,
          password: 'not-the-password',
          knownHostsPath: master.knownHostsPath,
        },
        1,
      ),
      (error) => isTransportError(error) && error.kind === 'auth-failed',
    );
    assert.deepEqual(await ledFiles(node, 'ACT'), before);
  });
});
