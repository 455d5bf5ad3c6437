/**
 * Ink delivers keys that arrive in one burst (a paste, tmux send-keys) as one input, and
 * ink-text-input then inserts Tab, Enter or Backspace bytes as text: keep them out of the fields.
 */
export function withoutControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, '');
}
