// Helpers for end-to-end tests: run the built wizard on the lab's master as pi, as a person does
// after `ssh pi@master`, and plan a cluster on the lab's loopback subnet.
import {
  type ClusterSettings,
  defaultSettings,
  type NodeRow,
  planCluster,
} from '../../source/plan/plan-cluster.js';
import type { JsonLine, JsonSummary } from '../../source/reporters/json-lines.js';
import type { Lab } from '../lab/lab.js';

export const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const clusterPath = '/home/pi/cluster.json';

export interface DrivenReport {
  step: string;
  node: string;
  status: string;
  summary: string;
  /** A dry run's plan under the report: its diffs and commands, one line each. */
  details: string[];
}

/** Every line of --json output, parsed; a line that is not JSON fails the test. */
export function parseJsonLines(stdout: string): JsonLine[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as JsonLine;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

/**
 * Runs `pi-cluster-wizard run … --json` on the master as pi with the password on standard input,
 * and reads what happened from the JSON lines (never from the text meant for people). With
 * `cluster`, writes it to a file and passes --cluster first.
 */
export async function drive(lab: Lab, args: string[], cluster?: object) {
  const master = lab.nodes[0]!;
  if (cluster) await master.runAsPi(`cat > ${clusterPath}`, { input: JSON.stringify(cluster) });
  const quoted = [...(cluster ? ['--cluster', clusterPath] : []), ...args, '--json']
    .map((arg) => `'${arg}'`)
    .join(' ');
  const result = await master.runAsPi(`node ${cli} run ${quoted}`, {
    input: `${lab.password}\n`,
    timeoutMs: 240_000,
  });
  const lines = parseJsonLines(result.stdout);
  const reports: DrivenReport[] = lines.flatMap((line) =>
    line.type === 'result'
      ? [
          {
            step: line.step,
            node: line.node,
            status: line.status,
            summary: line.summary,
            details: line.plan,
          },
        ]
      : [],
  );
  const summary = lines.find((line): line is JsonSummary => line.type === 'summary');
  return { ...result, lines, reports, summary };
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
