import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describePlan, planRun, type RunPlan } from '../../source/engine/plan-run.js';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import { guideSteps } from '../../source/steps/all-steps.js';
import { type ClusterContext, guideStepIds, type StepId } from '../../source/steps/step.js';

const rows = planCluster({ ...defaultSettings, nodeCount: 4 });
const every = rows.map((row) => row.hostname);

const plan = (steps: readonly StepId[], nodes: readonly string[] = every) =>
  planRun(guideSteps, steps, new Set(nodes), rows);

/** Each planned step as `id: changed | read | after`, to compare whole plans at a glance. */
function shape(planned: RunPlan): string[] {
  const list = (nodes: ReadonlySet<string>) => [...nodes].join(',') || '-';
  return planned.steps.map(
    (step) =>
      `${step.id}: ${list(step.change)} | ${list(step.check)} | ${step.after.join(',') || '-'}`,
  );
}

describe('planRun', () => {
  test('a whole setup: the guide in order, barriers only where a step reads every node, nothing after the reboot before it', () => {
    assert.deepEqual(shape(plan(guideStepIds)), [
      'preflight: master,worker1,worker2,worker3 | - | -',
      'static-ip: master,worker1,worker2,worker3 | - | preflight',
      'hostname: master,worker1,worker2,worker3 | - | preflight',
      'hosts: master,worker1,worker2,worker3 | - | preflight',
      'ssh: master,worker1,worker2,worker3 | - | preflight',
      'reboot: master,worker1,worker2,worker3 | - | preflight',
      'keys: master,worker1,worker2,worker3 | - | preflight,reboot',
      'fan-in: master | - | preflight,reboot,keys',
      'fan-out: worker1,worker2,worker3 | - | preflight,reboot,keys,fan-in',
      'known-hosts: master,worker1,worker2,worker3 | - | preflight,reboot',
      'verify: master,worker1,worker2,worker3 | - | preflight,reboot,fan-in,fan-out,known-hosts',
    ]);
  });

  test('keys for one node carries on through fan-in, fan-out and known-hosts, once every node has a key', () => {
    const planned = plan(['keys'], ['worker3']);
    assert.deepEqual(shape(planned), [
      'preflight: - | master,worker1,worker2,worker3 | -',
      'keys: worker3 | master,worker1,worker2 | preflight',
      'fan-in: master | - | preflight,keys',
      'fan-out: worker1,worker2,worker3 | - | preflight,keys,fan-in',
      'known-hosts: worker3 | - | preflight,keys',
    ]);
    const fanIn = planned.steps.find((step) => step.id === 'fan-in')!;
    const withKeys = (nodes: string[]) =>
      ({
        rows,
        publicKeys: new Map(nodes.map((node) => [node, 'ssh-ed25519 AAAA'])),
      }) as unknown as ClusterContext;
    assert.equal(fanIn.carried?.when(withKeys(['master', 'worker3'])), false);
    assert.equal(fanIn.carried?.when(withKeys(every)), true);
  });

  const readOnly: Array<[string, StepId[], string[]]> = [
    [
      'fan-in alone reads every key',
      ['fan-in'],
      [
        'preflight: - | master,worker1,worker2,worker3 | -',
        'keys: - | master,worker1,worker2,worker3 | preflight',
        'fan-in: master | - | preflight,keys',
      ],
    ],
    [
      'harden alone reads every login',
      ['harden'],
      [
        'preflight: - | master,worker1,worker2,worker3 | -',
        'verify: - | master,worker1,worker2,worker3 | preflight',
        'harden: master,worker1,worker2,worker3 | - | preflight,verify',
      ],
    ],
    [
      'hosts alone reads nothing of the others',
      ['hosts'],
      [
        'preflight: - | master,worker1,worker2,worker3 | -',
        'hosts: master,worker1,worker2,worker3 | - | preflight',
      ],
    ],
    [
      'verify alone checks logins as they are',
      ['verify'],
      [
        'preflight: - | master,worker1,worker2,worker3 | -',
        'verify: master,worker1,worker2,worker3 | - | preflight',
      ],
    ],
  ];
  for (const [name, steps, expected] of readOnly) {
    test(name, () => assert.deepEqual(shape(plan(steps)), expected));
  }

  test('a step for some nodes changes only those, and carries nothing when it carries nothing', () => {
    assert.deepEqual(shape(plan(['hosts'], ['worker3'])), [
      'preflight: - | master,worker1,worker2,worker3 | -',
      'hosts: worker3 | - | preflight',
    ]);
  });

  test('the plan in words', () => {
    const lines = describePlan(plan(['keys'], ['worker3']), rows);
    assert.match(
      lines[0]!,
      /each node moves on to its next step as soon as what that step needs is done/,
    );
    assert.deepEqual(lines.slice(1), [
      '  preflight    read on every node (every step needs its facts)',
      '  keys         worker3; only read on master, worker1, worker2 (fan-in, fan-out read it)',
      '  fan-in       master; carried on from keys, once every node has a key; after keys on every node',
      '  fan-out      every worker; carried on from keys, once every node has a key; after keys, fan-in on every node',
      '  known-hosts  worker3; carried on from keys, once every node has a key; after keys on every node',
    ]);
    const whole = describePlan(plan(guideStepIds), rows);
    assert.ok(
      whole.includes(
        '  reboot       every worker, each once its own network steps are done, all at once; master last, once every worker has (its reboot ends the run); only nodes whose new address or name is not running yet',
      ),
    );
  });
});
