// Every step of the guide, and what the engine runs around the reboot: the one book of steps the
// engine is given (tests give it in-memory steps instead).

import type { NodeRow } from '../plan/plan-cluster.js';
import type { ReadToMake } from '../transport/node-connection.js';
import { checkAfterReboot } from './after-reboot.js';
import { fanInStep, fanOutStep, keysStep, knownHostsStep, verifyStep } from './key-steps.js';
import {
  hostnameStep,
  hostsStep,
  runningStateRead,
  sshStep,
  staticIpStep,
} from './network-steps.js';
import { hardenStep, mpiStep } from './optional-steps.js';
import { preflightStep, regenerateIdentityStep } from './preflight.js';
import { checkStackAcceptsConfiguration } from './stack-accepts.js';
import type { NodeStep, StepId, StepWork } from './step.js';

/** `reboot` is not a NodeStep: it replaces connections, so the engine runs it itself. */
export type NodeStepId = Exclude<StepId, 'reboot'>;

export const stepsById: Record<NodeStepId, NodeStep> = {
  preflight: preflightStep,
  'static-ip': staticIpStep,
  hostname: hostnameStep,
  hosts: hostsStep,
  ssh: sshStep,
  keys: keysStep,
  'fan-in': fanInStep,
  'fan-out': fanOutStep,
  'known-hosts': knownHostsStep,
  verify: verifyStep,
  mpi: mpiStep,
  harden: hardenStep,
};

export interface StepBook {
  byId: Record<NodeStepId, NodeStep>;
  /** What a reboot makes take effect: done before it on the same node, checked again after it. */
  networkStepIds: readonly NodeStepId[];
  /** Gives a cloned card new host keys and a machine-id (run under preflight). */
  regenerateIdentity: NodeStep;
  /** Asks the node's own network stack whether it accepts what was written; says what it found. */
  checkBeforeReboot(work: StepWork): Promise<string>;
  /** Checks the given steps on the rebooted node; throws a StepFailure when one was undone. */
  checkAfterReboot(work: StepWork, steps: readonly NodeStep[]): Promise<void>;
  /** What checkAfterReboot reads first: made in the round trip that learns the new boot id. */
  firstReadAfterReboot(row: NodeRow): ReadToMake;
}

const networkStepIds = ['static-ip', 'hostname', 'hosts', 'ssh'] as const;

export const guideSteps: StepBook = {
  byId: stepsById,
  networkStepIds,
  regenerateIdentity: regenerateIdentityStep,
  checkBeforeReboot: checkStackAcceptsConfiguration,
  checkAfterReboot,
  firstReadAfterReboot: runningStateRead,
};
