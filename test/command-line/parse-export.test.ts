import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../../source/command-line/parse-command-line.js';
import { exitCodes } from '../../source/commands/exit-codes.js';

const parse = (...argv: string[]) => parseCommandLine(argv, {});

/** Refused with exit code 2, in words matching `message`. */
function assertRefused(argv: string[], message: RegExp): void {
  const result = parse(...argv);
  assert.equal(result.kind, 'exit', argv.join(' '));
  if (result.kind !== 'exit') return;
  assert.equal(result.exitCode, exitCodes.usage, argv.join(' '));
  assert.match(result.stderr ?? '', message, argv.join(' '));
}

describe('the export command line', () => {
  it('takes one kind, --output and --session', () => {
    for (const kind of ['ansible', 'hosts', 'mpi', 'ssh-config'] as const) {
      assert.deepEqual(parse('export', kind), {
        kind: 'export',
        options: { sessionName: 'default', kind },
      });
    }
    assert.deepEqual(parse('export', 'mpi', '--output', 'machinefile', '--session', 'lab'), {
      kind: 'export',
      options: { sessionName: 'lab', kind: 'mpi', output: 'machinefile' },
    });
    assert.deepEqual(parse('--output=~/inventory.yml', 'export', 'ansible', '--no-color'), {
      kind: 'export',
      options: { sessionName: 'default', kind: 'ansible', output: '~/inventory.yml' },
    });
  });

  it('refuses a missing or unknown kind, extra arguments and foreign flags, in words', () => {
    const kinds = /ansible, hosts, mpi or ssh-config/;
    assertRefused(['export'], /^export needs what to export: ansible, hosts, mpi or ssh-config/);
    assertRefused(['export', 'inventory'], /^Unknown export: inventory\. It can be/);
    assertRefused(['export', 'inventory'], kinds);
    assertRefused(['export', 'ansible', 'hosts'], /nothing more \(got also: hosts\)/);
    assertRefused(['export', 'ansible', '--output'], /--output needs a file, e\.g\. --output /);
    assertRefused(['export', 'ansible', '--output', '--json'], /--output needs a file/);
    assertRefused(['export', 'ansible', '--json'], /--json goes only with: .*run/);
    assertRefused(['export', 'ansible', '--yes'], /--yes goes only with: pi-cluster-wizard run/);
    assertRefused(
      ['run', 'all', '--output', 'x'],
      /--output goes only with: pi-cluster-wizard export/,
    );
    assertRefused(['export', 'ansible', '--session', '../x'], /session/i);
  });

  it('is listed by --help, and named where a command is unknown', () => {
    const help = parse('--help');
    const text = help.kind === 'exit' ? (help.stdout ?? '') : '';
    assert.match(text, /\$ pi-cluster-wizard export KIND \[options\]/);
    assert.match(text, /Options of export\n\s+KIND\s+ansible .*\n.*ssh-config/);
    assert.match(text, /Options of export\n(.*\n)*\s+--output FILE\s+Write the export to FILE/);
    // --session goes with every command, export too.
    assert.match(text, /Options of every command\n\s+--session NAME/);
    assertRefused(
      ['exports'],
      /The commands are run, status, discover, add, remove, replace, export, exec, shutdown and reboot/,
    );
  });
});
