// Small files the later steps write: the MPI machinefile (second guide) and the sshd drop-in that
// turns password login off once key login is proven.
import type { NodeRow } from '../plan/plan-cluster.js';

/** The second guide keeps it in ~/mpi_scripts/machinefile on the master. */
export const machinefileRelativePath = 'mpi_scripts/machinefile';

/**
 * One host per line, by name, so MPI uses the cluster's /etc/hosts block. With a node's processor
 * count, its line is MPICH's `host:N` (Hydra refuses Open MPI's `slots=N`), so mpiexec starts N
 * processes there before the next host; without one, the guide's bare name (one at a time).
 */
export function machinefile(
  rows: readonly NodeRow[],
  processorsOf: (hostname: string) => number | undefined = () => undefined,
): string {
  const line = (hostname: string) => {
    const processors = processorsOf(hostname);
    return processors === undefined ? hostname : `${hostname}:${processors}`;
  };
  return `${rows.map((row) => line(row.hostname)).join('\n')}\n`;
}

/**
 * sshd keeps the first value it reads and includes sshd_config.d/*.conf before its own settings,
 * so a drop-in that sorts first wins; `sshd -T` proves it.
 */
export const hardenDropInPath = '/etc/ssh/sshd_config.d/00-pi-cluster-wizard.conf';

export const hardenDropIn = [
  '# Written by pi-cluster-wizard after every node logged into every other with its key.',
  '# Delete this file and run `sudo systemctl reload ssh` to allow password logins again.',
  'PasswordAuthentication no',
  'KbdInteractiveAuthentication no',
  '',
].join('\n');
