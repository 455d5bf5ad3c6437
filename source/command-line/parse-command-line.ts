// The command line: flags to options, or the text and exit code to end with. No Ink here, so
// colour can be switched off before anything that draws is imported.
import meow from 'meow';
import { sessionNameProblem } from '../session/session-file.js';
import { isStepId, type StepId, stepIds } from '../steps/step.js';

export const exitCodes = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

export interface WizardOptions {
  sessionName: string;
  fresh: boolean;
  dryRun: boolean;
  color: boolean;
}

/** `run [STEP|all]`: steps for chosen nodes, on the run screens or as plain lines (--yes, scripts). */
export interface StepsOptions {
  sessionName: string;
  /** The steps in the guide's order; all of them for `all`. */
  steps: StepId[];
  /** --node, repeatable; undefined for every node. */
  nodes?: string[];
  dryRun: boolean;
  yes: boolean;
  passwordFile?: string;
  /** A JSON file with the cluster's settings (and optionally its rows), instead of the screens. */
  clusterFile?: string;
  fixClonedCards: boolean;
  color: boolean;
  /** Draw the run screens; otherwise plain lines. Unset: screens at a terminal without --yes. */
  screens?: boolean;
}

/** `discover`: scan a subnet for machines answering SSH and assign them to the table's rows. */
export interface DiscoverOptions {
  sessionName: string;
  /** CIDR; the session's subnet when not given. */
  subnet?: string;
  /** Save the suggested assignment without asking. */
  assign: boolean;
}

export type CommandLine =
  | { kind: 'run'; options: WizardOptions }
  | { kind: 'steps'; options: StepsOptions }
  | { kind: 'status'; sessionName: string }
  | { kind: 'discover'; options: DiscoverOptions }
  | { kind: 'exit'; exitCode: number; stdout?: string; stderr?: string };

export const helpText = `
  Usage
    $ pi-cluster-wizard [options]                 the wizard, one screen at a time
    $ pi-cluster-wizard run [STEP|all] [options]  run steps: screens at a terminal, else a line per node
    $ pi-cluster-wizard status [--session NAME]   the saved table and each node's last results
    $ pi-cluster-wizard discover [--subnet CIDR]  find the Pis answering SSH and where they are now

  Run it in a terminal on the Raspberry Pi that will be the master (e.g. after ssh pi@<master>).
  It walks through the guide's network lookup table: how many Pis, their static addresses and
  hostnames, and where each one answers now.

  Options
    --session NAME  Keep a separate saved session, e.g. one per cluster (letters, digits, - and _)
    --fresh         Do not offer the saved session; it is replaced once you go past the welcome screen
    --dry-run       Only plan; change nothing on any Pi
    --no-color      No colours (so does the NO_COLOR environment variable)

  Options of run
    STEP            all (the default: the guide's steps; mpi and harden only with --mpi, --harden)
                    or one of: ${stepIds.slice(0, 7).join(', ')},
                    ${stepIds.slice(7).join(', ')}
    --node NAME     Only change this node (repeatable; all = every node). Others are only read,
                    except that keys for a node also fans its key in and out (fan-in, fan-out)
    --yes           Do not ask before changing the Pis, and print plain lines instead of screens
                    (needed when there is no terminal)
    --password-file FILE
                    The login password (also sudo's) from the first line of FILE; otherwise it is
                    read from standard input when that is a pipe, or asked for at a hidden prompt
    --cluster FILE  Take the cluster from a JSON file ({"settings": {...}, "rows": [...]}) instead of
                    the saved session, and save it as the session
    --mpi           With all: also write the MPI machinefile and try mpiexec (the second guide)
    --harden        With all: turn password logins off once every login by key works
    --fix-cloned-cards
                    Give nodes copied from one SD card their own SSH host keys and machine-id
    --help          Show this help
    --version       Show the version

  Options of discover
    --subnet CIDR   Where to look (at most a /22); the session's subnet by default
    --assign        Save the suggested assignment (found machines to rows) without asking

  Exit codes
    0 done, 1 stopped without doing what was asked, 2 usage error or no terminal,
    3 some nodes failed (the others finished), 130 interrupted

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
  '--node',
  '--yes',
  '-y',
  '--password-file',
  '--cluster',
  '--mpi',
  '--harden',
  '--fix-cloned-cards',
  '--subnet',
  '--assign',
]);

const flagsWithValues = new Set([
  '--session',
  '--node',
  '--password-file',
  '--cluster',
  '--subnet',
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
      !flagsWithValues.has(flagArguments[position - 1] ?? ''),
  );
  if (unknown.length > 0) {
    return usage(`Unknown option${unknown.length > 1 ? 's' : ''}: ${unknown.join(' ')}`);
  }
  // meow drops a value-taking flag with nothing after it: `run all --node --yes` would change
  // every node instead of the one meant.
  const withoutValue = flagArguments.find((argument, position) => {
    const [name = '', value] = argument.split('=');
    if (!flagsWithValues.has(name)) return false;
    if (value !== undefined) return value === '';
    const next = flagArguments[position + 1];
    return next === undefined || next.startsWith('--');
  });
  if (withoutValue !== undefined) {
    const flag = withoutValue.split('=')[0] ?? withoutValue;
    const [what, example] = {
      '--session': ['name', 'home-lab'],
      '--node': ['hostname', 'worker3'],
      '--password-file': ['file', '~/.pw'],
      '--cluster': ['file', 'cluster.json'],
      '--subnet': ['subnet', '192.168.0.0/24'],
    }[flag] ?? ['value', 'VALUE'];
    return usage(`${flag} needs a ${what}, e.g. ${flag} ${example}`);
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
      node: { type: 'string', isMultiple: true },
      yes: { type: 'boolean', shortFlag: 'y', default: false },
      passwordFile: { type: 'string' },
      cluster: { type: 'string' },
      mpi: { type: 'boolean', default: false },
      harden: { type: 'boolean', default: false },
      fixClonedCards: { type: 'boolean', default: false },
      subnet: { type: 'string' },
      assign: { type: 'boolean', default: false },
    },
  });
  if (cli.flags.help) return { kind: 'exit', exitCode: exitCodes.ok, stdout: `${cli.help}\n` };
  if (cli.flags.version) {
    return { kind: 'exit', exitCode: exitCodes.ok, stdout: `${cli.pkg.version ?? 'unknown'}\n` };
  }
  const sessionName = cli.flags.session ?? 'default';
  if (sessionName === '') return usage('--session needs a name, e.g. --session lab-2');
  const nameProblem = sessionNameProblem(sessionName);
  if (nameProblem) return usage(nameProblem);
  const color = cli.flags.color && !env.NO_COLOR;
  const [command, ...rest] = cli.input;
  const runOnly = [
    'node',
    'yes',
    'passwordFile',
    'cluster',
    'mpi',
    'harden',
    'fixClonedCards',
  ] as const;
  const misplaced = runOnly.filter((flag) => {
    const value = cli.flags[flag];
    return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;
  });
  if (command !== 'run' && misplaced.length > 0) {
    return usage(
      `${misplaced.map((flag) => `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} only go with: pi-cluster-wizard run`,
    );
  }

  if (command !== 'discover' && (cli.flags.subnet !== undefined || cli.flags.assign)) {
    return usage('--subnet and --assign only go with: pi-cluster-wizard discover');
  }

  if (command === undefined) {
    return {
      kind: 'run',
      options: { sessionName, fresh: cli.flags.fresh, dryRun: cli.flags.dryRun, color },
    };
  }
  if (command === 'status') {
    if (rest.length > 0) return usage(`status takes no arguments (got: ${rest.join(' ')})`);
    return { kind: 'status', sessionName };
  }
  if (command === 'discover') {
    if (rest.length > 0) return usage(`discover takes no arguments (got: ${rest.join(' ')})`);
    if (cli.flags.subnet === '')
      return usage('--subnet needs a subnet, e.g. --subnet 192.168.0.0/24');
    return {
      kind: 'discover',
      options: {
        sessionName,
        ...(cli.flags.subnet === undefined ? {} : { subnet: cli.flags.subnet }),
        assign: cli.flags.assign,
      },
    };
  }
  if (command !== 'run') {
    return usage(
      `Unknown command: ${command}. The commands are run, status and discover (or none, for the wizard).`,
    );
  }
  if (rest.length > 1) return usage(`run takes one step or all (got: ${rest.join(' ')})`);
  const step = rest[0] ?? 'all';
  if (step !== 'all' && !isStepId(step)) {
    return usage(`Unknown step: ${step}. The steps are: ${stepIds.join(', ')}, or all.`);
  }
  if (step !== 'all' && (cli.flags.mpi || cli.flags.harden)) {
    return usage(
      '--mpi and --harden go with run all; to run one of them alone: pi-cluster-wizard run mpi',
    );
  }
  const nodeFlags = cli.flags.node ?? [];
  if (nodeFlags.some((node) => node === ''))
    return usage('--node needs a hostname, e.g. --node worker3');
  const nodes =
    nodeFlags.includes('all') || nodeFlags.length === 0 ? undefined : [...new Set(nodeFlags)];
  const steps: StepId[] =
    step === 'all'
      ? stepIds.filter(
          (id) => (id !== 'mpi' || cli.flags.mpi) && (id !== 'harden' || cli.flags.harden),
        )
      : [step];
  return {
    kind: 'steps',
    options: {
      sessionName,
      steps,
      ...(nodes ? { nodes } : {}),
      dryRun: cli.flags.dryRun,
      yes: cli.flags.yes,
      ...(cli.flags.passwordFile ? { passwordFile: cli.flags.passwordFile } : {}),
      ...(cli.flags.cluster ? { clusterFile: cli.flags.cluster } : {}),
      fixClonedCards: cli.flags.fixClonedCards,
      color,
    },
  };
}

/** Without a terminal Ink cannot read keys: say what to do instead. */
export const noTerminalMessage = `pi-cluster-wizard asks its questions in a terminal, and this is not one (stdin or stdout is not a TTY).
Run it in a terminal on the Pi that will be the master, e.g. after ssh pi@<master>: npx pi-cluster-wizard
Without a terminal, run the steps with plain output instead: pi-cluster-wizard run all --yes --password-file FILE
`;
