// `pi-cluster-wizard run` and `status` from the built program: bad input gets a clear message and
// exit code 2 before anything connects; a node that cannot be reached fails alone (exit 3), on the lab.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultSettings } from '../../source/plan/plan-cluster.js';
import { drive, labPlan, parseJsonLines } from '../e2e/drive.js';
import { type Lab, startLab } from '../lab/lab.js';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const configDir = mkdtempSync(join(tmpdir(), 'pcw-run-command-'));
after(() => rmSync(configDir, { recursive: true, force: true }));

function run(args: string[], input = '') {
  const result = spawnSync('node', [cli, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, PI_CLUSTER_WIZARD_CONFIG_DIR: configDir, NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Addresses that nothing answers at; these tests stop before connecting anywhere anyway.
const loopbackSettings = {
  ...defaultSettings,
  nodeCount: 3,
  subnet: '127.250.0.0/24',
  firstAddress: '127.250.0.100',
  gateway: '127.250.0.1',
  dns: ['127.250.0.1'],
};

describe('run: bad input stops before anything runs', () => {
  const cases: Array<[string, string[], object | string | undefined, RegExp]> = [
    [
      'no planned cluster',
      ['run', '--yes', '--session', 'empty'],
      undefined,
      /No cluster is planned in this session yet/,
    ],
    [
      'a cluster file that is not JSON',
      ['run', '--yes', '--session', 'bad'],
      '{oops',
      /Cannot read the cluster file .*JSON/,
    ],
    [
      'a cluster file with a bad subnet',
      ['run', '--yes', '--session', 'bad'],
      { settings: { ...loopbackSettings, subnet: '127.250.0.0/33' } },
      /subnet: prefix length \/33 is not usable/,
    ],
    [
      'a cluster file with a hostile hostname',
      ['run', '--yes', '--session', 'bad'],
      {
        settings: loopbackSettings,
        rows: [
          {
            index: 0,
            interfaceName: 'eth0',
            address: '127.250.0.100',
            hostname: '$(reboot)',
            reachAt: '127.250.0.100',
          },
        ],
      },
      /Pi 0: hostname "\$\(reboot\)" is not a valid hostname/,
    ],
    [
      'an unknown node',
      ['run', 'keys', '--yes', '--node', 'worker9', '--session', 'good'],
      { settings: loopbackSettings },
      /No node called worker9 in this cluster\. The nodes are: master, worker1, worker2\./,
    ],
    [
      'changes without --yes and without a terminal',
      ['run', '--session', 'good'],
      { settings: loopbackSettings },
      /run changes the Pis: add --yes/,
    ],
  ];
  for (const [name, args, cluster, message] of cases) {
    test(name, () => {
      const withFile = [...args];
      if (cluster !== undefined) {
        const path = join(configDir, `${name.replaceAll(' ', '-')}.json`);
        writeFileSync(path, typeof cluster === 'string' ? cluster : JSON.stringify(cluster));
        withFile.push('--cluster', path);
      }
      const result = run(withFile);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '', 'nothing ran');
    });
  }

  test('status prints the saved table without connecting', () => {
    const result = run(['status', '--session', 'good']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Pi\s+hostname\s+static IP\s+reach it now at$/m);
    assert.match(result.stdout, /^2\s+worker2\s+127\.250\.0\.102\s+127\.250\.0\.102$/m);
    assert.match(result.stdout, /No step has run yet/);
    const saved = readFileSync(join(configDir, 'session-good.json'), 'utf8');
    assert.doesNotMatch(saved, /password/i);
  });
});

describe('run: a kill stops the run with the signal code', () => {
  test('SIGTERM while a worker waits for its next attempt: exit 143, the summary says interrupted', async () => {
    const path = join(configDir, 'interrupted.json');
    writeFileSync(path, JSON.stringify({ settings: loopbackSettings }));
    // Nothing listens at 127.250.0.x: the workers are retried until the kill.
    const child = spawn(
      'node',
      [cli, 'run', 'preflight', '--yes', '--json', '--cluster', path, '--session', 'interrupted'],
      {
        env: { ...process.env, PI_CLUSTER_WIZARD_CONFIG_DIR: configDir, NO_COLOR: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    child.stdin.end('');
    let stdout = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (
        !killed &&
        parseJsonLines(stdout.slice(0, stdout.lastIndexOf('\n') + 1)).some(
          (line) => line.type === 'retrying',
        )
      ) {
        killed = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 143, stdout);
    const summary = parseJsonLines(stdout).at(-1);
    assert.equal(summary?.type === 'summary' && summary.result, 'interrupted', stdout);
    assert.equal(summary?.type === 'summary' && summary.exitCode, 143);
    assert.doesNotMatch(stdout, /This operation was aborted/);
  });
});

describe('run on the lab: one node that cannot be reached', { timeout: 300_000 }, () => {
  let lab: Lab;
  after(() => lab?.stop());

  test('fails alone, in words, with exit code 3; the others finish', async () => {
    lab = await startLab({ nodes: 3, rebootDelayMs: 300 });
    const { settings, rows } = labPlan(lab, 3);
    const unreachable = rows.map((row) =>
      row.hostname === 'worker2' ? { ...row, reachAt: lab.staticAddress(250) } : row,
    );
    const result = await drive(lab, ['preflight', '--yes'], { settings, rows: unreachable });
    assert.equal(result.code, 3, result.stdout + result.stderr);
    const worker2 = result.reports.find((report) => report.node === 'worker2');
    assert.equal(worker2?.status, 'failed');
    // Nothing on the switch has that address: a LAN answers with no route to it (not a refusal).
    assert.match(worker2?.summary ?? '', /No route to worker2 .*nothing on the network answers/);
    assert.deepEqual(
      result.reports.filter((report) => report.node !== 'worker2').map((report) => report.status),
      ['ok', 'ok'],
    );
    assert.deepEqual(result.summary?.failedNodes, ['worker2']);
    assert.equal(result.summary?.result, 'nodes-failed');
    assert.equal(result.summary?.exitCode, 3);
    assert.match(result.summary?.message ?? '', /1 node failed: worker2\. The others finished\./);
    assert.ok(
      result.lines.some(
        (line) => line.type === 'retrying' && line.node === 'worker2' && line.attempt === 2,
      ),
      'worker2 was retried',
    );
    const status = await lab.nodes[0]!.runAsPi(`node ${cli} status`);
    assert.match(status.stdout, /worker2\s+127\.\S+\s+127\.\S+\s+failed/);
    const json = JSON.parse((await lab.nodes[0]!.runAsPi(`node ${cli} status --json`)).stdout);
    assert.deepEqual(json.steps, ['preflight']);
    assert.deepEqual(
      json.nodes.map((node: { hostname: string; results: Record<string, string> }) => [
        node.hostname,
        node.results.preflight,
      ]),
      [
        ['master', 'ok'],
        ['worker1', 'ok'],
        ['worker2', 'failed'],
      ],
    );
  });

  test('preflight says in words what will stop a node: a nologin shell fails it, no sudo group is noted', async () => {
    const { settings, rows } = labPlan(lab, 3);
    const [, worker1, worker2] = lab.nodes;
    await worker1!.runAsRoot('chsh -s /usr/sbin/nologin pi');
    await worker2!.runAsRoot('gpasswd -d pi sudo');
    try {
      // A session of its own: the default one remembers worker2 where nothing answers.
      const result = await drive(lab, ['preflight', '--yes', '--session', 'words'], {
        settings,
        rows,
      });
      assert.equal(result.code, 3, result.stdout + result.stderr);
      const report = (node: string) => result.reports.find((each) => each.node === node);
      assert.equal(report('worker1')?.status, 'failed');
      assert.match(report('worker1')?.summary ?? '', /worker1: the login user's shell is nologin/);
      assert.match(report('worker1')?.summary ?? '', /chsh -s \/bin\/bash/);
      assert.equal(report('worker2')?.status, 'ok', report('worker2')?.summary);
      assert.match(
        report('worker2')?.summary ?? '',
        /pi is in no sudo group .*sudo will refuse the static-ip, hostname and hosts steps; as root: usermod -aG sudo pi/,
      );
      assert.doesNotMatch(report('master')?.summary ?? '', /sudo group/);
    } finally {
      await worker1!.runAsRoot('chsh -s /bin/bash pi');
      await worker2!.runAsRoot('gpasswd -a pi sudo');
    }
  });
});

describe('run at a terminal on cloned cards', { timeout: 300_000 }, () => {
  let lab: Lab;
  after(() => lab?.stop());

  test('asks before giving cloned Pis new identities, with the password typed at a hidden prompt', async () => {
    lab = await startLab({ nodes: 3, clonedCards: true, rebootDelayMs: 300 });
    const { settings, rows } = labPlan(lab, 3);
    const master = lab.nodes[0]!;
    await master.runAsPi('cat > cluster.json', { input: JSON.stringify({ settings, rows }) });
    // script(1) gives the wizard a pseudo-terminal; the answers are typed ahead, as a paste would.
    const result = await master.runAsPi(
      `script -qefc "node ${cli} run preflight --yes --cluster cluster.json" /dev/null`,
      { input: `${lab.password}\ry\r`, timeoutMs: 120_000 },
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /Password of pi on the Pis \(for SSH and sudo; not shown, not saved/,
    );
    // The terminal itself echoes what was typed before the wizard started; the wizard never does.
    const afterPrompt = result.stdout.slice(result.stdout.indexOf('Password of pi'));
    assert.doesNotMatch(afterPrompt, new RegExp(lab.password), 'the password is not echoed');
    assert.match(
      result.stdout,
      /These Pis were cloned from one SD card .*: master \+ worker1 \+ worker2\./,
    );
    assert.match(
      result.stdout,
      /preflight\s+worker1\s+changed\s+worker1: new SSH host keys \(this card was cloned\); new machine-id/,
    );
    const keys = await Promise.all(
      lab.nodes.map((node) => node.readFile('/etc/ssh/ssh_host_ed25519_key.pub')),
    );
    assert.equal(new Set(keys).size, 3);
  });
});
