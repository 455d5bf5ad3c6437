// The second guide's MPI check, and the optional hardening that turns password logins off once
// every node has proven it logs into every other with its key.
import {
  hardenDropIn,
  hardenDropInPath,
  machinefile,
  machinefileRelativePath,
} from './cluster-files.js';
import { type NodeStep, StepFailure } from './step.js';

export const mpiStep: NodeStep = {
  id: 'mpi',
  title: 'MPI machinefile and mpiexec hostname',
  section: 'MPI',
  appliesTo: (row) => row.index === 0,
  async run(work) {
    const path = `${work.facts.home}/${machinefileRelativePath}`;
    const directory = path.slice(0, path.lastIndexOf('/'));
    const exists = (
      await work.read({ script: 'test -d "$1" && echo yes || echo no', args: [directory] })
    ).stdout.trim();
    if (exists !== 'yes')
      await work.command('create ~/mpi_scripts', ['mkdir', '-p', '--', directory]);
    await work.file(path, machinefile(work.cluster.rows), { mode: 0o644, asRoot: false });
  },
  async verify(work) {
    const path = `${work.facts.home}/${machinefileRelativePath}`;
    const found = (await work.read({ script: 'command -v mpiexec || true' })).stdout.trim();
    if (found === '') {
      work.note(
        'mpiexec is not installed: the machinefile is ready; install MPICH (sudo apt install mpich) on every node to use it',
      );
      return;
    }
    const count = String(work.cluster.rows.length);
    const result = await work.read(['mpiexec', '-f', path, '-n', count, 'hostname'], {
      label: 'mpiexec hostname',
    });
    const printed = new Set(result.stdout.split('\n').map((line) => line.trim()));
    const missing = work.cluster.rows
      .filter((row) => !printed.has(row.hostname))
      .map((row) => row.hostname);
    if (result.code === 0 && missing.length === 0) {
      work.note(`mpiexec -n ${count} hostname printed every node's name`);
      return;
    }
    throw new StepFailure(
      `master: mpiexec -n ${count} hostname did not print ${missing.join(', ') || 'every name'} (exit ${result.code}): ${result.stderr.trim().slice(-300)}`,
      'check that MPICH is installed on every node and that verify passed',
    );
  },
};

export const hardenStep: NodeStep = {
  id: 'harden',
  title: 'Turn password logins off',
  section: 'Verify',
  needs: [{ step: 'verify', on: 'every node', reads: true }],
  provesLogins: true,
  async run(work) {
    const failures = [...work.cluster.loginMatrix.values()].flatMap((row) =>
      [...row.values()].filter((cell) => !cell.ok),
    );
    const complete = work.cluster.loginMatrix.size === work.cluster.rows.length;
    if (!complete || failures.length > 0) {
      throw new StepFailure(
        `${work.row.hostname}: password logins stay on because verify has not passed on every node`,
        'run pi-cluster-wizard run verify until every login works, then harden',
      );
    }
    const change = await work.file(hardenDropInPath, hardenDropIn, {
      mode: 0o644,
      owner: 'root',
      group: 'root',
      asRoot: true,
    });
    // sshd -T reads the files on disk: "yes" there means something still wins over the drop-in.
    const effective = (await work.read(['sshd', '-T'], { asRoot: true, label: 'sshd -T' })).stdout;
    if (change.changed || /^passwordauthentication yes$/m.test(effective)) {
      await work.command('check the sshd configuration', ['sshd', '-t'], { asRoot: true });
      await work.command('reload sshd', ['systemctl', 'reload', 'ssh'], { asRoot: true });
    }
  },
  async verify(work) {
    const active = (await work.read(['sshd', '-T'], { asRoot: true, label: 'sshd -T' })).stdout;
    if (!/^passwordauthentication no$/m.test(active)) {
      throw new StepFailure(
        `${work.row.hostname}: sshd -T still says passwordauthentication yes`,
        `an earlier file in /etc/ssh/sshd_config.d sets it first; look with: sudo grep -ri passwordauthentication /etc/ssh/sshd_config /etc/ssh/sshd_config.d`,
      );
    }
  },
};
