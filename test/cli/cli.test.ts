import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Terminal } from './terminal.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'dist', 'cli.js');
const version = (
  JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

let configDir: string;
before(() => {
  assert.ok(fs.existsSync(cli), `${cli} is missing: run npm run build first (npm test does)`);
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcw-cli-'));
});
after(() => fs.rmSync(configDir, { recursive: true, force: true }));

/** Runs the built CLI with pipes (no terminal), the config directory pointed at a temp dir. */
function runPiped(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PI_CLUSTER_WIZARD_CONFIG_DIR: configDir, ...env },
    timeout: 15_000,
  });
}

function wizardIn(terminalConfigDir: string, args = '', env = '', program = cli) {
  return new Terminal(
    // Without CI: Ink draws only the last frame when it believes it runs in CI (CI=true there).
    `env -u CI PI_CLUSTER_WIZARD_CONFIG_DIR=${terminalConfigDir} TERM=xterm-256color ${env} ${process.execPath} ${program} ${args}`,
  );
}

/** The lookup table's rows as the screen shows them, without the selection marker. */
const tableRows = (screen: string) =>
  screen
    .split('\n')
    .filter((line) => /^[› ][✗ ] \d+\s+eth0\s/.test(line))
    .map((line) => line.slice(1));

describe('the built command line', () => {
  test('--help shows the options and exits 0', () => {
    const result = runPiped(['--help']);
    assert.equal(result.status, 0, result.stderr);
    for (const text of [
      'Usage',
      'exec [options] -- COMMAND…',
      'shutdown|reboot',
      '--sudo',
      '--session NAME',
      '--fresh',
      '--dry-run',
      '--no-color',
      'Exit codes',
    ]) {
      assert.ok(result.stdout.includes(text), text);
    }
  });

  test('--version prints the version', () => {
    const result = runPiped(['--version']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `${version}\n`);
  });

  test('run --show-plan prints the plan and exits 0, contacting no Pi and saving nothing', () => {
    const result = runPiped([
      'run',
      'keys',
      '--node',
      'worker3',
      '--show-plan',
      '--nodes',
      '4',
      '--subnet',
      '127.0.80.0/24',
      '--session',
      'plan-only',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^The plan: preflight first on every node/);
    assert.match(
      result.stdout,
      /\n {2}fan-out {6}every worker; carried on from keys, once every node has a key; after keys, fan-in on every node\n/,
    );
    assert.ok(!fs.readdirSync(configDir).some((name) => name.includes('plan-only')));
  });

  test('an unknown flag or a bad session name is a usage error: exit 2', () => {
    const unknown = runPiped(['--bogus']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown option: --bogus\nRun pi-cluster-wizard --help/);
    const badName = runPiped(['--session', '../etc']);
    assert.equal(badName.status, 2);
    assert.match(badName.stderr, /--session "\.\.\/etc" is not a usable name/);
  });

  test('exec, shutdown and reboot without a planned cluster: exit 2 in words, nothing saved', () => {
    for (const args of [['exec', '--', 'hostname'], ['shutdown', '--yes'], ['reboot']]) {
      // Before the command's words: after `--` everything is the command's.
      const result = runPiped(['--session', 'unplanned', ...args], {});
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /^No cluster is planned in the session "unplanned" yet: set it up first/,
      );
      assert.equal(result.stdout, '');
    }
    assert.ok(!fs.readdirSync(configDir).some((name) => name.includes('unplanned')));
  });

  test('without a terminal it says what to do instead and exits 2, no raw-mode crash', () => {
    const result = runPiped([]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /not a TTY/);
    assert.match(result.stderr, /ssh pi@<master>/);
    assert.doesNotMatch(result.stderr, /Raw mode/);
    assert.equal(fs.readdirSync(configDir).length, 0, 'nothing saved');
  });
});

describe('the built wizard in a terminal', () => {
  test('quit on the review screen, start again, resume: the same table', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcw-resume-'));
    const first = wizardIn(dir);
    let table: string[];
    try {
      await first.waitFor('Begin: describe the cluster', 30_000);
      await first.press('Enter', 'Step 2 of 4: Cluster settings');
      await first.press('BSpace', '"" is not a whole number');
      await first.type('6');
      await first.press('Enter', 'Step 3 of 4: Review the lookup table');
      await first.press('Down', /^› {2}1\s+eth0/m);
      await first.press('Enter', 'Editing Pi 1:');
      await first.press('Tab', /› Static IP/);
      await first.press('Tab', /› Reach it now at/);
      for (const expected of ['192.168.0.10 ', '192.168.0.1 ', '192.168.0. ']) {
        await first.press(
          'BSpace',
          new RegExp(`Reach it now at\\s+${expected.replaceAll('.', '\\.')}`),
        );
      }
      await first.type('42');
      await first.press('Enter', /1\s+eth0\s+192\.168\.0\.101\s+worker1\s+192\.168\.0\.42/);
      table = tableRows(first.screen());
      assert.equal(table.length, 6, first.screen());
      first.send('C-c');
      assert.equal(await first.exitCode(), 130);
      assert.match(
        first.screen(),
        new RegExp(`Your session is saved in ${dir}/session-default\\.json`),
      );
    } finally {
      first.close();
    }
    assert.equal(fs.statSync(path.join(dir, 'session-default.json')).mode & 0o777, 0o600);

    const second = wizardIn(dir);
    try {
      await second.waitFor('Resume where you left off (Review the lookup table, 6 nodes)', 30_000);
      const screen = await second.press('Enter', 'Step 3 of 4: Review the lookup table');
      assert.deepEqual(tableRows(screen), table);
      second.send('C-c');
      assert.equal(await second.exitCode(), 130);
    } finally {
      second.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a kill or a closed terminal ends the wizard with the signal's code, the session saved", async () => {
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcw-signal-'));
      const terminal = wizardIn(dir);
      try {
        await terminal.waitFor('Begin: describe the cluster', 30_000);
        await terminal.press('Enter', 'Step 2 of 4: Cluster settings');
        process.kill(terminal.commandPid(), signal);
        assert.equal(await terminal.exitCode(), code, terminal.screen());
        assert.match(terminal.screen(), /Stopped\.\nYour session is saved in /);
      } finally {
        terminal.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  test('a corrupt session file: the welcome screen says where it went', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcw-corrupt-'));
    fs.writeFileSync(path.join(dir, 'session-default.json'), 'not json{');
    const terminal = wizardIn(dir);
    try {
      await terminal.waitFor(/It was moved to\s+.*session-default\.json\.corrupt-/, 30_000);
      await terminal.waitFor('Begin: describe the cluster');
      terminal.send('C-c');
      assert.equal(await terminal.exitCode(), 130);
      assert.ok(
        fs.readdirSync(dir).some((name) => name.startsWith('session-default.json.corrupt-')),
      );
    } finally {
      terminal.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('colours by default; none with NO_COLOR or --no-color', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcw-colour-'));
    const cyan = '\u001B[36m';
    const runs: Array<[string, string, boolean]> = [
      ['', '', true],
      ['', 'NO_COLOR=1', false],
      ['--no-color', '', false],
    ];
    try {
      for (const [args, env, coloured] of runs) {
        const terminal = wizardIn(dir, args, env);
        try {
          await terminal.waitFor('Begin: describe the cluster', 30_000);
          const screen = terminal.screen({ colours: true });
          assert.equal(screen.includes(cyan), coloured, `${args} ${env}`);
          terminal.send('C-c');
          assert.equal(await terminal.exitCode(), 130);
        } finally {
          terminal.close();
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what the package ships', () => {
  test('runs from the packed files alone, no node_modules: --version, status, the first frame', async () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(packed.status, 0, packed.stderr);
    const [listing] = JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>;
    const installed = fs.mkdtempSync(path.join(os.tmpdir(), 'pcw-packed-'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcw-packed-config-'));
    const packedCli = path.join(installed, 'dist', 'cli.js');
    try {
      for (const { path: file } of listing?.files ?? []) {
        fs.mkdirSync(path.dirname(path.join(installed, file)), { recursive: true });
        fs.copyFileSync(path.join(root, file), path.join(installed, file));
      }
      const run = (args: string[]) =>
        spawnSync(process.execPath, [packedCli, ...args], {
          encoding: 'utf8',
          env: { ...process.env, PI_CLUSTER_WIZARD_CONFIG_DIR: dir },
          timeout: 15_000,
        });
      assert.equal(run(['--version']).stdout, `${version}\n`);
      const status = run(['status', '--json']);
      assert.match(status.stdout, /"planned":false/, status.stderr);
      const terminal = wizardIn(dir, '', '', packedCli);
      try {
        await terminal.waitFor('Begin: describe the cluster', 30_000);
        terminal.send('C-c');
        assert.equal(await terminal.exitCode(), 130);
      } finally {
        terminal.close();
      }
    } finally {
      fs.rmSync(installed, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
