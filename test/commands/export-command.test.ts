// `pi-cluster-wizard export …` as a person runs it (the built CLI), from a saved session in a
// config directory of its own: what it prints, what it refuses, and how --output replaces a file
// (atomically, a backup beside it, mode and owner kept, nothing written when nothing changed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import { type SavedSession, sessionSchemaVersion } from '../../source/session/saved-session.js';
import { openSessionFile } from '../../source/session/session-file.js';
import { clusterHostsBlock } from '../../source/steps/hosts-file.js';
import { cli } from '../e2e/drive.js';

const configDir = mkdtempSync(join(tmpdir(), 'pcw-export-config-'));
const work = mkdtempSync(join(tmpdir(), 'pcw-export-out-'));
after(() => {
  rmSync(configDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const settings = { ...defaultSettings, nodeCount: 3, user: 'clusteruser' };
const rows = planCluster(settings);

/** Saves a planned session named `name`, with what preflight learned of each node's processors. */
function saveSession(name: string, cores: Record<string, number>, changed = rows) {
  const session: SavedSession = {
    schemaVersion: sessionSchemaVersion,
    screen: 'confirm',
    settings,
    rows: changed,
    rowsEdited: changed !== rows,
    run: {
      memory: {
        rebootPending: [],
        masterBootIdBeforeReboot: null,
        nodes: Object.fromEntries(Object.entries(cores).map(([node, n]) => [node, { cores: n }])),
      },
      results: {},
    },
  };
  assert.equal(openSessionFile({ sessionName: name, configDir }).save(session), undefined);
}

function exportCli(args: string[]) {
  const result = spawnSync('node', [cli, 'export', ...args], {
    encoding: 'utf8',
    cwd: work,
    env: { ...process.env, PI_CLUSTER_WIZARD_CONFIG_DIR: configDir, NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);
const backups = (name: string) =>
  readdirSync(work).filter((each) => each.startsWith(`${name}.pcw-`));

saveSession('default', { master: 4, worker1: 2, worker2: 2 });

describe('export prints the saved cluster', () => {
  test('every kind on standard output, nothing on standard error, exit 0', () => {
    const hosts = exportCli(['hosts']);
    assert.equal(hosts.code, 0, hosts.stderr);
    assert.equal(hosts.stdout, `${clusterHostsBlock(rows)}\n`);
    assert.equal(hosts.stderr, '');
    const mpi = exportCli(['mpi']);
    assert.equal(mpi.stdout, 'master:4\nworker1:2\nworker2:2\n');
    assert.equal(mpi.stderr, '', 'every processor count known: nothing to say');
    const ansible = exportCli(['ansible']);
    assert.match(
      ansible.stdout,
      /^ {4}masters:\n {6}hosts:\n {8}"master":\n {10}ansible_host: "192\.168\.0\.100"\n {10}ansible_user: "clusteruser"$/m,
    );
    const ssh = exportCli(['ssh-config']);
    assert.match(
      ssh.stdout,
      /^Host worker2\n {4}HostName 192\.168\.0\.102\n {4}User clusteruser\n {4}IdentityFile ~\/\.ssh\/id_ed25519$/m,
    );
    assert.equal(existsSync(join(configDir, 'session-default.json')), true, 'the session stays');
  });

  test('mpi: nodes whose processors no preflight recorded are bare, named on stderr', () => {
    saveSession('half-known', { worker1: 2 });
    const result = exportCli(['mpi', '--session', 'half-known']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'master\nworker1:2\nworker2\n');
    assert.match(result.stderr, /processors of master, worker2 is not known yet/);
    assert.match(result.stderr, /pi-cluster-wizard run preflight --session half-known/);
  });
});

describe('export refuses in words, exit 2, writing nothing', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no kind', [], /export needs what to export: ansible, hosts, mpi or ssh-config/],
    ['an unknown kind', ['yaml'], /Unknown export: yaml\. It can be ansible, hosts, mpi or/],
    ['extra arguments', ['hosts', 'mpi'], /nothing more \(got also: mpi\)/],
    [
      'no cluster planned',
      ['hosts', '--session', 'empty'],
      /No cluster is planned in .*session-empty\.json, so there is nothing to export\. Plan one first: .*pi-cluster-wizard --session empty.*run all --session empty --nodes N --subnet CIDR/,
    ],
    [
      'a directory that does not exist',
      ['hosts', '--output', 'missing/hosts'],
      /--output .*\/missing\/hosts: the directory .*\/missing does not exist/,
    ],
    ['a directory as the file', ['hosts', '--output', '.'], /--output .* is a directory/],
  ];
  for (const [name, args, message] of cases) {
    test(name, () => {
      const before = readdirSync(work).sort();
      const result = exportCli(args);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
      assert.deepEqual(readdirSync(work).sort(), before, 'nothing written');
    });
  }
});

describe('export --output FILE', () => {
  test('a new file: the export, mode 644 (600 for ssh-config), no backup', () => {
    const result = exportCli(['ansible', '--output', 'inventory.yml']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '', 'the export went to the file');
    assert.match(result.stderr, /^Wrote .*\/inventory\.yml\.\n$/);
    assert.equal(readFileSync(join(work, 'inventory.yml'), 'utf8'), exportCli(['ansible']).stdout);
    assert.equal(mode(join(work, 'inventory.yml')), '644');
    assert.deepEqual(backups('inventory.yml'), []);

    assert.equal(exportCli(['ssh-config', '--output', `${work}/cluster.conf`]).code, 0);
    assert.equal(mode(join(work, 'cluster.conf')), '600');
    // ~/ as the shell would expand it (the value of --output=~/… reaches the wizard as typed).
    mkdirSync(join(work, 'home'));
    const home = spawnSync('node', [cli, 'export', 'hosts', '--output=~/hosts'], {
      encoding: 'utf8',
      env: { ...process.env, HOME: join(work, 'home'), PI_CLUSTER_WIZARD_CONFIG_DIR: configDir },
    });
    assert.equal(home.status, 0, home.stderr);
    assert.equal(readFileSync(join(work, 'home', 'hosts'), 'utf8'), `${clusterHostsBlock(rows)}\n`);
  });

  test('the same export again changes nothing: no write, no backup', () => {
    const path = join(work, 'machinefile');
    assert.equal(exportCli(['mpi', '--output', path]).code, 0);
    const before = statSync(path);
    const again = exportCli(['mpi', '--output', path]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /machinefile already holds this export: nothing written/);
    const now = statSync(path);
    assert.equal(now.ino, before.ino, 'the same file, not a new one');
    assert.equal(now.mtimeMs, before.mtimeMs, 'not written');
    assert.deepEqual(backups('machinefile'), []);
  });

  test('a changed export replaces the file atomically, keeping its mode and owner and a backup', () => {
    const path = join(work, 'hosts-fragment');
    writeFileSync(path, 'my own lines\n', { mode: 0o640 });
    const owner = process.getuid?.() === 0 ? 65534 : undefined;
    if (owner !== undefined) chownSync(path, owner, owner);
    const before = statSync(path);
    const result = exportCli(['hosts', '--output', path]);
    assert.equal(result.code, 0, result.stderr);
    const [backup, ...more] = backups('hosts-fragment');
    assert.deepEqual(more, []);
    // The stamp of the steps' backups: UTC, to the second.
    assert.match(backup ?? '', /^hosts-fragment\.pcw-\d{8}T\d{6}\.bak$/);
    assert.match(result.stderr, new RegExp(`previous version is kept in .*/${backup}\\.`));
    assert.equal(readFileSync(join(work, backup!), 'utf8'), 'my own lines\n');
    assert.equal(readFileSync(path, 'utf8'), `${clusterHostsBlock(rows)}\n`);
    const now = statSync(path);
    assert.notEqual(
      now.ino,
      before.ino,
      'a new file renamed into place, not the old one rewritten',
    );
    assert.equal(mode(path), '640');
    assert.equal(now.uid, before.uid);
    assert.equal(now.gid, before.gid);
    assert.deepEqual(
      readdirSync(work).filter((each) => each.includes('.pcw-tmp')),
      [],
      'no temporary file left',
    );

    // A session whose table changed (a worker renamed): the file follows, one more backup.
    saveSession('default', { master: 4, worker1: 2, worker2: 2 }, [
      ...rows.slice(0, 2),
      { ...rows[2]!, hostname: 'gpu1' },
    ]);
    const renamed = exportCli(['hosts', '--output', path]);
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.match(readFileSync(path, 'utf8'), /192\.168\.0\.102\tgpu1\n$/);
    assert.equal(backups('hosts-fragment').length, 2);
    saveSession('default', { master: 4, worker1: 2, worker2: 2 });
  });
});
