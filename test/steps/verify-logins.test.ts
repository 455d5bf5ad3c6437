// The verify step's N×N logins, scheduled by its real script in this machine's sh with a fake `ssh`
// first on PATH (no lab): the fake only records when each login to which node starts and ends, and
// answers like a node that is there (its hostname) or like one that is not (a timeout after a
// while). What is tested is the script's scheduling: how many logins at once, in which order, how
// long a silent node holds the others up, and how many logins one node receives at a time when
// every node checks at once; and that the results come back in the table's order.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runNodeStep } from '../../source/engine/run-node-step.js';
import { runOnNodes } from '../../source/engine/run-on-nodes.js';
import { defaultSettings, type NodeRow, planCluster } from '../../source/plan/plan-cluster.js';
import {
  loginCheckTimeoutMs,
  loginOrder,
  loginsAtOnce,
  verifyNodesAtOnce,
  verifyStep,
} from '../../source/steps/key-steps.js';
import { type ClusterContext, StepWork } from '../../source/steps/step.js';
import { LocalNodeConnection } from '../../source/transport/local-connection.js';
import { mostAtOnce } from '../engine/memory-nodes.js';

const fakes = mkdtempSync(join(tmpdir(), 'pcw-verify-logins-'));
const log = join(fakes, 'logins.log');

// Skips ssh's options up to `--`; the node is the next argument. `date +%s%N` is nanoseconds.
const fakeSsh = `#!/bin/sh
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done
target=$2
echo "start $(date +%s%N) $target" >>"$PCW_FAKE_SSH_LOG"
case " $PCW_FAKE_SSH_SILENT " in
  *" $target "*)
    sleep "$PCW_FAKE_SSH_TIMEOUT"
    echo "ssh: connect to host $target port 22: Connection timed out" >&2
    code=255 ;;
  *)
    sleep "$PCW_FAKE_SSH_DELAY"
    echo "$target"
    code=0 ;;
esac
echo "end $(date +%s%N) $target" >>"$PCW_FAKE_SSH_LOG"
exit "$code"
`;

before(() => {
  writeFileSync(join(fakes, 'ssh'), fakeSsh);
  chmodSync(join(fakes, 'ssh'), 0o755);
  process.env.PATH = `${fakes}:${process.env.PATH}`;
  process.env.PCW_FAKE_SSH_LOG = log;
});
after(() => rmSync(fakes, { recursive: true, force: true }));

interface Login {
  target: string;
  start: number;
  end: number;
}

/** The logins the fake saw since the log was last cleared, in the order they started (ms). */
function logins(): Login[] {
  const open = new Map<string, number[]>();
  const done: Login[] = [];
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const events = lines.map((line) => {
    const [kind, ns = '0', ...target] = line.split(' ');
    return { kind, target: target.join(' '), at: Number(BigInt(ns) / 1000n) / 1000 };
  });
  for (const event of events.sort((a, b) => a.at - b.at)) {
    if (event.kind === 'start')
      open.set(event.target, [...(open.get(event.target) ?? []), event.at]);
    else {
      const starts = open.get(event.target) ?? [];
      const start = starts.shift();
      if (start !== undefined) done.push({ target: event.target, start, end: event.at });
    }
  }
  return done.sort((a, b) => a.start - b.start);
}

/** The most logins in flight at once, among those `counted` (all by default). */
function peak(all: readonly Login[], counted: (login: Login) => boolean = () => true): number {
  return mostAtOnce(all.filter(counted));
}

function cluster(nodeCount: number, concurrency: number): ClusterContext {
  const settings = {
    ...defaultSettings,
    nodeCount,
    subnet: '127.0.30.0/24',
    firstAddress: '127.0.30.10',
    gateway: '127.0.30.1',
    dns: ['127.0.30.1'],
  };
  return {
    settings,
    rows: planCluster(settings),
    dryRun: false,
    facts: new Map(),
    publicKeys: new Map(),
    loginMatrix: new Map(),
    fixClonedCards: false,
    knownHostsPath: '/nonexistent',
    rebootPending: new Set(),
    concurrency,
    retiredKeys: [],
  };
}

function fake(options: { delay: number; silent?: string[]; timeout?: number }) {
  writeFileSync(log, '');
  process.env.PCW_FAKE_SSH_DELAY = String(options.delay);
  process.env.PCW_FAKE_SSH_SILENT = (options.silent ?? []).join(' ');
  process.env.PCW_FAKE_SSH_TIMEOUT = String(options.timeout ?? 0);
}

async function verifyFrom(context: ClusterContext, row: NodeRow) {
  const connection = new LocalNodeConnection({ node: row.hostname });
  try {
    return await runNodeStep(verifyStep, new StepWork(connection, row, context, false));
  } finally {
    await connection.close();
  }
}

const names = (rows: readonly NodeRow[]) => rows.map((row) => row.hostname);

describe('the order a node logs into the others', () => {
  test('starts after itself and wraps around', () => {
    const { rows } = cluster(5, 8);
    const cases: Array<[number, string[]]> = [
      [0, ['worker1', 'worker2', 'worker3', 'worker4']],
      [2, ['worker3', 'worker4', 'master', 'worker1']],
      [4, ['master', 'worker1', 'worker2', 'worker3']],
    ];
    for (const [at, order] of cases) assert.deepEqual(names(loginOrder(rows, rows[at]!)), order);
    assert.deepEqual(names(loginOrder(rows.slice(0, 1), rows[0]!)), []);
  });

  test('gives every node a different first target, so that nodes checking at once spread out', () => {
    const { rows } = cluster(12, 8);
    const firsts = rows.map((row) => loginOrder(rows, row)[0]?.hostname);
    assert.equal(new Set(firsts).size, rows.length);
  });
});

describe("the time one node's login check may take", () => {
  test('a minute for a few logins, more for each round of logins at once beyond it', () => {
    assert.equal(loginCheckTimeoutMs(3, loginsAtOnce), 60_000);
    // 31 others 4 at a time: 8 rounds, each the connect timeout (10 s) and a login (10 s).
    assert.equal(loginCheckTimeoutMs(31, 4), 160_000);
    assert.equal(loginCheckTimeoutMs(63, 4), 320_000);
    // --concurrency 1 with 7 silent nodes: each may wait out its 10 s connect timeout.
    assert.equal(loginCheckTimeoutMs(7, 1), 140_000);
  });
});

describe("one node's logins, run by the verify script", { timeout: 60_000 }, () => {
  test(`at most ${loginsAtOnce} at once, every result in the table's order`, async () => {
    const context = cluster(11, 8);
    const from = context.rows[3]!;
    fake({ delay: 0.4 });
    const result = await verifyFrom(context, from);
    assert.equal(result.status, 'ok', result.summary);
    assert.match(result.summary, /logs into 10 of 10 nodes by name, no password/);
    const seen = logins();
    assert.equal(seen.length, 10);
    assert.equal(peak(seen), loginsAtOnce, 'as many at once as allowed, never more');
    // The first ones started are the first of its rotated order.
    assert.deepEqual(
      new Set(seen.slice(0, loginsAtOnce).map((login) => login.target)),
      new Set(names(loginOrder(context.rows, from).slice(0, loginsAtOnce))),
    );
    const row = context.loginMatrix.get(from.hostname)!;
    assert.deepEqual([...row.keys()], names(context.rows.filter((each) => each !== from)));
    assert.ok([...row.values()].every((each) => each.ok));
  });

  test('--concurrency 1: one login at a time, in the rotated order', async () => {
    const context = cluster(6, 1);
    const from = context.rows[4]!;
    fake({ delay: 0.05 });
    const result = await verifyFrom(context, from);
    assert.equal(result.status, 'ok', result.summary);
    const seen = logins();
    assert.equal(peak(seen), 1);
    assert.deepEqual(
      seen.map((login) => login.target),
      names(loginOrder(context.rows, from)),
    );
  });

  test('nodes that do not answer hold it up about one timeout, not one each', async (t) => {
    const context = cluster(10, 8);
    const from = context.rows[6]!;
    // worker6 tries worker7, worker8, worker9, master, worker1, …: three of its first five.
    const silent = ['worker8', 'worker9', 'worker1'];
    fake({ delay: 0.1, silent, timeout: 2 });
    const started = performance.now();
    const result = await verifyFrom(context, from);
    t.diagnostic(`${(performance.now() - started).toFixed(0)} ms with 3 timeouts of 2 s`);
    // The three wait out their timeouts together (one after the other: 6 s), the others go on in
    // the fourth place meanwhile.
    const seen = logins();
    assert.equal(
      peak(seen, (login) => silent.includes(login.target)),
      silent.length,
    );
    assert.equal(peak(seen), loginsAtOnce);
    assert.equal(result.status, 'failed');
    assert.match(
      result.summary,
      /^worker6: cannot log in without a password to worker1 \(ssh: connect to host worker1 port 22: Connection timed out\), worker8 \(.*\), worker9 \(.*\)/,
    );
    assert.match(result.summary, /check that worker1, worker8, worker9 are powered on/);
    // In the table's order, not the order the logins ran in.
    const row = context.loginMatrix.get(from.hostname)!;
    assert.deepEqual([...row.keys()], names(context.rows.filter((each) => each !== from)));
    assert.deepEqual(
      [...row].filter(([, each]) => !each.ok).map(([name]) => name),
      ['worker1', 'worker8', 'worker9'],
    );
  });

  test('a name that is not a plain word arrives as one argument, never as shell text', async () => {
    const context = cluster(2, 8);
    const hostile = { ...context.rows[1]!, hostname: "w'1 $(touch pwned) ;x" };
    const rows = [context.rows[0]!, hostile];
    const hostileContext = { ...context, rows };
    fake({ delay: 0 });
    const result = await verifyFrom(hostileContext, rows[0]!);
    assert.equal(result.status, 'ok', result.summary);
    assert.deepEqual(
      logins().map((login) => login.target),
      [hostile.hostname],
    );
    assert.deepEqual(
      [...(hostileContext.loginMatrix.get('master')?.keys() ?? [])],
      [hostile.hostname],
    );
    assert.equal(existsSync('pwned'), false);
  });
});

describe('every node checking at once', { timeout: 60_000 }, () => {
  test(`no node receives more than ${verifyNodesAtOnce} logins at a time, also while one does not answer`, async (t) => {
    // As the engine runs it: at most verifyNodesAtOnce nodes at once, however many --concurrency
    // allows. worker11 is down: it is not checking, and every other node's login to it times out.
    const context = cluster(12, 64);
    const sources = context.rows.filter((row) => row.hostname !== 'worker11');
    fake({ delay: 0.3, silent: ['worker11'], timeout: 1.5 });
    const started = performance.now();
    const outcomes = await runOnNodes(
      sources.map((row) => ({ name: row.hostname, row })),
      ({ row }) => verifyFrom(context, row),
      { concurrency: Math.min(context.concurrency, verifyStep.nodesAtOnce ?? Infinity) },
    );
    const elapsed = performance.now() - started;
    assert.ok(outcomes.every((outcome) => outcome.ok && outcome.value.status === 'failed'));
    const seen = logins();
    assert.equal(seen.length, sources.length * (context.rows.length - 1));
    const perTarget = names(context.rows).map((name) => ({
      name,
      peak: peak(seen, (login) => login.target === name),
    }));
    const most = Math.max(...perTarget.map((each) => each.peak));
    t.diagnostic(
      `logins at once per node: ${perTarget.map((each) => `${each.name} ${each.peak}`).join(', ')}; all: ${peak(seen)}; ${elapsed.toFixed(0)} ms`,
    );
    assert.ok(most <= verifyNodesAtOnce, `${most} logins at once into one node`);
    assert.ok(peak(seen) <= verifyNodesAtOnce * loginsAtOnce);
  });
});
