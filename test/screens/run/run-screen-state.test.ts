import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  clampOffset,
  initialRunScreenState,
  runScreenReducer,
} from '../../../source/screens/run/run-screen-state.js';

describe('run screen state', () => {
  test('scrolling stays within what the window can show', () => {
    assert.equal(clampOffset(-3, 64, 15), 0);
    assert.equal(clampOffset(60, 64, 15), 49);
    assert.equal(clampOffset(5, 10, 15), 0, 'a table that fits never scrolls');
    let state = runScreenReducer(initialRunScreenState, {
      type: 'scroll',
      by: 15,
      total: 64,
      height: 15,
    });
    assert.equal(state.offset, 15);
    state = runScreenReducer(state, { type: 'scroll-to', to: 'end', total: 64, height: 15 });
    assert.equal(state.offset, 49);
    state = runScreenReducer(state, { type: 'scroll', by: 1, total: 64, height: 15 });
    assert.equal(state.offset, 49);
    state = runScreenReducer(state, { type: 'scroll-to', to: 'start', total: 64, height: 15 });
    assert.equal(state.offset, 0);
  });

  test('the highlighted answer cycles retry → skip → stop → retry, and resets to retry', () => {
    let state = runScreenReducer(initialRunScreenState, { type: 'choose', by: 1 });
    assert.equal(state.choice, 'skip');
    state = runScreenReducer(state, { type: 'choose', by: 1 });
    assert.equal(state.choice, 'stop');
    state = runScreenReducer(state, { type: 'choose', by: 1 });
    assert.equal(state.choice, 'retry');
    state = runScreenReducer(state, { type: 'choose', by: -1 });
    assert.equal(state.choice, 'stop');
    assert.equal(runScreenReducer(state, { type: 'reset-choice' }).choice, 'retry');
  });
});
