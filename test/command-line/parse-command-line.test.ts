import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { flagTable } from '../../source/command-line/flags.js';
import { parseCommandLine } from '../../source/command-line/parse-command-line.js';

/** The command line is refused with exit code 2 and a message matching `message`; its stderr. */
function assertRefused(argv: string[], message: RegExp): string {
  const result = parseCommandLine(argv, {});
  assert.equal(result.kind, 'exit', argv.join(' '));
  const stderr = result.kind === 'exit' ? (result.stderr ?? '') : '';
  if (result.kind === 'exit') assert.equal(result.exitCode, 2, argv.join(' '));
  assert.match(stderr, message, argv.join(' '));
  return stderr;
}

describe('parseCommandLine', () => {
  test('flags to options', () => {
    const cases: Array<[string[], Record<string, string>, object]> = [
      [[], {}, { sessionName: 'default', fresh: false, dryRun: false, color: true }],
      [
        ['--session', 'lab-2', '--fresh', '--dry-run'],
        {},
        { sessionName: 'lab-2', fresh: true, dryRun: true, color: true },
      ],
      [
        ['--session=Cluster_A'],
        {},
        { sessionName: 'Cluster_A', fresh: false, dryRun: false, color: true },
      ],
      [['--no-color'], {}, { sessionName: 'default', fresh: false, dryRun: false, color: false }],
      [
        [],
        { NO_COLOR: '1' },
        { sessionName: 'default', fresh: false, dryRun: false, color: false },
      ],
      [[], { NO_COLOR: '' }, { sessionName: 'default', fresh: false, dryRun: false, color: true }],
    ];
    for (const [argv, env, options] of cases) {
      assert.deepEqual(parseCommandLine(argv, env), { kind: 'wizard', options }, argv.join(' '));
    }
  });

  test('help and version end with 0 on stdout', () => {
    for (const flag of ['--help', '-h']) {
      const result = parseCommandLine([flag], {});
      assert.equal(result.kind === 'exit' && result.exitCode, 0);
      assert.match(
        result.kind === 'exit' ? (result.stdout ?? '') : '',
        /Usage\n\s+\$ pi-cluster-wizard/,
      );
    }
    const version = parseCommandLine(['--version'], {});
    const packageJson = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
    assert.deepEqual(version, { kind: 'exit', exitCode: 0, stdout: `${packageJson.version}\n` });
  });

  test('run: a step, nodes, and the flags of a headless run', () => {
    assert.deepEqual(
      parseCommandLine(
        [
          'run',
          'keys',
          '--node',
          'worker3',
          '--node',
          'worker1',
          '--node',
          'worker3',
          '--yes',
          '--password-file',
          'pw',
        ],
        {},
      ),
      {
        kind: 'run',
        options: {
          sessionName: 'default',
          steps: ['keys'],
          nodes: ['worker3', 'worker1'],
          dryRun: false,
          yes: true,
          json: false,
          passwordFile: 'pw',
          fixClonedCards: false,
          showPlan: false,
          color: true,
        },
      },
    );
    const all = parseCommandLine(
      ['run', '--node', 'all', '--dry-run', '--mpi', '--session', 'lab', '--show-plan'],
      {},
    );
    assert.equal(all.kind, 'run');
    if (all.kind === 'run') {
      assert.equal(all.options.nodes, undefined, '--node all is every node');
      assert.equal(all.options.showPlan, true);
      assert.deepEqual(all.options.steps, [
        'preflight',
        'static-ip',
        'hostname',
        'hosts',
        'ssh',
        'reboot',
        'keys',
        'fan-in',
        'fan-out',
        'known-hosts',
        'verify',
        'mpi',
      ]);
      assert.equal(all.options.dryRun, true);
      assert.equal(all.options.sessionName, 'lab');
    }
    const plain = parseCommandLine(['run'], { NO_COLOR: '1' });
    assert.equal(
      plain.kind === 'run' && plain.options.steps.includes('harden'),
      false,
      'harden only when chosen',
    );
    assert.deepEqual(parseCommandLine(['status', '--session', 'lab'], {}), {
      kind: 'status',
      sessionName: 'lab',
      json: false,
    });
    assert.deepEqual(parseCommandLine(['status', '--json'], {}), {
      kind: 'status',
      sessionName: 'default',
      json: true,
    });
  });

  test('usage errors end with 2 and a message on stderr', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--bogus'], /^Unknown option: --bogus\n/],
      [['--force', '-x'], /^Unknown options: --force -x\n/],
      [
        ['extra'],
        /^Unknown command: extra\. The commands are run, status, discover, add, remove, replace, export, exec, shutdown and reboot/,
      ],
      [
        ['run', 'keyz'],
        /^Unknown step: keyz\. The steps are: preflight, static-ip, .*harden, or all\./,
      ],
      [['run', 'keys', 'hosts'], /run takes one step or all \(got: keys hosts\)/],
      [['run', 'keys', '--mpi'], /--mpi and --harden go with run all/],
      [['run', '--node', ''], /--node needs a hostname/],
      // Not every node: a forgotten name must not widen the run to the whole cluster.
      [['run', 'all', '--node', '--yes'], /--node needs a hostname, e\.g\. --node worker3/],
      [['run', 'all', '--node'], /--node needs a hostname/],
      [['run', 'all', '--node='], /--node needs a hostname/],
      [['run', 'all', '--cluster'], /--cluster needs a file/],
      [['--node', 'worker3'], /--node goes only with: pi-cluster-wizard run/],
      [['--yes'], /--yes goes only with: pi-cluster-wizard run/],
      [['status', 'now'], /status takes no arguments/],
      [['--session', 'a b'], /--session "a b" is not a usable name/],
      [['--session', '../x'], /is not a usable name/],
      [['--session='], /--session needs a name/],
    ];
    for (const [argv, message] of cases) {
      const stderr = assertRefused(argv, message);
      assert.match(stderr, /Run pi-cluster-wizard --help to see the options\./);
    }
  });

  test('--concurrency N: how many Pis at once, for run and the wizard', () => {
    assert.deepEqual(parseCommandLine(['--concurrency', '3'], {}), {
      kind: 'wizard',
      options: { sessionName: 'default', fresh: false, dryRun: false, color: true, concurrency: 3 },
    });
    for (const [argv, concurrency] of [
      [['run', 'verify', '--concurrency', '1'], 1],
      [['run', '--concurrency=64', '--yes'], 64],
      [['run', 'all', '--concurrency', '08'], 8],
    ] as const) {
      const result = parseCommandLine(argv, {});
      assert.equal(result.kind, 'run', argv.join(' '));
      if (result.kind === 'run') assert.equal(result.options.concurrency, concurrency);
    }
    // Not given: the engine's default, so nothing is said.
    const plain = parseCommandLine(['run'], {});
    assert.equal(plain.kind === 'run' && 'concurrency' in plain.options, false);
  });

  test('a bad --concurrency is refused in words, with exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', '--concurrency', '0'], /^--concurrency 0 is out of range: from 1 to 64 Pis at once/],
      [['run', '--concurrency', '65'], /^--concurrency 65 is out of range: from 1 to 64/],
      [['run', '--concurrency', '100000000000000000000'], /is out of range/],
      [['--concurrency', '2.5'], /^--concurrency "2\.5" is not a whole number: .* from 1 to 64/],
      [['run', '--concurrency', 'many'], /^--concurrency "many" is not a whole number/],
      [['run', '--concurrency=-3'], /^--concurrency "-3" is not a whole number/],
      [['run', '--concurrency', ' 4'], /^--concurrency " 4" is not a whole number/],
      [['run', '--concurrency', '$(reboot)'], /^--concurrency "\$\(reboot\)" is not a whole/],
      [['run', '--concurrency', '-3'], /^--concurrency needs a number of Pis at once, e\.g\./],
      [['run', '--concurrency'], /^--concurrency needs a number of Pis at once/],
      [['run', '--concurrency='], /^--concurrency needs a number of Pis at once/],
      [['status', '--concurrency', '4'], /--concurrency goes only with: pi-cluster-wizard or/],
      [['discover', '--concurrency', '4'], /--concurrency goes only with/],
    ];
    for (const [argv, message] of cases) {
      const stderr = assertRefused(argv, message);
      if (argv[0] === 'run' || argv[0] === '--concurrency')
        assert.match(stderr, /e\.g\. --concurrency 4/, argv.join(' '));
    }
  });

  test('the help lists every flag of the table, under the commands it goes with', () => {
    const help = parseCommandLine(['--help'], {});
    const text = help.kind === 'exit' ? (help.stdout ?? '') : '';
    for (const flag of flagTable) assert.match(text, new RegExp(`--${flag.name}\\b`), flag.name);
  });

  test('run --nodes …: the plan flags as given, checked by the run command', () => {
    const result = parseCommandLine(
      [
        'run',
        'all',
        '--yes',
        '--json',
        '--nodes',
        '5',
        '--subnet',
        '10.0.0.0/24',
        '--dns=10.0.0.1,10.0.0.2',
        '--discover',
      ],
      {},
    );
    assert.equal(result.kind, 'run');
    if (result.kind !== 'run') return;
    assert.equal(result.options.json, true);
    assert.deepEqual(result.options.plan, {
      nodes: '5',
      subnet: '10.0.0.0/24',
      dns: '10.0.0.1,10.0.0.2',
      discover: true,
    });
  });
});
