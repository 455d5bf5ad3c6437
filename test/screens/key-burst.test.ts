import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Key } from 'ink';
import { keysOf, plainKey } from '../../source/screens/key-burst.js';

const none = plainKey;

/** A key as "name" or "text:…" so the table stays readable. */
function describeKey([input, key]: [string, Key]): string {
  if (key.return) return 'Enter';
  if (key.tab) return 'Tab';
  if (key.delete || key.backspace) return 'Backspace';
  if (key.ctrl) return `Ctrl+${input}`;
  return `text:${input}`;
}

describe('keysOf', () => {
  test('a single key or plain text stays as Ink gave it', () => {
    const up = { ...none, upArrow: true };
    assert.deepEqual(keysOf('', up), [['', up]]);
    assert.deepEqual(keysOf('10.0.0.1', none), [['10.0.0.1', none]]);
    assert.deepEqual(keysOf('c', { ...none, ctrl: true }), [['c', { ...none, ctrl: true }]]);
  });

  test('a burst becomes its keys in order, text runs kept together', () => {
    const cases: Array<[string, string[]]> = [
      ['\u007F\u007F', ['Backspace', 'Backspace']],
      ['5\r', ['text:5', 'Enter']],
      ['\u007F12\t', ['Backspace', 'text:12', 'Tab']],
      ['ab\u0003', ['text:ab', 'Ctrl+c']],
      ['\b\r\r', ['Backspace', 'Enter', 'Enter']],
      ['x\u0000y', ['text:x', 'text:y']],
    ];
    for (const [input, expected] of cases) {
      assert.deepEqual(keysOf(input, none).map(describeKey), expected, JSON.stringify(input));
    }
  });
});
