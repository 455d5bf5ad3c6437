// What `pi-cluster-wizard export` prints: the planned cluster in the formats other tools read (an
// Ansible inventory, the hosts block, MPICH's machinefile, an ssh_config block). Pure: from the
// saved rows, the login user and what preflight learned, to text; nothing here reads a file or a node.
import type { KnownNode } from '../engine/run-setup.js';
import type { NodeRow } from '../plan/plan-cluster.js';
import { machinefile } from '../steps/cluster-files.js';
import { clusterHostsBlock } from '../steps/hosts-file.js';

export const exportKinds = ['ansible', 'hosts', 'mpi', 'ssh-config'] as const;
export type ExportKind = (typeof exportKinds)[number];

export const isExportKind = (text: string): text is ExportKind =>
  (exportKinds as readonly string[]).includes(text);

export interface ExportSource {
  /** The lookup table; the guide's Pi 0 is the master. */
  rows: readonly NodeRow[];
  /** The login user that exists on every node. */
  user: string;
  /** What runs learned of each node, by hostname (the session's run memory). */
  known?: Readonly<Record<string, KnownNode>>;
}

/** The groups of the Ansible inventory: plural, so neither is named like the host `master`. */
export const ansibleGroups = { master: 'masters', workers: 'workers' } as const;

/** The key the keys step makes on every node, and so the one every node is logged into with. */
export const clusterIdentityFile = '~/.ssh/id_ed25519';

export function exportText(kind: ExportKind, source: ExportSource): string {
  if (kind === 'ansible') return ansibleInventory(source);
  if (kind === 'hosts') return `${clusterHostsBlock(source.rows)}\n`;
  if (kind === 'mpi') return machinefile(source.rows, (hostname) => processorsOf(source, hostname));
  return sshConfig(source);
}

/** Nodes whose processor count no preflight has recorded: their machinefile line has no `:N`. */
export function processorsUnknown(source: ExportSource): string[] {
  return source.rows
    .filter((row) => processorsOf(source, row.hostname) === undefined)
    .map((row) => row.hostname);
}

const processorsOf = (source: ExportSource, hostname: string) => source.known?.[hostname]?.cores;

// Every scalar double-quoted (JSON's form is YAML's): unquoted, YAML 1.1 reads a hostname such as
// `yes` or `2024-01-02` as a boolean or a date.
const yamlString = (text: string) => JSON.stringify(text);

/** A YAML inventory (Ansible's built-in `yaml` plugin): each host by name, at its static address. */
function ansibleInventory({ rows, user }: ExportSource): string {
  const group = (name: string, members: readonly NodeRow[]) => [
    `    ${name}:`,
    ...(members.length === 0
      ? ['      hosts: {}']
      : [
          '      hosts:',
          ...members.flatMap((row) => [
            `        ${yamlString(row.hostname)}:`,
            `          ansible_host: ${yamlString(row.address)}`,
            `          ansible_user: ${yamlString(user)}`,
          ]),
        ]),
  ];
  return [
    '# The cluster planned with pi-cluster-wizard, for Ansible: ansible all -i FILE -m ping',
    'all:',
    '  children:',
    ...group(
      ansibleGroups.master,
      rows.filter((row) => row.index === 0),
    ),
    ...group(
      ansibleGroups.workers,
      rows.filter((row) => row.index !== 0),
    ),
    '',
  ].join('\n');
}

/** One `Host` entry per node, by its name, at its static address, with the cluster's key. */
function sshConfig({ rows, user }: ExportSource): string {
  const entries = rows.map((row) =>
    [
      `Host ${row.hostname}`,
      `    HostName ${row.address}`,
      `    User ${user}`,
      `    IdentityFile ${clusterIdentityFile}`,
    ].join('\n'),
  );
  return `${[
    '# The cluster planned with pi-cluster-wizard, for ~/.ssh/config: then ssh <hostname>',
    ...entries,
  ].join('\n\n')}\n`;
}
