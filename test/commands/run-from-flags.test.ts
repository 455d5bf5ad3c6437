// `pi-cluster-wizard run … --nodes N --subnet CIDR …`: the cluster planned from flags alone, as the
// screens plan it. Every bad value of each flag is refused in words, with nothing run and nothing
// saved; on the lab, a run from flags alone changes the Pis and saves the plan as the session.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import { cli, parseJsonLines } from '../e2e/drive.js';
import { type Lab, startLab } from '../lab/lab.js';

const configDir = mkdtempSync(join(tmpdir(), 'pcw-run-from-flags-'));
after(() => rmSync(configDir, { recursive: true, force: true }));

function run(args: string[]) {
  const result = spawnSync('node', [cli, ...args], {
    input: '',
    encoding: 'utf8',
    env: { ...process.env, PI_CLUSTER_WIZARD_CONFIG_DIR: configDir, NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Nothing answers on 127.250.0.0/24: these runs must stop before connecting anyway.
const plan = ['run', 'all', '--yes', '--nodes', '3', '--subnet', '127.250.0.0/24'];

describe('run from flags: every bad value is refused in words, nothing is run', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['--nodes not a number', ['--nodes', 'five'], /--nodes: "five" is not a whole number/],
    ['--nodes zero', ['--nodes', '0'], /--nodes: a cluster needs at least 1 Pi/],
    ['--nodes too many', ['--nodes', '300'], /--nodes: at most 256 Pis are supported/],
    ['--subnet not a subnet', ['--subnet', '127.250.0.0'], /--subnet: /],
    [
      '--subnet prefix',
      ['--subnet', '127.250.0.0/33'],
      /--subnet: prefix length \/33 is not usable/,
    ],
    ['--subnet hostile', ['--subnet', '$(reboot)/24'], /--subnet: /],
    ['--first not an address', ['--first', '127.250.0'], /--first: first address /],
    ['--first outside', ['--first', '127.251.0.100'], /outside the subnet/],
    ['--gateway', ['--gateway', 'router;reboot'], /--gateway: gateway /],
    ['--dns', ['--dns', '127.250.0.1,x.y'], /--dns: DNS server /],
    [
      '--user hostile',
      ['--user=-oProxyCommand=x'],
      /--user: user "-oProxyCommand=x" is not a Linux user name/,
    ],
    ['--user root', ['--user', 'root'], /--user: user root cannot log in over SSH/],
    [
      '--reach-at too few',
      ['--reach-at', '127.250.0.7'],
      /--reach-at: 1 address for 3 Pis: give one for each Pi/,
    ],
    [
      '--reach-at not addresses',
      ['--reach-at', '127.250.0.7,$(reboot),127.250.0.9'],
      /--reach-at: Pi 1: "\$\(reboot\)" is neither an IPv4 address nor a host name/,
    ],
    [
      '--reach-at twice the same',
      ['--reach-at', '127.250.0.7,127.250.0.7,127.250.0.9'],
      /--reach-at: Pi 1: /,
    ],
  ];
  for (const [name, extra, message] of cases) {
    test(name, () => {
      // The flag given later wins over the plan's (util.parseArgs keeps the last value).
      const result = run([...plan, ...extra, '--session', 'flags']);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /The cluster cannot be planned from these flags:/);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '', 'nothing ran');
      assert.equal(existsSync(join(configDir, 'session-flags.json')), false, 'nothing saved');
    });
  }

  const usage: Array<[string, string[], RegExp]> = [
    [
      '--nodes without a value',
      ['run', '--yes', '--nodes'],
      /--nodes needs a number of Pis, e\.g\. --nodes 5/,
    ],
    // A value that looks like a flag is taken for a forgotten value, not passed on.
    [
      '--user -o…',
      [...plan, '--user', '-oProxyCommand=x'],
      /--user needs a user name, e\.g\. --user pi/,
    ],
    ['--nodes without --subnet', ['run', '--yes', '--nodes', '3'], /--nodes needs --subnet too/],
    [
      'a plan flag without --nodes',
      ['run', '--yes', '--gateway', '127.250.0.1'],
      /--gateway plan a cluster from flags: add --nodes N/,
    ],
    [
      '--reach-at and --discover',
      [...plan, '--reach-at', '127.250.0.7', '--discover'],
      /use one of them/,
    ],
    ['--nodes and --cluster', [...plan, '--cluster', 'x.json'], /use one of them/],
    ['--discover takes no value', [...plan, '--discover=yes'], /--discover takes no value/],
    ['--nodes with the wizard', ['--nodes', '3'], /--nodes goes only with: pi-cluster-wizard run/],
    ['--yes with status', ['status', '--yes'], /--yes goes only with: pi-cluster-wizard run/],
  ];
  for (const [name, args, message] of usage) {
    test(name, () => {
      const result = run([...args, '--session', 'flags']);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '', 'nothing ran');
      assert.equal(existsSync(join(configDir, 'session-flags.json')), false, 'nothing saved');
    });
  }
});

describe('run from flags alone on the lab', { timeout: 300_000 }, () => {
  let lab: Lab;
  after(() => lab?.stop());

  test('plans the table as the screens would, saves it as the session, and runs', async () => {
    lab = await startLab({ nodes: 3, rebootDelayMs: 300 });
    const master = lab.nodes[0]!;
    const reachAt = lab.nodes.map((node) => node.dhcpAddress).join(',');
    const result = await master.runAsPi(
      `node ${cli} run hosts --yes --json --nodes 3 --subnet ${lab.subnet} --reach-at ${reachAt}`,
      { input: `${lab.password}\n`, timeoutMs: 240_000 },
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const lines = parseJsonLines(result.stdout);
    const summary = lines.at(-1);
    assert.equal(summary?.type, 'summary');
    assert.equal(summary?.type === 'summary' && summary.result, 'done');
    const hosts = lines.filter((line) => line.type === 'result' && line.step === 'hosts');
    assert.deepEqual(
      hosts.map((line) => (line.type === 'result' ? `${line.node} ${line.status}` : '')).sort(),
      ['master changed', 'worker1 changed', 'worker2 changed'],
    );

    // The guide's table for these values: what planCluster gives the screens.
    const expected = planCluster({
      ...defaultSettings,
      nodeCount: 3,
      subnet: lab.subnet,
      firstAddress: lab.staticAddress(100),
      gateway: lab.staticAddress(1),
      dns: [lab.staticAddress(1)],
    });
    const session = JSON.parse(
      await master.readFile('/home/pi/.config/pi-cluster-wizard/session-default.json'),
    ) as {
      settings: { gateway: string; dns: string[] };
      rows: Array<{ hostname: string; address: string; reachAt: string }>;
    };
    assert.deepEqual(
      session.rows.map((row) => [row.hostname, row.address, row.reachAt]),
      expected.map((row, index) => [row.hostname, row.address, lab.nodes[index]!.dhcpAddress]),
    );
    assert.equal(session.settings.gateway, lab.staticAddress(1));
    for (const node of lab.nodes) {
      const file = await node.readFile('/etc/hosts');
      for (const row of expected)
        assert.match(
          file,
          new RegExp(`^${row.address.replaceAll('.', '\\.')}\\s+${row.hostname}$`, 'm'),
        );
    }
    const status = await master.runAsPi(`node ${cli} status`);
    assert.match(status.stdout, /^1\s+worker1\s+\S+\s+\S+\s+changed$/m, status.stdout);
  });
});
