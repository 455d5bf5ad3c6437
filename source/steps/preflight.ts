// Preflight: reach every node and learn what it runs; and, for cards copied with dd, the fix that
// gives a node its own SSH host keys and machine-id before anything depends on them.
import { rewriteHostKeys } from '../transport/host-keys.js';
import { networkStepFiles } from './network-steps.js';
import {
  findClonedCards,
  gatherNodeFacts,
  networkStackProblem,
  sudoRightsProblem,
} from './node-facts.js';
import { type NodeStep, StepFailure } from './step.js';

export const preflightStep: NodeStep = {
  id: 'preflight',
  title: 'Reach every node and read what it runs',
  section: 'Network',
  async run(work) {
    const facts = await gatherNodeFacts(work.connection, networkStepFiles(work.row));
    work.cluster.facts.set(work.row.hostname, facts);
    if (facts.user !== work.cluster.settings.user) {
      throw new StepFailure(
        `${work.row.hostname}: logged in as ${facts.user}, not ${work.cluster.settings.user}`,
        'use the same login user on every Pi, or change the user on the cluster form',
      );
    }
    const cloudInit = facts.cloudInit ? `, cloud-init ${facts.cloudInit.version}` : '';
    work.note(`${facts.osRelease}, ${facts.networkStack}${cloudInit}, sudo ${facts.sudo}`);
    const stackProblem = networkStackProblem(facts, work.row.interfaceName);
    if (stackProblem) work.note(`${stackProblem}: the static-ip step will stop here`);
    const sudoProblem = sudoRightsProblem(facts);
    if (sudoProblem) work.note(sudoProblem);
  },
};

// Fixed scripts, run as root; nothing from the plan goes into them.
const newHostKeys = 'rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub && ssh-keygen -A';
// Not systemd-machine-id-setup: in a VM it derives the id from the hypervisor's product UUID,
// which gives every clone the same id again. A random 128-bit id is what it makes on a Pi anyway.
const newMachineId =
  "tr -d '-' < /proc/sys/kernel/random/uuid > /etc/machine-id.new && chmod 444 /etc/machine-id.new && mv /etc/machine-id.new /etc/machine-id";

/** Gives a cloned node (not the first of its group) new host keys and a new machine-id. */
export const regenerateIdentityStep: NodeStep = {
  id: 'preflight',
  title: 'Make cloned cards unique',
  section: 'Network',
  async run(work) {
    const name = work.row.hostname;
    const clone = findClonedCards(work.cluster.facts).find((group) => group.includes(name));
    if (!clone) return;
    const shared = work.facts;
    const others = clone
      .filter((each) => each !== name)
      .map((each) => work.cluster.facts.get(each)!);
    if (
      others.some((other) =>
        other.hostKeyFingerprints.some((fp) => shared.hostKeyFingerprints.includes(fp)),
      )
    ) {
      await work.command(
        'new SSH host keys (this card was cloned)',
        { script: newHostKeys },
        { asRoot: true },
      );
    }
    if (others.some((other) => other.machineId === shared.machineId)) {
      await work.command(
        'new machine-id (this card was cloned)',
        { script: newMachineId },
        { asRoot: true },
      );
    }
    if (work.checkOnly) return;
    // sshd loads host keys per connection, so the next login already sees the new ones.
    const fresh = await gatherNodeFacts(work.connection, networkStepFiles(work.row));
    work.cluster.facts.set(name, fresh);
    // The wizard changed the host key itself, over a connection it had verified: what it recorded
    // for the node's address is replaced, so the next connection is not refused as "changed".
    const address = work.connection.address;
    rewriteHostKeys(work.cluster.knownHostsPath, {
      forget: [address],
      record: { keys: fresh.hostKeys, as: [address] },
    });
  },
};
