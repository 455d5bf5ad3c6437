import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  defaultSettings,
  newRows,
  planCluster,
  validateRows,
} from '../../source/plan/plan-cluster.js';
import {
  checkNewCard,
  withAddedRows,
  withoutNode,
  withReplacedNode,
  workerRow,
} from '../../source/session/cluster-changes.js';
import type { SavedSession } from '../../source/session/saved-session.js';

const settings = { ...defaultSettings, nodeCount: 3 };
const session: SavedSession = {
  schemaVersion: 1,
  screen: 'confirm',
  settings,
  rows: planCluster(settings),
  rowsEdited: false,
  run: {
    memory: {
      rebootPending: ['worker2'],
      masterBootIdBeforeReboot: null,
      nodes: {
        worker1: {
          publicKey: 'ssh-ed25519 AAAAw1 pi@worker1',
          hostKeys: ['ssh-ed25519 AAAAh1'],
          cores: 4,
        },
        worker2: { publicKey: 'ssh-ed25519 AAAAw2 pi@worker2', cores: 4 },
      },
      undoneAtBoot: { worker2: { bootId: 'b', reason: 'r' } },
    },
    results: { keys: { master: 'ok', worker1: 'ok', worker2: 'changed' } },
  },
};

describe('who is in the cluster', () => {
  test('new rows follow the last: next numbers, names and free addresses', () => {
    const added = newRows(session.settings, session.rows, 2);
    assert.ok(added.ok);
    assert.deepEqual(
      added.value.map((row) => [row.index, row.hostname, row.address]),
      [
        [3, 'worker3', '192.168.0.103'],
        [4, 'worker4', '192.168.0.104'],
      ],
    );
    const grown = withAddedRows(
      session,
      added.value.map((row) => ({ ...row, reachAt: '192.168.0.50' })),
    );
    assert.equal(grown.settings.nodeCount, 5);
    assert.equal(grown.rowsEdited, true);
    assert.equal(grown.run, session.run, 'what the runs learned stays');
  });

  test('after a removal a new row takes neither the removed name nor a used address', () => {
    const smaller = withoutNode(session, 'worker1');
    const added = newRows(smaller.settings, smaller.rows, 1);
    assert.ok(added.ok);
    assert.deepEqual(
      [added.value[0]!.hostname, added.value[0]!.address],
      ['worker3', '192.168.0.103'],
    );
    // A name server in the way is skipped, as is a hand-edited row's name.
    const crowded: SavedSession = {
      ...session,
      settings: { ...settings, dns: ['192.168.0.103'] },
      rows: [
        ...session.rows,
        { ...session.rows[2]!, index: 3, hostname: 'worker3', address: '192.168.0.110' },
      ],
    };
    const next = newRows(crowded.settings, crowded.rows, 1);
    assert.ok(next.ok);
    assert.deepEqual(
      [next.value[0]!.hostname, next.value[0]!.address],
      ['worker4', '192.168.0.111'],
    );
  });

  test('a full subnet or too many Pis are refused in words', () => {
    const tiny = {
      ...settings,
      subnet: '192.168.0.96/29',
      firstAddress: '192.168.0.100',
      gateway: '192.168.0.97',
      dns: ['192.168.0.97'],
    };
    const small: SavedSession = { ...session, settings: tiny, rows: planCluster(tiny) };
    assert.equal(validateRows(tiny, small.rows).length, 0);
    const full = newRows(small.settings, small.rows, 1);
    assert.ok(!full.ok);
    assert.match(full.message, /no free address left after 192\.168\.0\.102 for 1 more Pi/);
    const many = newRows(session.settings, session.rows, 300);
    assert.ok(!many.ok);
    assert.match(many.message, /at most 256 Pis: it has 3, so at most 253 more/);
  });

  test('a removed node leaves its row, its results and memory; its key is retired', () => {
    const smaller = withoutNode(session, 'worker2');
    assert.deepEqual(
      smaller.rows.map((row) => row.hostname),
      ['master', 'worker1'],
    );
    assert.equal(smaller.settings.nodeCount, 2);
    assert.deepEqual(smaller.run?.memory.rebootPending, []);
    assert.deepEqual(smaller.run?.memory.undoneAtBoot, {});
    assert.deepEqual(Object.keys(smaller.run?.memory.nodes ?? {}), ['worker1']);
    assert.deepEqual(smaller.run?.memory.retiredKeys, ['ssh-ed25519 AAAAw2 pi@worker2']);
    assert.deepEqual(smaller.run?.results, { keys: { master: 'ok', worker1: 'ok' } });
    assert.deepEqual(smaller.run?.memory.forgetHostKeys, ['worker2', '192.168.0.102']);
    assert.deepEqual(
      withoutNode(smaller, 'worker2').run?.memory.retiredKeys,
      smaller.run?.memory.retiredKeys,
      'twice: the same',
    );
  });

  test('a replaced node keeps its row and address, answers at the new card, its old key retired', () => {
    const replaced = withReplacedNode(session, 'worker1', '192.168.0.60', 'ssh-ed25519 AAAAn1');
    assert.deepEqual(replaced.rows[1], { ...session.rows[1]!, reachAt: '192.168.0.60' });
    assert.deepEqual(replaced.run?.memory.retiredKeys, ['ssh-ed25519 AAAAw1 pi@worker1']);
    assert.equal(replaced.run?.memory.nodes?.worker1, undefined);
    assert.equal(replaced.rowsEdited, false);
    assert.deepEqual(replaced.run?.memory.newCards, {
      worker1: { hostKey: 'ssh-ed25519 AAAAn1', forget: ['192.168.0.101', '192.168.0.60'] },
    });
    const again = withReplacedNode(replaced, 'worker1', '192.168.0.61', 'ssh-ed25519 AAAAn2');
    assert.deepEqual(
      again.run?.memory.newCards?.worker1,
      {
        hostKey: 'ssh-ed25519 AAAAn2',
        forget: ['192.168.0.60', '192.168.0.61', '192.168.0.101'],
      },
      'a second confirmation before the run: the last key, every address seen forgotten',
    );
  });

  test('a new card must answer SSH, must not be the old card, and must offer the pinned key', () => {
    const row = session.rows[1]!;
    const identity = {
      banner: 'SSH-2.0-OpenSSH_10.0p2 Debian-7',
      keyType: 'ssh-ed25519',
      fingerprint: 'SHA256:new',
      hostKey: 'ssh-ed25519 AAAAn1',
    };
    const nothing = checkNewCard(session, row, '192.168.0.60', {
      kind: 'nothing',
      detail: 'ECONNREFUSED',
    });
    assert.ok(!nothing.ok && !nothing.refused);
    assert.match(nothing.message, /Nothing answers SSH at 192\.168\.0\.60 \(ECONNREFUSED\)/);
    const old = checkNewCard(session, row, '192.168.0.60', {
      kind: 'ssh',
      identity: { ...identity, hostKey: 'ssh-ed25519 AAAAh1' },
    });
    assert.ok(!old.ok && old.refused);
    assert.match(old.message, /worker1's old host key .* run all --node worker1/);
    const other = checkNewCard(
      session,
      row,
      '192.168.0.60',
      { kind: 'ssh', identity },
      { pinned: 'SHA256:pinned' },
    );
    assert.ok(!other.ok && other.refused);
    assert.match(other.message, /not the SHA256:pinned given with --host-key/);
    assert.deepEqual(
      checkNewCard(
        session,
        row,
        '192.168.0.60',
        { kind: 'ssh', identity },
        { pinned: 'SHA256:new' },
      ),
      { ok: true, identity },
    );
    const moved = checkNewCard(
      session,
      row,
      '192.168.0.60',
      { kind: 'ssh', identity },
      { scanned: { ...identity, hostKey: 'ssh-ed25519 AAAAother', fingerprint: 'SHA256:other' } },
    );
    assert.ok(!moved.ok && moved.refused);
    assert.match(
      moved.message,
      /offered the host key SHA256:other to the scan and SHA256:new a moment later: two machines/,
    );
    assert.deepEqual(
      checkNewCard(session, row, '192.168.0.60', { kind: 'ssh', identity }, { scanned: identity }),
      { ok: true, identity },
    );
  });

  test('the master cannot be removed or replaced; an unknown name lists the nodes', () => {
    const master = workerRow(session, 'master', 'remove');
    assert.ok(!master.ok);
    assert.match(
      master.message,
      /master is the master: the wizard runs on it, so it cannot remove itself/,
    );
    const unknown = workerRow(session, 'worker9', 'replace');
    assert.ok(!unknown.ok);
    assert.match(
      unknown.message,
      /No node called worker9 in this cluster. The nodes are: master, worker1, worker2\./,
    );
  });
});
