// The command line: flags to a command and its options, or the text and exit code to end with.
// Node's util.parseArgs in strict mode, driven by the one flag table (flags.ts). No Ink here, so
// colour can be switched off before anything that draws is imported.
import { parseArgs } from 'node:util';
import packageJson from '../../package.json' with { type: 'json' };
import { exitCodes } from '../commands/exit-codes.js';
import { type ExportKind, exportKinds, isExportKind } from '../commands/export-formats.js';
import { defaultConcurrency } from '../engine/run-on-nodes.js';
import { sessionNameProblem } from '../session/session-name.js';
import { isStepId, type StepId, stepIds } from '../steps/step.js';
import {
  type CommandName,
  every,
  type FlagSpec,
  flagsByName,
  flagTable,
  maxConcurrency,
  planFlags,
} from './flags.js';

export interface WizardOptions {
  sessionName: string;
  fresh: boolean;
  dryRun: boolean;
  color: boolean;
  /** --concurrency: how many Pis the engine works on at once (its default when not given). */
  concurrency?: number;
}

/** The cluster planned from flags (--nodes …): raw text, checked by the run command. */
export interface PlanFlags {
  nodes: string;
  subnet?: string;
  first?: string;
  gateway?: string;
  dns?: string;
  user?: string;
  reachAt?: string;
  discover: boolean;
}

/** `run [STEP|all]`: steps for chosen nodes, on the run screens, as plain lines, or JSON lines. */
export interface StepsOptions {
  sessionName: string;
  /** The steps in the guide's order; all of them for `all`. */
  steps: StepId[];
  /** --node, repeatable; undefined for every node. */
  nodes?: string[];
  dryRun: boolean;
  yes: boolean;
  /** --json: JSON lines on stdout instead of screens or plain lines. */
  json: boolean;
  passwordFile?: string;
  /** A JSON file with the cluster's settings (and optionally its rows), instead of the screens. */
  clusterFile?: string;
  /** The cluster planned from flags, instead of the screens. */
  plan?: PlanFlags;
  fixClonedCards: boolean;
  /** --show-plan: print the plan and exit, contacting no Pi. */
  showPlan: boolean;
  color: boolean;
  /** --concurrency: how many Pis the engine works on at once (its default when not given). */
  concurrency?: number;
  /** The person already said yes to what this run is for (add, remove, replace): ask nothing more. */
  confirmed?: boolean;
}

/** Who is in the cluster: `add`, `remove NAME`, `replace NAME`; then every node brought up to date. */
export type MembershipChange =
  | { kind: 'add'; count: number; reachAt?: string; discover: boolean }
  | { kind: 'remove'; node: string; wipe: boolean }
  | { kind: 'replace'; node: string; reachAt?: string; discover: boolean; hostKey?: string };

export interface MembershipOptions {
  sessionName: string;
  change: MembershipChange;
  yes: boolean;
  json: boolean;
  passwordFile?: string;
  fixClonedCards: boolean;
  color: boolean;
  concurrency?: number;
}

/** `discover`: scan a subnet for machines answering SSH and assign them to the table's rows. */
export interface DiscoverOptions {
  sessionName: string;
  /** CIDR; the session's subnet when not given. */
  subnet?: string;
  /** Save the suggested assignment without asking. */
  assign: boolean;
  /** --json: one JSON object on stdout instead of lines (never asks; saves only with --assign). */
  json: boolean;
}

/** `export KIND`: the saved cluster in another tool's format, printed or written to a file. */
export interface ExportOptions {
  sessionName: string;
  kind: ExportKind;
  /** --output: the file to write (replaced atomically, with a backup); stdout when not given. */
  output?: string;
}

/** `exec -- COMMAND…`: one command on every node (or the --node ones), in parallel. */
export interface ExecOptions {
  sessionName: string;
  /** The program and its arguments as given after `--`: each reaches the node as one argument. */
  command: string[];
  /** --node, repeatable; undefined for every node. */
  nodes?: string[];
  /** --sudo: as root instead of the login user. */
  sudo: boolean;
  /** Plain lines instead of the live view. */
  yes: boolean;
  json: boolean;
  passwordFile?: string;
  color: boolean;
  concurrency?: number;
}

/** `shutdown` and `reboot`: every worker at once, then the master (this machine) last. */
export interface PowerOptions {
  sessionName: string;
  action: 'shutdown' | 'reboot';
  /** No question, and plain lines instead of the live view. */
  yes: boolean;
  json: boolean;
  passwordFile?: string;
  color: boolean;
}

export type CommandLine =
  | { kind: 'wizard'; options: WizardOptions }
  | { kind: 'run'; options: StepsOptions }
  | { kind: 'status'; sessionName: string; json: boolean }
  | { kind: 'discover'; options: DiscoverOptions }
  | { kind: 'membership'; options: MembershipOptions }
  | { kind: 'export'; options: ExportOptions }
  | { kind: 'exec'; options: ExecOptions }
  | { kind: 'power'; options: PowerOptions }
  | { kind: 'exit'; exitCode: number; stdout?: string; stderr?: string };

const helpWidth = 100;

function wrap(text: string, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent + line.length + 1 + word.length > helpWidth) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

function flagHelp(flag: FlagSpec): string {
  const name = `--${flag.name}${flag.value ? ` ${flag.value.placeholder}` : ''}`;
  const [first = '', ...rest] = wrap(flag.help, 20);
  const pad = ' '.repeat(20);
  const head = name.length <= 15 ? `    ${name.padEnd(16)}${first}` : `    ${name}\n${pad}${first}`;
  return [head, ...rest.map((line) => `${pad}${line}`)].join('\n');
}

const flagsOf = (test: (flag: FlagSpec) => boolean) =>
  flagTable.filter(test).map(flagHelp).join('\n');

const only = (command: CommandName) => (flag: FlagSpec) =>
  flag.commands.includes(command) && flag.commands !== every;

export const helpText = `
  Usage
    $ pi-cluster-wizard [options]                 the wizard, one screen at a time
    $ pi-cluster-wizard run [STEP|all] [options]  run steps: screens at a terminal, else a line per node
    $ pi-cluster-wizard status [--session NAME]   the saved table and each node's last results
    $ pi-cluster-wizard discover [--subnet CIDR]  find the Pis answering SSH and where they are now
    $ pi-cluster-wizard add [--count N]           add Pis after the last, then bring every node up to date
    $ pi-cluster-wizard remove NAME [--wipe]      take a node out: its key from every authorized_keys
    $ pi-cluster-wizard replace NAME              a re-flashed card: confirm its new host key, set it up
    $ pi-cluster-wizard export KIND [options]     the cluster for Ansible, /etc/hosts, MPI or ssh
    $ pi-cluster-wizard exec [options] -- COMMAND…
                                                  run a command on every node; same outputs grouped
    $ pi-cluster-wizard shutdown|reboot [options] every worker at once, then the master last

  Run it in a terminal on the Raspberry Pi that will be the master (e.g. after ssh pi@<master>).
  It walks through the guide's network lookup table: how many Pis, their static addresses and
  hostnames, and where each one answers now.

  Options of every command
${flagsOf((flag) => flag.commands === every)}

  Options of the wizard
${flagsOf(only('wizard'))}

  Options of run
    STEP            all (the default: the guide's steps; mpi and harden only with --mpi, --harden)
                    or one of: ${stepIds.slice(0, 7).join(', ')},
                    ${stepIds.slice(7).join(', ')}
${flagsOf(only('run'))}

  Options of discover
${flagsOf(only('discover'))}

  Options of add, remove and replace (each then runs all, as run all --yes would, on every node)
${flagsOf((flag) => flag.commands !== every && ['add', 'remove', 'replace'].some((name) => flag.commands.includes(name as CommandName)))}

  Options of export
    KIND            ansible (an inventory: groups masters and workers), hosts (the /etc/hosts
                    block), mpi (MPICH's machinefile, host:processors), ssh-config (Host entries)
${flagsOf(only('export'))}

  Options of exec
    COMMAND…        after --: the program and its arguments, each reaching the node as one
                    argument (for a pipe or $VARIABLE: -- sh -c '…'); it runs as the login user,
                    for up to an hour, without standard input
${flagsOf(only('exec'))}

  Options of shutdown and reboot
${flagsOf(only('shutdown'))}

  Exit codes
    ${exitCodes.done} done, ${exitCodes.notDone} stopped without doing what was asked, ${exitCodes.usage} usage error or no terminal,
    ${exitCodes.nodesFailed} some Pis failed (the others finished; exec: or the command exited non-zero there),
    ${exitCodes.SIGHUP} the terminal closed (SIGHUP), ${exitCodes.SIGINT} Ctrl+C (SIGINT), ${exitCodes.SIGTERM} killed (SIGTERM)

  The session is saved in $PI_CLUSTER_WIZARD_CONFIG_DIR or ~/.config/pi-cluster-wizard/,
  one file per --session name, readable only by you. Passwords are never saved.
`;

const usage = (message: string): CommandLine => ({
  kind: 'exit',
  exitCode: exitCodes.usage,
  stderr: `${message}\nRun pi-cluster-wizard --help to see the options.\n`,
});

/** The commands by name: every one but the wizard, which is no name at all. */
const commandNames = new Set<string>(every.filter((name) => name !== 'wizard'));

/** --concurrency N: a whole number from 1 to maxConcurrency, or why not. */
function parseConcurrency(
  text: string,
): { ok: true; value: number } | { ok: false; message: string } {
  const example = `e.g. --concurrency 4 (or leave it out for ${defaultConcurrency})`;
  if (!/^[0-9]+$/.test(text))
    return {
      ok: false,
      message: `--concurrency ${JSON.stringify(text)} is not a whole number: say how many Pis to work on at once, from 1 to ${maxConcurrency}, ${example}`,
    };
  const value = Number(text);
  if (value < 1 || value > maxConcurrency)
    return {
      ok: false,
      message: `--concurrency ${text} is out of range: from 1 to ${maxConcurrency} Pis at once, ${example}`,
    };
  return { ok: true, value };
}

/** Refusals in words, before util.parseArgs (whose own messages name no example). */
function flagProblem(argv: readonly string[]): string | undefined {
  const { tokens } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      flagTable.map((flag) => [
        flag.name,
        { type: flag.type, ...(flag.short ? { short: flag.short } : {}) },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const unknown = tokens
    .filter((token) => token.kind === 'option' && !flagsByName.has(token.name))
    .map((token) => (token.kind === 'option' ? token.rawName : ''));
  if (unknown.length > 0)
    return `Unknown option${unknown.length > 1 ? 's' : ''}: ${unknown.join(' ')}`;
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const flag = flagsByName.get(token.name);
    if (!flag) continue;
    if (flag.type === 'boolean' && token.inlineValue)
      return `--${flag.name} takes no value (got --${flag.name}=${token.value})`;
    // A value-taking flag with nothing after it must not take the next flag as its value: `run
    // all --node --yes` would otherwise change every node instead of the one meant.
    const missing =
      flag.type === 'string' &&
      (token.value === undefined ||
        token.value === '' ||
        (!token.inlineValue && token.value.startsWith('-')));
    if (missing && flag.value)
      return `--${flag.name} needs a ${flag.value.what}, e.g. --${flag.name} ${flag.value.example}`;
  }
  return undefined;
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const problem = flagProblem(argv);
  if (problem) return usage(problem);
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return { kind: 'exit', exitCode: exitCodes.done, stdout: `${helpText}\n` };
  if (values.version)
    return { kind: 'exit', exitCode: exitCodes.done, stdout: `${packageJson.version}\n` };

  const [first, ...rest] = positionals;
  if (first !== undefined && !commandNames.has(first)) {
    return usage(
      `Unknown command: ${first}. The commands are ${[...commandNames].slice(0, -1).join(', ')} and ${[...commandNames].at(-1)} (or none, for the wizard).`,
    );
  }
  const command: CommandName = (first as CommandName | undefined) ?? 'wizard';
  const given = flagTable.filter((flag) => {
    const value = values[flag.name];
    return Array.isArray(value) ? value.length > 0 : value !== undefined;
  });
  const misplaced = given.filter((flag) => !flag.commands.includes(command));
  if (misplaced.length > 0) {
    const goesWith = [...new Set(misplaced.flatMap((flag) => flag.commands))]
      .map((name) => (name === 'wizard' ? 'pi-cluster-wizard' : `pi-cluster-wizard ${name}`))
      .join(' or ');
    return usage(
      `${misplaced.map((flag) => `--${flag.name}`).join(', ')} ${misplaced.length === 1 ? 'goes' : 'go'} only with: ${goesWith}`,
    );
  }

  const sessionName = (values.session as string | undefined) ?? 'default';
  const nameProblem = sessionNameProblem(sessionName);
  if (nameProblem) return usage(nameProblem);
  const color = !values['no-color'] && !env.NO_COLOR;
  const dryRun = values['dry-run'] === true;
  const concurrencyText = values.concurrency as string | undefined;
  const concurrency = concurrencyText === undefined ? undefined : parseConcurrency(concurrencyText);
  if (concurrency && !concurrency.ok) return usage(concurrency.message);
  const engine = concurrency?.ok ? { concurrency: concurrency.value } : {};

  if (command === 'wizard') {
    return {
      kind: 'wizard',
      options: { sessionName, fresh: values.fresh === true, dryRun, color, ...engine },
    };
  }
  if (command === 'status') {
    if (rest.length > 0) return usage(`status takes no arguments (got: ${rest.join(' ')})`);
    return { kind: 'status', sessionName, json: values.json === true };
  }
  if (command === 'discover') {
    if (rest.length > 0) return usage(`discover takes no arguments (got: ${rest.join(' ')})`);
    const subnet = values.subnet as string | undefined;
    return {
      kind: 'discover',
      options: {
        sessionName,
        ...(subnet === undefined ? {} : { subnet }),
        assign: values.assign === true,
        json: values.json === true,
      },
    };
  }
  if (command === 'add' || command === 'remove' || command === 'replace')
    return membershipCommandLine(command, values, rest, { sessionName, color, engine });
  if (command === 'export')
    return exportCommandLine(rest, sessionName, values.output as string | undefined);
  if (command === 'exec') return execCommandLine(values, tokens, { sessionName, color, engine });
  if (command === 'shutdown' || command === 'reboot') {
    if (rest.length > 0) return usage(`${command} takes no arguments (got: ${rest.join(' ')})`);
    const passwordFile = values['password-file'] as string | undefined;
    return {
      kind: 'power',
      options: {
        sessionName,
        action: command,
        yes: values.yes === true,
        json: values.json === true,
        ...(passwordFile ? { passwordFile } : {}),
        color,
      },
    };
  }
  return runCommandLine(values, rest, { sessionName, color, dryRun, engine });
}

function membershipCommandLine(
  command: 'add' | 'remove' | 'replace',
  values: FlagValues,
  rest: string[],
  common: { sessionName: string; color: boolean; engine: { concurrency?: number } },
): CommandLine {
  const string = (name: string) => values[name] as string | undefined;
  const reachAt = string('reach-at');
  const discover = values.discover === true;
  if (reachAt !== undefined && discover) {
    return usage('--reach-at says where the Pis answer now, --discover finds it: use one of them');
  }
  let change: MembershipChange;
  if (command === 'add') {
    if (rest.length > 0)
      return usage(`add takes no arguments (got: ${rest.join(' ')}); say how many with --count N`);
    const countText = string('count') ?? '1';
    if (!/^[0-9]+$/.test(countText) || Number(countText) < 1)
      return usage(
        `--count ${JSON.stringify(countText)} is not a number of Pis: say how many to add, e.g. --count 2`,
      );
    change = {
      kind: 'add',
      count: Number(countText),
      discover,
      ...(reachAt === undefined ? {} : { reachAt }),
    };
  } else {
    if (rest.length !== 1) {
      return usage(
        rest.length === 0
          ? `${command} needs the node's hostname, e.g. pi-cluster-wizard ${command} worker3`
          : `${command} takes one node at a time (got: ${rest.join(' ')})`,
      );
    }
    const node = rest[0]!;
    const hostKey = string('host-key');
    if (hostKey !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}$/.test(hostKey))
      return usage(
        `--host-key ${JSON.stringify(hostKey)} is not an SSH fingerprint: give it as ssh-keygen -lf prints it, SHA256: and 43 characters`,
      );
    change =
      command === 'remove'
        ? { kind: 'remove', node, wipe: values.wipe === true }
        : {
            kind: 'replace',
            node,
            discover,
            ...(reachAt === undefined ? {} : { reachAt }),
            ...(hostKey === undefined ? {} : { hostKey }),
          };
  }
  const passwordFile = string('password-file');
  return {
    kind: 'membership',
    options: {
      sessionName: common.sessionName,
      change,
      yes: values.yes === true,
      json: values.json === true,
      ...(passwordFile ? { passwordFile } : {}),
      fixClonedCards: values['fix-cloned-cards'] === true,
      color: common.color,
      ...common.engine,
    },
  };
}

function exportCommandLine(
  rest: string[],
  sessionName: string,
  output: string | undefined,
): CommandLine {
  const kinds = `${exportKinds.slice(0, -1).join(', ')} or ${exportKinds.at(-1)}`;
  const [kind, ...extra] = rest;
  if (kind === undefined)
    return usage(`export needs what to export: ${kinds}, e.g. pi-cluster-wizard export ansible`);
  if (!isExportKind(kind)) return usage(`Unknown export: ${kind}. It can be ${kinds}.`);
  if (extra.length > 0)
    return usage(`export takes one of ${kinds}, nothing more (got also: ${extra.join(' ')})`);
  return {
    kind: 'export',
    options: { sessionName, kind, ...(output === undefined ? {} : { output }) },
  };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      flagTable.map((flag) => [
        flag.name,
        {
          type: flag.type,
          ...(flag.short ? { short: flag.short } : {}),
          ...(flag.multiple ? { multiple: true } : {}),
        },
      ]),
    ),
    strict: true,
    allowPositionals: true,
    tokens: true,
  });
}

type FlagValues = ReturnType<typeof parseFlags>['values'];
type FlagTokens = ReturnType<typeof parseFlags>['tokens'];

/** The nodes named by --node (repeatable), or undefined for every node (none, or `all`). */
function chosenNodes(values: FlagValues): string[] | undefined {
  const nodeFlags = (values.node as string[] | undefined) ?? [];
  return nodeFlags.includes('all') || nodeFlags.length === 0 ? undefined : [...new Set(nodeFlags)];
}

/**
 * `exec [options] -- COMMAND…`: the command is every word after the option terminator, so that
 * its own options (`ls -l`) are never read as the wizard's.
 */
function execCommandLine(
  values: FlagValues,
  tokens: FlagTokens,
  common: { sessionName: string; color: boolean; engine: { concurrency?: number } },
): CommandLine {
  const terminator = tokens.find((token) => token.kind === 'option-terminator')?.index ?? Infinity;
  const words = tokens.flatMap((token) => (token.kind === 'positional' ? [token] : []));
  const before = words.filter((token) => token.index < terminator).slice(1);
  const command = words.filter((token) => token.index > terminator).map((token) => token.value);
  if (before.length > 0) {
    const given = before.map((token) => token.value).join(' ');
    return usage(
      `exec takes its command after --, so that the command's own options stay its own: pi-cluster-wizard exec -- ${given}`,
    );
  }
  if (command.length === 0 || command[0] === '') {
    return usage(
      "exec needs a command after --, e.g. pi-cluster-wizard exec -- hostname (or -- sh -c 'uptime; df -h /' for a shell)",
    );
  }
  const nodes = chosenNodes(values);
  const passwordFile = values['password-file'] as string | undefined;
  return {
    kind: 'exec',
    options: {
      sessionName: common.sessionName,
      command,
      ...(nodes ? { nodes } : {}),
      sudo: values.sudo === true,
      yes: values.yes === true,
      json: values.json === true,
      ...(passwordFile ? { passwordFile } : {}),
      color: common.color,
      ...common.engine,
    },
  };
}

function runCommandLine(
  values: FlagValues,
  rest: string[],
  common: {
    sessionName: string;
    color: boolean;
    dryRun: boolean;
    engine: { concurrency?: number };
  },
): CommandLine {
  if (rest.length > 1) return usage(`run takes one step or all (got: ${rest.join(' ')})`);
  const step = rest[0] ?? 'all';
  if (step !== 'all' && !isStepId(step)) {
    return usage(`Unknown step: ${step}. The steps are: ${stepIds.join(', ')}, or all.`);
  }
  const mpi = values.mpi === true;
  const harden = values.harden === true;
  if (step !== 'all' && (mpi || harden)) {
    return usage(
      '--mpi and --harden go with run all; to run one of them alone: pi-cluster-wizard run mpi',
    );
  }
  const string = (name: string) => values[name] as string | undefined;
  const nodes = chosenNodes(values);
  const steps: StepId[] =
    step === 'all'
      ? stepIds.filter((id) => (id !== 'mpi' || mpi) && (id !== 'harden' || harden))
      : [step];

  const planGiven = planFlags.filter((name) => values[name] !== undefined);
  const nodeCount = string('nodes');
  if (nodeCount === undefined && planGiven.length > 0) {
    return usage(
      `${planGiven.map((name) => `--${name}`).join(', ')} plan a cluster from flags: add --nodes N and --subnet CIDR (or leave them out to use the saved session)`,
    );
  }
  if (nodeCount !== undefined && string('cluster') !== undefined) {
    return usage(
      '--nodes plans the cluster from flags, --cluster reads it from a file: use one of them',
    );
  }
  if (nodeCount !== undefined && string('subnet') === undefined) {
    return usage(
      '--nodes needs --subnet too: the subnet the Pis are on, e.g. --subnet 192.168.0.0/24',
    );
  }
  if (string('reach-at') !== undefined && values.discover === true) {
    return usage('--reach-at says where the Pis answer now, --discover finds it: use one of them');
  }
  const plan: PlanFlags | undefined =
    nodeCount === undefined
      ? undefined
      : {
          nodes: nodeCount,
          discover: values.discover === true,
          ...Object.fromEntries(
            (['subnet', 'first', 'gateway', 'dns', 'user'] as const)
              .filter((name) => string(name) !== undefined)
              .map((name) => [name, string(name)]),
          ),
          ...(string('reach-at') === undefined ? {} : { reachAt: string('reach-at') }),
        };
  const passwordFile = string('password-file');
  const clusterFile = string('cluster');
  return {
    kind: 'run',
    options: {
      sessionName: common.sessionName,
      steps,
      ...(nodes ? { nodes } : {}),
      dryRun: common.dryRun,
      yes: values.yes === true,
      json: values.json === true,
      ...(passwordFile ? { passwordFile } : {}),
      ...(clusterFile ? { clusterFile } : {}),
      ...(plan ? { plan } : {}),
      fixClonedCards: values['fix-cloned-cards'] === true,
      showPlan: values['show-plan'] === true,
      color: common.color,
      ...common.engine,
    },
  };
}

/** Without a terminal Ink cannot read keys: say what to do instead. */
export const noTerminalMessage = `pi-cluster-wizard asks its questions in a terminal, and this is not one (stdin or stdout is not a TTY).
Run it in a terminal on the Pi that will be the master, e.g. after ssh pi@<master>: npx pi-cluster-wizard
Without a terminal, run the steps with plain output instead: pi-cluster-wizard run all --yes --password-file FILE
`;
