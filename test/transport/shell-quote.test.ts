import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { quoteShellArg, shellCommand } from '../../source/transport/shell-quote.js';
import { HOSTILE_VALUES } from './hostile-values.js';

describe('quoteShellArg', () => {
  const table: Array<[string, string]> = [
    ['plain', 'plain'],
    ['/etc/hosts', '/etc/hosts'],
    ['192.168.1.10/24', '192.168.1.10/24'],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$(id)', "'$(id)'"],
    ['`id`', "'`id`'"],
    ['a;b', "'a;b'"],
    ['~', "'~'"],
    ['*', "'*'"],
    ['a\nb', "'a\nb'"],
  ];
  for (const [value, expected] of table) {
    it(`quotes ${JSON.stringify(value)} as ${expected}`, () => {
      assert.equal(quoteShellArg(value), expected);
    });
  }

  it('refuses a NUL byte, which no argument can carry', () => {
    assert.throws(() => quoteShellArg('a\0b'), /NUL/);
  });

  it('refuses an empty argv', () => {
    assert.throws(() => shellCommand([]), /program/);
  });

  for (const shell of ['sh', 'bash']) {
    it(`every hostile value reaches ${shell} as exactly one argument, unchanged`, () => {
      const line = shellCommand(['printf', '%s\\0', ...HOSTILE_VALUES]);
      const result = spawnSync(shell, ['-c', line], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      // After the format every argument is an operand, so leading dashes come back as text too.
      assert.deepEqual(result.stdout.split('\0').slice(0, -1), HOSTILE_VALUES);
    });
  }
});
