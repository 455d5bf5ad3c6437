import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planSteps } from '../../source/engine/carried-steps.js';
import type { ClusterContext, StepId } from '../../source/steps/step.js';

const every = ['master', 'worker1', 'worker2', 'worker3'];

/** Just what the plan reads of a cluster: its rows and the public keys known so far. */
function clusterWithKeys(nodes: readonly string[]): ClusterContext {
  return {
    rows: every.map((hostname, index) => ({ hostname, index })),
    publicKeys: new Map(nodes.map((node) => [node, `ssh-ed25519 AAAA pi@${node}`])),
  } as unknown as ClusterContext;
}

const nodesOf = (plan: ReturnType<typeof planSteps>, step: StepId) =>
  [...plan.nodesOf(step)].sort();

describe('planSteps', () => {
  test('keys for one node carries on through fan-in, fan-out and known-hosts', () => {
    const plan = planSteps(['keys'], new Set(['worker3']), every);
    assert.deepEqual(plan.steps, ['keys', 'fan-in', 'fan-out', 'known-hosts']);
    assert.deepEqual(nodesOf(plan, 'keys'), ['worker3']);
    assert.deepEqual(nodesOf(plan, 'fan-in'), [...every].sort(), 'the master takes the new key');
    assert.deepEqual(nodesOf(plan, 'fan-out'), [...every].sort(), 'every worker gets it');
    assert.deepEqual(nodesOf(plan, 'known-hosts'), ['worker3'], 'host keys did not change');
  });

  test('carried steps wait until every node has a key', () => {
    const plan = planSteps(['keys'], new Set(['worker3']), every);
    assert.equal(plan.isDue('keys', clusterWithKeys([])), true);
    assert.equal(plan.isDue('fan-in', clusterWithKeys(['master', 'worker3'])), false);
    assert.equal(plan.isDue('fan-in', clusterWithKeys(every)), true);
  });

  const unchanged: Array<[string, StepId[], string[]]> = [
    ['every node chosen', ['keys'], every],
    ['a step that carries nothing', ['hosts'], ['worker3']],
    [
      'a whole setup for one node',
      ['keys', 'fan-in', 'fan-out', 'known-hosts', 'verify'],
      ['worker3'],
    ],
  ];
  for (const [name, steps, nodes] of unchanged) {
    test(`nothing is added: ${name}`, () => {
      const plan = planSteps(steps, new Set(nodes), every);
      assert.deepEqual(plan.steps, steps);
      for (const step of steps) assert.deepEqual(nodesOf(plan, step), [...nodes].sort());
      assert.equal(plan.isDue(steps[0]!, clusterWithKeys([])), true);
    });
  }
});
