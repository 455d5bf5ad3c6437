// What a --session NAME may be. Apart from session-file.ts, so that parsing the command line
// (and --help) does not load conf.
const sessionNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Why a --session NAME cannot be used, or undefined when it can. */
export function sessionNameProblem(name: string): string | undefined {
  if (sessionNamePattern.test(name)) return undefined;
  return `--session ${JSON.stringify(name)} is not a usable name: use letters, digits, - and _ (starting with a letter or digit, at most 64 characters), e.g. --session lab-2`;
}
