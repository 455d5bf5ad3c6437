import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CommandLog, defaultCommandLogPath } from '../../source/transport/command-log.js';

const directory = mkdtempSync(join(tmpdir(), 'pcw-log-'));
after(() => rmSync(directory, { recursive: true, force: true }));

describe('the command log', () => {
  it('writes one JSON line per command, 0600, with every secret redacted', () => {
    const log = new CommandLog(join(directory, 'state', 'commands.jsonl'));
    log.addSecret('hunter2');
    log.addSecret('hunter2-long');
    log.addSecret('');
    log.record({
      node: 'pi1',
      command: 'echo hunter2-long hunter2',
      asRoot: false,
      code: 0,
      durationMs: 3,
    });
    log.record({
      node: 'pi2',
      command: "sudo -k -S -p '' -- true",
      asRoot: true,
      code: 1,
      durationMs: 40,
      stderr: 'bad hunter2',
    });
    const text = readFileSync(log.path, 'utf8');
    assert.ok(!text.includes('hunter2'));
    const [first, second] = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(first.command, 'echo [redacted] [redacted]');
    assert.equal(second.stderr, 'bad [redacted]');
    assert.equal(second.code, 1);
    assert.equal(statSync(log.path).mode & 0o777, 0o600);
  });

  it('lives under XDG_STATE_HOME by default, one file per run', () => {
    const saved = process.env.XDG_STATE_HOME;
    process.env.XDG_STATE_HOME = '/state';
    try {
      assert.equal(
        defaultCommandLogPath(new Date('2026-11-22T01:02:03.456Z')),
        '/state/pi-cluster-wizard/commands-20261122T010203Z.jsonl',
      );
    } finally {
      if (saved === undefined) delete process.env.XDG_STATE_HOME;
      else process.env.XDG_STATE_HOME = saved;
    }
  });
});
