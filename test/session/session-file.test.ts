import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import type { SavedSession } from '../../source/session/saved-session.js';
import {
  configDirVariable,
  defaultConfigDir,
  openSessionFile,
} from '../../source/session/session-file.js';
import { createAppStore } from '../../source/store/app-store.js';
import { persistSession, toSavedSession } from '../../source/store/persist-session.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcw-session-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const four = { ...defaultSettings, nodeCount: 4 };
const session: SavedSession = {
  schemaVersion: 1,
  screen: 'review-table',
  settings: four,
  rows: planCluster(four),
  rowsEdited: false,
};
const fixedNow = () => new Date('2026-11-22T01:02:03.456Z');
const file = () => path.join(dir, 'session-default.json');
const open = (options: { fresh?: boolean; sessionName?: string } = {}) =>
  openSessionFile({ sessionName: 'default', configDir: dir, now: fixedNow, ...options });

describe('session file', () => {
  test('a round trip through conf, in a file only its owner can read', () => {
    const first = open();
    assert.equal(first.saved, undefined);
    assert.equal(first.notice, undefined);
    assert.equal(first.path, file());
    assert.equal(first.save(session), undefined);
    assert.equal(fs.statSync(file()).mode & 0o777, 0o600);
    const nested = path.join(dir, 'config', 'pi-cluster-wizard');
    openSessionFile({ sessionName: 'default', configDir: nested }).save(session);
    assert.equal(fs.statSync(nested).mode & 0o777, 0o700);
    const second = open();
    assert.deepEqual(second.saved, session);
    assert.equal(second.notice, undefined);
  });

  test('what the runs learned of each node comes back as it was saved; a wrong shape is refused', () => {
    const withNodes: SavedSession = {
      ...session,
      run: {
        memory: {
          rebootPending: [],
          masterBootIdBeforeReboot: null,
          nodes: {
            worker1: {
              publicKey: 'ssh-ed25519 AAAAkey pi@worker1',
              hostKeys: ['ssh-ed25519 AAAAhost'],
              cores: 4,
            },
            worker2: {},
          },
          retiredKeys: ['ssh-ed25519 AAAAold pi@worker3'],
          forgetHostKeys: ['worker3', '192.168.0.103'],
          newCards: { worker2: { hostKey: 'ssh-ed25519 AAAAnew', forget: ['192.168.0.23'] } },
        },
        results: {},
      },
    };
    assert.equal(open().save(withNodes), undefined);
    assert.deepEqual(open().saved, withNodes);
    const bad = structuredClone(withNodes);
    (bad.run!.memory.nodes!.worker1 as { cores: unknown }).cores = 'four';
    fs.writeFileSync(file(), JSON.stringify(bad));
    assert.match(
      open().notice ?? '',
      /run\.memory\.nodes\.worker1\.cores is not a number of processors/,
    );
    const badCard = structuredClone(withNodes);
    badCard.run!.memory.newCards!.worker2!.hostKey = 'ssh-ed25519 AAAA; rm -rf ~';
    fs.writeFileSync(file(), JSON.stringify(badCard));
    assert.match(
      open().notice ?? '',
      /run\.memory\.newCards\.worker2 is not a host key and the names to forget/,
    );
  });

  test('--session NAME keeps a file of its own', () => {
    open().save(session);
    const lab = open({ sessionName: 'lab-2' });
    assert.equal(lab.saved, undefined);
    lab.save({ ...session, screen: 'confirm' });
    assert.equal(open({ sessionName: 'lab-2' }).saved?.screen, 'confirm');
    assert.equal(open().saved?.screen, 'review-table');
    assert.ok(fs.existsSync(path.join(dir, 'session-lab-2.json')));
  });

  test('a corrupted file is moved aside, said where, and the wizard starts fresh', () => {
    fs.writeFileSync(file(), '{"schemaVersion": 1, "screen": "revi');
    const opened = open();
    const aside = `${file()}.corrupt-2026-11-22T01-02-03-456Z`;
    assert.equal(opened.saved, undefined);
    assert.ok(fs.existsSync(aside));
    assert.equal(fs.readFileSync(aside, 'utf8'), '{"schemaVersion": 1, "screen": "revi');
    assert.ok(!fs.existsSync(file()));
    assert.match(
      opened.notice ?? '',
      new RegExp(
        `could not be used \\(.*JSON.*\\)\\. It was moved to ${aside}\\. Starting fresh\\.`,
      ),
    );
    assert.equal(opened.save(session), undefined);
    assert.deepEqual(open().saved, session);
  });

  test('valid JSON that is not a session is moved aside too, with the reason', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['a list', [1, 2], /no valid schemaVersion/],
      ['unknown screen', { ...session, screen: 'run' }, /its screen "run" is unknown/],
      ['bad row', { ...session, rows: [{ index: 0 }] }, /row 0's interfaceName is not a string/],
      ['no dns list', { ...session, settings: { ...four, dns: '1.1.1.1' } }, /settings\.dns/],
    ];
    for (const [name, data, reason] of cases) {
      fs.writeFileSync(file(), JSON.stringify(data));
      const opened = open();
      assert.equal(opened.saved, undefined, name);
      assert.match(opened.notice ?? '', reason, name);
      assert.match(opened.notice ?? '', /It was moved to .*\.corrupt-/, name);
      assert.ok(!fs.existsSync(file()), name);
      for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry));
    }
  });

  test('a session from a newer version is moved aside with a clear message', () => {
    fs.writeFileSync(file(), JSON.stringify({ ...session, schemaVersion: 7, newThing: true }));
    const opened = open();
    assert.equal(opened.saved, undefined);
    assert.match(
      opened.notice ?? '',
      /written by a newer pi-cluster-wizard \(session format 7; this version reads format 1\): update the wizard to resume it\)\. It was moved to .*session-default\.json\.corrupt-2026-11-22T01-02-03-456Z/,
    );
  });

  test('--fresh does not offer the saved session and says it will be replaced', () => {
    open().save(session);
    const fresh = open({ fresh: true });
    assert.equal(fresh.saved, undefined);
    assert.match(
      fresh.notice ?? '',
      /Starting fresh \(--fresh\).*replaced once you go past this screen/,
    );
    assert.deepEqual(open().saved, session, 'the file itself is untouched');
  });

  test('a directory that cannot hold the file: a message, no crash', () => {
    const blocked = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocked, 'a file where the directory should be');
    const opened = openSessionFile({ sessionName: 'default', configDir: blocked });
    assert.equal(opened.saved, undefined);
    assert.match(opened.notice ?? '', /cannot be saved/);
    assert.match(opened.save(session) ?? '', /cannot be saved .*kept only until you quit/);
  });

  test('the config directory comes from the environment', () => {
    assert.equal(defaultConfigDir({ [configDirVariable]: '/tmp/x' }), '/tmp/x');
    assert.equal(defaultConfigDir({ XDG_CONFIG_HOME: '/c', HOME: '/h' }), '/c/pi-cluster-wizard');
  });
});

describe('persistSession', () => {
  test('saves every change past the welcome screen, and never a password', () => {
    const opened = open();
    const store = createAppStore({ saved: session });
    const stop = persistSession(store, opened);
    store.getState().setPassword('hunter2-do-not-save');
    assert.ok(!fs.existsSync(file()), 'nothing is written while on the welcome screen');
    store.getState().resume();
    store.getState().editRow(2, { hostname: 'gamma' });
    const text = fs.readFileSync(file(), 'utf8');
    assert.ok(!text.includes('hunter2'), text);
    assert.ok(!/password|passphrase|secret/i.test(text), text);
    assert.deepEqual(JSON.parse(text), toSavedSession(store.getState()));
    assert.equal(open().saved?.rows[2]?.hostname, 'gamma');
    store.getState().finish({ kind: 'interrupted', signal: 'SIGINT' });
    stop();
  });

  test('a failing save is put in the store for the screens to show', () => {
    const store = createAppStore();
    persistSession(store, { save: () => 'Could not save the session to /x: EROFS.' });
    store.getState().start();
    assert.equal(store.getState().saveProblem, 'Could not save the session to /x: EROFS.');
  });
});
