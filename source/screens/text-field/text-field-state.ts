// Editing one line of text as a pure reducer. The screens keep their fields' text in their own
// reducers and send edits, so a key that arrives before React has re-subscribed the input handler
// (a busy Pi, a fast typist) still applies to the latest text instead of overwriting it.
import type { Key } from 'ink';

export interface TextFieldState {
  value: string;
  /** Position of the cursor: 0 is before the first character, value.length after the last. */
  cursor: number;
}

export type TextEdit =
  | { type: 'insert'; text: string }
  | { type: 'delete-back' }
  | { type: 'cursor-left' }
  | { type: 'cursor-right' }
  | { type: 'cursor-start' }
  | { type: 'cursor-end' };

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);

export function editText(state: TextFieldState, edit: TextEdit): TextFieldState {
  const cursor = clamp(state.cursor, 0, state.value.length);
  switch (edit.type) {
    case 'insert':
      return {
        value: state.value.slice(0, cursor) + edit.text + state.value.slice(cursor),
        cursor: cursor + edit.text.length,
      };
    case 'delete-back':
      if (cursor === 0) return { value: state.value, cursor };
      return {
        value: state.value.slice(0, cursor - 1) + state.value.slice(cursor),
        cursor: cursor - 1,
      };
    case 'cursor-left':
      return { value: state.value, cursor: clamp(cursor - 1, 0, state.value.length) };
    case 'cursor-right':
      return { value: state.value, cursor: clamp(cursor + 1, 0, state.value.length) };
    case 'cursor-start':
      return { value: state.value, cursor: 0 };
    case 'cursor-end':
      return { value: state.value, cursor: state.value.length };
  }
}

/**
 * The edit a key stands for, or undefined for keys a text field does not handle (Tab, Enter,
 * arrows up and down, Esc, Ctrl combinations). Control characters never become text: Ink hands
 * a burst of keys (a paste) over as one input.
 */
export function textEditFor(input: string, key: Key): TextEdit | undefined {
  if (key.backspace || key.delete) return { type: 'delete-back' };
  if (key.leftArrow) return { type: 'cursor-left' };
  if (key.rightArrow) return { type: 'cursor-right' };
  if (key.home) return { type: 'cursor-start' };
  if (key.end) return { type: 'cursor-end' };
  if (key.ctrl || key.meta || key.tab || key.return || key.upArrow || key.downArrow) {
    return undefined;
  }
  const text = input.replace(/[\u0000-\u001f\u007f]/g, '');
  return text === '' ? undefined : { type: 'insert', text };
}
