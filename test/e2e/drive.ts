// Helpers for end-to-end tests: run the built wizard on the lab's master as pi, as a person does
// after `ssh pi@master`, and plan a cluster on the lab's loopback subnet.
import {
  type ClusterSettings,
  defaultSettings,
  type NodeRow,
  planCluster,
} from '../../source/plan/plan-cluster.js';
import type { Lab } from '../lab/lab.js';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const clusterPath = '/home/pi/cluster.json';

export interface DrivenReport {
  step: string;
  node: string;
  status: string;
  summary: string;
  /** The indented lines printed under the report (a dry run's diffs and commands). */
  details: string[];
}

/**
 * Runs `pi-cluster-wizard run …` on the master as pi with the password on standard input. With
 * `cluster`, writes it to a file and passes --cluster first.
 */
export async function drive(lab: Lab, args: string[], cluster?: object) {
  const master = lab.nodes[0]!;
  if (cluster) await master.runAsPi(`cat > ${clusterPath}`, { input: JSON.stringify(cluster) });
  const quoted = [...(cluster ? ['--cluster', clusterPath] : []), ...args]
    .map((arg) => `'${arg}'`)
    .join(' ');
  const result = await master.runAsPi(`node ${cli} run ${quoted}`, {
    input: `${lab.password}\n`,
    timeoutMs: 240_000,
  });
  const reports: DrivenReport[] = [];
  for (const line of result.stdout.split('\n')) {
    const match = /^(\S+)\s+(\S+)\s+(ok|changed|FAILED|skipped)\s+(.*)$/.exec(line);
    if (match) {
      reports.push({
        step: match[1]!,
        node: match[2]!,
        status: match[3]!.toLowerCase(),
        summary: match[4]!,
        details: [],
      });
    } else if (line.startsWith('    ')) reports.at(-1)?.details.push(line.trim());
  }
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
