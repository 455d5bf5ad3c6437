import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { cleanup, render } from 'ink-testing-library';
import { StartRun, type StartRunCancel } from '../../source/screens/StartRun.js';
import { createRunStore } from '../../source/store/run-store.js';
import { frameOf, keys, press, typeText, waitForFrame } from './frame.js';

afterEach(cleanup);

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`waited 3 s for ${what}`);
    await delay(10);
  }
}

function harness(props: { question?: string; password?: { known: string | undefined } }) {
  const started: Array<string | undefined> = [];
  const cancelled: StartRunCancel[] = [];
  const runStore = createRunStore({
    steps: ['hosts'],
    nodes: ['master', 'worker1'],
    user: 'pi',
    dryRun: false,
  });
  const instance = render(
    <StartRun
      user="pi"
      dryRun={false}
      {...props}
      startRun={(password) => {
        started.push(password);
        return runStore;
      }}
      onCancel={(why) => cancelled.push(why)}
      onForceQuit={() => {}}
    />,
  );
  return { instance, started, cancelled };
}

describe('StartRun: the question and the password on screen, then the run', () => {
  test('y asks the password on a masked screen, Enter starts the run with it', async () => {
    const { instance, started, cancelled } = harness({ question: 'Run hosts on all 2 Pis?' });
    await waitForFrame(instance, 'Run hosts on all 2 Pis? [y/N]');
    assert.match(frameOf(instance), /y run · n, Esc or Enter change nothing · Ctrl\+C quit/);
    await press(instance, 'y', 'Password of pi on the Pis');
    await typeText(instance, 'hunter2');
    const masked = await waitForFrame(instance, 'Password: •••••••');
    assert.doesNotMatch(masked, /hunter2/);
    instance.stdin.write(keys.enter);
    await until(() => started.length > 0, 'the run to start');
    assert.deepEqual(started, ['hunter2']);
    await waitForFrame(instance, 'master');
    assert.deepEqual(cancelled, []);
  });

  for (const [name, key] of [
    ['n', 'n'],
    ['Enter (the default is no)', keys.enter],
    ['Esc', keys.escape],
  ] as const) {
    test(`${name} changes nothing: no password is asked and no run starts`, async () => {
      const { instance, started, cancelled } = harness({ question: 'Run hosts on all 2 Pis?' });
      await waitForFrame(instance, '[y/N]');
      instance.stdin.write(key);
      await delay(150);
      assert.deepEqual(cancelled, ['declined']);
      assert.deepEqual(started, []);
      assert.doesNotMatch(frameOf(instance), /Password of/);
    });
  }

  test('a "y" and an Enter typed together do not give an empty password', async () => {
    const { instance, started } = harness({ question: 'Run hosts on all 2 Pis?' });
    await waitForFrame(instance, '[y/N]');
    instance.stdin.write(`y${keys.enter}`);
    await waitForFrame(instance, 'Password of pi on the Pis');
    await delay(100);
    assert.deepEqual(started, [], 'the run waits for the password');
  });

  test('Ctrl+C on the question or the password screen starts nothing and says interrupted', async () => {
    const first = harness({ question: 'Run hosts on all 2 Pis?' });
    await waitForFrame(first.instance, '[y/N]');
    first.instance.stdin.write(keys.ctrlC);
    await delay(100);
    assert.deepEqual(first.cancelled, ['interrupted']);
    cleanup();
    const second = harness({});
    await waitForFrame(second.instance, 'Password of pi on the Pis');
    await typeText(second.instance, 'abc');
    second.instance.stdin.write(keys.ctrlC);
    await delay(100);
    assert.deepEqual(second.cancelled, ['interrupted']);
    assert.deepEqual(second.started, []);
  });

  test('a known password (a file, or typed earlier) skips the password screen', async () => {
    const { instance, started } = harness({
      question: 'Run hosts on all 2 Pis?',
      password: { known: 'from-a-file' },
    });
    await waitForFrame(instance, '[y/N]');
    instance.stdin.write('y');
    await until(() => started.length > 0, 'the run to start');
    assert.deepEqual(started, ['from-a-file']);
    assert.doesNotMatch(frameOf(instance), /Password of/);
  });

  test('without a question (a dry run) the password comes first', async () => {
    const { instance, started } = harness({});
    await waitForFrame(instance, 'Password of pi on the Pis');
    instance.stdin.write(keys.enter);
    await until(() => started.length > 0, 'the run to start');
    assert.deepEqual(started, [undefined], 'Enter with nothing typed: no password');
  });
});
