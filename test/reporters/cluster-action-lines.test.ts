import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import type { ExecResult, PowerOutcome } from '../../source/engine/cluster-actions.js';
import {
  execEndLines,
  execJsonLines,
  execPlainLines,
  powerEndLines,
  powerJsonLines,
  powerPlainLines,
} from '../../source/reporters/cluster-action-lines.js';

function output() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { out, text: () => text };
}

const ran = (node: string, code: number | null, stdout = '', stderr = ''): ExecResult => ({
  node,
  status: code === 0 ? 'ok' : 'failed',
  code,
  stdout,
  stderr,
  summary:
    code === null
      ? `${node} refused the SSH connection.\nWhat to do: check that SSH is on.`
      : `exit code ${code}`,
  durationMs: 1234,
});

const log = '/home/pi/.local/state/pi-cluster-wizard/commands-1.jsonl';

describe("exec's lines", () => {
  test('plain: a line per node as it ends, the outputs grouped, the nodes that failed named', () => {
    const { out, text } = output();
    const reporter = execPlainLines(out, ['master', 'worker1', 'worker2']);
    const results = [
      ran('master', 0, 'same\n'),
      ran('worker1', 2, '', 'no such file\n'),
      ran('worker2', null),
    ];
    for (const result of results) reporter.onEvent({ type: 'finished', result });
    reporter.end({ results, exitCode: 3, interrupted: false, commandLogPath: log });
    assert.equal(
      text(),
      [
        'master  exit 0   1.2 s',
        'worker1 exit 2   1.2 s',
        'worker2 FAILED  worker2 refused the SSH connection.',
        '                What to do: check that SSH is on.',
        '',
        '---------------',
        'master (1)',
        '---------------',
        'same',
        '---------------',
        'worker1 (1)',
        '---------------',
        'no such file',
        '',
        `2 of 3 nodes failed: worker1 (exit code 2), worker2 (not run). Command log: ${log}`,
        '',
      ].join('\n'),
    );
  });

  test('stopped: what ran was told to stop, and where the log is', () => {
    const results = [ran('master', 0, '')];
    assert.deepEqual(
      execEndLines({ results, exitCode: 143, interrupted: true, commandLogPath: log }),
      [`Interrupted: nothing more was started, and what ran was told to stop. Command log: ${log}`],
    );
  });

  test('JSON: a result line per node, then the summary with the groups', () => {
    const { out, text } = output();
    const reporter = execJsonLines(out, ['id', '-u'], true);
    const results = [ran('master', 0, '0\n'), ran('worker1', 0, '0\n')];
    for (const result of results) reporter.onEvent({ type: 'finished', result });
    reporter.end({ results, exitCode: 0, interrupted: false, commandLogPath: log });
    const lines = text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines[0], {
      type: 'result',
      node: 'master',
      status: 'ok',
      exitCode: 0,
      stdout: '0\n',
      stderr: '',
      summary: 'exit code 0',
      durationMs: 1234,
    });
    assert.deepEqual(lines[2], {
      type: 'summary',
      version: 1,
      command: ['id', '-u'],
      asRoot: true,
      result: 'done',
      exitCode: 0,
      failedNodes: [],
      groups: [{ nodes: ['master', 'worker1'], header: 'master,worker1 (2)', output: '0\n' }],
      commandLog: log,
      message: 'Done: exit code 0 on all 2 nodes.',
    });
  });
});

describe("shutdown's and reboot's lines", () => {
  const outcome = (partial: Partial<PowerOutcome>): PowerOutcome => ({
    action: 'poweroff',
    results: [
      {
        node: 'worker1',
        status: 'ok',
        summary: 'off: its SSH port stopped answering after 3.0 s',
        durationMs: 3000,
      },
    ],
    failedNodes: [],
    interrupted: false,
    master: { node: 'master', goes: true },
    ...partial,
  });
  const end = (partial: Partial<PowerOutcome>, exitCode = 0) => ({
    outcome: outcome(partial),
    exitCode,
    commandLogPath: log,
    user: 'pi',
    masterAddress: '192.168.0.100',
  });

  test('the words before the master goes, or why it stays up', () => {
    assert.deepEqual(powerEndLines(end({})), [
      'The worker is off.',
      'The master (master, this machine) powers off now, last: your SSH session will drop. Unplug the Pis once their green LEDs have stopped blinking.',
    ]);
    assert.deepEqual(powerEndLines(end({ action: 'reboot', results: [] })), [
      'The master (master, this machine) reboots now, last: your SSH session will drop. Log in again with: ssh pi@192.168.0.100',
    ]);
    assert.deepEqual(
      powerEndLines(
        end({
          action: 'reboot',
          failedNodes: ['worker1'],
          master: { node: 'master', goes: false, reason: 'worker1 failed' },
        }),
      ),
      [
        `The master (master) is not rebooted: worker1 failed. Command log: ${log}`,
        'Fix what the FAILED lines say, then run pi-cluster-wizard reboot again; or, if you are sure, reboot the master by hand: sudo reboot',
      ],
    );
  });

  test('plain lines and JSON lines', () => {
    const plain = output();
    const reporter = powerPlainLines(plain.out, ['master', 'worker1']);
    const ended = end({});
    for (const result of ended.outcome.results) reporter.onEvent({ type: 'finished', result });
    reporter.end(ended);
    assert.match(
      plain.text(),
      /^worker1 ok {6}off: its SSH port stopped answering after 3\.0 s\n\nThe worker is off\.\n/,
    );

    const json = output();
    const jsonReporter = powerJsonLines(json.out);
    const retryingEvent = {
      type: 'retrying',
      node: 'worker1',
      attempt: 2,
      maxAttempts: 4,
      delayMs: 2000,
      message: 'refused',
    } as const;
    jsonReporter.onEvent(retryingEvent);
    jsonReporter.end(end({}));
    const [retrying, summary] = json
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    // The same fields as the event, the attempt being the one about to run.
    assert.deepEqual(retrying, retryingEvent);
    assert.equal(summary?.action, 'shutdown');
    assert.equal(summary?.result, 'done');
    assert.deepEqual(summary?.master, { node: 'master', goes: true });
  });
});
