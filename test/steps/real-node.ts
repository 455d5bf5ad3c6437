// What the real-tool step tests share: a loopback cluster, and a StepWork on a sandbox node with
// the facts preflight would have found.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClusterSettings, planCluster } from '../../source/plan/plan-cluster.js';
import type { NodeFacts } from '../../source/steps/node-facts.js';
import { type ClusterContext, StepWork } from '../../source/steps/step.js';
import type { SandboxNode } from './sandbox-node.js';

export const settings: ClusterSettings = {
  nodeCount: 3,
  subnet: '127.0.30.0/24',
  firstAddress: '127.0.30.10',
  gateway: '127.0.30.1',
  dns: ['127.0.30.1'],
  user: 'pi',
  interfaceName: 'eth0',
  masterName: 'master',
  workerPrefix: 'worker',
};

export const rows = planCluster(settings);
export const worker1 = rows[1]!;

const stockFolder = join(dirname(fileURLToPath(import.meta.url)), '..', 'lab', 'stock');
export const stock = (name: string) => readFileSync(join(stockFolder, name), 'utf8');

export function factsFor(stack: NodeFacts['networkStack'], cloudInit = false): NodeFacts {
  return {
    osRelease: 'Debian GNU/Linux 13 (trixie)',
    networkStack: stack,
    user: 'pi',
    groups: ['pi', 'sudo'],
    home: '/home/pi',
    sudo: 'root',
    hostname: 'raspberrypi',
    machineId: '',
    hostKeys: [],
    hostKeyFingerprints: [],
    bootId: '',
    networkManagerDevices: new Map(),
    ...(cloudInit ? { cloudInit: { version: '22.4.2', status: 'done' } } : {}),
  };
}

export function clusterWith(facts: NodeFacts): ClusterContext {
  return {
    settings,
    rows,
    dryRun: false,
    facts: new Map(rows.map((row) => [row.hostname, facts])),
    publicKeys: new Map(),
    loginMatrix: new Map(),
    fixClonedCards: false,
    knownHostsPath: '/nonexistent',
    rebootPending: new Set(),
    concurrency: 8,
    retiredKeys: [],
  };
}

export function workOn(node: SandboxNode, facts: NodeFacts, checkOnly = false): StepWork {
  return new StepWork(node, worker1, clusterWith(facts), checkOnly);
}
