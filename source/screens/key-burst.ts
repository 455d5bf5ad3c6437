// Ink splits its input only at escape sequences: keys that reach it in one read (a held
// Backspace, a busy Pi, a paste ending in Enter) arrive as one input such as "\u007F\u007F" or
// "5\r", which no handler recognises. This turns such a burst back into single keys.
import type { Key } from 'ink';

/** A Key with nothing pressed: the base for keys made from a burst (and for tests). */
export const plainKey: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

const hasControlCharacter = /[\u0000-\u001a\u007f]/;

function controlKey(character: string): [string, Key] | undefined {
  if (character === '\r') return ['', { ...plainKey, return: true }];
  if (character === '\t') return ['', { ...plainKey, tab: true }];
  if (character === '\u007F') return ['', { ...plainKey, delete: true }];
  if (character === '\b') return ['', { ...plainKey, backspace: true }];
  const code = character.codePointAt(0) ?? 0;
  if (code >= 1 && code <= 26)
    return [String.fromCodePoint(code + 96), { ...plainKey, ctrl: true }];
  return undefined;
}

/** The keys an input from Ink stands for: itself, or the keys of a burst in order. */
export function keysOf(input: string, key: Key): Array<[string, Key]> {
  if (input.length < 2 || !hasControlCharacter.test(input)) return [[input, key]];
  const keys: Array<[string, Key]> = [];
  let text = '';
  const flushText = () => {
    if (text !== '') keys.push([text, { ...plainKey }]);
    text = '';
  };
  for (const character of input) {
    const code = character.codePointAt(0) ?? 0;
    if (code >= 32 && code !== 127) {
      text += character;
      continue;
    }
    flushText();
    const control = controlKey(character);
    if (control) keys.push(control);
  }
  flushText();
  return keys;
}
