// A run and its journal on this machine as the master (inside the test namespace): the master's
// own reboot, run where it is safe (a `reboot` first on PATH, killed the way a real reboot kills
// it), must end the run as "the master is rebooting", never with an error; a dry run must leave
// the journal's results and reboot list as they were.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type RunJournal, runJournaled } from '../../source/engine/journaled-run.js';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';

const fakes = mkdtempSync(join(tmpdir(), 'pcw-master-reboot-'));
after(() => rmSync(fakes, { recursive: true, force: true }));

const settings = {
  ...defaultSettings,
  nodeCount: 1,
  subnet: '127.250.0.0/24',
  firstAddress: '127.250.0.100',
  gateway: '127.250.0.1',
  dns: ['127.250.0.1'],
  // The login user preflight expects: whoever runs the test (a master that fails preflight is not
  // rebooted at all, and that is not what this test is about).
  user: userInfo().username,
};

/**
 * A cluster of just this machine as the master, reached at another address than its static one:
 * due for its reboot.
 */
function masterOnly(saves: Partial<Pick<RunJournal, 'saveMemory' | 'saveResult'>>): RunJournal {
  return {
    settings,
    rows: planCluster(settings).map((row) => ({ ...row, reachAt: '127.250.0.7' })),
    memory: { rebootPending: [], masterBootIdBeforeReboot: null },
    saveRows() {},
    saveMemory() {},
    saveResult() {},
    ...saves,
  };
}

describe("the master's own reboot", () => {
  // That the master's reboot killing its own `reboot` command ends the run as "master rebooting"
  // (not a TransportError) is proven on the lab's real network stacks: test/e2e/setup.test.ts.
  // Here the master is this test machine, which runs no network stack: it must not be rebooted.
  it('is refused in words when no network stack of the master can confirm its new address', async (context) => {
    if (process.getuid?.() !== 0 || process.env.PCW_IN_TEST_NAMESPACE !== '1') {
      context.skip('needs root inside the test namespace (bash test/run-tests.sh)');
      return;
    }
    const fake = join(fakes, 'reboot');
    const ran = join(fakes, 'reboot-ran');
    writeFileSync(fake, `#!/bin/sh\ntouch '${ran}'\nkill -KILL $$\n`);
    chmodSync(fake, 0o755);
    process.env.PATH = `${fakes}:${process.env.PATH}`;
    // Never the real one: the fake must be the one found.
    assert.equal(
      execFileSync('sh', ['-c', 'command -v reboot'], { encoding: 'utf8' }).trim(),
      fake,
    );

    const events: string[] = [];
    const outcome = await runJournaled({
      journal: masterOnly({}),
      steps: ['reboot'],
      dryRun: false,
      fixClonedCards: false,
      commandLogPath: join(fakes, 'commands.jsonl'),
      onEvent: (event) => events.push(event.type),
    });
    assert.equal(outcome.masterRebooting, undefined);
    assert.ok(!events.includes('master-rebooting'));
    assert.equal(existsSync(ran), false, 'reboot never ran');
    const refused = outcome.reports.find(
      (report) => report.step === 'reboot' && report.node === 'master',
    );
    assert.equal(refused?.status, 'failed');
    assert.match(refused?.summary ?? '', /master: no known network stack runs on it/);
    assert.match(refused?.summary ?? '', /\nWhat to do: /);
  });
});

describe('a dry run', () => {
  it("leaves the journal's results, memory and reboot list as they were", async (context) => {
    if (process.getuid?.() !== 0 || process.env.PCW_IN_TEST_NAMESPACE !== '1') {
      context.skip('needs root inside the test namespace (bash test/run-tests.sh)');
      return;
    }
    const saved: string[] = [];
    const reports: string[] = [];
    const outcome = await runJournaled({
      journal: masterOnly({
        saveMemory: (memory) => saved.push(`memory ${JSON.stringify(memory)}`),
        saveResult: (step, node, status) => saved.push(`${step} ${node} ${status}`),
      }),
      steps: ['hosts', 'reboot'],
      dryRun: true,
      fixClonedCards: false,
      commandLogPath: join(fakes, 'dry-run-commands.jsonl'),
      onEvent: (event) => {
        if (event.type === 'report') reports.push(`${event.report.step} ${event.report.status}`);
      },
    });
    assert.ok(reports.includes('reboot changed'), reports.join(', '));
    assert.equal(outcome.dryRun, true);
    assert.deepEqual(saved, [], 'nothing a dry run only planned is saved');
  });
});
