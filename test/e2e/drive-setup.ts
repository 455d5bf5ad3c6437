// Test driver: runs the setup engine on the master as a person would after `ssh pi@master`, with
// the plan and the run's memory in a JSON file it keeps up to date (so a reboot of the master can
// be resumed). Input: the file path as argv[2]; the password on stdin.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { runSetup, type SetupMemory } from '../../source/engine/run-setup.js';
import type { ClusterSettings, NodeRow } from '../../source/plan/plan-cluster.js';
import type { StepId } from '../../source/steps/step.js';

interface DriveFile {
  settings: ClusterSettings;
  rows: NodeRow[];
  steps: StepId[];
  nodes?: string[];
  dryRun?: boolean;
  fixClonedCards?: boolean;
  memory: SetupMemory;
}

const path = process.argv[2]!;
const password = readFileSync(0, 'utf8').trim();
const file = JSON.parse(readFileSync(path, 'utf8')) as DriveFile;
const save = () => {
  writeFileSync(`${path}.tmp`, JSON.stringify(file, null, 2));
  renameSync(`${path}.tmp`, path);
};
const result = await runSetup({
  settings: file.settings,
  rows: file.rows,
  steps: file.steps,
  ...(file.nodes ? { nodes: file.nodes } : {}),
  dryRun: file.dryRun ?? false,
  fixClonedCards: file.fixClonedCards ?? false,
  password,
  memory: file.memory,
  retry: { maxAttempts: 2, initialDelayMs: 500, factor: 2, maxDelayMs: 2000 },
  rebootTimeoutMs: 30_000,
  onEvent: (event) => {
    if (event.type === 'report') {
      const { report } = event;
      console.log(`${report.step}\t${report.node}\t${report.status}\t${report.summary}`);
      for (const change of report.changes) {
        console.error(`plan ${report.node} ${report.step} ${JSON.stringify(change)}`);
      }
    } else if (event.type === 'memory') {
      file.memory = event.memory;
      save();
    } else if (event.type === 'reach-changed') {
      const row = file.rows.find((each) => each.hostname === event.node);
      if (row) row.reachAt = event.address;
      save();
    } else if (event.type === 'master-rebooting') {
      console.log(`master-rebooting\t${event.address}`);
    }
  },
});
save();
const failed = result.reports.filter((report) => report.status === 'failed');
process.exitCode = result.masterRebooting ? 75 : failed.length > 0 ? 1 : 0;
