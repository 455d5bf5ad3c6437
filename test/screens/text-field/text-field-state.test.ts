import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Key } from 'ink';
import { plainKey } from '../../../source/screens/key-burst.js';
import {
  editText,
  type TextEdit,
  type TextFieldState,
  textEditFor,
} from '../../../source/screens/text-field/text-field-state.js';

const noKey = plainKey;

describe('editText', () => {
  test('edits at the cursor', () => {
    const cases: Array<[TextFieldState, TextEdit, TextFieldState]> = [
      [
        { value: '', cursor: 0 },
        { type: 'insert', text: '5' },
        { value: '5', cursor: 1 },
      ],
      [
        { value: '10', cursor: 1 },
        { type: 'insert', text: '.0' },
        { value: '1.00', cursor: 3 },
      ],
      [{ value: 'abc', cursor: 3 }, { type: 'delete-back' }, { value: 'ab', cursor: 2 }],
      [{ value: 'abc', cursor: 1 }, { type: 'delete-back' }, { value: 'bc', cursor: 0 }],
      [{ value: 'abc', cursor: 0 }, { type: 'delete-back' }, { value: 'abc', cursor: 0 }],
      [{ value: 'abc', cursor: 0 }, { type: 'cursor-left' }, { value: 'abc', cursor: 0 }],
      [{ value: 'abc', cursor: 3 }, { type: 'cursor-right' }, { value: 'abc', cursor: 3 }],
      [{ value: 'abc', cursor: 2 }, { type: 'cursor-start' }, { value: 'abc', cursor: 0 }],
      [{ value: 'abc', cursor: 0 }, { type: 'cursor-end' }, { value: 'abc', cursor: 3 }],
      [
        { value: 'abc', cursor: 9 },
        { type: 'insert', text: 'd' },
        { value: 'abcd', cursor: 4 },
      ],
    ];
    for (const [state, edit, expected] of cases) {
      assert.deepEqual(editText(state, edit), expected, `${JSON.stringify(state)} ${edit.type}`);
    }
  });
});

describe('textEditFor', () => {
  test('keys to edits; navigation keys are left to the screen', () => {
    const cases: Array<[string, Partial<Key>, TextEdit | undefined]> = [
      ['7', {}, { type: 'insert', text: '7' }],
      ['1.2', {}, { type: 'insert', text: '1.2' }],
      ['a\tb\r', {}, { type: 'insert', text: 'ab' }],
      ['', { backspace: true }, { type: 'delete-back' }],
      ['', { delete: true }, { type: 'delete-back' }],
      ['', { leftArrow: true }, { type: 'cursor-left' }],
      ['', { rightArrow: true }, { type: 'cursor-right' }],
      ['', { home: true }, { type: 'cursor-start' }],
      ['', { end: true }, { type: 'cursor-end' }],
      ['', { tab: true }, undefined],
      ['', { return: true }, undefined],
      ['', { upArrow: true }, undefined],
      ['c', { ctrl: true }, undefined],
      ['', { escape: true, meta: true }, undefined],
      ['\u0007', {}, undefined],
    ];
    for (const [input, key, expected] of cases) {
      assert.deepEqual(
        textEditFor(input, { ...noKey, ...key }),
        expected,
        JSON.stringify([input, key]),
      );
    }
  });
});
