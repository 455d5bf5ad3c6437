/** Connecting the transport to fake Pi lab nodes in tests, with a private ~/.ssh and command log. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandLog } from '../../source/transport/command-log.js';
import type { HostKeyEvent } from '../../source/transport/host-keys.js';
import {
  connectOverSsh,
  type SshConnectOptions,
  type SshNodeConnection,
} from '../../source/transport/ssh-connection.js';
import type { Lab, LabNode } from '../lab/lab.js';
import { runProcess } from '../lab/run-process.js';

/** A master's home for one test file: known_hosts, identities and the command log live here. */
export interface TestMaster {
  directory: string;
  knownHostsPath: string;
  identityDirectory: string;
  commandLog: CommandLog;
  hostKeyEvents: HostKeyEvent[];
}

const masterDirectories: string[] = [];
process.once('exit', () => {
  for (const directory of masterDirectories) rmSync(directory, { recursive: true, force: true });
});

/** A fresh master home, removed when the test process ends. */
export function makeTestMaster(): TestMaster {
  const directory = mkdtempSync(join(tmpdir(), 'pcw-master-'));
  masterDirectories.push(directory);
  return {
    directory,
    knownHostsPath: join(directory, '.ssh', 'known_hosts'),
    identityDirectory: join(directory, '.ssh'),
    commandLog: new CommandLog(join(directory, 'commands.jsonl')),
    hostKeyEvents: [],
  };
}

export function labConnectOptions(
  master: TestMaster,
  lab: Lab,
  node: LabNode,
  overrides: Partial<SshConnectOptions> = {},
): SshConnectOptions {
  return {
    node: `pi${node.index}`,
    host: node.address(),
    credentials: {
      username: lab.user,
      password: lab.password,
      identityDirectory: master.identityDirectory,
      agentSocket: null,
    },
    knownHostsPath: master.knownHostsPath,
    onHostKey: (event) => master.hostKeyEvents.push(event),
    commandLog: master.commandLog,
    ...overrides,
  };
}

export function connectToLabNode(
  master: TestMaster,
  lab: Lab,
  node: LabNode,
  overrides: Partial<SshConnectOptions> = {},
): Promise<SshNodeConnection> {
  return connectOverSsh(labConnectOptions(master, lab, node, overrides));
}

const askpass = fileURLToPath(new URL('../lab/askpass.sh', import.meta.url));

/**
 * The real OpenSSH client with StrictHostKeyChecking=yes against `knownHostsPath`: it succeeds only
 * if the key recorded there is the one the node serves.
 */
export function strictSsh(options: {
  host: string;
  port?: number;
  user: string;
  password: string;
  knownHostsPath: string;
  command: string;
}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [
    ...['-F', '/dev/null', '-T', '-p', String(options.port ?? 22)],
    ...['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${options.knownHostsPath}`],
    ...['-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
    ...['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password'],
    ...['-o', 'NumberOfPasswordPrompts=1', '-o', 'ConnectTimeout=5'],
    `${options.user}@${options.host}`,
    '--',
    options.command,
  ];
  return runProcess('ssh', args, {
    timeoutMs: 20_000,
    env: {
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: 'force',
      PCW_LAB_SSH_PASSWORD: options.password,
    },
  });
}
