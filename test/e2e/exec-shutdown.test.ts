// End to end on the fake Pi lab: exec, reboot and shutdown run on the master as pi, against a
// cluster saved by `run preflight --cluster FILE` (every node still at its DHCP address, sudo
// asking the password). The lab's own records say when each node went down and came back, so the
// order (workers first, the master last) is checked from outside the wizard.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Lab, type LabNode, startLab } from '../lab/lab.js';
import { cli, drive, labPlan, parseJsonLines } from './drive.js';
import { NodeTerminal } from './terminal.js';

// Quotes, a space and a `$(…)`: it must reach sudo as data, and never the command log.
const password = `it's $(not) a "command"`;
const names = ['master', 'worker1', 'worker2'];

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

type Line = Record<string, unknown> & { type: string };

/** The built CLI on the master as pi, the password on standard input. */
async function wizard(lab: Lab, args: string[], input = `${password}\n`) {
  const result = await lab.nodes[0]!.runAsPi(`node ${cli} ${args.map(quote).join(' ')}`, {
    input,
    timeoutMs: 240_000,
  });
  const lines = args.includes('--json') ? (parseJsonLines(result.stdout) as Line[]) : [];
  const summary = lines.find((line) => line.type === 'summary');
  const results = lines.filter((line) => line.type === 'result');
  return { ...result, lines, summary, results };
}

/**
 * Watches the lab's nodes while `work` runs: when each went down (its boot's init gone) and when
 * it was booting again (a later boot's init running), in ms from the start.
 */
async function watchPower<T>(lab: Lab, work: () => Promise<T>) {
  const started = Date.now();
  const down = new Map<number, number>();
  const upAgain = new Map<number, number>();
  const boots = lab.nodes.map((node) => node.bootCount);
  const sample = () => {
    for (const node of lab.nodes) {
      const booted = node.bootCount > boots[node.index]!;
      if (!down.has(node.index) && (node.pid() === undefined || booted))
        down.set(node.index, Date.now() - started);
      if (!upAgain.has(node.index) && booted && node.pid() !== undefined)
        upAgain.set(node.index, Date.now() - started);
    }
  };
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      sample();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    const value = await work();
    return { value, down, upAgain, boots };
  } finally {
    watching = false;
    await watcher;
    // What `work` waited for last happened after the last look.
    sample();
  }
}

async function waitForDown(node: LabNode, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (node.pid() !== undefined) {
    if (Date.now() > deadline) throw new Error(`node ${node.index} did not go down`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('exec, reboot and shutdown on a 3-node lab', { timeout: 600_000 }, () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ nodes: 3, profile: 'dhcpcd', password, rebootDelayMs: 300 });
    const { settings, rows } = labPlan(lab, 3);
    // A cheap way to a saved session: preflight reads every node and saves the cluster given.
    const preflight = await drive(lab, ['preflight', '--yes'], { settings, rows });
    assert.equal(preflight.summary?.exitCode, 0, preflight.stdout + preflight.stderr);
    // The running hostnames the setup would have given them (not on the cards: a reboot forgets).
    for (const [index, node] of lab.nodes.entries())
      assert.equal((await node.runAsRoot(`hostname ${names[index]}`)).code, 0);
  });
  after(() => lab?.stop());

  test('exec -- hostname: each node prints its name, grouped; the same output is one group', async () => {
    const json = await wizard(lab, ['exec', '--json', '--', 'hostname']);
    assert.equal(json.code, 0, json.stdout + json.stderr);
    assert.deepEqual(
      json.results.map((line) => [line.node, line.status, line.exitCode, line.stdout]).sort(),
      names.map((name) => [name, 'ok', 0, `${name}\n`]),
      json.stdout,
    );
    assert.equal(json.summary?.result, 'done');
    assert.deepEqual(
      ((json.summary?.groups ?? []) as Array<{ header: string }>).map((group) => group.header),
      ['master (1)', 'worker1 (1)', 'worker2 (1)'],
    );

    const plain = await wizard(lab, ['exec', '--yes', '--', 'sh', '-c', 'echo "$0 from $HOME"']);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    // One group for all three, folded as clush folds it; each ran in its login's home.
    assert.match(plain.stdout, /\n-+\nmaster,worker\[1-2\] \(3\)\n-+\nsh from \/home\/pi\n/);
    assert.match(plain.stdout, /Done: exit code 0 on all 3 nodes\.\n$/);
  });

  test('a command that fails on one node: exit code 3, the node and its exit code named', async () => {
    for (const index of [0, 2]) await lab.nodes[index]!.runAsPi('echo here > flag');
    const json = await wizard(lab, ['exec', '--json', '--', 'cat', 'flag']);
    assert.equal(json.code, 3, json.stdout + json.stderr);
    assert.deepEqual(json.summary?.failedNodes, ['worker1']);
    const worker1 = json.results.find((line) => line.node === 'worker1');
    assert.equal(worker1?.exitCode, 1);
    assert.match(String(worker1?.stderr), /flag: No such file or directory/);

    const plain = await wizard(lab, [
      'exec',
      '--yes',
      '--node',
      'worker1',
      '--node',
      'worker2',
      '--',
      'cat',
      'flag',
    ]);
    assert.equal(plain.code, 3, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /^worker1 +exit 1 /m);
    assert.match(plain.stdout, /1 of 2 nodes failed: worker1 \(exit code 1\)\. Command log: /);
    assert.doesNotMatch(plain.stdout, /^master /m, 'only the nodes named');
  });

  test('exec --sudo -- id -u: root everywhere with password sudo; the password is in no log', async () => {
    const json = await wizard(lab, ['exec', '--sudo', '--json', '--', 'id', '-u']);
    assert.equal(json.code, 0, json.stdout + json.stderr);
    assert.deepEqual(
      json.results.map((line) => [line.node, line.stdout]).sort(),
      names.map((name) => [name, '0\n']),
    );
    const logs = await lab.nodes[0]!.runAsPi(
      'cat ~/.local/state/pi-cluster-wizard/commands-*.jsonl',
    );
    assert.equal(logs.code, 0);
    const entries = logs.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { node: string; command: string; asRoot: boolean });
    for (const name of names)
      assert.ok(
        entries.some((entry) => entry.node === name && entry.command === 'id -u' && entry.asRoot),
        `${name} ran id -u as root, logged as given`,
      );
    assert.ok(!logs.stdout.includes(password), 'the password is never logged');
    assert.ok(!logs.stdout.includes('$(not)'), 'not even a part of it');
  });

  test('at a terminal: the password typed, the live view, then the outputs grouped', async (t) => {
    const terminal = new NodeTerminal(lab.nodes[0]!, 'exec --sudo -- id -u');
    try {
      await terminal.waitFor(/Password of pi on the Pis .*not shown/, 60_000);
      terminal.send(password, true);
      terminal.send('Enter');
      const history = await terminal.waitInHistory(/^\[exit \d+\]$/m, 60_000);
      t.diagnostic(history);
      assert.match(history, /^id -u as root on all 3 nodes$/m);
      for (const name of names)
        assert.match(history, new RegExp(`^✓ ${name} +[0-9.m]+s +exit code 0$`, 'm'));
      assert.match(
        history,
        /^-+\nmaster,worker\[1-2\] \(3\)\n-+\n0\n\nDone: exit code 0 on all 3 nodes\.$/m,
      );
      assert.match(history, /^\[exit 0\]$/m);
      assert.ok(!history.includes(password), 'the password is not shown');
    } finally {
      terminal.close();
    }
    // No is the default: nothing happens.
    const asked = new NodeTerminal(lab.nodes[0]!, 'reboot');
    try {
      await asked.waitFor(
        /Reboot all 3 Pis: worker1, worker2 at once, then the master \(master, this machine\) last\? \[y\/N\]/,
        60_000,
      );
      asked.send('Enter');
      assert.equal(await asked.ended(30_000), 1);
      assert.match(asked.history(), /Nothing was done\./);
    } finally {
      asked.close();
    }
  });

  for (const [how, flags, seconds] of [
    ['as the login user', [], 121],
    ['as root (--sudo, password sudo)', ['--sudo'], 122],
  ] as const) {
    test(`stopped while it runs ${how}: exit 143, said in words, the command stopped on every node`, async () => {
      const [master] = lab.nodes as [LabNode];
      // A sleep of its own length: the lab's init has sleeps of its own.
      const sleeping = async () =>
        Promise.all(
          lab.nodes.map(
            async (node) =>
              (await node.runAsRoot(`pgrep -a -x sleep | grep -q ' sleep ${seconds}$'`)).code === 0,
          ),
        );
      // In the background (to be killed), where standard input is /dev/null: the password from a file.
      await master.runAsPi('umask 077; cat > pw', { input: `${password}\n` });
      const started = master.runAsPi(
        `node ${cli} exec ${flags.join(' ')} --yes --password-file pw -- sleep ${seconds} & echo $! > /tmp/pcw-exec.pid; wait $!`,
        { timeoutMs: 60_000 },
      );
      const deadline = Date.now() + 30_000;
      while (!(await sleeping()).every(Boolean)) {
        assert.ok(Date.now() < deadline, `sleep ${seconds} never ran on every node`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal((await master.runAsRoot('kill -TERM "$(cat /tmp/pcw-exec.pid)"')).code, 0);
      const stopped = await started;
      assert.equal(stopped.code, 143, stopped.stdout + stopped.stderr);
      assert.match(
        stopped.stderr,
        /Stopping: nothing more is started, and what runs is told to stop/,
      );
      assert.match(
        stopped.stdout,
        /Interrupted: nothing more was started, and what ran was told to stop \(master, worker1, worker2\)\. Command log/,
      );
      // The master's command is the wizard's child; a worker's gets the TERM sshd passes on to
      // its session (sudo relays it to root's): every one is stopped.
      const after = Date.now() + 15_000;
      while ((await sleeping()).some(Boolean)) {
        assert.ok(
          Date.now() < after,
          `still sleeping after the stop (master, worker1, worker2): ${JSON.stringify(await sleeping())}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
  }

  test('bad input is refused in words with exit code 2, and nothing runs', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['exec', '--'], /exec needs a command after --/],
      [['exec', 'hostname'], /exec takes its command after --/],
      [
        ['exec', '--node', 'worker9', '--', 'hostname'],
        /No node called worker9 in this cluster\. The nodes are: master, worker1, worker2\./,
      ],
      [['shutdown', '--sudo'], /--sudo goes only with: pi-cluster-wizard exec/],
      [['reboot', '--json'], /reboot reboots every Pi: add --yes to run it without a terminal/],
      [
        ['exec', '--session', 'other', '--', 'hostname'],
        /No cluster is planned in the session "other" yet/,
      ],
    ];
    const boots = lab.nodes.map((node) => node.bootCount);
    for (const [args, message] of cases) {
      const result = await wizard(lab, args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.equal(result.stdout, '', args.join(' '));
    }
    assert.deepEqual(
      lab.nodes.map((node) => node.bootCount),
      boots,
      'no node rebooted',
    );
  });

  test('reboot with a worker that cannot be reached: it is named, the others reboot, the master does not', async (t) => {
    const [master, worker1, worker2] = lab.nodes as [LabNode, LabNode, LabNode];
    const boots = lab.nodes.map((node) => node.bootCount);
    await worker2.killSshd();
    const run = await wizard(lab, ['reboot', '--yes', '--json']);
    t.diagnostic(run.stdout);
    assert.equal(run.code, 3, run.stdout + run.stderr);
    const byNode = new Map(run.results.map((line) => [line.node, line]));
    assert.equal(byNode.get('worker1')?.status, 'ok');
    assert.equal(byNode.get('worker2')?.status, 'failed');
    assert.match(String(byNode.get('worker2')?.summary), /worker2 .*refused the SSH connection/);
    assert.match(String(byNode.get('worker2')?.summary), /What to do: /);
    assert.deepEqual(run.summary?.failedNodes, ['worker2']);
    assert.equal((run.summary?.master as { goes?: boolean } | undefined)?.goes, false);
    assert.match(
      String(run.summary?.message),
      /The master \(master\) is not rebooted: worker2 failed, and the master is your way in/,
    );
    await worker1.waitUntilUp({ afterBoot: boots[1]! });
    assert.equal(worker1.bootCount, boots[1]! + 1, 'worker1 rebooted');
    assert.equal(master.bootCount, boots[0], 'the master did not');
    assert.equal(worker2.bootCount, boots[2], 'nor worker2');
    assert.equal((await worker2.runAsRoot('systemctl start ssh')).code, 0);
    await worker2.waitUntilUp();
  });

  test('reboot: every worker back with a new boot id, then the master reboots last', async (t) => {
    const bootIds = await Promise.all(lab.nodes.map((node) => node.bootId()));
    const master = lab.nodes[0]!;
    const masterBoots = master.bootCount;
    const watched = await watchPower(lab, async () => {
      const run = await wizard(lab, ['reboot', '--yes', '--json']);
      await master.waitUntilUp({ afterBoot: masterBoots, timeoutMs: 60_000 });
      return run;
    });
    const run = watched.value;
    t.diagnostic(
      `${run.stdout}down at ${JSON.stringify([...watched.down])}, up again at ${JSON.stringify([...watched.upAgain])} (ms)`,
    );
    // The master's reboot ends the wizard's process (and this command) with it.
    assert.equal(run.code, null, run.stdout + run.stderr);
    assert.deepEqual(
      run.results.map((line) => [line.node, line.status]).sort(),
      [
        ['worker1', 'ok'],
        ['worker2', 'ok'],
      ],
      run.stdout,
    );
    for (const line of run.results) assert.match(String(line.summary), /^back with a new boot id/);
    assert.deepEqual(run.summary?.master, { node: 'master', goes: true });
    assert.equal(run.summary?.exitCode, 0);
    for (const node of lab.nodes) await node.waitUntilUp({ afterBoot: watched.boots[node.index]! });
    const after = await Promise.all(lab.nodes.map((node) => node.bootId()));
    for (const index of [0, 1, 2]) assert.notEqual(after[index], bootIds[index], `node ${index}`);
    // Master last: down only after every worker was up again.
    const masterDown = watched.down.get(0)!;
    for (const index of [1, 2])
      assert.ok(
        watched.upAgain.get(index)! < masterDown,
        `worker${index} up again at ${watched.upAgain.get(index)} ms, the master down at ${masterDown} ms`,
      );
  });

  test('shutdown at a terminal: asked, the password typed, the workers shown going, the master last', async (t) => {
    const master = lab.nodes[0]!;
    const watched = await watchPower(lab, async () => {
      const terminal = new NodeTerminal(master, 'shutdown');
      try {
        await terminal.waitFor(
          /Power off all 3 Pis: worker1, worker2 at once, then the master \(master, this machine\) last\? \[y\/N\]/,
          60_000,
        );
        terminal.send('y', true);
        terminal.send('Enter');
        await terminal.waitFor(/Password of pi on the Pis .*not shown/, 30_000);
        terminal.send(password, true);
        terminal.send('Enter');
        const history = await terminal.waitInHistory(/powers off now, last/, 120_000);
        await waitForDown(master);
        return history;
      } finally {
        terminal.close();
      }
    });
    const history = watched.value;
    t.diagnostic(history);
    assert.match(history, /^Powering off every worker at once, then the master \(master\) last$/m);
    for (const name of ['worker1', 'worker2'])
      assert.match(
        history,
        new RegExp(`^✓ ${name} +[0-9.m]+s +off: its SSH port stopped answering after`, 'm'),
      );
    assert.match(
      history,
      /All 2 workers are off\.\nThe master \(master, this machine\) powers off now, last/,
    );
    assert.ok(!history.includes(password), 'the password is not shown');
    for (const node of lab.nodes) assert.equal(node.pid(), undefined, `node ${node.index} is off`);
    const masterDown = watched.down.get(0)!;
    for (const index of [1, 2])
      assert.ok(watched.down.get(index)! < masterDown, `worker${index} first`);
    // On again for the next test, where they were.
    await Promise.all(lab.nodes.map((node) => node.powerOn()));
    await Promise.all(lab.nodes.map((node) => node.waitUntilUp({ timeoutMs: 60_000 })));
  });

  test('shutdown --yes: every worker stops answering, then the master powers off last', async (t) => {
    for (const [index, node] of lab.nodes.entries())
      await node.runAsRoot(`hostname ${names[index]}`);
    const watched = await watchPower(lab, async () => {
      const run = await wizard(lab, ['shutdown', '--yes']);
      await waitForDown(lab.nodes[0]!);
      return run;
    });
    const run = watched.value;
    t.diagnostic(`${run.stdout}down at ${JSON.stringify([...watched.down])} (ms)`);
    assert.equal(run.code, null, run.stdout + run.stderr);
    assert.match(run.stdout, /^worker1 +ok +off: its SSH port stopped answering after/m);
    assert.match(run.stdout, /^worker2 +ok +off: its SSH port stopped answering after/m);
    assert.match(
      run.stdout,
      /All 2 workers are off\.\nThe master \(master, this machine\) powers off now, last/,
    );
    for (const node of lab.nodes) assert.equal(node.pid(), undefined, `node ${node.index} is off`);
    assert.equal(lab.nodes[0]!.bootCount, watched.boots[0], 'powered off, not rebooted');
    const masterDown = watched.down.get(0)!;
    for (const index of [1, 2])
      assert.ok(
        watched.down.get(index)! < masterDown,
        `worker${index} down at ${watched.down.get(index)} ms, the master at ${masterDown} ms`,
      );
  });
});
