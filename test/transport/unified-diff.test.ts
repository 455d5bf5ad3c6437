import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { unifiedDiff } from '../../source/transport/unified-diff.js';

const lines = (count: number, prefix = 'line') =>
  Array.from({ length: count }, (_, index) => `${prefix} ${index + 1}\n`).join('');

const cases: Array<[string, string, string]> = [
  ['one changed line', 'a\nb\nc\n', 'a\nB\nc\n'],
  ['a new file', '', 'a\nb\n'],
  ['an emptied file', 'a\nb\n', ''],
  ['an appended block', lines(10), `${lines(10)}# BEGIN x\nnew\n# END x\n`],
  [
    'two distant changes make two hunks',
    lines(30),
    lines(30).replace('line 3\n', 'three\n').replace('line 27\n', 'twenty-seven\n'),
  ],
  [
    'two close changes make one hunk',
    lines(30),
    lines(30).replace('line 3\n', 'three\n').replace('line 9\n', 'nine\n'),
  ],
  ['a missing final newline', 'a\nb', 'a\nb\n'],
  ['a removed final newline', 'a\nb\n', 'a\nc'],
  ['an insertion at the top', lines(8), `new\n${lines(8)}`],
  ['a deletion in the middle', lines(12), lines(12).replace('line 6\n', '')],
];

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    assert.equal(unifiedDiff('a\n', 'a\n'), '');
  });

  it('labels the two sides', () => {
    const diff = unifiedDiff('a\n', 'b\n', { oldLabel: '/etc/hosts', newLabel: '/etc/hosts' });
    assert.equal(diff, '--- /etc/hosts\n+++ /etc/hosts\n@@ -1 +1 @@\n-a\n+b\n');
  });

  const directory = mkdtempSync(join(tmpdir(), 'pcw-diff-'));
  for (const [name, before, after] of cases) {
    it(`matches diff -u for ${name}`, () => {
      const oldPath = join(directory, 'old');
      const newPath = join(directory, 'new');
      writeFileSync(oldPath, before);
      writeFileSync(newPath, after);
      const real = spawnSync('diff', ['-u', oldPath, newPath], { encoding: 'utf8' });
      const expected = real.stdout.split('\n').slice(2).join('\n');
      const ours = unifiedDiff(before, after).split('\n').slice(2).join('\n');
      assert.equal(ours, expected);
    });
  }
  it('cleans up', () => rmSync(directory, { recursive: true, force: true }));
});
