import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CommandLog } from '../../source/transport/command-log.js';
import { isTransportError } from '../../source/transport/errors.js';
import { LocalNodeConnection } from '../../source/transport/local-connection.js';
import { type Lab, startLab } from '../lab/lab.js';
import { HOSTILE_FILE_NAMES, HOSTILE_VALUES } from './hostile-values.js';

const directory = mkdtempSync(join(tmpdir(), 'pcw-local-'));
after(() => rmSync(directory, { recursive: true, force: true }));
const log = new CommandLog(join(directory, 'log', 'commands.jsonl'));
const master = new LocalNodeConnection({ commandLog: log, password: 'local secret' });
const isRoot = process.getuid?.() === 0;

describe('the master, through local processes', () => {
  it('runs an argv without a shell, so hostile values arrive as data', async () => {
    const result = await master.run(['printf', '%s\\0', ...HOSTILE_VALUES]);
    assert.equal(result.code, 0);
    assert.deepEqual(result.stdout.split('\0').slice(0, -1), HOSTILE_VALUES);
    const script = await master.run({ script: 'printf "%s\\0" "$@"', args: HOSTILE_VALUES });
    assert.deepEqual(script.stdout.split('\0').slice(0, -1), HOSTILE_VALUES);
  });

  it('reports exit codes, stderr and stdin like a worker does', async () => {
    const result = await master.run(['sh', '-c', 'cat; echo err >&2; exit 5'], { stdin: 'in' });
    assert.deepEqual([result.code, result.stdout, result.stderr], [5, 'in', 'err\n']);
    const missing = await master.run(['pcw-no-such-program']);
    assert.equal(missing.code, 127);
    await assert.rejects(
      master.run(['false'], { check: true, label: 'the false step' }),
      (error) => {
        assert.ok(isTransportError(error));
        assert.equal(error.kind, 'command-failed');
        assert.match(error.message, /the false step failed on master \(exit code 1\)/);
        return true;
      },
    );
  });

  it('stops a command at its timeout or abort', async () => {
    await assert.rejects(master.run(['sleep', '10'], { timeoutMs: 200 }), (error) => {
      assert.ok(isTransportError(error) && error.kind === 'command-timed-out');
      return true;
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(master.run(['sleep', '10'], { signal: controller.signal }), (error) => {
      assert.ok(isTransportError(error) && error.kind === 'aborted');
      return true;
    });
  });

  it('knows its home directory', async () => {
    assert.equal(await master.homeDirectory(), process.env.HOME);
  });

  it('replaces files atomically with mode, owner and backup, and follows a symlink', {
    skip: !isRoot,
  }, async () => {
    const path = join(directory, 'hosts');
    writeFileSync(path, 'old\n', { mode: 0o644 });
    const change = await master.replaceFile(path, 'new\n', {
      mode: 0o640,
      owner: 'nobody',
      group: 'nogroup',
    });
    assert.equal(change.changed, true);
    assert.equal(readFileSync(path, 'utf8'), 'new\n');
    const stat = statSync(path);
    assert.equal(stat.mode & 0o7777, 0o640);
    assert.equal(stat.uid, 65534);
    assert.ok(change.backupPath);
    assert.equal(readFileSync(change.backupPath, 'utf8'), 'old\n');
    const again = await master.replaceFile(path, 'new\n', {
      mode: 0o640,
      owner: 'nobody',
      group: 'nogroup',
    });
    assert.equal(again.changed, false);
    assert.equal(readdirSync(directory).filter((name) => name.includes('.pcw-')).length, 1);

    const link = join(directory, 'link');
    symlinkSync(path, link);
    const throughLink = await master.replaceFile(link, 'via link\n', { mode: 0o640 });
    assert.equal(throughLink.changed, true);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link stays a link');
    assert.equal(readlinkSync(link), path);
    assert.equal(readFileSync(path, 'utf8'), 'via link\n');
    assert.equal(statSync(path).uid, 65534, 'the owner is kept when none is asked for');
  });

  it('writes hostile file names and managed blocks as data', async () => {
    for (const name of HOSTILE_FILE_NAMES) {
      const path = join(directory, name);
      await master.replaceFile(path, `${name}\n`, { mode: 0o600, asRoot: false });
      assert.equal(readFileSync(path, 'utf8'), `${name}\n`);
      assert.equal(await master.readFile(path), `${name}\n`);
      const edit = await master.editManagedBlock(path, 'x', HOSTILE_VALUES.join('\n'), {
        mode: 0o600,
        asRoot: false,
      });
      assert.equal(edit.changed, true);
      const again = await master.editManagedBlock(path, 'x', HOSTILE_VALUES.join('\n'), {
        mode: 0o600,
        asRoot: false,
      });
      assert.equal(again.changed, false);
    }
    assert.equal(await master.readFile(join(directory, 'absent')), undefined);
  });

  it('reads a file once, keeps what it wrote, and never overwrites an edit made meanwhile', async () => {
    const path = join(directory, 'remembered');
    writeFileSync(path, 'first\n', { mode: 0o600 });
    const own = new LocalNodeConnection({ commandLog: log });
    const commands = () => readFileSync(log.path, 'utf8').trim().split('\n').length;
    const user = { mode: 0o600, asRoot: false };

    // The second read, the write's own read and the check after the write need no command.
    const before = commands();
    assert.equal(await own.readFile(path), 'first\n');
    assert.equal(await own.readFile(path), 'first\n');
    await own.editManagedBlock(path, 'b', 'one', user);
    assert.equal((await own.editManagedBlock(path, 'b', 'one', user)).changed, false);
    assert.match((await own.readFile(path)) ?? '', /^first\n.*\none\n/s);
    assert.equal(commands() - before, 2, 'one inspect and one replace');

    // Someone edits the file meanwhile: the block is put into their version, theirs is kept.
    writeFileSync(path, `${readFileSync(path, 'utf8')}theirs\n`);
    const edit = await own.editManagedBlock(path, 'b', 'two', user);
    assert.equal(edit.changed, true);
    assert.match(readFileSync(path, 'utf8'), /^first\n.*\ntwo\n.*\ntheirs\n$/s);

    // A whole file worked out from an old read is not written over their edit.
    await own.readFile(path);
    writeFileSync(path, 'someone else\n');
    await assert.rejects(own.replaceFile(path, 'mine\n', user), (error) => {
      assert.ok(isTransportError(error) && error.kind === 'command-failed');
      assert.match(error.message, /changed while the wizard was writing it/);
      assert.match(error.nextStep, /Retry/);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), 'someone else\n');
    assert.equal((await own.replaceFile(path, 'mine\n', user)).changed, true, 'read again');

    // A command that may change files makes the connection read them again.
    await own.run(['sh', '-c', 'echo added >> "$1"', 'sh', path]);
    assert.equal(await own.readFile(path), 'mine\nadded\n');
  });

  it('reads files, the boot id and sudo along with a command, and remembers a read until something may change', async () => {
    const path = join(directory, 'along');
    const absent = join(directory, 'absent-along');
    writeFileSync(path, 'along\n', { mode: 0o600 });
    const own = new LocalNodeConnection({ commandLog: log });
    const logged = () => readFileSync(log.path, 'utf8').trim().split('\n');
    const before = logged().length;

    // One round trip: the command, the probe and both files; the command's output is its own.
    const facts = await own.run(['echo', 'facts'], {
      label: 'facts',
      probe: true,
      alsoInspect: [path, absent],
    });
    assert.equal(facts.stdout, 'facts\n');
    assert.equal(
      await own.bootId(),
      readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    );
    assert.equal(await own.readFile(path), 'along\n');
    assert.equal(await own.readFile(absent), undefined);
    if (isRoot) assert.equal((await own.runAsRoot(['id', '-u'], { remember: true })).stdout, '0\n');
    assert.equal(logged().length - before, isRoot ? 2 : 1, 'the probe and the files rode along');
    assert.match(
      logged()[before] ?? '',
      /"command":"facts; read boot id, probe sudo; inspect [^"]*along [^"]*absent-along"/,
    );

    // A remembered read runs once while nothing changes; what may change something makes the next
    // one run again: a command (also one that writes no file), a file write. A file read does not.
    const state = join(directory, 'state');
    writeFileSync(state, 'one');
    const read = async () =>
      (await own.run({ script: 'cat -- "$1"', args: [state] }, { remember: true })).stdout;
    const count = logged().length;
    assert.equal(await read(), 'one');
    writeFileSync(state, 'two');
    assert.equal(await read(), 'one', 'answered from memory');
    await own.readFile(path);
    assert.equal(await read(), 'one', 'a file read changes nothing');
    assert.equal(logged().length - count, 1);
    await own.run(['true'], { writesNoFile: true });
    assert.equal(await read(), 'two', 'a command that writes no file may still change state');
    writeFileSync(state, 'three');
    await own.replaceFile(path, 'changed\n', { mode: 0o600, asRoot: false });
    assert.equal(await read(), 'three', 'a file write');
    writeFileSync(state, 'four');
    await own.run(['true']);
    assert.equal(await read(), 'four', 'a command that may write files');
    assert.equal(logged().length - count, 7, 'four reads, three changes');
  });

  it('logs every command, without the password', () => {
    const text = readFileSync(log.path, 'utf8');
    assert.ok(!text.includes('local secret'));
    assert.equal(statSync(log.path).mode & 0o777, 0o600);
    const entries = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { node: string });
    assert.ok(entries.length > 20);
    assert.ok(entries.every((entry) => entry.node === 'master'));
  });
});

describe('the master as a user whose sudo asks for the password (inside a lab node, as pi)', () => {
  let lab: Lab;

  before(async () => {
    lab = await startLab({ nodes: 1, sudo: 'password' });
  });
  after(async () => {
    await lab?.stop();
  });

  it('runs root commands in one sudo session, and ends a timed-out or aborted one at once', async () => {
    // From the checkout, where node finds tsx.
    const project = fileURLToPath(new URL('../..', import.meta.url));
    const result = await lab.nodes[0]!.runAsPi(
      `cd '${project}' && node --import tsx test/transport/master-in-lab.ts`,
      {
        input: `${lab.password}\n`,
        timeoutMs: 120_000,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const seen = JSON.parse(result.stdout) as {
      sessions: string[];
      hashOk: boolean;
      timedOut: { kind: string };
      timedOutLeftRunning: boolean;
      afterTimeout: string;
      aborted: { kind: string };
      abortMs: number;
      abortedLeftRunning: boolean;
      afterAbort: string;
      closedSudoRunning: boolean;
      wrong: { kind: string; message: string };
      wrongMs: number;
    };
    const [first] = seen.sessions;
    assert.match(first ?? '', /^\d+ \d+$/);
    assert.deepEqual(seen.sessions, [first, first, first], 'one sudo and one agent for all');
    assert.ok(seen.hashOk, 'binary stdin arrived as is');
    assert.equal(seen.timedOut.kind, 'command-timed-out');
    assert.equal(seen.timedOutLeftRunning, false, 'ending the session ended the command');
    assert.notEqual(seen.afterTimeout, first, 'the next command started a new session');
    assert.equal(seen.aborted.kind, 'aborted');
    assert.ok(seen.abortMs < 1_000, `the abort took ${seen.abortMs} ms`);
    assert.equal(seen.abortedLeftRunning, false);
    assert.notEqual(seen.afterAbort, seen.afterTimeout);
    assert.equal(seen.closedSudoRunning, false, 'close() ended the session');
    assert.equal(seen.wrong.kind, 'sudo-refused');
    assert.match(seen.wrong.message, /sudo on master did not accept the password/);
    assert.ok(seen.wrongMs < 10_000, `the refusal took ${seen.wrongMs} ms`);
  });
});
