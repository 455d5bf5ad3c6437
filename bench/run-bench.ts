// Benchmarks (not tests): the wizard's whole headless run against the guide done by hand with
// OpenSSH and against Ansible, on fresh fake Pi labs of several sizes; start-up time; peak memory.
// Prints a markdown table with the targets and writes bench/results/{results.md,time-by-nodes.svg,
// results.json}. Run it with `bash bench/run.sh` (a private network namespace, as root).
//
//   bash bench/run.sh [--sizes 1,2,8,16,32] [--rss 1,32,64] [--boot-ms 1000 (20000: real Pi timing)]
//                     [--only wizard,guide,ansible,startup] [--keep-logs DIR (the command logs)]
//                     [--ansible-forks 5,N (5: forks 5 only, the real Pi timing target's)]
//                     [--out NAME] [--from bench/results/NAME.json (draw again, measure nothing)]
//                     [--runs 9 (start-up rounds)] [--compare OTHER/dist/cli.js (start-up of
//                     another build, in the same rounds) [--compare-name 'what it is']]
//   bash bench/run.sh --from bench/results/results.json --only startup   (measure start-up again,
//                                                                          keep the rest)
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configDirVariable } from '../source/session/session-file.js';
import { labPlan } from '../test/e2e/drive.js';
import { type Lab, type LabNode, startLab } from '../test/lab/lab.js';
import { drawTimeChart, type Series } from './time-chart.js';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const cli = `${root}/dist/cli.js`;
const resultsDir = `${root}/bench/results`;
const password = 'bench-Pa55-word';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}
const sizes = option('sizes', '1,2,8,16,32').split(',').map(Number);
const rssSizes = option('rss', '1,32,64').split(',').map(Number);
const outName = option('out', 'results');
/** How long a rebooting fake Pi stays down: 20000 is the "real Pi timing" profile (20–40 s boots). */
const rebootDelayMs = Number(option('boot-ms', '1000'));
/** A directory to copy the wizard's command logs to, runs apart by a line `==`. */
const keepLogs = option('keep-logs', '');
if (keepLogs) mkdirSync(keepLogs, { recursive: true });
const only = new Set(option('only', 'wizard,guide,ansible,startup').split(','));
const startupRuns = Number(option('runs', '9'));
/** Whether Ansible also runs with one fork per node (`--ansible-forks 5` runs forks 5 only). */
const ansibleForksN = option('ansible-forks', '5,N') !== '5';
const compareCli = option('compare', '');
const compareName = option('compare-name', compareCli);
const startupColumns = 100;
const startupRows = 30;

const seconds = (ms: number | undefined) =>
  ms === undefined || Number.isNaN(ms) ? '–' : (ms / 1000).toFixed(1);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withLab<T>(nodes: number, work: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await startLab({ nodes, profile: 'dhcpcd', rebootDelayMs, password });
  try {
    return await work(lab);
  } finally {
    await lab.stop();
  }
}

/**
 * Peak RSS (VmHWM, kB) and CPU time of every process running dist/cli.js in the master's PID
 * namespace, sampled every 40 ms (a wizard killed by the master's reboot keeps its last sample).
 */
function watchWizard(lab: Lab): { stop: () => { peakRssKb: number; cpuMs: number } } {
  let peak = 0;
  const cpuTicks = new Map<string, number>();
  let running = true;
  const sample = () => {
    const init = lab.nodes[0]!.pid();
    if (init === undefined) return;
    let namespace: string;
    try {
      namespace = readlinkSync(`/proc/${init}/ns/pid`);
    } catch {
      return;
    }
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/pid`) !== namespace) continue;
        if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(cli)) continue;
        const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
        if (hwm) peak = Math.max(peak, Number(hwm));
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name.
        const ticks = Number(fields[11]) + Number(fields[12]);
        const key = `${entry}:${fields[19]}`; // pid and start time: one process
        cpuTicks.set(key, Math.max(cpuTicks.get(key) ?? 0, ticks));
      } catch {}
    }
  };
  void (async () => {
    while (running) {
      sample();
      await delay(40);
    }
  })();
  return {
    stop: () => {
      running = false;
      sample();
      const ticks = [...cpuTicks.values()].reduce((sum, each) => sum + each, 0);
      return { peakRssKb: peak, cpuMs: ticks * 10 };
    },
  };
}

/** CPU time (ms) of this process's reaped descendants: the lab's nodes and all they ran. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

interface Timed {
  ms: number;
  code: number | null;
  /** Each output line with when it arrived (ms since the command started). */
  lines: { at: number; text: string }[];
  stderr: string;
}

/** Runs a shell command on the master as pi, each output line stamped as it is printed. */
async function timedOnMaster(lab: Lab, command: string, input = ''): Promise<Timed> {
  const stamp = `perl -MTime::HiRes=time -ne '$|=1; printf "%.3f %s", time*1000, $_'`;
  const started = Date.now();
  const result = await lab.nodes[0]!.runAsPi(`{ ${command} ; } 2>&1 | ${stamp}`, {
    input,
    timeoutMs: 1_800_000,
  });
  const ms = Date.now() - started;
  const lines = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const space = line.indexOf(' ');
      return { at: Number(line.slice(0, space)) - started, text: line.slice(space + 1) };
    });
  // The pipe's status is perl's: the command's own end shows in its output (or the reboot).
  return { ms, code: result.code, lines, stderr: result.stderr };
}

async function masterBack(lab: Lab, bootsBefore: number): Promise<void> {
  await lab.nodes[0]!.waitUntilUp({ afterBoot: bootsBefore, timeoutMs: 120_000 });
}

interface WizardRun {
  nodes: number;
  totalMs: number;
  sections: Record<string, number>;
  peakRssKb: number;
  /** CPU time of the wizard's own processes. */
  wizardCpuMs: number;
  /** CPU time of everything the lab ran meanwhile (every node's sshd, shells, sudo), the wizard's included. */
  labCpuMs: number;
  /** Per node and run, from the wizard's command logs: the most any node needed in one run. */
  perNode?: NodeCounts;
}

interface NodeCounts {
  commands: number;
  passwordChecks: number;
  connections: number;
}

/**
 * The most commands, sudo password checks and SSH logins any one node had in one run, from the
 * wizard's command log of each run (one file per run, on the master): counts that do not depend on
 * the machine's load. sudo checks the password when a connection starts its root session.
 */
async function countsPerNode(lab: Lab): Promise<NodeCounts> {
  const logs = await lab.nodes[0]!.runAsPi(
    'for f in ~/.local/state/pi-cluster-wizard/commands-*.jsonl; do cat "$f"; echo ==; done',
  );
  const most: NodeCounts = { commands: 0, passwordChecks: 0, connections: 0 };
  if (keepLogs) writeFileSync(`${keepLogs}/commands-${lab.nodes.length}-nodes.jsonl`, logs.stdout);
  for (const run of logs.stdout.split('==\n')) {
    const byNode = new Map<string, NodeCounts>();
    for (const line of run.split('\n').filter(Boolean)) {
      const entry = JSON.parse(line) as {
        node: string;
        command: string;
        connection?: boolean;
        code: number | null;
      };
      const counts = byNode.get(entry.node) ?? { commands: 0, passwordChecks: 0, connections: 0 };
      if (entry.connection) counts.connections += entry.code === 0 ? 1 : 0;
      else counts.commands += 1;
      if (entry.command.startsWith('start root session')) counts.passwordChecks += 1;
      byNode.set(entry.node, counts);
    }
    for (const counts of byNode.values())
      for (const key of ['commands', 'passwordChecks', 'connections'] as const)
        most[key] = Math.max(most[key], counts[key]);
  }
  return most;
}

const sectionOrder = ['preflight', 'network', 'reboot', 'resume', 'keys', 'verify'] as const;

/**
 * The lab alone, no wizard: every worker rebooted at once (as the wizard reboots them), then one
 * worker alone, each time until every rebooted node answers SSH again. What a reboot costs on these
 * cores beyond the boot delay, with nothing but the fake Pis booting.
 */
async function labRebootRun(nodes: number): Promise<LabReboot> {
  return withLab(nodes, async (lab) => {
    const reboot = async (workers: readonly LabNode[]) => {
      const before = workers.map((node) => node.bootCount);
      const started = performance.now();
      // The command ends with the node it reboots.
      await Promise.all(workers.map((node) => node.runAsRoot('reboot').catch(() => {})));
      await Promise.all(
        workers.map((node, index) =>
          node.waitUntilUp({ afterBoot: before[index]!, timeoutMs: 900_000 }),
        ),
      );
      return performance.now() - started;
    };
    const workers = lab.nodes.slice(1);
    const everyWorkerMs = await reboot(workers);
    const oneWorkerMs = await reboot(workers.slice(0, 1));
    return { nodes, everyWorkerMs, oneWorkerMs };
  });
}

async function wizardRun(nodes: number): Promise<WizardRun> {
  const cpuBefore = childrenCpuMs();
  const run = await withLab(nodes, async (lab) => {
    const master = lab.nodes[0]!;
    const { settings, rows } = labPlan(lab, nodes);
    await master.runAsPi('cat > ~/cluster.json', { input: JSON.stringify({ settings, rows }) });
    const watch = watchWizard(lab);
    const bootsBefore = master.bootCount;
    const started = Date.now();
    const run = `node ${cli} run all --yes --cluster /home/pi/cluster.json`;
    const first = await timedOnMaster(lab, run, `${password}\n`);
    await masterBack(lab, bootsBefore);
    const backAt = Date.now() - started;
    const secondStart = Date.now() - started;
    const second = await timedOnMaster(lab, `node ${cli} run all --yes`, `${password}\n`);
    const totalMs = Date.now() - started;
    const { peakRssKb, cpuMs: wizardCpuMs } = watch.stop();
    if (!second.lines.some((line) => line.text.startsWith('Done: every step is ok'))) {
      throw new Error(
        `wizard on ${nodes} nodes did not finish:\n${[...first.lines, ...second.lines].map((l) => l.text).join('\n')}`,
      );
    }
    const at = (timed: Timed, offset: number, step: string) =>
      offset + (timed.lines.find((line) => line.text === `== ${step}`)?.at ?? Number.NaN);
    const sections: Record<string, number> = {
      preflight: at(first, 0, 'static-ip') - at(first, 0, 'preflight'),
      network: at(first, 0, 'reboot') - at(first, 0, 'static-ip'),
      reboot: backAt - at(first, 0, 'reboot'),
      resume: at(second, secondStart, 'keys') - secondStart,
      keys: at(second, secondStart, 'verify') - at(second, secondStart, 'keys'),
      verify: totalMs - at(second, secondStart, 'verify'),
    };
    return { nodes, totalMs, sections, peakRssKb, wizardCpuMs, perNode: await countsPerNode(lab) };
  });
  return { ...run, labCpuMs: childrenCpuMs() - cpuBefore };
}

async function guideRun(nodes: number): Promise<number> {
  return withLab(nodes, async (lab) => {
    const master = lab.nodes[0]!;
    const { settings, rows } = labPlan(lab, nodes);
    const table = rows.map((row) => `${row.hostname} ${row.reachAt} ${row.address}`).join('\n');
    await master.runAsPi('cat > ~/table', { input: `${table}\n` });
    const prefix = settings.subnet.split('/')[1]!;
    const script = `${root}/bench/guide-by-hand.sh`;
    const env = `PCW_PASSWORD='${password}' PCW_ASKPASS=${root}/test/lab/askpass.sh`;
    const args = `~/table ${prefix} ${settings.gateway} ${settings.dns.join(' ')}`;
    const bootsBefore = master.bootCount;
    const started = Date.now();
    const network = await timedOnMaster(lab, `${env} bash ${script} network ${args}`);
    if (master.bootCount === bootsBefore && network.code !== null) {
      await delay(3000);
      if (master.bootCount === bootsBefore)
        throw new Error(
          `the guide's way on ${nodes} nodes stopped before the master's reboot:\n${network.lines.map((l) => l.text).join('\n')}`,
        );
    }
    await masterBack(lab, bootsBefore);
    const keys = await timedOnMaster(lab, `${env} bash ${script} keys ${args}`);
    const ms = Date.now() - started;
    const logins = keys.lines.filter((line) =>
      rows.some((row) => row.hostname === line.text),
    ).length;
    if (logins !== nodes * nodes) {
      throw new Error(
        `the guide's way on ${nodes} nodes: ${logins} of ${nodes * nodes} logins:\n${[...network.lines, ...keys.lines].map((l) => l.text).join('\n')}`,
      );
    }
    return ms;
  });
}

function inventory(lab: Lab, nodes: number, phase: 'network' | 'keys'): string {
  const { settings, rows } = labPlan(lab, nodes);
  const line = (row: (typeof rows)[number]) =>
    `${row.hostname} static_address=${row.address}${row.index === 0 ? ' ansible_connection=local' : ` ansible_host=${phase === 'network' ? row.reachAt : row.address}`}`;
  return [
    '[masters]',
    line(rows[0]!),
    '[workers]',
    ...rows.slice(1).map(line),
    '[pis:children]',
    'masters',
    'workers',
    '[pis:vars]',
    'ansible_user=pi',
    `ansible_become_password=${password}`,
    'ansible_python_interpreter=/usr/bin/python3',
    `prefix_length=${settings.subnet.split('/')[1]}`,
    `gateway=${settings.gateway}`,
    `dns=${settings.dns.join(' ')}`,
    '',
  ].join('\n');
}

const ansibleConfig = `[defaults]
host_key_checking = False
interpreter_python = /usr/bin/python3
stdout_callback = default
[ssh_connection]
pipelining = True
ssh_args = -F /dev/null -o StrictHostKeyChecking=accept-new -o ControlMaster=auto -o ControlPersist=60s -o NumberOfPasswordPrompts=1 -o PreferredAuthentications=password -o PasswordAuthentication=yes
`;

async function ansibleRun(nodes: number, forks: number): Promise<number> {
  return withLab(nodes, async (lab) => {
    const master = lab.nodes[0]!;
    await master.runAsPi('mkdir -p ~/ansible && cat > ~/ansible/ansible.cfg', {
      input: ansibleConfig,
    });
    await master.runAsPi('cat > ~/ansible/network.ini', {
      input: inventory(lab, nodes, 'network'),
    });
    await master.runAsPi('cat > ~/ansible/keys.ini', { input: inventory(lab, nodes, 'keys') });
    const env = `cd ~/ansible && ANSIBLE_CONFIG=~/ansible/ansible.cfg SSH_ASKPASS=${root}/test/lab/askpass.sh SSH_ASKPASS_REQUIRE=force PCW_LAB_SSH_PASSWORD='${password}' setsid`;
    const playbook = (phase: string) =>
      `${env} ansible-playbook -f ${forks} -i ${phase}.ini ${root}/bench/ansible/${phase}.yml; echo "exit $?"`;
    const bootsBefore = master.bootCount;
    const started = Date.now();
    const network = await timedOnMaster(lab, playbook('network'));
    const failedPlay = (timed: Timed) => !timed.lines.some((line) => line.text === 'exit 0');
    if (failedPlay(network)) {
      throw new Error(
        `ansible network play failed:\n${network.lines.map((l) => l.text).join('\n')}`,
      );
    }
    await master.runAsRoot('reboot');
    await masterBack(lab, bootsBefore);
    const keys = await timedOnMaster(lab, playbook('keys'));
    const ms = Date.now() - started;
    if (failedPlay(keys)) {
      throw new Error(`ansible keys play failed:\n${keys.lines.map((l) => l.text).join('\n')}`);
    }
    return ms;
  });
}

/** One command timed at start-up: until it prints `ready`, or until it exits when there is none. */
interface StartupCommand {
  name: string;
  command: string[];
  ready?: string;
}

/** Milliseconds until the child prints `ready` (or exits), with a fresh empty session directory. */
async function startupOnce({ command, ready }: StartupCommand, under: string): Promise<number> {
  const configDir = mkdtempSync(`${under}/config-`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [configDirVariable]: configDir,
    TERM: 'xterm-256color',
    COLUMNS: `${startupColumns}`,
    LINES: `${startupRows}`,
  };
  // With CI set Ink draws only the last frame.
  delete env.CI;
  const started = process.hrtime.bigint();
  return await new Promise<number>((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      stdio: ['pipe', 'pipe', 'ignore'],
      env,
    });
    let seen = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
      if (ready !== undefined && child.pid !== undefined) child.kill('SIGKILL');
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      seen += chunk;
      if (ready !== undefined && seen.includes(ready)) finish();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (ready === undefined) finish();
      else if (!done)
        reject(new Error(`${command.join(' ')} ended (${code}) before ${ready}:\n${seen}`));
    });
    setTimeout(() => {
      if (!done) reject(new Error(`${command.join(' ')} never printed ${ready}:\n${seen}`));
    }, 20_000).unref();
  });
}

/**
 * The median milliseconds of each command over `runs` rounds. The commands take turns within a
 * round, so load from anything else on the machine falls on all of them alike and their ratios
 * hold even when the absolute times do not.
 */
async function startupMs(commands: StartupCommand[], runs = startupRuns): Promise<number[]> {
  const times = commands.map((): number[] => []);
  // A killed wizard may still save its session on the way out: the directories go at the end.
  const under = mkdtempSync(`${tmpdir()}/pcw-bench-startup-`);
  try {
    for (let run = 0; run < runs; run++) {
      for (const [index, command] of commands.entries()) {
        times[index]!.push(await startupOnce(command, under));
      }
    }
  } finally {
    await delay(500);
    rmSync(under, { recursive: true, force: true });
  }
  return times.map((each) => each.sort((a, b) => a - b)[Math.floor(each.length / 2)]!);
}

/** A command in a pseudo-terminal of a fixed size (`script`, then `stty`): Ink draws only there. */
const inTerminal = (name: string, command: string, ready?: string): StartupCommand => ({
  name,
  command: [
    'script',
    '-qfec',
    `stty cols ${startupColumns} rows ${startupRows} && exec ${command}`,
    '/dev/null',
  ],
  ...(ready === undefined ? {} : { ready }),
});
/** The wizard with no arguments, until its welcome screen shows. */
const firstFrameCommand = (cliPath: string) =>
  inTerminal('first frame', `node ${cliPath}`, 'Begin');

interface LabReboot {
  nodes: number;
  everyWorkerMs: number;
  oneWorkerMs: number;
}

interface Results {
  machine: string;
  /** The lab's own reboots, without the wizard (--only labreboot). */
  labReboot?: LabReboot[];
  wizard: WizardRun[];
  guide: { nodes: number; ms: number }[];
  ansible: { nodes: number; forks: number | 'N'; ms: number }[];
  ansibleProblem?: string;
  /** How long each rebooting fake Pi stayed down (--boot-ms). */
  bootMs?: number;
  /** When the wizard, guide and Ansible runs were measured (YYYY-MM-DD). */
  date?: string;
  startup?: {
    /** When and under what load start-up was measured (it can be measured again on its own). */
    date?: string;
    machine?: string;
    runs?: number;
    terminal?: string;
    nodeMs: number;
    /** `node -e 0` in the same pseudo-terminal as the first frame: what the terminal adds. */
    terminalNodeMs?: number;
    helpMs: number;
    firstFrameMs: number;
    /** Another build (--compare), timed in the same rounds. */
    compare?: { cli: string; name?: string; helpMs: number; firstFrameMs: number };
  };
}

const today = () => new Date().toISOString().slice(0, 10);
const machine = () =>
  `${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?'} cores, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at start`;

function ansibleInstalled(): string | undefined {
  try {
    readFileSync('/usr/bin/ansible-playbook');
    return undefined;
  } catch {
    return 'Ansible is not installed here (apt-get install -y ansible could not install it): its columns are empty.';
  }
}

async function main(): Promise<void> {
  const results: Results = {
    machine: machine(),
    date: today(),
    wizard: [],
    guide: [],
    ansible: [],
    bootMs: rebootDelayMs,
  };
  const log = (text: string) => process.stderr.write(`${new Date().toISOString()} ${text}\n`);
  const from = option('from', '');
  if (from !== '') {
    // Draw again the tables and chart of results measured before; with --only startup, measure
    // start-up again and keep the rest.
    Object.assign(results, JSON.parse(readFileSync(from, 'utf8')));
    if (!process.argv.includes('--only')) only.clear();
    else if ([...only].some((part) => part !== 'startup')) {
      throw new Error('with --from only start-up can be measured again (--only startup)');
    }
  }
  if (only.has('startup')) {
    const startedUnder = machine();
    const commands: StartupCommand[] = [
      { name: 'node -e 0', command: ['node', '-e', '0'] },
      inTerminal('node -e 0 in the terminal', 'node -e 0'),
      { name: '--help', command: ['node', cli, '--help'] },
      firstFrameCommand(cli),
    ];
    if (compareCli) {
      commands.push(
        { name: 'other --help', command: ['node', compareCli, '--help'] },
        { ...firstFrameCommand(compareCli), name: 'other first frame' },
      );
    }
    const medians = await startupMs(commands);
    const [nodeMs, terminalNodeMs, helpMs, firstFrameMs, otherHelpMs, otherFirstFrameMs] = medians;
    results.startup = {
      date: today(),
      machine: startedUnder,
      runs: startupRuns,
      terminal: `${startupColumns}×${startupRows}`,
      nodeMs: nodeMs!,
      terminalNodeMs: terminalNodeMs!,
      helpMs: helpMs!,
      firstFrameMs: firstFrameMs!,
      ...(compareCli
        ? {
            compare: {
              cli: compareCli,
              name: compareName,
              helpMs: otherHelpMs!,
              firstFrameMs: otherFirstFrameMs!,
            },
          }
        : {}),
    };
    log(`startup: ${commands.map((c, i) => `${c.name} ${medians[i]?.toFixed(0)} ms`).join(', ')}`);
  }
  const wizardSizes = [...new Set([...sizes, ...rssSizes])].sort((a, b) => a - b);
  for (const nodes of wizardSizes) {
    if (only.has('wizard')) {
      const run = await wizardRun(nodes);
      results.wizard.push(run);
      log(`wizard ${nodes}: ${seconds(run.totalMs)} s, ${run.peakRssKb} kB`);
    }
    if (sizes.includes(nodes) && only.has('guide')) {
      const ms = await guideRun(nodes);
      results.guide.push({ nodes, ms });
      log(`guide ${nodes}: ${seconds(ms)} s`);
    }
    if (sizes.includes(nodes) && nodes >= 2 && only.has('labreboot')) {
      const run = await labRebootRun(nodes);
      results.labReboot = [
        ...(results.labReboot ?? []).filter((each) => each.nodes !== nodes),
        run,
      ];
      log(
        `lab reboot ${nodes}: every worker ${seconds(run.everyWorkerMs)} s, one ${seconds(run.oneWorkerMs)} s`,
      );
    }
    if (sizes.includes(nodes) && only.has('ansible')) {
      results.ansibleProblem = ansibleInstalled();
      const forksToRun = ansibleForksN && nodes > 5 ? [5, nodes] : [5];
      for (const forks of results.ansibleProblem ? [] : forksToRun) {
        const ms = await ansibleRun(nodes, forks);
        results.ansible.push({ nodes, forks: forks === 5 ? 5 : 'N', ms });
        log(`ansible ${nodes} forks ${forks}: ${seconds(ms)} s`);
      }
    }
    writeResults(results);
  }
  process.stdout.write(writeResults(results));
}

/**
 * Writes the tables, the JSON and the chart of what is measured so far (after every size, so that
 * a long run stopped half-way keeps its finished sizes); returns the tables.
 */
function writeResults(results: Results): string {
  const report = formatReport(results);
  writeFileSync(`${resultsDir}/${outName}.md`, report);
  writeFileSync(`${resultsDir}/${outName}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${resultsDir}/${outName}-time-by-nodes.svg`, chart(results));
  return report;
}

function chart(results: Results): string {
  const series: Series[] = [
    {
      name: 'wizard',
      points: results.wizard
        .filter((run) => sizes.includes(run.nodes))
        .map((run) => ({ x: run.nodes, y: run.totalMs / 1000 })),
    },
    {
      name: 'guide by hand (ssh/scp)',
      points: results.guide.map((g) => ({ x: g.nodes, y: g.ms / 1000 })),
    },
    {
      name: 'Ansible forks 5',
      points: results.ansible
        .filter((a) => a.forks === 5)
        .map((a) => ({ x: a.nodes, y: a.ms / 1000 })),
    },
    {
      name: 'Ansible forks N',
      points: results.ansible
        .filter((a) => a.forks === 'N' || a.nodes <= 5)
        .map((a) => ({ x: a.nodes, y: a.ms / 1000 })),
    },
  ];
  return drawTimeChart(
    `Whole setup: time against node count (reboot delay ${((results.bootMs ?? 1000) / 1000).toFixed(0)} s)`,
    series,
  );
}

function formatReport(results: Results): string {
  const out: string[] = [];
  out.push(`# Benchmarks (${results.date ?? today()}, ${results.machine})`, '');
  out.push(
    `Fresh fake Pi labs (dhcpcd profile, reboot delay ${results.bootMs ?? 1000} ms). Times are wall-clock seconds for the whole setup: network, reboots (the master's included), keys, verify.`,
    '',
  );
  const wizardAt = (n: number) => results.wizard.find((run) => run.nodes === n);
  const guideAt = (n: number) => results.guide.find((run) => run.nodes === n);
  const ansibleAt = (n: number, forks: 5 | 'N') =>
    results.ansible.find(
      (run) => run.nodes === n && (run.forks === forks || (n <= 5 && run.forks === 5)),
    );
  const cell = (ms: number | undefined) => (ms === undefined ? '–' : seconds(ms));
  out.push('| nodes | wizard | guide by hand (ssh/scp) | Ansible forks 5 | Ansible forks N |');
  out.push('|---:|---:|---:|---:|---:|');
  for (const n of sizes) {
    out.push(
      `| ${n} | ${cell(wizardAt(n)?.totalMs)} | ${cell(guideAt(n)?.ms)} | ${cell(ansibleAt(n, 5)?.ms)} | ${cell(ansibleAt(n, 'N')?.ms)} |`,
    );
  }
  if (results.ansibleProblem) out.push('', results.ansibleProblem);
  out.push('', "The wizard's run by section (seconds):", '');
  out.push(
    `| nodes | ${sectionOrder.join(' | ')} | total | peak RSS (MB) | wizard CPU (s) | all CPU (s) |`,
  );
  out.push(`|---:|${sectionOrder.map(() => '---:|').join('')}---:|---:|---:|---:|`);
  for (const run of results.wizard) {
    out.push(
      `| ${run.nodes} | ${sectionOrder.map((s) => seconds(run.sections[s] ?? Number.NaN)).join(' | ')} | ${seconds(run.totalMs)} | ${(run.peakRssKb / 1024).toFixed(1)} | ${seconds(run.wizardCpuMs)} | ${seconds(run.labCpuMs)} |`,
    );
  }
  out.push(
    '',
    "CPU: the wizard's own processes, and everything the run made the machine do (every fake Pi's sshd, shells, sudo and ssh, on the same cores as the wizard).",
    '',
    'Sections: preflight (connect, read every node), network (static-ip, hostname, hosts, ssh), reboot (workers, then the master, until it answers), resume (the second run re-checking the finished steps), keys (keys, fan-in, fan-out, known-hosts), verify (every node logs into every other).',
  );
  if (results.labReboot?.length) {
    out.push(
      '',
      `The lab alone, no wizard: seconds until every rebooted worker answers SSH again (boot delay ${seconds(results.bootMs ?? 1000)} s), every worker at once and one worker alone, on the same lab. The wizard's reboot section is the workers at once, then the master alone.`,
      '',
      '| nodes | every worker at once | one worker | at once ÷ one |',
      '|---:|---:|---:|---:|',
      ...results.labReboot.map(
        (run) =>
          `| ${run.nodes} | ${seconds(run.everyWorkerMs)} | ${seconds(run.oneWorkerMs)} | ${(run.everyWorkerMs / run.oneWorkerMs).toFixed(2)} × |`,
      ),
    );
  }
  const counted = results.wizard.filter((run) => run.perNode);
  if (counted.length > 0) {
    out.push(
      '',
      "Per node in one run (the first run, to the master's reboot, or the resume), from the wizard's command logs: the most any node had. These do not depend on the machine's load. A password check is sudo's, when a connection starts its root session; SSH logins (the ones that succeeded) are counted apart.",
      '',
      '| nodes | commands | sudo password checks | SSH logins |',
      '|---:|---:|---:|---:|',
      ...counted.map(
        (run) =>
          `| ${run.nodes} | ${run.perNode!.commands} | ${run.perNode!.passwordChecks} | ${run.perNode!.connections} |`,
      ),
    );
  }
  if (results.startup) {
    const { nodeMs, terminalNodeMs, helpMs, firstFrameMs, compare } = results.startup;
    const ms = (value: number) => `${value.toFixed(0)} | ${(value / nodeMs).toFixed(2)} ×`;
    const other = (value: number | undefined) =>
      compare && value !== undefined ? ` ${ms(value)} |` : '';
    out.push(
      '',
      `| start-up (median of ${results.startup.runs ?? 9}) | ms | × node -e 0 |${compare ? ' other build: ms | × node -e 0 |' : ''}`,
      `|---|---:|---:|${compare ? '---:|---:|' : ''}`,
    );
    out.push(`| node -e 0 | ${ms(nodeMs)} |${other(compare ? nodeMs : undefined)}`);
    if (terminalNodeMs !== undefined) {
      out.push(
        `| node -e 0 in the terminal | ${ms(terminalNodeMs)} |${other(compare ? terminalNodeMs : undefined)}`,
      );
    }
    out.push(`| pi-cluster-wizard --help | ${ms(helpMs)} |${other(compare?.helpMs)}`);
    out.push(
      `| pi-cluster-wizard, first frame | ${ms(firstFrameMs)} |${other(compare?.firstFrameMs)}`,
    );
    // Results from before the commands took turns have no date and no note.
    if (results.startup.date) {
      out.push(
        '',
        `Measured ${results.startup.date} (${results.startup.machine}), the commands taking turns in each round; the first frame is the wizard with no arguments in a ${results.startup.terminal} pseudo-terminal (\`script\`) and an empty session directory, until the welcome screen shows; "in the terminal" is \`node -e 0\` the same way, what the terminal alone adds.${compare ? ` Other build: ${compare.name ?? `\`${compare.cli}\``}.` : ''}`,
      );
    }
  }
  out.push('', '| target | measured | result |', '|---|---|---|');
  const target = (name: string, measured: number | undefined, text: string, pass: boolean) =>
    out.push(
      `| ${name} | ${measured === undefined || Number.isNaN(measured) ? 'not measured' : text} | ${measured === undefined || Number.isNaN(measured) ? '–' : pass ? 'pass' : 'MISS'} |`,
    );
  // The time targets hold for real Pi timing (20 s boots); with shorter boots they say nothing.
  const realPiTiming = (results.bootMs ?? 1000) >= 20_000;
  const timed = (ratio: number | undefined) => (realPiTiming ? ratio : undefined);
  const w16 = wizardAt(16)?.totalMs;
  const a16 = ansibleAt(16, 5)?.ms;
  const versusAnsible = w16 && a16 ? w16 / a16 : undefined;
  target(
    '16 nodes ≤ 0.8 × Ansible forks 5 (boot 20 s)',
    timed(versusAnsible),
    `${versusAnsible?.toFixed(2)} ×`,
    (versusAnsible ?? 99) <= 0.8,
  );
  const reboot2 = wizardAt(2)?.sections.reboot;
  const reboot32 = wizardAt(32)?.sections.reboot;
  const rebootScale = reboot2 && reboot32 ? reboot32 / reboot2 : undefined;
  target(
    'reboot section at 32 nodes ≤ 1.3 × at 2 nodes (boot 20 s)',
    timed(rebootScale),
    `${rebootScale?.toFixed(2)} ×`,
    (rebootScale ?? 99) <= 1.3,
  );
  const most = (key: keyof NodeCounts) =>
    counted.length > 0 ? Math.max(...counted.map((run) => run.perNode![key])) : undefined;
  const commands = most('commands');
  target('commands per node ≤ 15', commands, `${commands}`, (commands ?? 99) <= 15);
  const checks = most('passwordChecks');
  target('sudo password checks per node ≤ 2', checks, `${checks}`, (checks ?? 99) <= 2);
  const frame = results.startup ? results.startup.firstFrameMs / results.startup.nodeMs : undefined;
  target('first frame ≤ 3 × node -e 0', frame, `${frame?.toFixed(2)} ×`, (frame ?? 99) <= 3);
  const rss = wizardAt(64)?.peakRssKb;
  const mb = rss === undefined ? undefined : rss / 1024;
  target('peak RSS ≤ 150 MB at 64 nodes', mb, `${mb?.toFixed(1)} MB`, (mb ?? 999) <= 150);
  out.push('');
  return out.join('\n');
}

await main();
