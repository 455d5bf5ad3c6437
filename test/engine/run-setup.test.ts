// The engine's scheduling, on in-memory nodes (test/engine/memory-nodes.ts): the order each node
// goes through the plan, where it waits for the others, reboots at once and the master last,
// retries and the person's choices, the dry run, carried steps and the resume after the master's
// reboot. What only real nodes can show (the steps themselves, SSH, reboots) is the lab's.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runSetup } from '../../source/engine/run-setup.js';
import { verifyNodesAtOnce } from '../../source/steps/key-steps.js';
import { StepFailure, type StepId } from '../../source/steps/step.js';
import { allGuideSteps, MemoryLab, mostAtOnce } from './memory-nodes.js';

const networkSteps = ['static-ip', 'hostname', 'hosts', 'ssh'];
/** What the master runs in the resume after its own reboot: everything checked again, then the keys. */
const resumeOnMaster = ['preflight?', ...networkSteps, 'keys', 'fan-in', 'known-hosts', 'verify'];

/** Runs the engine and keeps the lab's rows where the engine says the nodes answer now. */
async function run(lab: MemoryLab, overrides: Parameters<MemoryLab['options']>[0] = {}) {
  const options = lab.options(overrides);
  return runSetup({
    ...options,
    onEvent: (event) => {
      options.onEvent?.(event);
      if (event.type === 'reach-changed') {
        const row = lab.rows.find((each) => each.hostname === event.node)!;
        row.reachAt = event.address;
      }
    },
  });
}

describe('runSetup on in-memory nodes', () => {
  test('a first setup: each node through the network steps, workers reboot at once, the master last, and the run ends there', async () => {
    const lab = new MemoryLab(5);
    const result = await run(lab);
    assert.equal(result.masterRebooting, true);
    assert.equal(lab.masterRebooted, true);
    for (const row of lab.rows)
      assert.deepEqual(lab.ranOn(row.hostname), ['preflight?', ...networkSteps]);
    const workers = lab.reboots.filter((each) => each.node !== 'master');
    assert.equal(workers.length, 4);
    assert.equal(mostAtOnce(workers), 4, 'every worker reboots at once');
    const masterReboot = lab.reboots.find((each) => each.node === 'master')!;
    assert.ok(
      workers.every((each) => each.end <= masterReboot.start),
      'the master reboots last',
    );
    assert.ok(lab.memory.masterBootIdBeforeReboot, 'the boot id to prove the reboot is saved');
    assert.ok(!lab.events.some((event) => event.type === 'step-started' && event.step === 'keys'));

    // The resume after the master's reboot: proven by its new boot id, then the rest of the guide.
    lab.bootIds.set('master', 2);
    const resumed = await run(lab);
    assert.equal(resumed.masterRebooting, false);
    // Proven first (its new boot id, its setup held), then nothing left to reboot.
    const masterReboots = lab.reportsOf('reboot').filter((each) => each.node === 'master');
    assert.deepEqual(
      masterReboots.map((each) => each.summary),
      [
        'master: rebooted and answering at 127.0.90.10, its setup held',
        'master: already running its configuration at 127.0.90.10',
      ],
    );
    assert.equal(lab.memory.masterBootIdBeforeReboot, null);
    assert.deepEqual(lab.ranOn('worker1').slice(5), [
      'preflight?',
      ...networkSteps,
      'keys',
      'fan-out',
      'known-hosts',
      'verify',
    ]);
    assert.deepEqual(lab.ranOn('master').slice(5), resumeOnMaster);
    assert.equal(lab.reboots.length, 5, 'nobody rebooted twice');
    const statuses = lab.events.flatMap((event) =>
      event.type === 'report' ? [event.report.status] : [],
    );
    assert.ok(!statuses.includes('failed'));
  });

  test("what outlives the run is saved with the memory: each node's public key, host keys, processors", async () => {
    const lab = new MemoryLab(3);
    lab.memory = { ...lab.memory, retiredKeys: ['ssh-ed25519 AAAAold pi@gone'] };
    await run(lab);
    lab.bootIds.set('master', 2);
    await run(lab);
    assert.deepEqual(lab.memory.nodes?.worker2, {
      hostKeys: ['ssh-ed25519 AAAAhostworker2'],
      cores: 4,
      publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIworker2 pi@worker2',
    });
    assert.deepEqual(Object.keys(lab.memory.nodes ?? {}).sort(), ['master', 'worker1', 'worker2']);
    assert.deepEqual(
      lab.memory.retiredKeys,
      ['ssh-ed25519 AAAAold pi@gone'],
      'kept for nodes that were off',
    );
    // A dry run learns nothing it would save.
    const dry = new MemoryLab(2);
    await run(dry, { dryRun: true });
    assert.equal(dry.memory.nodes, undefined);
  });

  test("nodes that left are forgotten in the wizard's known_hosts as the next run starts, once", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'pcw-forget-'));
    try {
      const knownHostsPath = join(directory, 'known_hosts');
      const lines = [
        '127.0.90.14 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGone',
        'worker9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGone',
        '127.0.90.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKept',
      ];
      writeFileSync(knownHostsPath, `${lines.join('\n')}\n`);
      const lab = new MemoryLab(2);
      lab.memory = { ...lab.memory, forgetHostKeys: ['worker9', '127.0.90.14', '127.0.90.11'] };
      await run(lab, { knownHostsPath, dryRun: true });
      assert.equal(
        readFileSync(knownHostsPath, 'utf8'),
        `${lines.join('\n')}\n`,
        'a dry run forgets nothing',
      );
      await run(lab, { knownHostsPath });
      // 127.0.90.11 is worker1's static address: a node of the cluster uses it now.
      assert.equal(readFileSync(knownHostsPath, 'utf8'), `${lines[2]}\n`);
      assert.equal(lab.memory.forgetHostKeys, undefined, 'done once');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test('a known_hosts the run cannot change is a warning event, the run goes on, and the change waits', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'pcw-forget-'));
    try {
      const blocker = join(directory, 'a-file');
      writeFileSync(blocker, '');
      const lab = new MemoryLab(2);
      const card = { hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINew', forget: ['127.0.90.60'] };
      lab.memory = { ...lab.memory, newCards: { worker1: card } };
      const warnings: string[] = [];
      const result = await run(lab, {
        knownHostsPath: join(blocker, 'known_hosts'),
        onEvent: (event) => {
          if (event.type === 'warning') warnings.push(event.text);
        },
      });
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0]!,
        /worker1's new card could not be trusted in .*a-file\/known_hosts .*ENOTDIR/,
      );
      assert.ok(result.reports.length > 0, 'the run went on');
      assert.deepEqual(lab.memory.newCards, { worker1: card }, 'left for the next run');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test('a cluster of one: a step on no node (fan-out) does not hold up verify', async () => {
    const lab = new MemoryLab(1);
    const first = await run(lab);
    assert.equal(first.masterRebooting, true);
    lab.bootIds.set('master', 2);
    const resumed = await run(lab);
    assert.equal(resumed.masterRebooting, false);
    assert.deepEqual(lab.ranOn('master').slice(5), resumeOnMaster);
    assert.ok(
      lab.events.some((event) => event.type === 'step-finished' && event.step === 'verify'),
    );
  });

  test('a node moves on by itself: a slow node delays only what reads every node', async () => {
    const lab = new MemoryLab(3);
    lab.behave('hostname', 'worker2', { delayMs: 300 });
    await run(lab);
    const hostnameOnWorker2 = lab.ran.find(
      (each) => each.step === 'hostname' && each.node === 'worker2',
    )!;
    const sshOnWorker1 = lab.ran.find((each) => each.step === 'ssh' && each.node === 'worker1')!;
    const worker1Reboot = lab.reboots.find((each) => each.node === 'worker1')!;
    const worker2Reboot = lab.reboots.find((each) => each.node === 'worker2')!;
    assert.ok(sshOnWorker1.end < hostnameOnWorker2.end, 'worker1 did not wait for worker2');
    assert.ok(worker1Reboot.start < hostnameOnWorker2.end, 'worker1 rebooted while worker2 worked');
    const masterReboot = lab.reboots.find((each) => each.node === 'master')!;
    assert.ok(worker2Reboot.end <= masterReboot.start, 'the master waited for the slow worker');

    // After the reboot, fan-in waits for every key and fan-out for fan-in.
    lab.bootIds.set('master', 2);
    lab.behave('keys', 'worker2', { delayMs: 200 });
    await run(lab);
    const keysOnWorker2 = lab.ran.findLast(
      (each) => each.step === 'keys' && each.node === 'worker2',
    )!;
    const fanIn = lab.ran.findLast((each) => each.step === 'fan-in')!;
    const fanOuts = lab.ran.filter((each) => each.step === 'fan-out');
    assert.ok(keysOnWorker2.end <= fanIn.start);
    assert.ok(fanOuts.every((each) => fanIn.end <= each.start));
    const verifies = lab.ran.filter((each) => each.step === 'verify');
    const knownHosts = lab.ran.filter((each) => each.step === 'known-hosts');
    const lastBefore = Math.max(...[...fanOuts, ...knownHosts].map((each) => each.end));
    assert.ok(
      verifies.every((each) => lastBefore <= each.start),
      'verify waits for every node',
    );
  });

  test('64 nodes: every due worker reboots at once; steps stay within --concurrency and verify within MaxStartups', async () => {
    const lab = new MemoryLab(64);
    lab.rebootMs = 100;
    for (const row of lab.rows) lab.behave('hosts', row.hostname, { delayMs: 5 });
    await run(lab, { concurrency: 8 });
    const workers = lab.reboots.filter((each) => each.node !== 'master');
    assert.equal(workers.length, 63);
    assert.ok(mostAtOnce(workers) >= 60, `reboots at once: ${mostAtOnce(workers)}`);
    const steps = lab.ran.filter((each) => each.step !== 'preflight');
    assert.ok(mostAtOnce(steps) <= 8, `steps at once: ${mostAtOnce(steps)}`);
    assert.ok(
      mostAtOnce(lab.ran.filter((each) => each.step === 'hosts')) >= 6,
      'hosts ran 8 at once',
    );

    lab.bootIds.set('master', 2);
    for (const row of lab.rows) lab.behave('verify', row.hostname, { delayMs: 10 });
    const ran = lab.ran.length;
    await run(lab, { concurrency: 64, steps: ['verify'] });
    const verifies = lab.ran.slice(ran).filter((each) => each.step === 'verify');
    assert.equal(verifies.length, 64);
    assert.ok(mostAtOnce(verifies) <= verifyNodesAtOnce, `verify at once: ${mostAtOnce(verifies)}`);
  });

  test('a transient failure is retried on a fresh connection and the step goes through', async () => {
    const lab = new MemoryLab(3);
    lab.behave('hosts', 'worker1', { transientFailures: 2 });
    await run(lab);
    assert.equal(lab.reportsOf('hosts').find((each) => each.node === 'worker1')!.status, 'changed');
    const retries = lab.events.filter(
      (event) => event.type === 'node-progress' && event.event.type === 'retrying',
    );
    assert.equal(retries.length, 2);
    assert.equal(lab.connects.filter((each) => each.node === 'worker1' && each.fresh).length, 2);
  });

  for (const step of [
    'preflight',
    ...networkSteps,
    'keys',
    'fan-out',
    'known-hosts',
    'verify',
  ] as StepId[]) {
    test(`a worker failing at ${step}: skipped for the rest of the run, the others finish, the master stays up`, async () => {
      const lab = new MemoryLab(4);
      const afterReboot = ['keys', 'fan-out', 'known-hosts', 'verify'].includes(step);
      if (afterReboot) {
        // The network part is done and the master rebooted: this is the resumed run.
        await run(lab);
        lab.bootIds.set('master', 2);
      }
      lab.behave(step, 'worker2', { failures: Number.POSITIVE_INFINITY });
      const result = await run(lab);
      const later = allGuideSteps.slice(allGuideSteps.indexOf(step) + 1);
      const failed = lab.events.flatMap((event) =>
        event.type === 'report' && event.report.status === 'failed' ? [event.report] : [],
      );
      assert.deepEqual(
        failed.map((each) => `${each.step}@${each.node}`),
        [`${step}@worker2`],
      );
      assert.match(failed[0]!.summary, new RegExp(`worker2: ${step} broke`));
      for (const each of later) {
        if (each === 'fan-in') continue;
        const ofWorker2 = lab.reportsOf(each).filter((report) => report.node === 'worker2');
        assert.deepEqual(
          ofWorker2.map((report) => report.status),
          ['skipped'],
          `${each} on worker2`,
        );
      }
      for (const node of ['worker1', 'worker3'])
        assert.ok(
          lab.ranOn(node).includes(afterReboot ? 'verify' : 'ssh'),
          `${node} went on: ${lab.ranOn(node).join(' ')}`,
        );
      if (!afterReboot) {
        assert.equal(result.masterRebooting, false);
        const master = lab.reportsOf('reboot').find((each) => each.node === 'master')!;
        assert.equal(master.status, 'skipped');
        assert.match(master.summary, /not rebooted while worker2 failed/);
        assert.ok(lab.ranOn('worker1').includes('verify'), 'the others went on through verify');
      }
    });
  }

  test('a master that failed an earlier step is not rebooted; the workers are', async () => {
    const lab = new MemoryLab(3);
    lab.behave('hosts', 'master', { failures: Number.POSITIVE_INFINITY });
    const result = await run(lab);
    assert.equal(result.masterRebooting, false);
    assert.equal(lab.masterRebooted, false);
    const master = lab.reportsOf('reboot').find((each) => each.node === 'master')!;
    assert.equal(master.status, 'skipped');
    assert.match(master.summary, /skipped because an earlier step failed on it/);
    assert.deepEqual(lab.reboots.map((each) => each.node).sort(), ['worker1', 'worker2']);
  });

  test('the choices: retry runs the step again, skip leaves the node, stop starts nothing new', async () => {
    const retried = new MemoryLab(3);
    retried.behave('hostname', 'worker1', { failures: 1 });
    const asked: string[] = [];
    await run(retried, {
      decideOnFailure: async (failure) => {
        asked.push(`${failure.step}@${failure.node}`);
        return 'retry';
      },
    });
    assert.deepEqual(asked, ['hostname@worker1']);
    assert.deepEqual(
      retried
        .reportsOf('hostname')
        .filter((each) => each.node === 'worker1')
        .map((each) => each.status),
      ['failed', 'changed'],
      'both are shown as they happened',
    );
    assert.equal(retried.masterRebooted, true, 'the retried node counts as done');

    const stopped = new MemoryLab(3);
    stopped.behave('hostname', 'worker1', { failures: 1 });
    const result = await run(stopped, { decideOnFailure: async () => 'stop' });
    assert.equal(result.stopped, true);
    assert.equal(stopped.reboots.length, 0);
    assert.ok(
      stopped.ran.every((each) => each.step !== 'ssh'),
      'no step started after the stop',
    );
  });

  test('a dry run changes nothing and reboots nothing, and verify waits for the changes', async () => {
    const lab = new MemoryLab(3);
    lab.bootIds.set('master', 1);
    const result = await run(lab, { dryRun: true, steps: [...allGuideSteps] });
    assert.equal(result.masterRebooting, false);
    assert.equal(lab.applied.size, 0);
    assert.equal(lab.reboots.length, 0);
    const reboot = lab.reportsOf('reboot');
    assert.deepEqual(
      reboot.map((each) => `${each.node} ${each.status}`),
      ['worker1 changed', 'worker2 changed', 'master changed'],
    );
    assert.ok(
      lab
        .reportsOf('verify')
        .every((each) => /checked once the changes above are made/.test(each.summary)),
    );
    assert.ok(lab.ran.every((each) => each.checkOnly));
  });

  test('keys for one node carries on through fan-in, fan-out and known-hosts; the other keys are only read', async () => {
    const lab = new MemoryLab(4);
    await run(lab);
    lab.bootIds.set('master', 2);
    await run(lab);
    const before = new Map(lab.rows.map((row) => [row.hostname, lab.ranOn(row.hostname).length]));
    lab.applied.delete('keys@worker3');
    await run(lab, { steps: ['keys'], nodes: ['worker3'] });
    const now = (node: string) => lab.ranOn(node).slice(before.get(node));
    assert.deepEqual(now('worker3'), ['preflight?', 'keys', 'fan-out', 'known-hosts']);
    assert.deepEqual(now('master'), ['preflight?', 'keys?', 'fan-in']);
    assert.deepEqual(now('worker1'), ['preflight?', 'keys?', 'fan-out']);
    const started = lab.events.flatMap((event) =>
      event.type === 'step-started' ? [event.step] : [],
    );
    assert.deepEqual(started.slice(-4), ['keys', 'fan-in', 'fan-out', 'known-hosts']);
  });

  test('a setup that did not hold through the reboot: the node is not rebooted again until it has booted since', async () => {
    const lab = new MemoryLab(2);
    const options = lab.options();
    const book = options.book!;
    const undone = {
      ...book,
      checkAfterReboot: async (work: { row: { hostname: string } }) => {
        if (work.row.hostname === 'worker1')
          throw new StepFailure(
            "worker1: after its reboot the wizard's setup no longer holds: /etc/hosts",
            'put it back',
          );
      },
    };
    await run(lab, { book: undone });
    const first = lab.reportsOf('reboot').find((each) => each.node === 'worker1')!;
    assert.equal(first.status, 'failed');
    assert.ok(lab.memory.undoneAtBoot?.worker1);
    assert.equal(lab.masterRebooted, false, 'the master waits');
    lab.rows[1]!.reachAt = '127.0.91.11';
    await run(lab, { book: undone });
    const again = lab
      .reportsOf('reboot')
      .filter((each) => each.node === 'worker1')
      .at(-1)!;
    assert.match(
      again.summary,
      /not rebooted again: what the wizard set did not survive its last reboot/,
    );
    assert.equal(lab.reboots.filter((each) => each.node === 'worker1').length, 1);
  });
});
