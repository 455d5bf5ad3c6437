/** Values that break naive shell code; every path through the transport must carry them as data. */
export const HOSTILE_VALUES = [
  '',
  ' ',
  'two words',
  "it's",
  `"double"`,
  'a;b',
  'a; touch /tmp/pcw-pwned',
  '$(touch /tmp/pcw-pwned)',
  '`touch /tmp/pcw-pwned`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} is the hostile value here.
  '${HOME}',
  '$HOME',
  'line one\nline two',
  '\n',
  '-n',
  '--help',
  '-rf *',
  'back\\slash',
  "'",
  "''",
  'tab\there',
  '*',
  '~',
  '!bang',
  'a|b&c>d<e',
  'ünïcødé ✓',
];

/** The ones that can be a file name (no `/`, not empty, not `.` or `..`). */
export const HOSTILE_FILE_NAMES = HOSTILE_VALUES.filter(
  (value) => value !== '' && !value.includes('/'),
);
