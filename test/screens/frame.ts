// Waiting for what the screen shows instead of sleeping: keys written before a component's input
// handler subscribes are lost, and an Esc written right before another key merges with it.
import { stripVTControlCharacters } from 'node:util';

export const keys = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  home: '\u001B[H',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  shiftTab: '\u001B[Z',
  backspace: '\u007F',
  pageDown: '\u001B[6~',
  end: '\u001B[F',
  ctrlC: '\u0003',
} as const;

interface Rendered {
  lastFrame: () => string | undefined;
  stdin: { write: (data: string) => void };
}

export const frameOf = (instance: Rendered) => stripVTControlCharacters(instance.lastFrame() ?? '');

type Expectation = string | RegExp | ((frame: string) => boolean);

const matches = (frame: string, expected: Expectation) =>
  typeof expected === 'string'
    ? frame.includes(expected)
    : expected instanceof RegExp
      ? expected.test(frame)
      : expected(frame);

/** Polls the last frame until it shows what is expected; fails with the frame after a few seconds. */
export async function waitForFrame(
  instance: Rendered,
  expected: Expectation,
  timeoutMs = 4000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = frameOf(instance);
    if (matches(frame, expected)) {
      // A new screen's input handler subscribes in an effect after its first frame: let it run.
      await new Promise((resolve) => setImmediate(resolve));
      return frame;
    }
    if (Date.now() > deadline) {
      throw new Error(`the frame never showed ${String(expected)}; last frame:\n${frame}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Writes one key (or text), then waits until the frame shows the expected content. */
export async function press(
  instance: Rendered,
  input: string,
  expected: Expectation,
): Promise<string> {
  instance.stdin.write(input);
  return waitForFrame(instance, expected);
}

/**
 * Types text one character at a time, each written only after the previous one shows (so a
 * space at the end of a value, which shows nothing, is not something to type with this).
 */
export async function typeText(instance: Rendered, text: string): Promise<string> {
  let frame = frameOf(instance);
  for (const character of text) {
    const before = frame;
    instance.stdin.write(character);
    frame = await waitForFrame(instance, (current) => current !== before);
  }
  return frame;
}

/** Backspace until the frame stops changing n times over. */
export async function erase(instance: Rendered, count: number): Promise<string> {
  let frame = frameOf(instance);
  for (let i = 0; i < count; i++) {
    const before = frame;
    instance.stdin.write(keys.backspace);
    frame = await waitForFrame(instance, (current) => current !== before);
  }
  return frame;
}
