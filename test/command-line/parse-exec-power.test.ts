import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { every, flagTable } from '../../source/command-line/flags.js';
import { helpText, parseCommandLine } from '../../source/command-line/parse-command-line.js';

function assertRefused(argv: string[], message: RegExp): void {
  const result = parseCommandLine(argv, {});
  assert.equal(result.kind, 'exit', argv.join(' '));
  if (result.kind !== 'exit') return;
  assert.equal(result.exitCode, 2, argv.join(' '));
  assert.match(result.stderr ?? '', message, argv.join(' '));
  assert.match(result.stderr ?? '', /Run pi-cluster-wizard --help to see the options\./);
}

describe('exec, shutdown and reboot on the command line', () => {
  test('exec: the command is every word after --, its own options included', () => {
    assert.deepEqual(parseCommandLine(['exec', '--', 'hostname'], {}), {
      kind: 'exec',
      options: {
        sessionName: 'default',
        command: ['hostname'],
        sudo: false,
        yes: false,
        json: false,
        color: true,
      },
    });
    const full = parseCommandLine(
      [
        'exec',
        '--node',
        'worker1',
        '--sudo',
        '--node=worker2',
        '--json',
        '--password-file',
        'pw',
        '--session',
        'lab',
        '--concurrency',
        '2',
        '--',
        'ls',
        '-l',
        '--all',
        '--',
        '$(reboot)',
        '',
      ],
      { NO_COLOR: '1' },
    );
    assert.deepEqual(full, {
      kind: 'exec',
      options: {
        sessionName: 'lab',
        command: ['ls', '-l', '--all', '--', '$(reboot)', ''],
        nodes: ['worker1', 'worker2'],
        sudo: true,
        yes: false,
        json: true,
        passwordFile: 'pw',
        color: false,
        concurrency: 2,
      },
    });
    // `all` is every node, as with run.
    const all = parseCommandLine(['exec', '--yes', '--node', 'all', '--', 'uptime'], {});
    assert.equal(all.kind === 'exec' && 'nodes' in all.options, false);
    assert.equal(all.kind === 'exec' && all.options.yes, true);
  });

  test('shutdown and reboot: the action and their flags', () => {
    assert.deepEqual(parseCommandLine(['shutdown'], {}), {
      kind: 'power',
      options: { sessionName: 'default', action: 'shutdown', yes: false, json: false, color: true },
    });
    assert.deepEqual(
      parseCommandLine(['reboot', '-y', '--json', '--password-file', 'f', '--session', 'b'], {}),
      {
        kind: 'power',
        options: {
          sessionName: 'b',
          action: 'reboot',
          yes: true,
          json: true,
          passwordFile: 'f',
          color: true,
        },
      },
    );
  });

  test('bad input is refused in words with exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['exec'], /^exec needs a command after --, e\.g\. pi-cluster-wizard exec -- hostname/],
      [['exec', '--'], /^exec needs a command after --/],
      [['exec', '--sudo', '--', ''], /^exec needs a command after --/],
      [
        ['exec', 'hostname'],
        /^exec takes its command after --.*: pi-cluster-wizard exec -- hostname/,
      ],
      [['exec', 'ls', '--', '-l'], /^exec takes its command after --/],
      [['exec', 'ls', '-l'], /^Unknown option: -l/],
      [['exec', '--node', '--', 'ls'], /^--node needs a hostname, e\.g\. --node worker3/],
      [
        ['exec', '--dry-run', '--', 'ls'],
        /^--dry-run goes only with: pi-cluster-wizard or pi-cluster-wizard run/,
      ],
      [['shutdown', '--sudo'], /^--sudo goes only with: pi-cluster-wizard exec/],
      [
        ['reboot', '--node', 'worker1'],
        /^--node goes only with: pi-cluster-wizard run or pi-cluster-wizard exec/,
      ],
      [['reboot', '--concurrency', '2'], /^--concurrency goes only with/],
      [['shutdown', 'now'], /^shutdown takes no arguments \(got: now\)/],
      [['reboot', '--', 'now'], /^reboot takes no arguments \(got: now\)/],
      [['run', '--sudo'], /^--sudo goes only with: pi-cluster-wizard exec/],
      [
        ['poweroff'],
        /^Unknown command: poweroff\. The commands are run, status, discover, add, remove, replace, export, exec, shutdown and reboot/,
      ],
    ];
    for (const [argv, message] of cases) assertRefused(argv, message);
  });

  test('the help: every command, the flags under each command they go with, once for every command', () => {
    assert.match(helpText, /\$ pi-cluster-wizard exec \[options\] -- COMMAND…/);
    assert.match(helpText, /\$ pi-cluster-wizard shutdown\|reboot \[options\]/);
    const section = (title: string) => {
      const start = helpText.indexOf(`  ${title}\n`);
      assert.ok(start >= 0, title);
      const end = helpText.indexOf('\n\n', start);
      return helpText.slice(start, end);
    };
    const everyCommand = section('Options of every command');
    for (const flag of flagTable.filter((flag) => flag.commands === every))
      assert.match(everyCommand, new RegExp(`--${flag.name}\\b`), flag.name);
    assert.deepEqual(
      flagTable.filter((flag) => flag.commands === every).map((flag) => flag.name),
      ['session', 'no-color', 'help', 'version'],
    );
    const exec = section('Options of exec');
    for (const name of ['node', 'sudo', 'yes', 'json', 'password-file', 'concurrency'])
      assert.match(exec, new RegExp(`--${name}\\b`), name);
    assert.doesNotMatch(exec, /--session|--dry-run/);
    const power = section('Options of shutdown and reboot');
    for (const name of ['yes', 'json', 'password-file'])
      assert.match(power, new RegExp(`--${name}\\b`), name);
    assert.doesNotMatch(power, /--sudo|--node|--session/);
  });
});
