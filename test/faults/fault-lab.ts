// Helpers for the fault suite: faults put on and taken off a lab node, the wizard run on the master
// with its output watched while it runs, a snapshot of every file the setup writes made comparable
// across labs, and the search for the password in everything the wizard left behind.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Lab, LabNode } from '../lab/lab.js';

/** Distinctive, so that finding it anywhere means it leaked (unlike 'raspberry' in 'raspberrypi'). */
export const faultPassword = 'Fault-Suite-pw-4417';
const otherPassword = 'Someone-Else-pw-0925';

export const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

export type FaultKind = 'sshd-killed' | 'unreachable' | 'password' | 'sudo-refused' | 'host-key';

/**
 * SIGKILL, from outside and at once, to the node's processes (by their pids as seen here) that
 * `pick` chooses from their name and their pid inside the node. Starting a command in the node
 * takes a few hundred ms under load, too slow to land inside a step.
 */
function killInNode(node: LabNode, pick: (name: string, innerPid: number) => boolean): number {
  const init = node.pid();
  if (init === undefined) throw new Error(`node ${node.index} is not up`);
  const namespace = readlinkSync(`/proc/${init}/ns/pid`);
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== namespace) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '';
      const innerPid = Number(/^NSpid:.*\s(\d+)$/m.exec(status)?.[1]);
      if (!pick(name, innerPid)) continue;
      process.kill(Number(entry), 'SIGKILL');
      killed += 1;
    } catch {}
  }
  return killed;
}

/** Puts the fault on the node. */
export async function injectFault(node: LabNode, kind: FaultKind): Promise<void> {
  const run = async (command: string) => {
    const result = await node.runAsRoot(command);
    assert.equal(result.code, 0, `${kind} on node ${node.index}: ${result.stderr}`);
  };
  switch (kind) {
    case 'sshd-killed':
      // The listener and every session: open connections drop, new ones are refused.
      killInNode(node, (name) => name === 'sshd');
      return;
    case 'unreachable':
      return node.killSshd();
    case 'password':
      return run(`echo 'pi:${otherPassword}' | chpasswd`);
    case 'sudo-refused':
      return run(
        "echo 'pi ALL=(ALL) !ALL' > /etc/sudoers.d/zz-pcw-refused && chmod 0440 /etc/sudoers.d/zz-pcw-refused",
      );
    case 'host-key':
      // As after reflashing the card: new host keys, sshd told to read them again.
      await run(
        [
          'rm -f /etc/ssh/ssh_host_*',
          "ssh-keygen -q -N '' -C root@reflashed -t ed25519 -f /etc/ssh/ssh_host_ed25519_key",
          "ssh-keygen -q -N '' -C root@reflashed -t ecdsa -f /etc/ssh/ssh_host_ecdsa_key",
          'kill -HUP "$(cat /run/sshd.pid)"',
        ].join(' && '),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      return node.waitUntilUp();
  }
}

/**
 * Takes the fault off as the person would: sshd started again, the password set back, the sudo
 * rule removed, the old host key forgotten with the command the wizard's message gave.
 */
export async function clearFault(
  lab: Lab,
  node: LabNode,
  kind: FaultKind,
  wizardOutput: string,
): Promise<void> {
  switch (kind) {
    case 'sshd-killed':
    case 'unreachable': {
      const result = await node.runAsRoot('systemctl start ssh');
      assert.equal(result.code, 0, result.stderr);
      return node.waitUntilUp();
    }
    case 'password': {
      await node.runAsRoot(`echo 'pi:${faultPassword}' | chpasswd`);
      return;
    }
    case 'sudo-refused':
      await node.runAsRoot('rm -f /etc/sudoers.d/zz-pcw-refused');
      return;
    case 'host-key': {
      const advice = /ssh-keygen -f "([^"]+)" -R "([^"]+)"/.exec(wizardOutput);
      if (!advice) return; // the wizard never met the new key (it did not connect there)
      const forget = await lab.nodes[0]!.runAsPi(
        `ssh-keygen -f '${advice[1]}' -R '${advice[2]}' >/dev/null 2>&1`,
      );
      assert.equal(forget.code, 0, forget.stderr);
    }
  }
}

export interface Report {
  step: string;
  node: string;
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  summary: string;
  /** The lines under the report line (e.g. "What to do: …"). */
  more: string[];
}

export interface WizardRun {
  /** null when the master rebooted under it. */
  code: number | null;
  output: string;
  reports: Report[];
}

/** Parses plain-line output by node, not by position (nodes report in the order they finish). */
export function parseReports(output: string): Report[] {
  const reports: Report[] = [];
  for (const line of output.split('\n')) {
    const match = /^(\S+)\s+(\S+)\s+(ok|changed|FAILED|skipped)\s+(.*)$/.exec(line);
    if (match) {
      reports.push({
        step: match[1]!,
        node: match[2]!,
        status: match[3]!.toLowerCase() as Report['status'],
        summary: match[4]!,
        more: [],
      });
    } else if (line !== '' && !/^(==|\S+\s+\S+\s+(retry|new)\s)/.test(line)) {
      reports.at(-1)?.more.push(line);
    }
  }
  return reports;
}

let runs = 0;
const wizardPidFile = '/home/pi/wizard-output/wizard.pid';

/** SIGKILL to the wizard runWizard started on the master (by its pid, inside the master). */
export async function killWizard(lab: Lab): Promise<void> {
  const master = lab.nodes[0]!;
  const pid = Number((await master.readFile(wizardPidFile)).trim());
  assert.equal(
    killInNode(master, (_, innerPid) => innerPid === pid),
    1,
    'the wizard was killed',
  );
}

/**
 * Runs `pi-cluster-wizard run ARGS` on the master as pi, the password on standard input, its
 * output in a file the test can read while it runs: `whenLine` is called once for the first output
 * line matching its pattern (e.g. a step starting), while the run goes on.
 */
export async function runWizard(
  lab: Lab,
  args: string[],
  options: {
    whenLine?: { pattern: RegExp; act: () => Promise<void> };
    timeoutMs?: number;
    env?: Record<string, string>;
    /** ARGS are the whole command line (e.g. `status …`), not those of `run`. */
    raw?: boolean;
  } = {},
): Promise<WizardRun> {
  const master = lab.nodes[0]!;
  const out = `/home/pi/wizard-output/${process.pid}-${++runs}.txt`;
  await master.runAsPi('mkdir -p ~/wizard-output');
  const quoted = args.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const env = Object.entries(options.env ?? {})
    .map(([key, value]) => `${key}='${value}' `)
    .join('');
  // The shell writes its pid and becomes the wizard, so killWizard has the wizard's own pid.
  const command = `echo $$ > ${wizardPidFile}; exec ${env ? `env ${env}` : ''}node ${cli} ${options.raw ? '' : 'run '}${quoted} > ${out} 2>&1`;
  const running = master.runAsPi(command, {
    input: `${lab.password}\n`,
    timeoutMs: options.timeoutMs ?? 240_000,
  });
  let watcher: Promise<void> = Promise.resolve();
  if (options.whenLine) {
    const { pattern, act } = options.whenLine;
    let finished = false;
    void running.finally(() => {
      finished = true;
    });
    watcher = (async () => {
      while (!finished) {
        const text = await master.readFile(out).catch(() => '');
        if (text.split('\n').some((line) => pattern.test(line))) return act();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
  }
  const result = await running;
  await watcher;
  const output = await readAfterReboot(master, out);
  return { code: result.code, output, reports: parseReports(output) };
}

/** The output file survives a reboot (it is on the card), but the node may be down a moment. */
async function readAfterReboot(node: LabNode, path: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await node.readFile(path);
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export const networkFile = '/etc/NetworkManager/system-connections/pi-cluster-eth0.nmconnection';
const snapshotFiles = [
  '/etc/hosts',
  '/etc/hostname',
  networkFile,
  '/home/pi/.ssh/authorized_keys',
  '/home/pi/.ssh/known_hosts',
  '/home/pi/.ssh/id_ed25519.pub',
];
const wizardBlockBegin = '# BEGIN pi-cluster-wizard cluster';
const wizardBlockEnd = '# END pi-cluster-wizard cluster';

/**
 * Every file the setup writes, on every node, with mode and owner and the running hostname, in a
 * form two labs can be compared in: lab addresses, the profile UUID made from them and key material
 * replaced by names (the user key of node 2, the ed25519 host key of node 3). The master's known_hosts lines outside the wizard's
 * block are what it recorded on first contact (as ssh does); they are compared as the sorted set of
 * addresses and key types they name, since a key that really changed leaves records behind.
 */
export async function comparableSnapshot(lab: Lab): Promise<string> {
  const names = new Map<string, string>();
  for (const node of lab.nodes) {
    const blob = async (path: string) =>
      (await node.readFile(path).catch(() => '')).trim().split(/\s+/)[1];
    const user = await blob('/home/pi/.ssh/id_ed25519.pub');
    if (user) names.set(user, `<user key of node ${node.index}>`);
    for (const type of ['ed25519', 'ecdsa']) {
      const host = await blob(`/etc/ssh/ssh_host_${type}_key.pub`);
      if (host) names.set(host, `<${type} host key of node ${node.index}>`);
    }
  }
  const staticPrefix = lab.staticAddress(0).replace(/\.0$/, '.');
  const dhcpPrefix = lab.nodes[0]!.dhcpAddress.replace(/\.\d+$/, '.');
  const normalize = (text: string) => {
    let result = text
      .replaceAll(staticPrefix, 'STATIC.')
      .replaceAll(dhcpPrefix, 'DHCP.')
      // A name-based UUID of the profile and the static address: it differs with the lab's subnet.
      .replace(/^uuid=[0-9a-f-]{36}$/m, 'uuid=<derived from the static address>');
    for (const [blob, name] of names) result = result.replaceAll(blob, name);
    return result;
  };
  const parts: string[] = [];
  for (const node of lab.nodes) {
    for (const file of snapshotFiles) {
      let content = await node.readFile(file).catch(() => '(none)');
      if (node.index === 0 && file.endsWith('known_hosts')) {
        // Lines inside the wizard's block stay in order; the others (before or after it) are sets.
        const block: string[] = [];
        const outside: string[] = [];
        let inside = false;
        for (const line of content.split('\n')) {
          if (line === wizardBlockBegin) inside = true;
          (inside ? block : outside).push(line);
          if (line === wizardBlockEnd) inside = false;
        }
        const recorded = [
          ...new Set(
            outside.filter(Boolean).map((line) => normalize(line.split(' ').slice(0, 2).join(' '))),
          ),
        ].sort();
        content = `(first-contact records) ${recorded.join(' | ')}\n${block.join('\n')}\n`;
      }
      parts.push(`== node ${node.index} ${file}\n${normalize(content)}`);
    }
    const listing = await node.runAsRoot(
      `stat -c '%a %U %G %n' ${snapshotFiles.join(' ')} 2>/dev/null; echo "running hostname: $(hostname)"`,
    );
    parts.push(listing.stdout);
  }
  return parts.join('\n');
}

/** Lines that appear twice in one file the setup writes (blank lines aside), per node and file. */
export async function duplicateLines(lab: Lab): Promise<string[]> {
  const found: string[] = [];
  for (const node of lab.nodes) {
    for (const file of snapshotFiles) {
      const content = await node.readFile(file).catch(() => '');
      const seen = new Set<string>();
      for (const line of content.split('\n')) {
        if (line.trim() === '') continue;
        if (seen.has(line)) found.push(`node ${node.index} ${file}: ${line}`);
        seen.add(line);
      }
    }
  }
  return found;
}

/** Temporary files of an atomic write left behind: a half-written file. */
export async function leftoverTemporaryFiles(lab: Lab): Promise<string[]> {
  const found: string[] = [];
  for (const node of lab.nodes) {
    const result = await node.runAsRoot(
      "find /etc /home/pi -xdev -name '.pcw-tmp.*' 2>/dev/null; true",
    );
    found.push(
      ...result.stdout
        .split('\n')
        .filter(Boolean)
        .map((path) => `node ${node.index}: ${path}`),
    );
  }
  return found;
}

/**
 * Every file on every node that holds the password, wherever the wizard writes: the login user's
 * home (session, command logs, keys, known_hosts, its output), /etc (edited files and their
 * backups) and the temporary directories. /etc/shadow holds a hash, not the password.
 */
export async function filesHoldingPassword(lab: Lab): Promise<string[]> {
  // The checkout itself (under /tmp in CI, and visible in every node) holds the tests' password.
  const checkout = fileURLToPath(new URL('../../', import.meta.url));
  const found: string[] = [];
  for (const node of lab.nodes) {
    const result = await node
      .runAsRoot(`grep -rlF -e '${lab.password}' /home/pi /etc /tmp /var/tmp 2>/dev/null; true`, {
        timeoutMs: 60_000,
      })
      .catch(() => undefined);
    if (!result) continue; // a node down at the end (powered off by a case) has nothing new
    found.push(
      ...result.stdout
        .split('\n')
        .filter((path) => path !== '' && !path.startsWith(checkout))
        .map((path) => `node ${node.index}: ${path}`),
    );
  }
  return found;
}

/** The report of one node and step, asserting there is exactly one. */
export function reportOf(run: WizardRun, step: string, node: string): Report {
  const found = run.reports.filter((report) => report.step === step && report.node === node);
  assert.equal(found.length, 1, `one ${step} report for ${node} in:\n${run.output}`);
  return found[0]!;
}
