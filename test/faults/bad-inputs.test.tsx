// A corpus of bad inputs, malformed and hostile: subnets, counts, hostnames, addresses, user names,
// cluster files, saved sessions and flags, given to the built program on a lab's master, and typed
// into the cluster form. Each gets a message that names what is wrong, and nothing runs on any node:
// no command log line, no host key met, the worker's sshd never sees a login, no file changes.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { defaultSettings } from '../../source/plan/plan-cluster.js';
import { ClusterFormScreen } from '../../source/screens/cluster-form/ClusterFormScreen.js';
import { createAppStore } from '../../source/store/app-store.js';
import { labPlan } from '../e2e/drive.js';
import { type Lab, startLab } from '../lab/lab.js';
import { erase, frameOf, keys, waitForFrame } from '../screens/frame.js';
import { faultPassword, filesHoldingPassword, runWizard } from './fault-lab.js';

interface Case {
  name: string;
  /** The arguments after `pi-cluster-wizard`; CLUSTER stands for the case's cluster file. */
  args: string[];
  /** The cluster file's text, or a function of a valid plan giving the object to write. */
  cluster?: string | ((plan: Plan) => unknown);
  /** The saved session's text (session-default.json), for `run all --yes` without --cluster. */
  session?: string | ((plan: Plan) => unknown);
  /** What the message must say. */
  says: RegExp;
}

type Plan = ReturnType<typeof labPlan>;

const runAll = ['run', 'all', '--yes', '--cluster', 'CLUSTER'];
const withSettings =
  (change: Record<string, unknown>) =>
  ({ settings }: Plan) => ({ settings: { ...settings, ...change } });
const withRow =
  (index: number, change: Record<string, unknown>) =>
  ({ settings, rows }: Plan) => ({
    settings,
    rows: rows.map((row, at) => (at === index ? { ...row, ...change } : row)),
  });
const hostile = ['$(reboot)', 'a;reboot', '-oProxyCommand=reboot', '`id`', 'x\nrm -rf /'];

const cases: Case[] = [
  // Counts.
  ...[0, -3, 2.5, 100000, '2', null, 'many'].map((nodeCount) => ({
    name: `node count ${JSON.stringify(nodeCount)}`,
    args: runAll,
    cluster: withSettings({ nodeCount }),
    says: /nodeCount|number of Pis|Pi|whole number|not usable/i,
  })),
  // Subnets.
  ...[
    '999.1.1.0/24',
    '127.1.2.0/33',
    '127.1.2.0',
    '',
    '127.1.2.0/24; reboot',
    '$(reboot)/24',
    '::1/64',
    'x'.repeat(5000),
    '127.1.2.0/-1',
  ].map((subnet) => ({
    name: `subnet ${JSON.stringify(subnet.slice(0, 30))}`,
    args: runAll,
    cluster: withSettings({ subnet }),
    says: /subnet/i,
  })),
  // Addresses in the settings.
  ...[
    { firstAddress: '127.1.2.300' },
    { firstAddress: '127.250.0.5' },
    { firstAddress: '$(reboot)' },
    { gateway: 'abc' },
    { gateway: '127.250.0.1' },
    { dns: [] },
    { dns: ['1.2.3'] },
    { dns: 'not-a-list' },
  ].map((change) => ({
    name: `settings ${JSON.stringify(change)}`,
    args: runAll,
    cluster: withSettings(change),
    says: /first address|gateway|DNS|not usable/i,
  })),
  // User names.
  ...['', 'a b', '../root', 'x'.repeat(64), ...hostile].map((user) => ({
    name: `user ${JSON.stringify(user)}`,
    args: runAll,
    cluster: withSettings({ user }),
    says: /user/i,
  })),
  // Hostnames and the naming scheme.
  ...[
    { masterName: '-bad' },
    { masterName: 'Master_1' },
    { masterName: 'x'.repeat(64) },
    { masterName: '$(reboot)' },
    { workerPrefix: 'a b' },
    { workerPrefix: 'wörker' },
    { interfaceName: 'eth0; reboot' },
    { interfaceName: '../../etc/passwd' },
  ].map((change) => ({
    name: `settings ${JSON.stringify(change)}`,
    args: runAll,
    cluster: withSettings(change),
    says: /master name|prefix|interface|hostname|not usable/i,
  })),
  // Rows of the lookup table.
  ...[
    { at: 1, change: { hostname: 'master' }, says: /master|twice|duplicate|same/i },
    { at: 1, change: { hostname: 'worker1;reboot' }, says: /hostname/i },
    { at: 1, change: { hostname: '' }, says: /hostname/i },
    { at: 1, change: { hostname: '-x' }, says: /hostname/i },
    { at: 1, change: { address: '127.1.2.999' }, says: /static IP/i },
    { at: 1, change: { address: '127.250.9.9' }, says: /static IP|subnet/i },
    { at: 1, change: { reachAt: '$(reboot)' }, says: /current address|neither/i },
    { at: 1, change: { reachAt: '127.0.0.1; rm -rf /' }, says: /current address|neither/i },
    { at: 1, change: { reachAt: '-oProxyCommand=reboot' }, says: /current address|neither/i },
    { at: 0, change: { index: 'zero' }, says: /not usable|index|row/i },
  ].map(({ at, change, says }) => ({
    name: `row ${at} ${JSON.stringify(change)}`,
    args: runAll,
    cluster: withRow(at, change),
    says,
  })),
  // Cluster files that are not cluster files.
  ...['not json {', '', 'null', '[]', '{"settings": 5}', '{}', '\u0000\u00ff\u00fe binary'].map(
    (text) => ({
      name: `cluster file ${JSON.stringify(text)}`,
      args: runAll,
      cluster: text,
      says: /cluster file/i,
    }),
  ),
  {
    name: 'a cluster file that does not exist',
    args: ['run', 'all', '--yes', '--cluster', '/home/pi/no-such-file.json'],
    says: /Cannot read the cluster file/,
  },
  // Flags.
  { name: 'an unknown step', args: ['run', 'bogus-step'], says: /bogus-step/ },
  {
    name: '--node without a name (it once meant every node)',
    args: [...runAll, '--node'],
    cluster: (plan) => plan,
    says: /--node needs a hostname/,
  },
  {
    name: 'a node not in the cluster',
    args: [...runAll, '--node', 'nosuch'],
    cluster: (plan) => plan,
    says: /No node called nosuch/,
  },
  {
    name: 'a hostile --node',
    args: [...runAll, '--node', 'worker1;reboot'],
    cluster: (plan) => plan,
    says: /No node called/,
  },
  ...['0', '65', 'many', '2.5', '-1', '$(reboot)'].map((value) => ({
    name: `--concurrency ${JSON.stringify(value)}`,
    args: [...runAll, `--concurrency=${value}`],
    cluster: (plan: Plan) => plan,
    says: /--concurrency .*(is not a whole number|is out of range): .*from 1 to 64/,
  })),
  {
    name: '--concurrency without a number',
    args: [...runAll, '--concurrency', '--yes'],
    cluster: (plan) => plan,
    says: /--concurrency needs a number of Pis at once, e\.g\. --concurrency 4/,
  },
  {
    name: 'the wizard with --concurrency 0',
    args: ['--concurrency', '0'],
    says: /--concurrency 0 is out of range/,
  },
  { name: 'a session name with a path', args: ['--session', '../etc'], says: /session/i },
  {
    name: 'a session name with a space',
    args: ['run', 'all', '--session', 'a b'],
    says: /session/i,
  },
  { name: 'a hostile session name', args: ['status', '--session', '$(reboot)'], says: /session/i },
  { name: 'an unknown flag', args: ['run', 'all', '--frobnicate'], says: /frobnicate/ },
  {
    name: 'a password file that does not exist',
    args: [...runAll, '--password-file', '/home/pi/no-such-password'],
    cluster: (plan) => plan,
    says: /password/i,
  },
  {
    name: 'no --yes without a terminal',
    args: ['run', 'all', '--cluster', 'CLUSTER'],
    cluster: (plan) => plan,
    says: /--yes/,
  },
  // Saved sessions.
  ...[
    'not json {',
    '',
    '{"schemaVersion": 1, "screen": "confirm", "settings": ',
    '[1, 2, 3]',
    '{"schemaVersion": 999}',
  ].map((text) => ({
    name: `session file ${JSON.stringify(text.slice(0, 30))}`,
    args: ['run', 'all', '--yes'],
    session: text,
    says: /No cluster is planned/,
  })),
  {
    name: 'a session whose table holds a hostile hostname',
    args: ['run', 'all', '--yes'],
    session: (plan: Plan) => ({
      schemaVersion: 1,
      screen: 'confirm',
      settings: plan.settings,
      rows: plan.rows.map((row, at) => (at === 1 ? { ...row, hostname: '$(reboot)' } : row)),
      rowsEdited: true,
    }),
    says: /hostname|No cluster is planned/,
  },
  {
    name: 'a session with a malformed subnet',
    args: ['run', 'all', '--yes'],
    session: (plan: Plan) => ({
      schemaVersion: 1,
      screen: 'confirm',
      settings: { ...plan.settings, subnet: '300.0.0.0/8' },
      rows: plan.rows,
      rowsEdited: false,
    }),
    says: /subnet|No cluster is planned/,
  },
];

describe('bad inputs through the flags, cluster files and saved sessions', {
  timeout: 600_000,
}, () => {
  let lab: Lab;
  after(() => lab?.stop());

  test(`${cases.length} bad inputs: each said in words, nothing runs on any node`, async () => {
    lab = await startLab({ nodes: 2, password: faultPassword, rebootDelayMs: 300 });
    const [master, worker] = lab.nodes as [Lab['nodes'][0], Lab['nodes'][0]];
    const plan = labPlan(lab, 2);
    const watch = () =>
      Promise.all(
        lab.nodes.map((node) =>
          node.runAsRoot(
            "cat /run/pcw-lab/sshd.log 2>/dev/null; find /etc /home/pi -xdev -newer /run/pcw-lab/address -printf '%p\\n' 2>/dev/null | grep -Ev '^/home/pi(/bad-inputs.*|/wizard-output.*)?$' | sort",
          ),
        ),
      ).then((results) => results.map((result) => result.stdout).join('\n== next node\n'));
    const before = await watch();
    const problems: string[] = [];
    let next = 0;
    const lane = async () => {
      for (;;) {
        const index = next++;
        const each = cases[index];
        if (!each) return;
        const home = `/home/pi/bad-inputs/${index}`;
        const clusterText =
          typeof each.cluster === 'function' ? JSON.stringify(each.cluster(plan)) : each.cluster;
        const sessionText =
          typeof each.session === 'function' ? JSON.stringify(each.session(plan)) : each.session;
        await master.runAsPi(`mkdir -p ${home}/config ${home}/state`);
        if (clusterText !== undefined)
          await master.runAsPi(`cat > ${home}/cluster.json`, { input: clusterText });
        if (sessionText !== undefined)
          await master.runAsPi(`cat > ${home}/config/session-default.json`, {
            input: sessionText,
          });
        const run = await runWizard(
          lab,
          each.args.map((arg) => (arg === 'CLUSTER' ? `${home}/cluster.json` : arg)),
          {
            raw: true,
            env: {
              PI_CLUSTER_WIZARD_CONFIG_DIR: `${home}/config`,
              XDG_STATE_HOME: `${home}/state`,
            },
            timeoutMs: 60_000,
          },
        );
        const logs = await master.runAsPi(
          `cat ${home}/state/pi-cluster-wizard/* 2>/dev/null; true`,
        );
        const said = run.output.trim();
        const wrong = [
          ...(run.code === 1 || run.code === 2 ? [] : [`exit ${run.code}`]),
          ...(each.says.test(said) ? [] : [`does not say ${each.says}`]),
          ...(/^\s+at |TypeError|ReferenceError|Unhandled|\[object /m.test(said)
            ? ['a stack trace or internal error']
            : []),
          ...(logs.stdout.trim() === '' ? [] : [`ran commands: ${logs.stdout}`]),
        ];
        if (wrong.length > 0) problems.push(`${each.name}: ${wrong.join('; ')}\n    ${said}`);
      }
    };
    await Promise.all([lane(), lane(), lane()]);
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.equal(await watch(), before, 'no login on any node, no file changed');
    const knownHosts = await master.runAsPi('test -e ~/.ssh/known_hosts && echo met');
    assert.equal(knownHosts.stdout, '', 'no host key was met');
    assert.equal((await worker.runAsPi('true')).code, 0, 'the worker is still there');
    assert.deepEqual(await filesHoldingPassword(lab), [], 'the password is in no file');
  });
});

describe('bad inputs typed into the cluster form', () => {
  afterEach(cleanup);
  const fields = [
    'nodeCount',
    'subnet',
    'firstAddress',
    'gateway',
    'dns',
    'user',
    'masterName',
    'workerPrefix',
    'interfaceName',
  ] as const;
  const typed: Array<{ field: (typeof fields)[number]; text: string; says: RegExp }> = [
    { field: 'nodeCount', text: 'abc', says: /is not a whole number/ },
    { field: 'nodeCount', text: '0', says: /at least 1 Pi/ },
    { field: 'subnet', text: '300.1.1.0/24', says: /✗/ },
    { field: 'subnet', text: '10.0.0.0/40', says: /✗/ },
    { field: 'subnet', text: '$(reboot)', says: /✗/ },
    { field: 'firstAddress', text: '1.2.3', says: /✗ first address/ },
    { field: 'gateway', text: 'router;reboot', says: /✗ gateway/ },
    { field: 'dns', text: 'x.y', says: /✗ DNS server/ },
    { field: 'user', text: 'a b', says: /✗ user/ },
    { field: 'user', text: '-oProxyCommand=x', says: /✗ user/ },
    { field: 'masterName', text: '-master', says: /✗ master name/ },
    { field: 'workerPrefix', text: 'w;', says: /✗/ },
  ];
  const current = (field: (typeof fields)[number]) => {
    const value = defaultSettings[field];
    return Array.isArray(value) ? value.join(', ') : String(value);
  };
  for (const { field, text, says } of typed) {
    test(`${field} ${JSON.stringify(text)}: said, and Enter does not go on`, async () => {
      const store = createAppStore();
      store.getState().start();
      const instance = render(<ClusterFormScreen store={store} isActive />);
      await waitForFrame(instance, 'Number of Pis');
      for (let tab = 0; tab < fields.indexOf(field); tab++) {
        const before = frameOf(instance);
        instance.stdin.write(keys.tab);
        await waitForFrame(instance, (frame) => frame !== before);
      }
      await erase(instance, current(field).length);
      // Written at once: the form keeps keys typed faster than it redraws (a space shows nothing).
      instance.stdin.write(text);
      await waitForFrame(instance, says);
      instance.stdin.write(keys.enter);
      // Enter was handled once the form asks for the fix; it planned nothing and stayed.
      const frame = await waitForFrame(instance, /marked ✗ above before going on/);
      assert.match(frame, says);
      assert.equal(store.getState().screen, 'cluster-form', frame);
      assert.deepEqual(store.getState().rows, [], 'no table was planned from a bad answer');
    });
  }
});
