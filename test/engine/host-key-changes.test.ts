// What remove and replace leave for the wizard's known_hosts, done by the next run before it
// connects; checked with ssh-keygen -F, as ssh reads the file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { applyHostKeyChanges } from '../../source/engine/host-key-changes.js';
import type { SetupMemory } from '../../source/engine/run-setup.js';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import { found, newKey as makeKey } from '../transport/ssh-keygen.js';

const directory = mkdtempSync(join(tmpdir(), 'pcw-host-key-changes-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const newKey = (name: string) => makeKey(directory, name);

const rows = planCluster({ ...defaultSettings, nodeCount: 3 }).map((row) =>
  row.hostname === 'worker2' ? { ...row, reachAt: '192.168.0.60' } : row,
);
const base: SetupMemory = { rebootPending: [], masterBootIdBeforeReboot: null };

describe("the next run's known_hosts changes", () => {
  test("a replaced card's old keys go everywhere it was known, its new key is trusted at its addresses; a removed node is forgotten", () => {
    const [oldKey, newOne, gone, master] = ['old', 'new', 'gone', 'master'].map(newKey);
    const file = join(directory, 'known_hosts');
    writeFileSync(
      file,
      [
        `192.168.0.102 ${oldKey}`,
        `worker2,192.168.0.23 ${oldKey}`,
        `192.168.0.103 ${gone}`,
        `192.168.0.100 ${master}`,
        '',
      ].join('\n'),
    );
    const memory: SetupMemory = {
      ...base,
      forgetHostKeys: ['worker3', '192.168.0.103', '192.168.0.102'],
      newCards: { worker2: { hostKey: newOne!, forget: ['192.168.0.23', '192.168.0.60'] } },
    };
    const done = applyHostKeyChanges(memory, rows, file);
    assert.deepEqual(done.warnings, []);
    assert.deepEqual(done.memory, base, 'nothing left for the next run');
    assert.equal(found(file, '192.168.0.23'), '', "the old card's DHCP address is forgotten");
    assert.equal(found(file, 'worker2'), '');
    assert.equal(found(file, '192.168.0.103'), '', 'the removed node is forgotten');
    for (const address of ['192.168.0.60', '192.168.0.102']) {
      assert.match(found(file, address), new RegExp(newOne!.split(' ')[1]!.replaceAll('+', '\\+')));
      assert.doesNotMatch(
        found(file, address),
        new RegExp(oldKey!.split(' ')[1]!.replaceAll('+', '\\+')),
      );
    }
    assert.match(found(file, '192.168.0.100'), /ssh-ed25519/, 'the master stays');
    const text = readFileSync(file, 'utf8');
    assert.deepEqual(applyHostKeyChanges(memory, rows, file), done, 'twice: the same');
    assert.equal(readFileSync(file, 'utf8'), text, 'and the file is not written again');
  });

  test('a file that cannot be written is a warning in words, and the change waits for the next run', () => {
    const blocker = join(directory, 'not-a-directory');
    writeFileSync(blocker, '');
    const file = join(blocker, 'known_hosts');
    const memory: SetupMemory = {
      ...base,
      forgetHostKeys: ['192.168.0.103'],
      newCards: { worker2: { hostKey: newKey('newer')!, forget: [] } },
    };
    const done = applyHostKeyChanges(memory, rows, file);
    assert.equal(done.warnings.length, 2);
    assert.match(
      done.warnings[0]!,
      /removed from the cluster \(192\.168\.0\.103\) could not be forgotten in .*not-a-directory\/known_hosts: ENOTDIR.*the next run tries again.*refused as "changed"/,
    );
    assert.match(done.warnings[1]!, /worker2's new card could not be trusted in .*ENOTDIR/);
    assert.deepEqual(done.memory, memory, 'both wait for the next run');
  });
});
