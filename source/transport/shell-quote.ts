/**
 * The one quoting function: every value that reaches a local or remote shell goes through here,
 * so a hostile value (quotes, `;`, `$(…)`, backticks, newlines, spaces) arrives as data.
 */

const SAFE_WITHOUT_QUOTES = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one value so that a POSIX shell reads it back as exactly that value.
 * Quoting cannot stop a program from reading a leading `-` as an option: put `--` before operands.
 */
export function quoteShellArg(value: string): string {
  if (value.includes('\0')) {
    throw new Error('A shell argument cannot contain a NUL byte.');
  }
  if (SAFE_WITHOUT_QUOTES.test(value)) {
    return value;
  }
  // Inside single quotes nothing is special except the closing quote itself.
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Joins an argv into one command line whose words are exactly the given strings. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new Error('A command needs at least a program name.');
  }
  return argv.map(quoteShellArg).join(' ');
}
