// The --json reporter: every event a script needs as one parsable line, and a summary at the end.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { RunOutcome } from '../../source/engine/journaled-run.js';
import type { SetupEvent } from '../../source/engine/run-setup.js';
import { type JsonLine, jsonLinesReporter } from '../../source/reporters/json-lines.js';
import { endOfRunLines } from '../../source/reporters/run-summary.js';

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return {
    out,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as JsonLine),
    text: () => text,
  };
}

const outcome = (partial: Partial<RunOutcome>): RunOutcome => ({
  failedNodes: [],
  interrupted: false,
  stopped: false,
  dryRun: false,
  commandLogPath: '/home/pi/.local/state/pi-cluster-wizard/commands.jsonl',
  reports: [],
  ...partial,
});

describe('JSON lines', () => {
  it('one object per line per event, then a summary; the engine memory is not an event for scripts', () => {
    const { out, lines, text } = capture();
    const reporter = jsonLinesReporter({
      out,
      hostnames: ['master', 'worker1'],
      user: 'pi',
      dryRun: true,
    });
    const events: SetupEvent[] = [
      { type: 'step-started', step: 'hostname', nodes: ['master', 'worker1'] },
      {
        type: 'report',
        report: {
          step: 'hostname',
          node: 'worker1',
          status: 'changed',
          summary: 'worker1: would make 1 change',
          changes: [
            {
              kind: 'command',
              description: 'set the hostname',
              command: 'hostnamectl set-hostname worker1',
              asRoot: true,
            },
          ],
        },
      },
      { type: 'memory', memory: { rebootPending: ['worker1'], masterBootIdBeforeReboot: null } },
      {
        type: 'node-progress',
        step: 'hostname',
        event: {
          type: 'retrying',
          node: 'master',
          attempt: 1,
          maxAttempts: 4,
          delayMs: 1000,
          error: new Error('x'),
          message: 'refused\nWhat to do: wait',
        },
      },
      { type: 'step-finished', step: 'hostname' },
      { type: 'warning', text: 'known_hosts: EACCES' },
    ];
    for (const event of events) reporter.onEvent(event);
    const reports = [
      {
        step: 'hostname' as const,
        node: 'worker1',
        status: 'changed' as const,
        summary: '',
        changes: [],
      },
      {
        step: 'hostname' as const,
        node: 'master',
        status: 'failed' as const,
        summary: '',
        changes: [],
      },
    ];
    reporter.end(outcome({ dryRun: true, failedNodes: ['master'], reports }), 3);
    assert.equal(text().split('\n').length, 7, 'six lines and the final newline');
    assert.deepEqual(lines(), [
      { type: 'step-started', step: 'hostname', nodes: ['master', 'worker1'] },
      {
        type: 'result',
        step: 'hostname',
        node: 'worker1',
        status: 'changed',
        summary: 'worker1: would make 1 change',
        plan: ['would run as root: hostnamectl set-hostname worker1'],
      },
      {
        type: 'retrying',
        step: 'hostname',
        node: 'master',
        attempt: 2,
        maxAttempts: 4,
        delayMs: 1000,
        message: 'refused\nWhat to do: wait',
      },
      { type: 'step-finished', step: 'hostname' },
      { type: 'warning', text: 'known_hosts: EACCES' },
      {
        type: 'summary',
        version: 1,
        result: 'nodes-failed',
        exitCode: 3,
        dryRun: true,
        failedNodes: ['master'],
        stopped: false,
        counts: { ok: 0, changed: 1, failed: 1, skipped: 0 },
        commandLog: '/home/pi/.local/state/pi-cluster-wizard/commands.jsonl',
        message: endOfRunLines(outcome({ dryRun: true, failedNodes: ['master'], reports })).join(
          ' ',
        ),
      },
    ]);
  });

  it('names how the run ended', () => {
    const cases: Array<[Partial<RunOutcome>, number, string]> = [
      [{}, 0, 'done'],
      [{ dryRun: true }, 0, 'dry-run'],
      [{ interrupted: true }, 143, 'interrupted'],
      [
        { masterRebooting: { address: '127.0.0.100', hostname: 'master', user: 'pi' } },
        0,
        'master-rebooting',
      ],
    ];
    for (const [partial, code, result] of cases) {
      const { out, lines } = capture();
      jsonLinesReporter({ out, hostnames: [], user: 'pi', dryRun: false }).end(
        outcome(partial),
        code,
      );
      const summary = lines()[0];
      assert.equal(summary?.type === 'summary' && summary.result, result);
      assert.equal(summary?.type === 'summary' && summary.exitCode, code);
    }
  });

  it('the master rebooting says how to log in again, before the process may end', () => {
    const { out, lines } = capture();
    jsonLinesReporter({ out, hostnames: [], user: 'alice', dryRun: false }).onEvent({
      type: 'master-rebooting',
      address: '127.0.0.100',
      hostname: 'master',
    });
    assert.deepEqual(lines(), [
      {
        type: 'master-rebooting',
        node: 'master',
        address: '127.0.0.100',
        loginAgain: 'ssh alice@127.0.0.100',
      },
    ]);
  });
});
