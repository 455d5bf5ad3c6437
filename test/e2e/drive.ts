// Helpers for end-to-end tests: run the setup on the lab's master as pi, and the plan for a lab.
import type { ClusterSettings, NodeRow } from '../../source/plan/plan-cluster.js';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import type { Lab } from '../lab/lab.js';

const driver = new URL('./drive-setup.ts', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;
const drivePath = '/home/pi/drive.json';

/** Runs the driver on the master as pi; with `file`, writes the plan first. Lines: step, node, status. */
export async function drive(lab: Lab, file?: object) {
  const master = lab.nodes[0]!;
  if (file) await master.runAsPi(`cat > ${drivePath}`, { input: JSON.stringify(file) });
  const result = await master.runAsPi(`cd ${root} && node --import tsx ${driver} ${drivePath}`, {
    input: `${lab.password}\n`,
    timeoutMs: 240_000,
  });
  const reports = result.stdout
    .split('\n')
    .filter((line) => line.split('\t').length >= 4)
    .map((line) => {
      const [step, node, status, ...summary] = line.split('\t');
      return { step: step!, node: node!, status: status!, summary: summary.join('\t') };
    });
  return { ...result, reports };
}

export function labPlan(
  lab: Lab,
  nodeCount: number,
): { settings: ClusterSettings; rows: NodeRow[] } {
  const settings: ClusterSettings = {
    ...defaultSettings,
    nodeCount,
    subnet: lab.subnet,
    firstAddress: lab.staticAddress(100),
    gateway: lab.staticAddress(1),
    dns: [lab.staticAddress(1)],
  };
  const rows = planCluster(settings).map((row, index) => ({
    ...row,
    reachAt: lab.nodes[index]!.dhcpAddress,
  }));
  return { settings, rows };
}

export const guideSteps = [
  'preflight',
  'static-ip',
  'hostname',
  'hosts',
  'ssh',
  'reboot',
  'keys',
  'fan-in',
  'fan-out',
  'known-hosts',
  'verify',
];
