// Every step by its id, in the guide's order. `reboot` is not here: it replaces connections, so the
// engine runs it itself.
import { fanInStep, fanOutStep, keysStep, knownHostsStep, verifyStep } from './key-steps.js';
import { hostnameStep, hostsStep, sshStep, staticIpStep } from './network-steps.js';
import { hardenStep, mpiStep } from './optional-steps.js';
import { preflightStep } from './preflight.js';
import type { NodeStep, StepId } from './step.js';

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
