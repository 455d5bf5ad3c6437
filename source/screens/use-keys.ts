import { type Key, useInput } from 'ink';
import { keysOf } from './key-burst.js';

/**
 * Ink's useInput, with a burst of keys that arrived in one read handed over one key at a time.
 * Active only while `isActive`: every active input handler hears every key.
 */
export default function useKeys(
  handler: (input: string, key: Key) => void,
  options: { isActive: boolean },
): void {
  useInput((input, key) => {
    for (const [single, singleKey] of keysOf(input, key)) handler(single, singleKey);
  }, options);
}
