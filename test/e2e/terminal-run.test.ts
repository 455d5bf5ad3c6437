// End to end through a real terminal (tmux), as a person uses the wizard on the master: the whole
// setup from the screens on 5 fake Pis flashed as Raspberry Pi Imager 2.x writes Trixie (cloud-init,
// netplan, sudo asking the password), the master's own reboot and the resume; every node rebooted
// again at once, and the setup still holds; one node's key
// restored with `run keys --node`; and a run killed with kill -9 in the middle of the Keys section
// and resumed, ending with the same files as the run that was not interrupted.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type Lab, type LabNode, startLab } from '../lab/lab.js';
import { assertSetupHolds, rebootEveryNodeAtOnce } from './assert-setup.js';
import { clusterFiles, labIndependentFiles } from './cluster-files.js';
import { drive, labPlan } from './drive.js';
import {
  answerYes,
  NodeTerminal,
  planClusterOnScreens,
  resumeOnWelcomeScreen,
  startOnConfirmScreen,
  typePassword,
  waitForKeysSection,
  waitForRunEnd,
} from './terminal.js';

const names = ['master', 'worker1', 'worker2', 'worker3', 'worker4'];
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every node logs into every other by name with plain OpenSSH, no password. */
async function assertEveryLogin(lab: Lab): Promise<void> {
  const matrix = await Promise.all(
    lab.nodes.map((node) =>
      node.runAsPi(`for h in ${names.join(' ')}; do ssh -n -o BatchMode=yes "$h" hostname; done`, {
        timeoutMs: 60_000,
      }),
    ),
  );
  for (const [index, logins] of matrix.entries()) {
    assert.equal(
      logins.stdout,
      names.map((name) => `${name}\n`).join(''),
      `${names[index]}: ${logins.stderr}`,
    );
  }
}

/** Runs the wizard in a terminal on `node` until the run ends; the terminal is closed after. */
async function inTerminal<T>(
  node: LabNode,
  args: string,
  use: (terminal: NodeTerminal) => Promise<T>,
): Promise<T> {
  const terminal = new NodeTerminal(node, args);
  try {
    return await use(terminal);
  } finally {
    terminal.close();
  }
}

async function fileExists(node: LabNode, path: string): Promise<boolean> {
  return node.readFile(path).then(
    () => true,
    () => false,
  );
}

// The timeouts are hang guards only: alone this file takes 7 minutes, beside the fault walk in CI
// (two cores shared by 11 fake Pis) it once took more than 20.
describe('the wizard in a terminal on the master of 5 fake Pis (Trixie, cloud-init)', {
  timeout: 2_700_000,
}, () => {
  const labs: Lab[] = [];
  after(() => Promise.all(labs.map((lab) => lab.stop())));
  /** The files after the uninterrupted run, without what differs from lab to lab. */
  let uninterrupted: Record<string, string> | undefined;

  test('the whole setup from the screens: plan, Start, the master reboots, log in again, resume', async () => {
    const lab = await startLab({
      nodes: 5,
      profile: 'trixie',
      sudo: 'password',
      rebootDelayMs: 300,
    });
    labs.push(lab);
    const master = lab.nodes[0]!;
    const bootsBefore = master.bootCount;
    const first = await inTerminal(master, '', async (terminal) => {
      await planClusterOnScreens(terminal, lab);
      await startOnConfirmScreen(terminal);
      await typePassword(terminal, lab.password);
      return waitForRunEnd(terminal, 480_000);
    });
    assert.equal(first.exit, 137, `the session dropped with the master:\n${first.output}`);

    // It rebooted itself and comes back at its static address.
    await master.waitUntilUp({ afterBoot: bootsBefore, timeoutMs: 120_000 });
    const second = await inTerminal(master, '', async (terminal) => {
      await resumeOnWelcomeScreen(terminal);
      await startOnConfirmScreen(terminal);
      await typePassword(terminal, lab.password);
      return waitForRunEnd(terminal, 480_000);
    });
    assert.equal(second.end, 'done', second.output);
    assert.equal(second.exit, 0, second.output);

    const { rows } = labPlan(lab, 5);
    for (const [index, node] of lab.nodes.entries()) {
      assert.equal(node.address(), rows[index]!.address, `${names[index]} at its static address`);
      assert.equal(await node.hostname(), names[index]);
    }
    await assertEveryLogin(lab);
    uninterrupted = await labIndependentFiles(lab, await clusterFiles(lab));

    // Every node rebooted again at once (a power cut): cloud-init runs again on each, and the
    // addresses, names, hosts blocks and logins all still hold.
    await rebootEveryNodeAtOnce(lab);
    await assertSetupHolds(lab, rows);
    assert.equal(
      first.end,
      'master-rebooting',
      `before its session dropped, the person was told to log in again and resume:\n${first.output}`,
    );
  });

  test('run keys --node worker3 after its ~/.ssh was wiped restores exactly its access', async () => {
    const lab = labs[0];
    assert.ok(lab, 'needs the cluster of the whole setup');
    const [master, , , worker3] = lab.nodes as LabNode[];
    const before = await clusterFiles(lab);
    const oldKey = before[3]!['/home/pi/.ssh/id_ed25519.pub'];
    const wiped = await worker3!.runAsPi('rm -rf ~/.ssh');
    assert.equal(wiped.code, 0, wiped.stderr);
    const locked = await master!.runAsPi(
      'ssh -n -o BatchMode=yes worker3 true 2>&1; echo "exit $?"',
    );
    assert.match(locked.stdout, /Permission denied/, 'the wipe locked the cluster out of worker3');

    const run = await inTerminal(master!, 'run keys --node worker3', async (terminal) => {
      await answerYes(terminal);
      await typePassword(terminal, lab.password);
      return waitForRunEnd(terminal, 480_000);
    });
    assert.equal(run.end, 'done', run.output);
    assert.equal(run.exit, 0, run.output);

    const afterRun = await clusterFiles(lab);
    const newKey = afterRun[3]!['/home/pi/.ssh/id_ed25519.pub'];
    assert.match(newKey, /^ssh-ed25519 \S+ pi@worker3\n$/);
    assert.notEqual(newKey, oldKey, 'worker3 has a new key pair');
    for (const [index, files] of afterRun.entries()) {
      const was = before[index]!;
      for (const file of [
        '/etc/hosts',
        '/etc/hostname',
        '/etc/NetworkManager/system-connections/pi-cluster-eth0.nmconnection',
      ] as const)
        assert.equal(files[file], was[file], `${names[index]}: ${file} untouched`);
      // worker3's known_hosts is back as it was: the cluster's host keys did not change.
      assert.equal(
        files['/home/pi/.ssh/known_hosts'],
        was['/home/pi/.ssh/known_hosts'],
        `${names[index]}: known_hosts`,
      );
      if (index === 3) continue;
      const withoutBackups = (listing: string) =>
        listing.replace(/^.* authorized_keys\.pcw-\S+\.bak\n/gm, '');
      assert.equal(
        withoutBackups(files.listing),
        withoutBackups(was.listing),
        `${names[index]}: no file in /etc or ~/.ssh came or went but a backup of authorized_keys`,
      );
      assert.equal(
        files['/home/pi/.ssh/id_ed25519.pub'],
        was['/home/pi/.ssh/id_ed25519.pub'],
        `${names[index]} keeps its key`,
      );
      // The new key goes where the merge puts worker3's key; the old one stays (merging never
      // removes a line), every other byte is as it was.
      const authorized = files['/home/pi/.ssh/authorized_keys'];
      assert.ok(authorized.includes(newKey), `${names[index]} authorizes worker3's new key`);
      assert.equal(
        authorized.replace(newKey, ''),
        was['/home/pi/.ssh/authorized_keys'],
        `${names[index]}: authorized_keys gained worker3's new key and nothing else`,
      );
    }
    assert.equal(
      afterRun[3]!['/home/pi/.ssh/authorized_keys'],
      afterRun[0]!['/home/pi/.ssh/authorized_keys'],
      "worker3's authorized_keys is the master's merged file again",
    );
    await assertEveryLogin(lab);

    // The headless run of the whole setup finds nothing left to do.
    const files = await clusterFiles(lab);
    const headless = await drive(lab, ['all', '--yes']);
    assert.equal(headless.code, 0, headless.stdout + headless.stderr);
    assert.deepEqual(
      headless.reports.filter((report) => report.status !== 'ok'),
      [],
    );
    assert.deepEqual(await clusterFiles(lab), files);
    await lab.stop();
  });

  test('kill -9 in the middle of the Keys section, then resume: the same files as without it', async () => {
    assert.ok(uninterrupted, 'needs the files of the uninterrupted run');
    const lab = await startLab({
      nodes: 5,
      profile: 'trixie',
      sudo: 'password',
      rebootDelayMs: 300,
    });
    labs.push(lab);
    const master = lab.nodes[0]!;
    const worker4 = lab.nodes[4]!;
    // The network section, headless, up to the master's own reboot.
    const bootsBefore = master.bootCount;
    const network = await drive(lab, ['all', '--yes'], labPlan(lab, 5));
    assert.equal(network.code, null, `the master rebooted:\n${network.stdout}${network.stderr}`);
    await master.waitUntilUp({ afterBoot: bootsBefore, timeoutMs: 120_000 });

    // A slow card: worker4 takes its time making its key pair, so the plug is pulled meanwhile.
    const slowKeygen = '/usr/local/bin/ssh-keygen';
    const slowPid = '/tmp/pcw-slow-keygen.pid';
    await worker4.runAsRoot(
      `printf '%s\\n' '#!/bin/sh' 'echo $$ > ${slowPid}' 'exec sleep 120' > ${slowKeygen} && chmod 755 ${slowKeygen}`,
    );
    const keyFiles = lab.nodes.map((node) => [node, '/home/pi/.ssh/id_ed25519.pub'] as const);
    const killed = await inTerminal(master, 'run all', async (terminal) => {
      await answerYes(terminal);
      await typePassword(terminal, lab.password);
      await waitForKeysSection(terminal, 300_000);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const made = await Promise.all(
          keyFiles.slice(0, 4).map(([node, file]) => fileExists(node, file)),
        );
        if (made.every(Boolean) && (await fileExists(worker4, slowPid))) break;
        assert.ok(Date.now() < deadline, `keys never reached worker4:\n${terminal.history()}`);
        await delay(50);
      }
      const exit = await terminal.killWizard();
      return { exit, output: terminal.history() };
    });
    assert.equal(killed.exit, 137, killed.output);
    assert.doesNotMatch(killed.output, /Done: |Interrupted: /, 'killed before the run ended');
    assert.equal(await fileExists(worker4, '/home/pi/.ssh/id_ed25519.pub'), false);
    assert.equal(await fileExists(master, '/home/pi/.ssh/authorized_keys'), false, 'before fan-in');
    const stopSlow = await worker4.runAsRoot(
      `kill "$(cat ${slowPid})"; rm -f ${slowKeygen} ${slowPid}`,
    );
    assert.equal(stopSlow.code, 0, stopSlow.stderr);

    const resumed = await inTerminal(master, '', async (terminal) => {
      await resumeOnWelcomeScreen(terminal);
      await startOnConfirmScreen(terminal);
      await typePassword(terminal, lab.password);
      return waitForRunEnd(terminal, 480_000);
    });
    assert.equal(resumed.end, 'done', resumed.output);
    assert.equal(resumed.exit, 0, resumed.output);
    await assertEveryLogin(lab);
    const files = await labIndependentFiles(lab, await clusterFiles(lab));
    const differing = Object.keys(uninterrupted).filter(
      (key) => files[key] !== uninterrupted?.[key],
    );
    const pick = (from: Record<string, string>) =>
      Object.fromEntries(differing.map((key) => [key, from[key]]));
    assert.deepEqual(pick(files), pick(uninterrupted), 'the same files as the uninterrupted run');
    assert.deepEqual(Object.keys(files), Object.keys(uninterrupted));
  });
});
