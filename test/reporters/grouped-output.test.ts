import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  foldNodeNames,
  groupedOutputLines,
  groupOutputs,
} from '../../source/reporters/grouped-output.js';

describe('outputs grouped as clush -b groups them', () => {
  test('node names folded into ranges', () => {
    const cases: Array<[string[], string]> = [
      [['master'], 'master'],
      [['worker1'], 'worker1'],
      [['master', 'worker1', 'worker2'], 'master,worker[1-2]'],
      [['worker1', 'worker2', 'worker3', 'worker5', 'worker7', 'worker8'], 'worker[1-3,5,7-8]'],
      // Out of order and repeated: sorted, once each.
      [['worker3', 'worker1', 'worker2', 'worker1'], 'worker[1-3]'],
      // Prefixes in the order they first appear; names without a number stay as they are.
      [['pi2', 'master', 'node1', 'pi1', 'backup'], 'pi[1-2],master,node1,backup'],
      // A leading zero stays in the prefix, so the folded form expands to the same names.
      [['node01', 'node02', 'node03', 'node10'], 'node0[1-3],node10'],
      [['worker9', 'worker10', 'worker11'], 'worker[9-11]'],
      [[], ''],
    ];
    for (const [names, folded] of cases)
      assert.equal(foldNodeNames(names), folded, names.join(' '));
  });

  test('identical outputs are one group, in the order of their first node; silent nodes are left out', () => {
    const groups = groupOutputs([
      { node: 'master', stdout: 'Linux 6.6\n', stderr: '' },
      { node: 'worker1', stdout: 'Linux 6.1\n', stderr: '' },
      { node: 'worker2', stdout: 'Linux 6.6\n', stderr: '' },
      { node: 'worker3', stdout: '', stderr: '' },
      { node: 'worker4', stdout: 'Linux 6.6\n', stderr: '' },
      // The same words on standard error are not the same output.
      { node: 'worker5', stdout: '', stderr: 'Linux 6.6\n' },
      { node: 'worker6', stdout: 'Linux 6.6', stderr: '' },
    ]);
    assert.deepEqual(groups, [
      {
        nodes: ['master', 'worker2', 'worker4'],
        header: 'master,worker[2,4] (3)',
        output: 'Linux 6.6\n',
      },
      { nodes: ['worker1'], header: 'worker1 (1)', output: 'Linux 6.1\n' },
      { nodes: ['worker5'], header: 'worker5 (1)', output: 'Linux 6.6\n' },
      { nodes: ['worker6'], header: 'worker6 (1)', output: 'Linux 6.6' },
    ]);
  });

  test('printed as clush -b prints them: a header between rules, then the output once', () => {
    const lines = groupedOutputLines(
      groupOutputs([
        { node: 'master', stdout: 'up 3 days\nload 0.1\n', stderr: '' },
        { node: 'worker1', stdout: 'up 3 days\nload 0.1\n', stderr: '' },
        { node: 'worker2', stdout: 'up 1 day\n', stderr: 'warning: clock skew\n' },
      ]),
    );
    assert.deepEqual(lines, [
      '------------------',
      'master,worker1 (2)',
      '------------------',
      'up 3 days',
      'load 0.1',
      '---------------',
      'worker2 (1)',
      '---------------',
      'up 1 day',
      'warning: clock skew',
    ]);
  });
});
