// The built wizard in a real terminal on a lab node, as a person uses it at the master's keyboard
// or after `ssh pi@master`: a tmux server of our own (its own socket) whose one pane runs
// `node dist/cli.js …` inside the node's namespaces as pi, from a login shell. Below the class, the
// few things that depend on what the wizard draws, in one place, so that a new screen changes
// only them.
import { fileURLToPath } from 'node:url';
import { pollDelay, Terminal } from '../cli/terminal.js';
import type { Lab, LabNode } from '../lab/lab.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** Inside the node (its /tmp is its own): the pid, in the node's PID namespace, of the wizard. */
const pidFile = '/tmp/pcw-e2e-wizard.pid';

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

export class NodeTerminal extends Terminal {
  readonly node: LabNode;

  /** Starts `pi-cluster-wizard ARGS` as pi on `node`, in a terminal of 120×40. */
  constructor(node: LabNode, args = '') {
    const initPid = node.pid();
    if (initPid === undefined) throw new Error(`node ${node.index} is not up`);
    // Without CI: Ink draws only the last frame when it believes it runs in CI.
    const inside = `echo $$ > ${pidFile} && exec env -u CI node ${cli} ${args}`;
    super(`nsenter -t ${initPid} --mount --uts --pid -- runuser -l pi -c ${quote(inside)}`, {
      columns: 120,
      rows: 40,
    });
    this.node = node;
  }

  /** Sends one key `count` times in a row, as a burst. */
  sendRepeated(key: string, count: number): void {
    this.tmux('send-keys', '-t', this.target, '-N', String(count), key);
  }

  /** Waits for `expected` anywhere in what was printed (no settling: run screens keep moving). */
  async waitInHistory(expected: RegExp, timeoutMs: number): Promise<string> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    for (;;) {
      const history = this.history();
      if (expected.test(history)) return history;
      if (Date.now() > deadline) {
        throw new Error(`the terminal never showed ${String(expected)}; it printed:\n${history}`);
      }
      await pollDelay(since);
    }
  }

  /** The exit status the pane's command ended with ("[exit N]"; 128+n for signal n). */
  async ended(timeoutMs: number): Promise<number> {
    const history = await this.waitInHistory(/^\[exit \d+\]$/m, timeoutMs);
    return Number(/^\[exit (\d+)\]$/m.exec(history)?.[1]);
  }

  /** kill -9 of the wizard's own process, inside its node; resolves once the pane says it ended. */
  async killWizard(): Promise<number> {
    const pid = (await this.node.readFile(pidFile)).trim();
    if (!/^\d+$/.test(pid)) throw new Error(`no wizard pid in ${pidFile}: ${pid}`);
    const killed = await this.node.runAsRoot(`kill -9 ${pid}`);
    if (killed.code !== 0) throw new Error(`kill -9 ${pid}: ${killed.stderr}`);
    return this.ended(30_000);
  }
}

// ---- What the wizard shows: every screen-specific text the end-to-end tests wait for. ----

const regexpText = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Replaces the focused field's text (an address): a burst of backspaces, then the text as typed. */
async function replaceField(terminal: NodeTerminal, label: RegExp, text: string): Promise<void> {
  terminal.sendRepeated('BSpace', 40);
  // Empty: after the label comes the hint or nothing, no longer the old address.
  await terminal.waitFor(new RegExp(`${label.source}\\s+(?=[^\\s\\d]|$)`, 'm'), 60_000);
  terminal.send(text, true);
  await terminal.waitFor(new RegExp(`${label.source}\\s+${regexpText(text)}`, 'm'), 60_000);
}

/**
 * From the welcome screen of a fresh session to the confirm screen: the cluster settings for the
 * lab's subnet, then in the lookup table each Pi's current (DHCP) address, typed as a person would.
 */
export async function planClusterOnScreens(terminal: NodeTerminal, lab: Lab): Promise<void> {
  await terminal.waitFor('Begin: describe the cluster', 60_000);
  await terminal.press('Enter', 'Step 2 of 4: Cluster settings');
  const fields: Array<[RegExp, string]> = [
    [/› Subnet \(CIDR\)/, lab.subnet],
    [/› First static IP/, lab.staticAddress(100)],
    [/› Gateway/, lab.staticAddress(1)],
    [/› DNS servers/, lab.staticAddress(1)],
  ];
  await terminal.waitFor(/› Number of Pis\s+5\b/);
  for (const [label, value] of fields) {
    await terminal.press('Tab', label);
    await replaceField(terminal, label, value);
  }
  await terminal.press('Enter', 'Step 3 of 4: Review the lookup table');
  for (const [index, node] of lab.nodes.entries()) {
    if (index > 0) await terminal.press('Down', new RegExp(`^› \\S? *${index}\\s+eth0`, 'm'));
    await terminal.press('Enter', `Editing Pi ${index}:`);
    await terminal.press('Tab', /› Static IP/);
    await terminal.press('Tab', /› Reach it now at/);
    await replaceField(terminal, /› Reach it now at/, node.dhcpAddress);
    await terminal.press(
      'Enter',
      new RegExp(
        `${index}\\s+eth0\\s+${regexpText(lab.staticAddress(100 + index))}\\s+\\S+\\s+${regexpText(node.dhcpAddress)}`,
      ),
    );
  }
  await terminal.press('c', 'Step 4 of 4');
}

/** On the confirm screen (a fresh plan or a resumed session): Start. */
export async function startOnConfirmScreen(terminal: NodeTerminal): Promise<void> {
  await terminal.waitFor(/[›❯] Start/, 60_000);
  terminal.send('Enter');
}

/** Starting the wizard again on a saved session: the welcome screen offers to resume. */
export async function resumeOnWelcomeScreen(terminal: NodeTerminal): Promise<void> {
  await terminal.waitFor('Resume where you left off', 60_000);
  terminal.send('Enter');
}

/** `run …` at a terminal asks on its screen before changing the Pis: y (a key, no Enter). */
export async function answerYes(terminal: NodeTerminal): Promise<void> {
  await terminal.waitFor(/\[y\/N\]/, 60_000);
  terminal.send('y', true);
}

/** The password, typed where the wizard asks for it (hidden). */
export async function typePassword(terminal: NodeTerminal, password: string): Promise<void> {
  // On the screen and holding still: typed before the form listens, the keys would be lost (seen
  // once in CI under load: the run never started).
  await terminal.waitFor(/Password of \S+ on the Pis/, 60_000);
  terminal.send(password, true);
  terminal.send('Enter');
}

/** The Keys section is under way: the run screen shows it. */
export function waitForKeysSection(terminal: NodeTerminal, timeoutMs: number): Promise<string> {
  return terminal.waitInHistory(/Cluster Guide › Keys/, timeoutMs);
}

export type RunEnd = 'done' | 'nodes-failed' | 'master-rebooting' | 'interrupted';

const runEnds: Array<[RunEnd, RegExp]> = [
  ['done', /Done: every step is ok on every node\./],
  ['nodes-failed', /\d+ nodes? failed: /],
  ['master-rebooting', /The master reboots now/],
  ['interrupted', /Interrupted: /],
];
const paneEnded = /^\[exit (\d+)\]$/m;

/**
 * Waits until the run has ended: the wizard has said how (one of the lines above) and its process
 * has exited, or the process is gone without a word (the master's reboot takes it down with the
 * session). Returns how it ended, the exit status and everything the terminal printed.
 */
export async function waitForRunEnd(
  terminal: NodeTerminal,
  timeoutMs: number,
): Promise<{ end: RunEnd | undefined; exit: number; output: string }> {
  const output = await terminal.waitInHistory(paneEnded, timeoutMs);
  const end = runEnds.find(([, pattern]) => pattern.test(output))?.[0];
  return { end, exit: Number(paneEnded.exec(output)?.[1]), output };
}
