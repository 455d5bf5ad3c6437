import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSettings } from '../../../source/plan/plan-cluster.js';
import {
  type ClusterFormAction,
  clusterFormReducer,
  firstProblemField,
  formFields,
  formProblems,
  initialFormState,
  settingsFromValues,
} from '../../../source/screens/cluster-form/cluster-form-state.js';

const start = initialFormState(defaultSettings);
const run = (...actions: ClusterFormAction[]) => actions.reduce(clusterFormReducer, start);

describe('cluster form state', () => {
  test("starts from the settings' text, focused on the count, cursor at its end", () => {
    assert.equal(start.values.nodeCount, '5');
    assert.equal(start.values.dns, '192.168.0.1');
    assert.equal(start.focus, 0);
    assert.equal(start.cursor, 1);
    assert.deepEqual(settingsFromValues(start.values), defaultSettings);
    assert.deepEqual(formProblems(start.values), {});
  });

  test('edits go to the focused field; focus wraps and puts the cursor at the end', () => {
    const cases: Array<[string, ClusterFormAction[], Partial<typeof start>]> = [
      ['type', [{ type: 'edit', edit: { type: 'insert', text: '0' } }], { cursor: 2 }],
      ['previous wraps', [{ type: 'focus-previous' }], { focus: formFields.length - 1, cursor: 4 }],
      ['next', [{ type: 'focus-next' }], { focus: 1, cursor: '192.168.0.0/24'.length }],
      [
        'first problem',
        [{ type: 'submit-with-problems', firstField: 'gateway' }],
        { focus: 3, cursor: '192.168.0.1'.length, triedWithProblems: true },
      ],
      ['ask', [{ type: 'ask-discard', editedRows: 2 }], { confirmDiscard: 2 }],
      [
        'cancel',
        [{ type: 'ask-discard', editedRows: 2 }, { type: 'cancel-discard' }],
        { confirmDiscard: undefined },
      ],
    ];
    for (const [name, actions, expected] of cases) {
      const state = run(...actions);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(state[key as keyof typeof state], value, `${name}: ${key}`);
      }
    }
    assert.equal(run({ type: 'edit', edit: { type: 'insert', text: '0' } }).values.nodeCount, '50');
    const subnetEdited = run(
      { type: 'focus-next' },
      { type: 'edit', edit: { type: 'delete-back' } },
    );
    assert.equal(subnetEdited.values.subnet, '192.168.0.0/2');
    assert.equal(subnetEdited.values.nodeCount, '5');
  });

  test('text to settings: trimmed, DNS split on commas, a bad count is NaN', () => {
    const settings = settingsFromValues({
      ...start.values,
      nodeCount: ' 7 ',
      dns: ' 1.1.1.1, ,9.9.9.9 ',
      user: ' alice ',
    });
    assert.equal(settings.nodeCount, 7);
    assert.deepEqual(settings.dns, ['1.1.1.1', '9.9.9.9']);
    assert.equal(settings.user, 'alice');
    assert.ok(Number.isNaN(settingsFromValues({ ...start.values, nodeCount: 'five' }).nodeCount));
  });

  test('problems by field, the count in its own words, in form order', () => {
    const problems = formProblems({
      ...start.values,
      nodeCount: 'five',
      dns: '',
      gateway: '1.2.3',
    });
    assert.deepEqual(problems.nodeCount, [
      '"five" is not a whole number: enter how many Pis, e.g. 5',
    ]);
    assert.deepEqual(problems.dns, ['enter at least one DNS server (often the router)']);
    assert.match(problems.gateway?.[0] ?? '', /^gateway "1\.2\.3" is not an IPv4 address/);
    assert.equal(firstProblemField(problems), 'nodeCount');
    assert.equal(firstProblemField({ dns: ['x'], gateway: ['y'] }), 'gateway');
    assert.equal(firstProblemField({}), undefined);
  });
});
