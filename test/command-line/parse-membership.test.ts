import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { helpText, parseCommandLine } from '../../source/command-line/parse-command-line.js';

function refused(argv: string[], message: RegExp): void {
  const result = parseCommandLine(argv, {});
  assert.equal(result.kind, 'exit', argv.join(' '));
  if (result.kind !== 'exit') return;
  assert.equal(result.exitCode, 2, argv.join(' '));
  assert.match(result.stderr ?? '', message, argv.join(' '));
}

describe('add, remove and replace on the command line', () => {
  test('flags to options', () => {
    const common = {
      sessionName: 'default',
      yes: false,
      json: false,
      fixClonedCards: false,
      color: true,
    };
    assert.deepEqual(parseCommandLine(['add'], {}), {
      kind: 'membership',
      options: { ...common, change: { kind: 'add', count: 1, discover: false } },
    });
    assert.deepEqual(
      parseCommandLine(
        ['add', '--count', '2', '--reach-at', '10.0.0.5,10.0.0.6', '--yes', '--json'],
        {},
      ),
      {
        kind: 'membership',
        options: {
          ...common,
          yes: true,
          json: true,
          change: { kind: 'add', count: 2, discover: false, reachAt: '10.0.0.5,10.0.0.6' },
        },
      },
    );
    assert.deepEqual(parseCommandLine(['remove', 'worker4', '--password-file', 'pw'], {}), {
      kind: 'membership',
      options: {
        ...common,
        passwordFile: 'pw',
        change: { kind: 'remove', node: 'worker4', wipe: false },
      },
    });
    const pin = `SHA256:${'A'.repeat(43)}`;
    assert.deepEqual(
      parseCommandLine(['replace', 'worker3', '--host-key', pin, '--discover'], {}),
      {
        kind: 'membership',
        options: {
          ...common,
          change: { kind: 'replace', node: 'worker3', discover: true, hostKey: pin },
        },
      },
    );
  });

  test('bad input is refused in words', () => {
    refused(['add', '--count', 'two'], /--count "two" is not a number of Pis/);
    refused(['add', '--count', '0'], /--count "0" is not a number of Pis/);
    refused(['add', 'worker5'], /add takes no arguments/);
    refused(['remove'], /remove needs the node's hostname, e.g. pi-cluster-wizard remove worker3/);
    refused(['replace', 'worker1', 'worker2'], /replace takes one node at a time/);
    refused(['replace', 'worker1', '--host-key', 'abc'], /is not an SSH fingerprint/);
    refused(['add', '--reach-at', '10.0.0.5', '--discover'], /use one of them/);
    refused(['remove', 'worker1', '--count', '2'], /--count goes only with: pi-cluster-wizard add/);
    refused(['remove', 'worker1', '--dry-run'], /--dry-run goes only with/);
    refused(['status', '--yes'], /--yes goes only with/);
    refused(
      ['grow'],
      /The commands are run, status, discover, add, remove, replace, export, exec, shutdown and reboot/,
    );
  });

  test('--help names the commands and their options', () => {
    assert.match(helpText, /pi-cluster-wizard add \[--count N\]/);
    assert.match(helpText, /Options of add, remove and replace/);
    assert.match(helpText, /--host-key SHA256:…/);
  });
});
