// The assignment of found lab nodes to rows fills the table, and a restart finds it in the session.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  describeMachines,
  reachAtPatches,
  suggestAssignment,
} from '../../source/discovery/discovery-report.js';
import { parseScanRange } from '../../source/discovery/scan-range.js';
import { scanForSsh } from '../../source/discovery/scan-subnet.js';
import { defaultSettings, validateRows } from '../../source/plan/plan-cluster.js';
import { openSessionFile } from '../../source/session/session-file.js';
import { createAppStore } from '../../source/store/app-store.js';
import { persistSession } from '../../source/store/persist-session.js';
import { type Lab, startLab } from '../lab/lab.js';

describe('assigning found machines to the table', () => {
  let lab: Lab;
  let configDir: string;
  before(async () => {
    lab = await startLab({ nodes: 3 });
    configDir = mkdtempSync(join(tmpdir(), 'pcw-discovery-session-'));
  });
  after(async () => {
    await lab?.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('fills each worker row with the node the suggestion gives it, and survives a restart', async () => {
    const session = openSessionFile({ sessionName: 'discovery', configDir });
    const store = createAppStore();
    const stopPersisting = persistSession(store, session);
    store.getState().start();
    const result = store.getState().submitSettings({
      ...defaultSettings,
      nodeCount: 4,
      subnet: lab.subnet,
      firstAddress: lab.staticAddress(100),
      gateway: lab.staticAddress(1),
      dns: [lab.staticAddress(1)],
    });
    assert.equal(result.kind, 'planned');

    const dhcp = lab.nodes[0]!.dhcpAddress.split('.').slice(0, 3).join('.');
    const range = parseScanRange(`${dhcp}.0/24`);
    assert.ok(range.ok);
    const scan = await scanForSsh(range.value.addresses);
    const { rows } = store.getState();
    const machines = describeMachines(scan.found, { rows });
    const assignment = suggestAssignment(rows, machines);
    store.getState().assignReachAt(reachAtPatches(rows, assignment));
    stopPersisting();

    const expected = [
      rows[0]!.reachAt, // the master row: the wizard's own machine, not among the nodes
      ...lab.nodes.map((node) => node.dhcpAddress),
    ];
    assert.deepEqual(
      store.getState().rows.map((row) => row.reachAt),
      expected,
    );
    assert.equal(store.getState().rowsEdited, true);
    assert.deepEqual(validateRows(store.getState().settings, store.getState().rows), []);
    assert.doesNotMatch(readFileSync(session.path, 'utf8'), /raspberry/, 'no password saved');

    // A restart: the session file read again from disk.
    const reopened = openSessionFile({ sessionName: 'discovery', configDir });
    assert.deepEqual(
      reopened.saved?.rows.map((row) => row.reachAt),
      expected,
    );
    const resumed = createAppStore({ ...(reopened.saved ? { saved: reopened.saved } : {}) });
    resumed.getState().resume();
    assert.equal(resumed.getState().screen, 'review-table');
    assert.deepEqual(
      resumed.getState().rows.map((row) => row.reachAt),
      expected,
    );
  });
});
