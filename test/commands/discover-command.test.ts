// `pi-cluster-wizard discover` against the fake Pi lab: loopback addresses only, inside the test
// run's private network namespace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { discoverCommand } from '../../source/commands/discover-command.js';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import { configDirVariable, openSessionFile } from '../../source/session/session-file.js';
import { initialData } from '../../source/store/app-state.js';
import { toSavedSession } from '../../source/store/persist-session.js';
import { type Lab, startLab } from '../lab/lab.js';

const cliSource = fileURLToPath(new URL('../../source/cli.tsx', import.meta.url));

function captureIo() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  return {
    io: {
      stdin: new PassThrough(),
      stdout,
      stderr,
      thisMachine: () => ({ addresses: ['127.0.0.1'], hostKeyFingerprints: [] }),
    },
    out: () => out,
    err: () => err,
  };
}

/** The CLI from source, as a person runs it; its session directory is the test's. */
function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliSource, ...args], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) }),
    );
  });
}

describe('pi-cluster-wizard discover', () => {
  let lab: Lab;
  let configDir: string;
  let dhcpSubnet: string;
  before(async () => {
    lab = await startLab({ nodes: 3 });
    configDir = mkdtempSync(join(tmpdir(), 'pcw-discover-'));
    process.env[configDirVariable] = configDir;
    dhcpSubnet = `${lab.nodes[0]!.dhcpAddress.split('.').slice(0, 3).join('.')}.0/24`;
    assert.match(dhcpSubnet, /^127\./);
    // A planned table: master and three workers on the lab's static subnet.
    const settings = {
      ...defaultSettings,
      nodeCount: 4,
      subnet: lab.subnet,
      firstAddress: lab.staticAddress(100),
      gateway: lab.staticAddress(1),
      dns: [lab.staticAddress(1)],
    };
    const session = openSessionFile({ sessionName: 'lab', configDir });
    const problem = session.save(
      toSavedSession({
        ...initialData,
        screen: 'review-table',
        settings,
        rows: planCluster(settings),
      }),
    );
    assert.equal(problem, undefined);
  });
  after(async () => {
    await lab?.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('lists the lab nodes with fingerprints and the suggestion, saving nothing without --assign', async () => {
    const { io, out } = captureIo();
    const code = await discoverCommand(
      { sessionName: 'lab', subnet: dhcpSubnet, assign: false, json: false },
      io,
    );
    assert.equal(code, 0, out());
    for (const node of lab.nodes)
      assert.match(out(), new RegExp(`${node.dhcpAddress.replaceAll('.', '\\.')}\\s+SHA256:`));
    assert.match(out(), /3 machines answering SSH/);
    assert.match(out(), /Pi 1 worker1\s+127\./);
    assert.match(out(), /Not saved\. Run again with --assign/);
    const saved = openSessionFile({ sessionName: 'lab', configDir }).saved;
    assert.deepEqual(
      saved?.rows.map((row) => row.reachAt),
      saved?.rows.map((row) => row.address),
    );
  });

  it('--json prints one object: every machine, the suggested assignment, saved or not', async () => {
    const { io, out } = captureIo();
    const code = await discoverCommand(
      { sessionName: 'lab', subnet: dhcpSubnet, assign: false, json: true },
      io,
    );
    assert.equal(code, 0, out());
    const lines = out().trim().split('\n');
    assert.equal(lines.length, 1, 'one JSON object, no text lines');
    const result = JSON.parse(lines[0]!);
    assert.equal(result.version, 1);
    assert.equal(result.subnet, dhcpSubnet);
    assert.equal(result.stopped, false);
    assert.deepEqual(
      result.machines.map((machine: { address: string }) => machine.address).sort(),
      lab.nodes.map((node) => node.dhcpAddress).sort(),
    );
    for (const machine of result.machines) {
      assert.match(machine.fingerprint, /^SHA256:/);
      assert.equal(machine.keyType, 'ssh-ed25519');
      assert.equal(machine.isThisMachine, false);
    }
    assert.deepEqual(
      result.assignment.map((row: { hostname: string; reachAt: string | null }) => row.hostname),
      ['master', 'worker1', 'worker2', 'worker3'],
    );
    assert.deepEqual(
      result.assignment.slice(1).map((row: { reachAt: string | null }) => row.reachAt),
      lab.nodes.map((node) => node.dhcpAddress),
    );
    assert.equal(result.saved, false);
  });

  it('--assign saves the suggested order; status after a restart shows it', async () => {
    const result = await runCli(
      ['discover', '--session', 'lab', '--subnet', dhcpSubnet, '--assign'],
      {
        [configDirVariable]: configDir,
      },
    );
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /Saved in .*session-lab\.json: 3 rows updated\./);
    const saved = openSessionFile({ sessionName: 'lab', configDir }).saved;
    assert.deepEqual(
      saved?.rows.slice(1).map((row) => row.reachAt),
      lab.nodes.map((node) => node.dhcpAddress),
    );
    assert.equal(saved?.rows[0]?.reachAt, lab.staticAddress(100), 'the master row is left alone');
    assert.doesNotMatch(readFileSync(join(configDir, 'session-lab.json'), 'utf8'), /raspberry/);
    const status = await runCli(['status', '--session', 'lab'], { [configDirVariable]: configDir });
    assert.equal(status.code, 0, status.stderr);
    for (const node of lab.nodes)
      assert.ok(status.stdout.includes(node.dhcpAddress), status.stdout);
    const json = await runCli(['status', '--session', 'lab', '--json'], {
      [configDirVariable]: configDir,
    });
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.version, 1);
    assert.equal(parsed.planned, true);
    assert.deepEqual(
      parsed.nodes.map((node: { reachAt: string }) => node.reachAt).slice(1),
      lab.nodes.map((node) => node.dhcpAddress),
    );
    assert.deepEqual(parsed.steps, [], 'no step has run');
  });

  it('a loopback /24 with nothing listening ends within seconds', async () => {
    const empty = `127.${250 + Math.floor(Math.random() * 5)}.${1 + Math.floor(Math.random() * 250)}.0/24`;
    const result = await runCli(['discover', '--subnet', empty], {
      [configDirVariable]: configDir,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /No machine answering SSH in .* \(254 of 254 addresses probed/);
    // The scan itself (the process also starts Node and compiles the source through tsx).
    const scanSeconds = Number(/probed in ([\d.]+) s/.exec(result.stdout)?.[1]);
    assert.ok(scanSeconds < 5, `scan took ${scanSeconds} s`);
    assert.ok(result.ms < 30_000, `took ${result.ms} ms`);
    console.log(
      `discover of an empty loopback /24, whole process: ${result.ms} ms; ${result.stdout.split('\n')[0]}`,
    );
  });

  it('refuses a subnet bigger than a /22 before probing anything (exit 2)', async () => {
    const result = await runCli(['discover', '--subnet', '127.0.0.0/16'], {
      [configDirVariable]: configDir,
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /65534 addresses: a scan takes at most a \/22/);
    assert.doesNotMatch(result.stderr, /Looking for machines/);
  });

  it('refuses --assign without a table, and an unknown session subnet, in words', async () => {
    const { io, err } = captureIo();
    assert.equal(
      await discoverCommand({ sessionName: 'nothing-here', assign: false, json: false }, io),
      2,
    );
    assert.match(err(), /Which subnet\? Pass --subnet CIDR/);
    const second = captureIo();
    assert.equal(
      await discoverCommand(
        { sessionName: 'nothing-here', subnet: dhcpSubnet, assign: true, json: false },
        second.io,
      ),
      2,
    );
    assert.match(second.err(), /--assign needs a lookup table/);
  });
});
