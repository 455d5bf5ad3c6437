// The wizard's known_hosts when a node's host keys changed with the wizard's knowledge (cloned cards
// made unique, a re-flashed card confirmed, a node removed): checked by ssh-keygen -F as ssh reads it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
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
import { rewriteHostKeys } from '../../source/transport/host-keys.js';
import { found, newKey as makeKey } from './ssh-keygen.js';

const directory = mkdtempSync(join(tmpdir(), 'pcw-rewrite-host-keys-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const newKey = (name: string) => makeKey(directory, name);

describe("rewriting the wizard's known_hosts", () => {
  test('forgets the lines naming only the node, keeps everything else, records the new key, with a backup', () => {
    const [oldKey, newOne, other] = [newKey('old'), newKey('new'), newKey('other')];
    const file = join(directory, 'known_hosts');
    const original = [
      `127.0.5.12 ${oldKey}`,
      `worker2,127.0.5.12 ${oldKey}`,
      `worker2,laptop ${other}`,
      `127.0.5.* ${other}`,
      `@revoked 127.0.5.12 ${oldKey}`,
      `127.0.5.13 ${other}`,
      '',
    ].join('\n');
    writeFileSync(file, original);
    chmodSync(file, 0o640);
    const backup = rewriteHostKeys(file, {
      forget: ['worker2', '127.0.5.12', '127.0.9.40'],
      record: { keys: [newOne], as: ['127.0.9.40', '127.0.5.12'] },
    });
    assert.ok(
      backup && readFileSync(backup, 'utf8') === original,
      'the old file is kept beside it',
    );
    const text = readFileSync(file, 'utf8');
    assert.equal(
      text,
      [
        `worker2,laptop ${other}`,
        `127.0.5.* ${other}`,
        `@revoked 127.0.5.12 ${oldKey}`,
        `127.0.5.13 ${other}`,
        `127.0.9.40 ${newOne}`,
        `127.0.5.12 ${newOne}`,
        '',
      ].join('\n'),
    );
    assert.equal(statSync(file).mode & 0o777, 0o640, 'its mode is kept');
    assert.match(
      found(file, '127.0.9.40'),
      new RegExp(newOne.split(' ')[1]!.slice(0, 20).replace(/[+/]/g, '.')),
    );
    // Twice: nothing changes, no second backup.
    const backups = readdirSync(directory).filter((name) => name.includes('.pcw-')).length;
    assert.equal(
      rewriteHostKeys(file, {
        forget: ['worker2', '127.0.5.12', '127.0.9.40'],
        record: { keys: [newOne], as: ['127.0.9.40', '127.0.5.12'] },
      }),
      undefined,
    );
    assert.equal(readdirSync(directory).filter((name) => name.includes('.pcw-')).length, backups);
  });

  test('forgets hashed entries too, and creates no file when there is nothing to forget or record', () => {
    const key = newKey('hashed');
    const file = join(directory, 'hashed_hosts');
    writeFileSync(file, `127.0.5.20 ${key}\n127.0.5.21 ${key}\n`);
    assert.equal(spawnSync('ssh-keygen', ['-H', '-f', file]).status, 0);
    rewriteHostKeys(file, { forget: ['127.0.5.20'] });
    assert.equal(found(file, '127.0.5.20'), '');
    assert.notEqual(found(file, '127.0.5.21'), '');
    const none = join(directory, 'none', 'known_hosts');
    assert.equal(rewriteHostKeys(none, { forget: ['127.0.5.20'] }), undefined);
    assert.throws(() => statSync(none));
  });
});
