import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionNameProblem } from '../../source/session/session-name.js';

test('session names: letters, digits, - and _', () => {
  for (const good of ['default', 'lab-2', 'Cluster_A', '7']) {
    assert.equal(sessionNameProblem(good), undefined, good);
  }
  for (const bad of ['', '../x', 'a b', '-x', 'a/b', 'x'.repeat(65), 'ä']) {
    assert.match(sessionNameProblem(bad) ?? '', /not a usable name/, bad);
  }
});
