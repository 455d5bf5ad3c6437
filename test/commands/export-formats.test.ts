// The formats of `pi-cluster-wizard export`, each read back by the tool it is for: Ansible's own
// inventory parser, MPICH's mpiexec, OpenSSH's config parser (ssh -G).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ansibleGroups,
  exportText,
  processorsUnknown,
} from '../../source/commands/export-formats.js';
import { defaultSettings, type NodeRow, planCluster } from '../../source/plan/plan-cluster.js';
import { machinefile } from '../../source/steps/cluster-files.js';
import { clusterHostsBlock } from '../../source/steps/hosts-file.js';

const directory = mkdtempSync(join(tmpdir(), 'pcw-export-formats-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const rows = planCluster({ ...defaultSettings, nodeCount: 3 });
const known = { master: { cores: 4 }, worker1: { cores: 2, publicKey: 'ssh-ed25519 AAAA pi@w1' } };

/** The text in a file of the temporary directory; its path. */
function file(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

function run(argv: string[]) {
  const [program, ...args] = argv;
  const result = spawnSync(program!, args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.error, undefined, `${argv.join(' ')}: ${result.error}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  all: { children: string[] };
  [group: string]: unknown;
}

/** What Ansible itself reads from the inventory (ansible-inventory --list), and its warnings. */
function ansibleReads(text: string, name: string): { list: AnsibleList; stderr: string } {
  const result = run(['ansible-inventory', '-i', file(name, text), '--list']);
  assert.equal(result.code, 0, result.stderr);
  return { list: JSON.parse(result.stdout) as AnsibleList, stderr: result.stderr };
}

describe('export ansible', () => {
  test('ansible-inventory reads both groups, every host by name, its address and user', () => {
    const text = exportText('ansible', { rows, user: 'clusteruser', known });
    const { list, stderr } = ansibleReads(text, 'inventory.yml');
    assert.deepEqual(list.all.children.sort(), ['masters', 'ungrouped', 'workers']);
    assert.deepEqual(list[ansibleGroups.master], { hosts: ['master'] });
    assert.deepEqual(list[ansibleGroups.workers], { hosts: ['worker1', 'worker2'] });
    assert.deepEqual(list._meta.hostvars, {
      master: { ansible_host: '192.168.0.100', ansible_user: 'clusteruser' },
      worker1: { ansible_host: '192.168.0.101', ansible_user: 'clusteruser' },
      worker2: { ansible_host: '192.168.0.102', ansible_user: 'clusteruser' },
    });
    // No group is named like a host: Ansible would warn at every command.
    assert.doesNotMatch(stderr, /WARNING/, stderr);
  });

  test('hostnames and a user YAML would read as booleans, numbers or dates stay strings', () => {
    const odd: NodeRow[] = ['yes', 'null', '1e3', '2024-01-02', 'off'].map((hostname, index) => ({
      index,
      interfaceName: 'eth0',
      address: `10.0.0.${index + 10}`,
      hostname,
      reachAt: `10.0.0.${index + 10}`,
    }));
    const { list } = ansibleReads(exportText('ansible', { rows: odd, user: 'no' }), 'odd.yml');
    assert.deepEqual(Object.keys(list._meta.hostvars).sort(), [
      '1e3',
      '2024-01-02',
      'null',
      'off',
      'yes',
    ]);
    assert.deepEqual(list._meta.hostvars.yes, { ansible_host: '10.0.0.10', ansible_user: 'no' });
    assert.deepEqual(list[ansibleGroups.master], { hosts: ['yes'] });
  });

  test('a cluster of one: the workers group is there, empty', () => {
    const { list } = ansibleReads(
      exportText('ansible', { rows: rows.slice(0, 1), user: 'pi' }),
      'one.yml',
    );
    assert.deepEqual(list[ansibleGroups.master], { hosts: ['master'] });
    assert.ok(list.all.children.includes('workers'), JSON.stringify(list));
    assert.deepEqual(Object.keys(list._meta.hostvars), ['master']);
  });
});

describe('export hosts', () => {
  test("is the hosts step's block, the lines between the markers in /etc/hosts", () => {
    const text = exportText('hosts', { rows, user: 'pi' });
    assert.equal(text, `${clusterHostsBlock(rows)}\n`);
    assert.equal(
      text,
      '# pi-cluster network\n192.168.0.100\tmaster\n192.168.0.101\tworker1\n192.168.0.102\tworker2\n',
    );
  });
});

describe('export mpi', () => {
  test("each node's processors as MPICH's host:N; unknown ones bare, and named", () => {
    assert.equal(exportText('mpi', { rows, user: 'pi', known }), 'master:4\nworker1:2\nworker2\n');
    assert.deepEqual(processorsUnknown({ rows, user: 'pi', known }), ['worker2']);
    // Nothing learned yet: the guide's machinefile, as the mpi step writes it.
    assert.equal(exportText('mpi', { rows, user: 'pi' }), machinefile(rows));
    assert.deepEqual(processorsUnknown({ rows, user: 'pi' }), ['master', 'worker1', 'worker2']);
    assert.deepEqual(
      processorsUnknown({
        rows,
        user: 'pi',
        known: { master: { cores: 1 }, worker1: { cores: 1 }, worker2: { cores: 8 } },
      }),
      [],
    );
  });

  test("MPICH's mpiexec -f reads it and starts N processes on a host of N processors", () => {
    const local: NodeRow[] = [
      { index: 0, interfaceName: 'eth0', address: '127.0.0.1', hostname: 'localhost', reachAt: '' },
    ];
    const text = exportText('mpi', { rows: local, user: 'pi', known: { localhost: { cores: 3 } } });
    assert.equal(text, 'localhost:3\n');
    const result = run(['mpiexec', '-f', file('machinefile', text), '-n', '3', 'echo', 'started']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['started', 'started', 'started']);
  });
});

describe('export ssh-config', () => {
  test('ssh reads every node: its address, the login user and the key of the keys step', () => {
    const path = file('ssh-config', exportText('ssh-config', { rows, user: 'clusteruser' }));
    for (const row of rows) {
      const result = run(['ssh', '-G', '-F', path, row.hostname]);
      assert.equal(result.code, 0, result.stderr);
      const settings = new Map(
        result.stdout.split('\n').map((line) => {
          const [key = '', ...value] = line.split(' ');
          return [key, value.join(' ')];
        }),
      );
      assert.equal(settings.get('hostname'), row.address, row.hostname);
      assert.equal(settings.get('user'), 'clusteruser', row.hostname);
      assert.match(settings.get('identityfile') ?? '', /\/\.ssh\/id_ed25519$/, row.hostname);
    }
  });
});
