// The command line: flags to options, or the text and exit code to end with. No Ink here, so
// colour can be switched off before anything that draws is imported.
import meow from 'meow';
import { sessionNameProblem } from '../session/session-file.js';

export const exitCodes = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

export interface WizardOptions {
  sessionName: string;
  fresh: boolean;
  dryRun: boolean;
  color: boolean;
}

export type CommandLine =
  | { kind: 'run'; options: WizardOptions }
  | { kind: 'exit'; exitCode: number; stdout?: string; stderr?: string };

export const helpText = `
  Usage
    $ pi-cluster-wizard [options]

  Run it in a terminal on the Raspberry Pi that will be the master (e.g. after ssh pi@<master>).
  It walks through the guide's network lookup table: how many Pis, their static addresses and
  hostnames, and where each one answers now.

  Options
    --session NAME  Keep a separate saved session, e.g. one per cluster (letters, digits, - and _)
    --fresh         Do not offer the saved session; it is replaced once you go past the welcome screen
    --dry-run       Only plan; change nothing on any Pi
    --no-color      No colours (so does the NO_COLOR environment variable)
    --help          Show this help
    --version       Show the version

  Exit codes
    0 done, 1 stopped without doing what was asked, 2 usage error or no terminal, 130 interrupted

  The session is saved in $PI_CLUSTER_WIZARD_CONFIG_DIR or ~/.config/pi-cluster-wizard/,
  one file per --session name, readable only by you. Passwords are never saved.
`;

const knownFlags = new Set([
  '--help',
  '-h',
  '--version',
  '--session',
  '--fresh',
  '--dry-run',
  '--no-color',
  '--color',
]);

const usage = (message: string): CommandLine => ({
  kind: 'exit',
  exitCode: exitCodes.usage,
  stderr: `${message}\nRun pi-cluster-wizard --help to see the options.\n`,
});

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const endOfFlags = argv.indexOf('--');
  const flagArguments = endOfFlags === -1 ? argv : argv.slice(0, endOfFlags);
  const unknown = flagArguments.filter(
    (argument, position) =>
      argument.startsWith('-') &&
      !knownFlags.has(argument.split('=')[0] ?? argument) &&
      flagArguments[position - 1] !== '--session',
  );
  if (unknown.length > 0) {
    return usage(`Unknown option${unknown.length > 1 ? 's' : ''}: ${unknown.join(' ')}`);
  }

  const cli = meow(helpText, {
    importMeta: import.meta,
    argv: [...argv],
    autoHelp: false,
    autoVersion: false,
    allowUnknownFlags: true,
    flags: {
      help: { type: 'boolean', shortFlag: 'h', default: false },
      version: { type: 'boolean', default: false },
      session: { type: 'string', isMultiple: false },
      fresh: { type: 'boolean', default: false },
      dryRun: { type: 'boolean', default: false },
      color: { type: 'boolean', default: true },
    },
  });
  if (cli.flags.help) return { kind: 'exit', exitCode: exitCodes.ok, stdout: `${cli.help}\n` };
  if (cli.flags.version) {
    return { kind: 'exit', exitCode: exitCodes.ok, stdout: `${cli.pkg.version ?? 'unknown'}\n` };
  }
  if (cli.input.length > 0) {
    return usage(
      `pi-cluster-wizard takes no arguments, only options (got: ${cli.input.join(' ')})`,
    );
  }
  const sessionName = cli.flags.session ?? 'default';
  if (sessionName === '') return usage('--session needs a name, e.g. --session lab-2');
  const nameProblem = sessionNameProblem(sessionName);
  if (nameProblem) return usage(nameProblem);
  return {
    kind: 'run',
    options: {
      sessionName,
      fresh: cli.flags.fresh,
      dryRun: cli.flags.dryRun,
      color: cli.flags.color && !env.NO_COLOR,
    },
  };
}

/** Without a terminal Ink cannot read keys: say what to do instead. */
export const noTerminalMessage = `pi-cluster-wizard asks its questions in a terminal, and this is not one (stdin or stdout is not a TTY).
Run it in a terminal on the Pi that will be the master, e.g. after ssh pi@<master>: npx pi-cluster-wizard
(A non-interactive mode is not available in this version.)
`;
