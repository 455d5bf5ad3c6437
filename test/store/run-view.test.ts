import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SetupEvent } from '../../source/engine/run-setup.js';
import { guideStepIds } from '../../source/steps/step.js';
import {
  applySetupEvent,
  countStates,
  failureAnswered,
  failureAsked,
  initialRunView,
  planLines,
  type RunView,
  sectionsOf,
} from '../../source/store/run-view.js';

const fresh = () =>
  initialRunView({
    steps: [...guideStepIds],
    nodes: ['master', 'worker1'],
    user: 'pi',
    dryRun: false,
  });

const apply = (view: RunView, ...events: Array<[SetupEvent, number]>) =>
  events.reduce((current, [event, now]) => applySetupEvent(current, event, now), view);

describe('run view', () => {
  test("the guide's sections, in order, with the engine's reboot under SSH", () => {
    assert.deepEqual(sectionsOf([...guideStepIds, 'mpi', 'harden']), [
      { section: 'Network', steps: ['preflight', 'static-ip', 'hostname', 'hosts'] },
      { section: 'SSH', steps: ['ssh', 'reboot'] },
      { section: 'Keys', steps: ['keys', 'fan-in', 'fan-out', 'known-hosts'] },
      { section: 'Verify', steps: ['verify'] },
      { section: 'MPI', steps: ['mpi'] },
      { section: 'Verify', steps: ['harden'] },
    ]);
  });

  test('a node goes waiting → running → retrying → running → changed, with its times', () => {
    const view = apply(
      fresh(),
      [{ type: 'step-started', step: 'hosts', nodes: ['master', 'worker1'] }, 0],
      [
        {
          type: 'node-progress',
          step: 'hosts',
          event: { type: 'started', node: 'worker1', attempt: 1, maxAttempts: 3 },
        },
        1000,
      ],
      [
        {
          type: 'node-progress',
          step: 'hosts',
          event: {
            type: 'retrying',
            node: 'worker1',
            attempt: 1,
            maxAttempts: 3,
            delayMs: 2000,
            error: null,
            message: 'reset',
          },
        },
        1500,
      ],
    );
    assert.deepEqual(view.cells.hosts?.master, { state: 'waiting' });
    assert.equal(view.cells.hosts?.worker1?.state, 'retrying');
    assert.equal(view.cells.hosts?.worker1?.retryAt, 3500);
    assert.equal(view.cells.hosts?.worker1?.message, 'reset');
    const done = apply(
      view,
      [
        {
          type: 'node-progress',
          step: 'hosts',
          event: { type: 'started', node: 'worker1', attempt: 2, maxAttempts: 3 },
        },
        3500,
      ],
      [
        {
          type: 'report',
          report: {
            step: 'hosts',
            node: 'worker1',
            status: 'changed',
            summary: 'worker1: wrote /etc/hosts',
            changes: [],
          },
        },
        4000,
      ],
      [
        {
          type: 'node-progress',
          step: 'hosts',
          event: { type: 'succeeded', node: 'worker1', attempts: 2, durationMs: 3000 },
        },
        4000,
      ],
    );
    assert.equal(done.cells.hosts?.worker1?.state, 'changed');
    assert.equal(
      done.cells.hosts?.worker1?.startedAt,
      1000,
      'a retry keeps the clock of the first attempt',
    );
    assert.equal(done.cells.hosts?.worker1?.elapsedMs, 3000);
    assert.equal(done.cells.hosts?.worker1?.summary, 'worker1: wrote /etc/hosts');
    assert.deepEqual(countStates(done, ['hosts']), {
      waiting: 1,
      running: 0,
      retrying: 0,
      ok: 0,
      changed: 1,
      failed: 0,
      skipped: 0,
    });
  });

  test('a node retried after it failed starts its clock again', () => {
    const view = apply(
      fresh(),
      [
        {
          type: 'node-progress',
          step: 'keys',
          event: { type: 'started', node: 'worker1', attempt: 1, maxAttempts: 1 },
        },
        0,
      ],
      [
        {
          type: 'report',
          report: { step: 'keys', node: 'worker1', status: 'failed', summary: 'x', changes: [] },
        },
        100,
      ],
      [
        {
          type: 'node-progress',
          step: 'keys',
          event: { type: 'started', node: 'worker1', attempt: 1, maxAttempts: 1 },
        },
        5000,
      ],
    );
    assert.equal(view.cells.keys?.worker1?.state, 'running');
    assert.equal(view.cells.keys?.worker1?.startedAt, 5000);
  });

  test('public keys, login rows, new host keys and the master rebooting are kept for the screens', () => {
    const view = apply(
      fresh(),
      [
        { type: 'public-key', node: 'worker1', fingerprint: 'SHA256:abc', comment: 'pi@worker1' },
        0,
      ],
      [
        {
          type: 'logins',
          node: 'master',
          logins: [{ to: 'worker1', ok: true, detail: 'worker1' }],
        },
        0,
      ],
      [
        {
          type: 'host-key',
          event: {
            status: 'new',
            node: 'worker1',
            keyType: 'ssh-ed25519',
            fingerprint: 'SHA256:hk',
            knownHostsPath: '/k',
            recorded: true,
          } as never,
        },
        0,
      ],
      [{ type: 'master-rebooting', address: '127.0.0.100', hostname: 'master' }, 0],
    );
    assert.deepEqual(view.publicKeys.worker1, { fingerprint: 'SHA256:abc', comment: 'pi@worker1' });
    assert.deepEqual(view.logins.master, [{ to: 'worker1', ok: true, detail: 'worker1' }]);
    assert.deepEqual(view.newHostKeys, [
      { node: 'worker1', keyType: 'ssh-ed25519', fingerprint: 'SHA256:hk' },
    ]);
    assert.deepEqual(view.masterRebooting, { address: '127.0.0.100', hostname: 'master' });
  });

  test('failures wait in order and leave when answered', () => {
    const a = { step: 'hosts' as const, node: 'worker1', summary: 'a' };
    const b = { step: 'hosts' as const, node: 'worker2', summary: 'b' };
    const view = failureAsked(failureAsked(fresh(), a), b);
    assert.deepEqual(view.failures, [a, b]);
    assert.deepEqual(failureAnswered(view, a).failures, [b]);
  });

  test("a dry run's plan lists every step's nodes with their commands and coloured diffs", () => {
    const view = apply(
      fresh(),
      [{ type: 'step-started', step: 'hostname', nodes: ['worker1'] }, 0],
      [
        {
          type: 'report',
          report: {
            step: 'hostname',
            node: 'worker1',
            status: 'changed',
            summary: 'worker1: would make 2 changes',
            changes: [
              {
                kind: 'file',
                change: {
                  path: '/etc/hostname',
                  metadataChange: 'mode 644',
                  diff: '--- a\n+++ b\n-raspberrypi\n+worker1\n',
                } as never,
              },
              { kind: 'command', description: 'apply', command: 'hostname worker1', asRoot: true },
            ],
          },
        },
        0,
      ],
    );
    assert.deepEqual(
      planLines(view).map((line) => [line.tone, line.text]),
      [
        ['title', 'hostname (Change Hostname)'],
        ['node', '  worker1: would make 2 changes'],
        ['plain', '    would write /etc/hostname (mode 644)'],
        ['plain', '      --- a'],
        ['plain', '      +++ b'],
        ['remove', '      -raspberrypi'],
        ['add', '      +worker1'],
        ['plain', '    would run as root: hostname worker1'],
      ],
    );
  });
});
