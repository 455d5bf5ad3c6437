// The one table of flags: it drives parsing (util.parseArgs), --help, and the check of which flag
// goes with which command. Add a flag here and nowhere else.
import { defaultConcurrency } from '../engine/run-on-nodes.js';

export type CommandName =
  | 'wizard'
  | 'run'
  | 'status'
  | 'discover'
  | 'add'
  | 'remove'
  | 'replace'
  | 'export'
  | 'exec'
  | 'shutdown'
  | 'reboot';

export interface FlagSpec {
  name: string;
  short?: string;
  type: 'boolean' | 'string';
  multiple?: boolean;
  /** The commands it goes with. */
  commands: readonly CommandName[];
  /** For a flag with a value: what the value is, and an example of it. */
  value?: { what: string; placeholder: string; example: string };
  /** The help text's lines. */
  help: string;
}

/** The most --concurrency takes: more Pis at once than this only crowd the master's network. */
export const maxConcurrency = 64;

/** Every command: flags with exactly this list are "options of every command". */
export const every: readonly CommandName[] = [
  'wizard',
  'run',
  'status',
  'discover',
  'add',
  'remove',
  'replace',
  'export',
  'exec',
  'shutdown',
  'reboot',
];
/** The commands that change who is in the cluster, then bring every node up to date (run all). */
const membership: readonly CommandName[] = ['add', 'remove', 'replace'];

export const flagTable: readonly FlagSpec[] = [
  {
    name: 'session',
    type: 'string',
    commands: every,
    value: { what: 'name', placeholder: 'NAME', example: 'home-lab' },
    help: 'Keep a separate saved session, e.g. one per cluster (letters, digits, - and _)',
  },
  {
    name: 'fresh',
    type: 'boolean',
    commands: ['wizard'],
    help: 'Do not offer the saved session; it is replaced once you go past the welcome screen',
  },
  {
    name: 'dry-run',
    type: 'boolean',
    commands: ['wizard', 'run'],
    help: 'Only plan; change nothing on any Pi (and leave the saved results as they are)',
  },
  {
    name: 'concurrency',
    type: 'string',
    commands: ['wizard', 'run', ...membership, 'exec'],
    value: { what: 'number of Pis at once', placeholder: 'N', example: '4' },
    help: `Work on at most N Pis at once (1 to ${maxConcurrency}; default ${defaultConcurrency}); fewer for a slow network, 1 for one Pi and one login at a time`,
  },
  {
    name: 'no-color',
    type: 'boolean',
    commands: every,
    help: 'No colours (so does the NO_COLOR environment variable)',
  },
  {
    name: 'node',
    type: 'string',
    multiple: true,
    commands: ['run', 'exec'],
    value: { what: 'hostname', placeholder: 'NAME', example: 'worker3' },
    help: 'run: only change this node (repeatable; all = every node). Others are only read, except that keys for a node also fans its key in and out (fan-in, fan-out). exec: run the command only there',
  },
  {
    name: 'yes',
    short: 'y',
    type: 'boolean',
    commands: ['run', ...membership, 'exec', 'shutdown', 'reboot'],
    help: 'Do not ask before changing the Pis (exec asks nothing), and print plain lines instead of screens (needed when there is no terminal)',
  },
  {
    name: 'json',
    type: 'boolean',
    commands: ['run', 'status', 'discover', ...membership, 'exec', 'shutdown', 'reboot'],
    help: 'For scripts (see the README): run, exec, shutdown and reboot print one JSON object per line for every event and a summary at the end; status and discover print one JSON object',
  },
  {
    name: 'password-file',
    type: 'string',
    commands: ['run', ...membership, 'exec', 'shutdown', 'reboot'],
    value: { what: 'file', placeholder: 'FILE', example: '~/.pw' },
    help: "The login password (also sudo's) from the first line of FILE; otherwise it is read from standard input when that is a pipe, or typed where it is not shown",
  },
  {
    name: 'cluster',
    type: 'string',
    commands: ['run'],
    value: { what: 'file', placeholder: 'FILE', example: 'cluster.json' },
    help: 'Take the cluster from a JSON file ({"settings": {...}, "rows": [...]}) instead of the saved session, and save it as the session',
  },
  {
    name: 'nodes',
    type: 'string',
    commands: ['run'],
    value: { what: 'number of Pis', placeholder: 'N', example: '5' },
    help: 'Plan the cluster from flags instead of the screens: N Pis (the master and N-1 workers), saved as the session. Goes with --subnet and the flags below',
  },
  {
    name: 'subnet',
    type: 'string',
    commands: ['run', 'discover'],
    value: { what: 'subnet', placeholder: 'CIDR', example: '192.168.0.0/24' },
    help: "run: the cluster's subnet (with --nodes). discover: where to look (at most a /22); the session's subnet by default",
  },
  {
    name: 'first',
    type: 'string',
    commands: ['run'],
    value: { what: 'address', placeholder: 'ADDR', example: '192.168.0.100' },
    help: "With --nodes: the master's static address; workers follow it (default: .100 of the subnet)",
  },
  {
    name: 'gateway',
    type: 'string',
    commands: ['run'],
    value: { what: 'address', placeholder: 'ADDR', example: '192.168.0.1' },
    help: 'With --nodes: the router (default: .1 of the subnet)',
  },
  {
    name: 'dns',
    type: 'string',
    commands: ['run'],
    value: { what: 'address', placeholder: 'ADDR[,ADDR]', example: '192.168.0.1' },
    help: 'With --nodes: the name servers, comma-separated (default: the gateway)',
  },
  {
    name: 'user',
    type: 'string',
    commands: ['run'],
    value: { what: 'user name', placeholder: 'NAME', example: 'pi' },
    help: 'With --nodes: the login user that exists on every Pi (default: pi)',
  },
  {
    name: 'reach-at',
    type: 'string',
    commands: ['run', 'add', 'replace'],
    value: {
      what: 'list of addresses',
      placeholder: 'ADDR,ADDR,…',
      example: '192.168.0.23,192.168.0.31',
    },
    help: 'run (with --nodes): where each Pi answers now, in order from the master (default: its static address). add: where each new Pi answers now, in order. replace: where the re-flashed Pi answers now',
  },
  {
    name: 'discover',
    type: 'boolean',
    commands: ['run', 'add', 'replace'],
    help: 'run (with --nodes), add, replace: find where each Pi answers now by scanning the subnet (as discover --assign does); add and replace do this unless --reach-at is given',
  },
  {
    name: 'mpi',
    type: 'boolean',
    commands: ['run'],
    help: 'With all: also write the MPI machinefile and try mpiexec (the second guide)',
  },
  {
    name: 'harden',
    type: 'boolean',
    commands: ['run'],
    help: 'With all: turn password logins off once every login by key works',
  },
  {
    name: 'show-plan',
    type: 'boolean',
    commands: ['run'],
    help: 'Print the plan (which steps run on which Pis, and after what) and exit; no Pi is contacted',
  },
  {
    name: 'fix-cloned-cards',
    type: 'boolean',
    commands: ['run', 'add', 'replace'],
    help: 'Give nodes copied from one SD card their own SSH host keys and machine-id',
  },
  {
    name: 'count',
    type: 'string',
    commands: ['add'],
    value: { what: 'number of Pis', placeholder: 'N', example: '2' },
    help: 'How many Pis to add after the last (default 1)',
  },
  {
    name: 'host-key',
    type: 'string',
    commands: ['replace'],
    value: { what: 'host key fingerprint', placeholder: 'SHA256:…', example: 'SHA256:Yx3…' },
    help: "The re-flashed Pi's new SSH host key fingerprint, as ssh-keygen -lf prints it: only that key is trusted (otherwise it is shown and asked, or taken with --yes)",
  },
  {
    name: 'wipe',
    type: 'boolean',
    commands: ['remove'],
    help: "Also take the wizard's work off the node, if it still answers: its key pair, the cluster's keys and blocks, the machinefile, the hardening (its address and name stay)",
  },
  {
    name: 'sudo',
    type: 'boolean',
    commands: ['exec'],
    help: 'Run the command as root (through sudo, given the login password as run gives it); without it, as the login user',
  },
  {
    name: 'assign',
    type: 'boolean',
    commands: ['discover'],
    help: 'Save the suggested assignment (found machines to rows) without asking',
  },
  {
    name: 'output',
    type: 'string',
    commands: ['export'],
    value: { what: 'file', placeholder: 'FILE', example: '~/inventory.yml' },
    help: 'Write the export to FILE instead of standard output: replaced atomically, with a timestamped backup of the previous version beside it; unchanged when it already holds the same',
  },
  { name: 'help', short: 'h', type: 'boolean', commands: every, help: 'Show this help' },
  { name: 'version', type: 'boolean', commands: every, help: 'Show the version' },
];

/** The flags that plan a cluster from the command line (with --nodes). */
export const planFlags = [
  'subnet',
  'first',
  'gateway',
  'dns',
  'user',
  'reach-at',
  'discover',
] as const;

export const flagsByName = new Map(flagTable.map((flag) => [flag.name, flag]));
