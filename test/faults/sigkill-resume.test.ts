// The wizard killed with SIGKILL at ten points across a whole setup on three fake Pis, each time
// run again: at the end the same files as a clean run on a second lab, no line twice in any file
// the setup writes, no temporary file of a half-done atomic write, a session file and command logs
// that still parse, and the password in no file.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { labPlan } from '../e2e/drive.js';
import { type Lab, startLab } from '../lab/lab.js';
import {
  comparableSnapshot,
  duplicateLines,
  faultPassword,
  filesHoldingPassword,
  killWizard,
  leftoverTemporaryFiles,
  runWizard,
} from './fault-lab.js';

const nodeCount = 3;

/** Where to kill: the first output line of a run that matches (runs go on from the last). */
const killPoints: RegExp[] = [
  /^== preflight/,
  /^preflight\s+\S+\s+ok/,
  /^== static-ip/,
  /^static-ip\s+worker\d\s+changed/,
  /^== hosts/,
  /^== reboot/,
  /^reboot\s+worker\d\s+changed/,
  /^== keys/,
  /^== fan-out/,
  /^== known-hosts/,
];

async function setUp(lab: Lab): Promise<void> {
  const { settings, rows } = labPlan(lab, nodeCount);
  await lab.nodes[0]!.runAsPi('cat > ~/cluster.json', {
    input: JSON.stringify({ settings, rows }),
  });
}

describe('SIGKILL at ten points, then resume', { timeout: 1_800_000 }, () => {
  let lab: Lab;
  let reference: Lab;
  after(async () => {
    await Promise.all([lab?.stop(), reference?.stop()]);
  });

  test('ends with the files of a clean run, nothing doubled or half-written', async () => {
    [lab, reference] = (await Promise.all(
      [0, 1].map(() => startLab({ nodes: nodeCount, password: faultPassword, rebootDelayMs: 300 })),
    )) as [Lab, Lab];
    await Promise.all([setUp(lab), setUp(reference)]);
    const clusterArgs = ['--cluster', '/home/pi/cluster.json'];

    const referenceDone = (async () => {
      const master = reference.nodes[0]!;
      const boots = master.bootCount;
      const first = await runWizard(reference, ['all', '--yes', ...clusterArgs]);
      assert.equal(first.code, null, first.output);
      await master.waitUntilUp({ afterBoot: boots, timeoutMs: 60_000 });
      const second = await runWizard(reference, ['all', '--yes']);
      assert.equal(second.code, 0, second.output);
      return comparableSnapshot(reference);
    })();
    referenceDone.catch(() => {});

    const master = lab.nodes[0]!;
    const killedAt: string[] = [];
    let point = 0;
    let runsLeft = 20;
    for (;;) {
      assert.ok(runsLeft-- > 0, `no end after ${killedAt.join(', ')}`);
      const pattern = killPoints[point];
      let killed = false;
      const boots = master.bootCount;
      const run = await runWizard(lab, ['all', '--yes', ...(point === 0 ? clusterArgs : [])], {
        ...(pattern
          ? {
              whenLine: {
                pattern,
                act: async () => {
                  await killWizard(lab);
                  killed = true;
                },
              },
            }
          : {}),
      });
      if (killed) {
        assert.equal(run.code, null, `killed at ${pattern}:\n${run.output}`);
        killedAt.push(String(pattern));
        point += 1;
        // A kill during the reboot step may leave a worker rebooting: it comes back by itself.
        continue;
      }
      if (run.code === null) {
        // The master rebooted itself (the end of the first half of a setup).
        await master.waitUntilUp({ afterBoot: boots, timeoutMs: 60_000 });
        continue;
      }
      assert.equal(run.code, 0, run.output);
      break;
    }
    assert.equal(killedAt.length, killPoints.length, `killed at: ${killedAt.join(', ')}`);

    assert.equal(
      await comparableSnapshot(lab),
      await referenceDone,
      'the same files as a clean run',
    );
    assert.deepEqual(await duplicateLines(lab), [], 'no line twice');
    assert.deepEqual(await leftoverTemporaryFiles(lab), [], 'no half-written file');
    const state = await master.runAsPi(
      'cat ~/.config/pi-cluster-wizard/session-default.json; echo; echo ==; cat ~/.local/state/pi-cluster-wizard/commands-*.jsonl',
    );
    const [session, logs] = state.stdout.split('\n==\n') as [string, string];
    assert.doesNotThrow(() => JSON.parse(session), 'the session file parses');
    for (const line of logs.split('\n').filter(Boolean))
      assert.doesNotThrow(() => JSON.parse(line), `a whole command log line: ${line}`);
    assert.deepEqual(await filesHoldingPassword(lab), [], 'the password is in no file');
    assert.deepEqual(await filesHoldingPassword(reference), [], 'the password is in no file');
  });
});
