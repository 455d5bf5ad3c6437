import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import { welcomeChoices } from '../../source/screens/welcome/welcome-choices.js';
import { initialData, startSession } from '../../source/store/app-state.js';
import { describeRunProgress } from '../../source/store/run-progress.js';

const rows = planCluster(defaultSettings);
const hosts = rows.map((row) => row.hostname);
const all = (status: string, names = hosts) =>
  Object.fromEntries(names.map((name) => [name, status]));

describe('where a saved run stands', () => {
  it('names the sections done, the master reboot and what is next', () => {
    const run = {
      memory: { rebootPending: ['master'], masterBootIdBeforeReboot: 'boot-1' },
      results: {
        preflight: all('ok'),
        'static-ip': all('changed'),
        hostname: all('changed'),
        hosts: all('changed'),
        ssh: all('ok'),
        reboot: all('changed', hosts.slice(1)),
      },
    };
    assert.equal(
      describeRunProgress(rows, run),
      'Network and SSH done on 5 Pis, the master rebooted; next: Keys',
    );
    const session = startSession(initialData, {
      saved: { screen: 'confirm', settings: defaultSettings, rows, rowsEdited: false, run },
    });
    assert.equal(
      welcomeChoices(session)[0]?.label,
      'Resume where you left off: Network and SSH done on 5 Pis, the master rebooted; next: Keys',
    );
  });

  it('names the failed Pis, and says nothing before any step ran', () => {
    const run = {
      memory: { rebootPending: [], masterBootIdBeforeReboot: null },
      results: { preflight: all('ok'), 'static-ip': { ...all('changed'), worker2: 'failed' } },
    };
    assert.equal(describeRunProgress(rows, run), 'failed on worker2; next: Network');
    assert.equal(describeRunProgress(rows, { ...run, results: {} }), undefined);
    assert.equal(describeRunProgress(rows, undefined), undefined);
  });
});
