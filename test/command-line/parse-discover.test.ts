import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../../source/command-line/parse-command-line.js';
import { exitCodes } from '../../source/commands/exit-codes.js';

const parse = (...argv: string[]) => parseCommandLine(argv, {});

describe('the discover command line', () => {
  it('takes --subnet, --assign and --session', () => {
    assert.deepEqual(parse('discover'), {
      kind: 'discover',
      options: { sessionName: 'default', assign: false, json: false },
    });
    assert.deepEqual(
      parse('discover', '--subnet', '192.168.1.0/24', '--assign', '--session', 'lab'),
      {
        kind: 'discover',
        options: { sessionName: 'lab', subnet: '192.168.1.0/24', assign: true, json: false },
      },
    );
    assert.deepEqual(parse('discover', '--subnet=10.0.0.0/24', '--json'), {
      kind: 'discover',
      options: { sessionName: 'default', subnet: '10.0.0.0/24', assign: false, json: true },
    });
  });

  it('is a usage error with arguments, an empty subnet, or its flags elsewhere', () => {
    for (const argv of [
      ['discover', 'now'],
      ['discover', '--subnet', ''],
      ['run', '--subnet', '10.0.0.0/24'],
      ['--assign'],
      ['status', '--subnet', '10.0.0.0/24'],
    ]) {
      const result = parse(...argv);
      assert.equal(result.kind, 'exit', argv.join(' '));
      assert.equal(result.kind === 'exit' && result.exitCode, exitCodes.usage, argv.join(' '));
    }
  });

  it('is in the help', () => {
    const help = parse('--help');
    assert.ok(help.kind === 'exit' && help.stdout?.includes('discover [--subnet CIDR]'));
  });
});
