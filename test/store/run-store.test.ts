import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRunStore } from '../../source/store/run-store.js';

const failure = (node: string) => ({ step: 'preflight' as const, node, summary: `${node}: down` });

const twoNodeRun = () =>
  createRunStore({ steps: ['preflight'], nodes: ['master', 'worker1'], user: 'pi', dryRun: false });

describe('run store', () => {
  test('once the person chose stop, nodes failing later are not asked about again', async () => {
    const store = twoNodeRun();
    const first = store.getState().askFailure(failure('master'));
    store.getState().answerFailure(failure('master'), 'stop');
    assert.equal(await first, 'stop');
    assert.equal(await store.getState().askFailure(failure('worker1')), 'stop');
    assert.deepEqual(store.getState().view.failures, [], 'no question is left on screen');
  });

  test('a retry does not stop later questions', async () => {
    const store = twoNodeRun();
    const first = store.getState().askFailure(failure('master'));
    store.getState().answerFailure(failure('master'), 'retry');
    assert.equal(await first, 'retry');
    store.getState().askFailure(failure('worker1'));
    assert.deepEqual(
      store.getState().view.failures.map((each) => each.node),
      ['worker1'],
    );
  });
});
