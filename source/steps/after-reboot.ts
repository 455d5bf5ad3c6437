// After a reboot the wizard caused, what it wrote before must still hold: the network steps are
// checked again (the same code, in check mode) and must find nothing to change. When something at
// boot undid them, the node fails here, naming the file and what most likely reverted it, instead
// of carrying on to a login check that fails for no clear reason (or to another reboot).
import { cloudInitDropIn, cloudInitHostsTemplate } from './cloud-init.js';
import { networkManagerProfilePath } from './network-config.js';
import { networkStepFiles, readRunningState } from './network-steps.js';
import { type NodeStep, type PlannedChange, StepFailure, StepWork } from './step.js';

/** Checks each step on the freshly rebooted node; throws a StepFailure when one was undone. */
export async function checkAfterReboot(work: StepWork, steps: readonly NodeStep[]): Promise<void> {
  // One round trip for what the checks below read (files and running state) on the fresh boot.
  await readRunningState(work, networkStepFiles(work.row));
  const undone: PlannedChange[] = [];
  for (const step of steps) {
    const recheck = new StepWork(work.connection, work.row, work.cluster, true);
    await step.run(recheck);
    undone.push(...recheck.changes);
  }
  const name = work.row.hostname;
  if (undone.length > 0) {
    const said = [...new Set(undone.map((change) => whatWasUndone(work, change)))];
    const cloudInit = work.facts.cloudInit !== undefined;
    throw new StepFailure(
      `${name}: after its reboot the wizard's setup no longer holds: ${said.join('; ')}`,
      cloudInit
        ? `the wizard writes cloud-init's ${cloudInitHostsTemplate} and ${cloudInitDropIn} so that its changes survive; put them back and check /boot/firmware/user-data (hostname, manage_etc_hosts), then run: pi-cluster-wizard run all --node ${name}`
        : `find what rewrites those files at boot, then run: pi-cluster-wizard run all --node ${name}`,
    );
  }
  // Steps' own checks that are not file contents (the running hostname, sudo resolving it).
  for (const step of steps) await step.verify?.(work);
}

/** The file or state that was undone, and the likely culprit. */
function whatWasUndone(work: StepWork, change: PlannedChange): string {
  const cloudInit = work.facts.cloudInit !== undefined;
  if (change.kind === 'command') {
    if (/hostname/.test(change.description))
      return cloudInit
        ? 'the running hostname is not the new one (cloud-init sets the hostname from its user-data at boot unless preserve_hostname is true)'
        : 'the running hostname is not the new one';
    return `${change.description} is needed again (something at boot undid it)`;
  }
  const path = change.change.path;
  if (path === '/etc/hosts')
    return cloudInit
      ? `/etc/hosts lost the wizard's lines: cloud-init (manage_etc_hosts) rewrites it from ${cloudInitHostsTemplate} at every boot`
      : "/etc/hosts lost the wizard's lines (something at boot rewrote it)";
  if (path === '/etc/hostname')
    return cloudInit
      ? '/etc/hostname names another host: cloud-init set the hostname from its user-data at boot'
      : '/etc/hostname names another host (something at boot rewrote it)';
  if (path === cloudInitHostsTemplate || path === cloudInitDropIn)
    return `${path} no longer holds the wizard's lines, so cloud-init undoes the setup at every boot (edited by hand or replaced by a cloud-init upgrade)`;
  if (path === networkManagerProfilePath(work.row.interfaceName))
    return `${path} was changed or removed${work.facts.networkStack === 'netplan' ? ' (netplan or cloud-init regenerate NetworkManager profiles at boot)' : ''}`;
  return `${path} was changed after the wizard wrote it`;
}
