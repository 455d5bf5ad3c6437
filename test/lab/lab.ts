// The fake Pi lab: real OpenSSH servers, real sudo and real files on loopback, one fake Raspberry Pi
// per node, for tests that drive the wizard against something that behaves like a cluster.
//
//   const lab = await startLab({ nodes: 4, profile: 'dhcpcd' });
//   lab.subnet                        '127.61.7.0/24': free for the wizard's static addresses
//   lab.staticAddress(host)           '127.61.7.<host>', an address in that subnet
//   lab.user, lab.password            'pi', 'raspberry'
//   lab.nodes[0]                      the future master; every node is a LabNode:
//     .index, .dhcpAddress            where it boots while its config names no static eth0 address
//     .address()                      where its sshd listens this boot
//     .bootCount                      boots so far (1 after startLab)
//     .runAsPi(cmd, opts)             bash -c cmd inside the node as pi (HOME and cwd /home/pi)
//     .runAsRoot(cmd, opts)           the same as root, for test setup and inspection
//                                     (/sys/class/leds/ACT: a fake activity LED, see LabOptions.led)
//     .readFile(path)                 a file as the node sees it, read from outside (even while down)
//     .bootId(), .hostname()          as the running node reports them
//     .waitUntilUp({ afterBoot, timeoutMs })
//                                     until sshd accepts at address(); with afterBoot, in a boot
//                                     later than that bootCount (after a reboot)
//     .pid()                          pid (outside) of the current boot's init
//     .killSshd()                     stops the sshd listener (open sessions stay), for fault tests
//     .powerOn()                      boots a node that was powered off (shutdown -h, poweroff)
//   await lab.stop()                  kills every node, unmounts, removes the lab's directory
//
// A node has its own PID, mount and UTS namespaces; copy-on-write overlays of the host's /etc,
// /home, /root, /opt, /srv, /usr/bin, /usr/sbin, /usr/local and /var/{cache,lib,log,mail,spool}
// (node-disk.sh); fresh /run, /tmp, /var/tmp and boot_id each boot (node-init.sh); and its own
// reboot, shutdown, poweroff, systemctl, hostnamectl and hostname in place of the real ones
// (fakes/). All nodes share the test run's private network namespace, where every 127.0.0.0/8
// address is local: nodes reach each other, and nothing else is reachable.
//
// startLab refuses unless it runs as root inside a private network namespace (only `lo`), which is
// what `bash test/run-tests.sh` provides.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Eth0Address,
  eth0AddressFromDhcpcd,
  eth0AddressFromInterfaces,
  eth0AddressFromNetworkManager,
  type KeyfileProfile,
  type NetworkProfile,
} from './network-config.js';
import { runProcess } from './run-process.js';

export type { NetworkProfile } from './network-config.js';

export interface LabOptions {
  nodes: number;
  /** Which network stack and stock configuration the cards have. Default 'networkmanager' (Bookworm). */
  profile?: NetworkProfile;
  /** Every node has the same SSH host keys and /etc/machine-id, as after copying one card with dd. */
  clonedCards?: boolean;
  /** 'password' (default): sudo asks pi's password. 'nopasswd': Raspberry Pi Imager's sudoers file. */
  sudo?: 'password' | 'nopasswd';
  /** pi's password. Default 'raspberry'. */
  password?: string;
  /** How long a rebooting node stays down. Default 500 ms. */
  rebootDelayMs?: number;
  /** A node without a static address gets a different DHCP address at each boot. */
  dhcpChangesOnReboot?: boolean;
  /**
   * The activity LED each node's /sys/class/leds has (writable `trigger` and `brightness` files,
   * fresh each boot): one name for all nodes, or one per node by index. Default 'ACT'.
   */
  led?: LabLed | readonly LabLed[];
}

export type LabLed = 'ACT' | 'led0' | 'none';

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  /** Kill the command after this long. Default 30 s. */
  timeoutMs?: number;
}

export interface RunResult {
  /** null when the command was killed by a signal (by a reboot of the node, for one). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface LabNode {
  readonly index: number;
  readonly dhcpAddress: string;
  readonly bootCount: number;
  address(): string;
  runAsPi(command: string, options?: RunOptions): Promise<RunResult>;
  runAsRoot(command: string, options?: RunOptions): Promise<RunResult>;
  readFile(path: string): Promise<string>;
  bootId(): Promise<string>;
  hostname(): Promise<string>;
  waitUntilUp(options?: { afterBoot?: number; timeoutMs?: number }): Promise<void>;
  pid(): number | undefined;
  killSshd(): Promise<void>;
  powerOn(): Promise<void>;
}

export interface Lab {
  readonly subnet: string;
  readonly nodes: readonly LabNode[];
  readonly user: string;
  readonly password: string;
  staticAddress(host: number): string;
  stop(): Promise<void>;
}

const scriptsDir = fileURLToPath(new URL('.', import.meta.url));
/** The checkout under test: nodes must see it (the wizard runs from it), wherever it was cloned. */
const projectRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const rootPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const userPath = '/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games';
const rebootExitCode = 10;
const powerOffExitCode = 11;

/** Why the lab must not start here, or undefined when it may. Pure, for tests. */
export function labRefusal(uid: number | undefined, ipLinkOutput: string): string | undefined {
  const how =
    'The fake Pi lab runs only as root inside a private network namespace whose only interface is ' +
    'lo; run the tests with `bash test/run-tests.sh` as root.';
  if (uid !== 0) return `${how} (Not root: uid ${uid ?? 'unknown'}.)`;
  const links = ipLinkOutput
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)[^<]*<([^>]*)>/.exec(line))
    .filter((match) => match !== null);
  const others = links.map((match) => match[1]).filter((name) => name !== 'lo');
  if (links.length === 0) return `${how} (\`ip -o link\` listed no interfaces.)`;
  if (others.length > 0) return `${how} (This namespace has ${others.join(', ')}.)`;
  const lo = links.find((match) => match[1] === 'lo');
  if (!lo?.[2]?.split(',').includes('UP')) return `${how} (lo is down.)`;
  return undefined;
}

function ensureAllowed(): void {
  const ip = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  const refusal = labRefusal(process.getuid?.(), ip.status === 0 ? ip.stdout : '');
  if (refusal) throw new Error(refusal);
}

/** Holds a port on the lab's DHCP range so that concurrent labs (other test files) pick others. */
async function claimAddressRanges(): Promise<{
  staticPrefix: string;
  dhcpPrefix: string;
  claim: Server;
}> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const second = 20 + Math.floor(Math.random() * 100);
    const third = 1 + Math.floor(Math.random() * 254);
    const dhcpPrefix = `127.${second + 100}.${third}`;
    const claim = createServer();
    const claimed = await new Promise<boolean>((resolve) => {
      claim.once('error', () => resolve(false));
      claim.listen({ host: `${dhcpPrefix}.1`, port: 9, exclusive: true }, () => resolve(true));
    });
    if (claimed) {
      claim.unref();
      return { staticPrefix: `127.${second}.${third}`, dhcpPrefix, claim };
    }
  }
  throw new Error('fake Pi lab: no free loopback /24 found');
}

interface Spawned {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWatched(command: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  return { child, stderr: () => stderr, exited };
}

/** Resolves with the first stdout line starting with `prefix`, rejects if the process ends first. */
function firstLine(spawned: Spawned, prefix: string, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: string) => {
      buffer += chunk;
      for (const line of buffer.split('\n').slice(0, -1)) {
        if (line.startsWith(prefix)) {
          spawned.child.stdout?.off('data', onData);
          spawned.child.stdout?.resume();
          resolve(line.slice(prefix.length).trim());
          return;
        }
      }
    };
    spawned.child.stdout?.setEncoding('utf8');
    spawned.child.stdout?.on('data', onData);
    void spawned.exited.then(({ code, signal }) =>
      reject(
        new Error(`${what} ended (${signal ?? code}) before it was ready:\n${spawned.stderr()}`),
      ),
    );
  });
}

/** The process `pid` forked (unshare's only child), from /proc/PID/task/PID/children or a scan. */
function childPidOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    if (first) return Number(first);
  } catch {}
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(pid)) return Number(entry);
    } catch {}
  }
  return undefined;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once an SSH server greets at address:22. */
function sshGreets(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: address, port: 22 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    // sshd under load drops a new connection before its banner (MaxStartups): no data, no error.
    socket.once('close', () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
  });
}

type Power = 'booting' | 'up' | 'rebooting' | 'off' | 'failed' | 'stopped';

class FakePi implements LabNode {
  readonly index: number;
  bootCount = 0;
  #lab: LabSettings;
  #dir: string;
  #disk: Spawned | undefined;
  #diskPid: number | undefined;
  /** The current boot, from its spawn on; initPid once it is up. */
  #boot: { spawned: Spawned; initPid?: number } | undefined;
  #address: string;
  #power: Power = 'off';
  #failure = '';

  constructor(lab: LabSettings, index: number) {
    this.#lab = lab;
    this.index = index;
    this.#dir = `${lab.dir}/node${index}`;
    this.#address = this.dhcpAddress;
  }

  get dhcpAddress(): string {
    const { nodes, dhcpChangesOnReboot, dhcpPrefix } = this.#lab;
    const lease = dhcpChangesOnReboot ? Math.max(this.bootCount - 1, 0) : 0;
    return `${dhcpPrefix}.${10 + ((this.index + lease * nodes) % 240)}`;
  }

  address(): string {
    return this.#address;
  }

  pid(): number | undefined {
    return this.#boot?.initPid;
  }

  /** Mounts and provisions the node's card (once per lab). */
  async insertCard(): Promise<void> {
    mkdirSync(this.#dir, { recursive: true });
    const env = {
      PATH: rootPath,
      LANG: 'C.UTF-8',
      NODE_DIR: this.#dir,
      PROFILE: this.#lab.profile,
      PI_PASSWORD: this.#lab.password,
      SUDO_MODE: this.#lab.sudo,
      LAB_SCRIPTS: scriptsDir,
      SHARED_IDENTITY: this.#lab.sharedIdentity ?? '',
    };
    const disk = spawnWatched(
      'setpriv',
      [
        '--pdeathsig',
        'KILL',
        '--',
        'unshare',
        '--mount',
        '--fork',
        '--kill-child',
        '--',
        'bash',
        `${scriptsDir}node-disk.sh`,
      ],
      env,
    );
    this.#disk = disk;
    this.#diskPid = Number(await firstLine(disk, 'ready ', `node ${this.index}'s card`));
  }

  /** The path outside that shows `path` as the node sees it: the boot's root, or the card's. */
  #outside(path: string): string {
    if (!path.startsWith('/')) throw new Error(`fake Pi lab: not an absolute path: ${path}`);
    const pid = this.#boot?.initPid ?? this.#diskPid;
    if (pid === undefined) throw new Error(`node ${this.index} has no card`);
    return `/proc/${pid}/root${path}`;
  }

  readFile(path: string): Promise<string> {
    return readFile(this.#outside(path), 'utf8');
  }

  async #eth0Address(): Promise<Eth0Address> {
    const read = (path: string) => readFile(this.#outside(path), 'utf8').catch(() => '');
    switch (this.#lab.profile) {
      case 'dhcpcd':
        return eth0AddressFromDhcpcd(await read('/etc/dhcpcd.conf'));
      case 'ifupdown':
        return eth0AddressFromInterfaces(await this.#inlineSources('/etc/network/interfaces', 0));
      case 'networkmanager': {
        const dir = '/etc/NetworkManager/system-connections';
        const names = await readdir(this.#outside(dir)).catch(() => [] as string[]);
        const profiles: KeyfileProfile[] = [];
        for (const name of names) {
          const path = this.#outside(`${dir}/${name}`);
          const info = await stat(path).catch(() => undefined);
          if (!info?.isFile()) continue;
          profiles.push({
            name,
            content: await read(`${dir}/${name}`),
            uid: info.uid,
            mode: info.mode,
          });
        }
        return eth0AddressFromNetworkManager(profiles);
      }
    }
  }

  /** /etc/network/interfaces with its `source` and `source-directory` lines replaced by the files. */
  async #inlineSources(path: string, depth: number): Promise<string> {
    const text = await readFile(this.#outside(path), 'utf8').catch(() => '');
    if (depth > 4) return text;
    const lines: string[] = [];
    for (const line of text.split('\n')) {
      const source = /^\s*(source|source-directory)\s+(\S+)/.exec(line);
      if (!source?.[1] || !source[2]) {
        lines.push(line);
        continue;
      }
      const target = posix.resolve('/etc/network', source[2]);
      let files: string[] = [];
      if (source[1] === 'source-directory') {
        const names = await readdir(this.#outside(target)).catch(() => [] as string[]);
        files = names.filter((name) => /^[a-zA-Z0-9_-]+$/.test(name)).map((n) => `${target}/${n}`);
      } else if (target.endsWith('/*')) {
        const dir = target.slice(0, -2);
        const names = await readdir(this.#outside(dir)).catch(() => [] as string[]);
        files = names.filter((name) => !name.startsWith('.')).map((name) => `${dir}/${name}`);
      } else {
        files = [target];
      }
      for (const file of files.sort()) lines.push(await this.#inlineSources(file, depth + 1));
    }
    return lines.join('\n');
  }

  async boot(): Promise<void> {
    if (this.#diskPid === undefined || this.#power === 'stopped') return;
    this.#power = 'booting';
    const eth0 = await this.#eth0Address();
    if (this.#power !== 'booting') return;
    this.bootCount += 1;
    const address = eth0.kind === 'static' ? eth0.address : this.dhcpAddress;
    const spawned = spawnWatched(
      'setpriv',
      [
        '--pdeathsig',
        'KILL',
        '--',
        'nsenter',
        `--mount=/proc/${this.#diskPid}/ns/mnt`,
        '--',
        'unshare',
        '--pid',
        '--mount',
        '--uts',
        '--fork',
        '--kill-child',
        '--mount-proc',
        '--',
        'bash',
        `${scriptsDir}node-init.sh`,
      ],
      {
        PATH: rootPath,
        LANG: 'C.UTF-8',
        NODE_ADDRESS: address,
        PCW_LAB_PROJECT: projectRoot,
        NODE_LED:
          typeof this.#lab.led === 'string' ? this.#lab.led : (this.#lab.led[this.index] ?? 'ACT'),
      },
    );
    this.#boot = { spawned };
    void spawned.exited.then(({ code }) => this.#ended(spawned, code));
    try {
      await firstLine(spawned, 'up ', `boot ${this.bootCount} of node ${this.index}`);
    } catch (error) {
      this.#failure = String(error);
      return;
    }
    const initPid = spawned.child.pid === undefined ? undefined : childPidOf(spawned.child.pid);
    if (initPid === undefined) {
      this.#failure = `boot ${this.bootCount} of node ${this.index}: no init process found`;
      spawned.child.kill('SIGKILL');
      return;
    }
    if (this.#boot?.spawned !== spawned) return;
    this.#boot.initPid = initPid;
    this.#address = address;
    if (this.#power === 'booting') this.#power = 'up';
  }

  #ended(spawned: Spawned, code: number | null): void {
    if (this.#boot?.spawned === spawned) this.#boot = undefined;
    if (this.#power === 'stopped') return;
    if (code === rebootExitCode) {
      this.#power = 'rebooting';
      setTimeout(() => {
        this.boot().catch((error: unknown) => {
          this.#power = 'failed';
          this.#failure = `node ${this.index} did not boot again: ${String(error)}`;
        });
      }, this.#lab.rebootDelayMs).unref();
    } else if (code === powerOffExitCode) {
      this.#power = 'off';
    } else {
      this.#power = 'failed';
      this.#failure ||= `node ${this.index}'s boot ended (${code}):\n${spawned.stderr()}`;
    }
  }

  async powerOn(): Promise<void> {
    if (this.#power === 'off') await this.boot();
  }

  async waitUntilUp(options: { afterBoot?: number; timeoutMs?: number } = {}): Promise<void> {
    const { afterBoot = 0, timeoutMs = 20_000 } = options;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#power === 'failed') throw new Error(this.#failure);
      if (this.#power === 'stopped') throw new Error(`node ${this.index}: the lab was stopped`);
      if (this.#power === 'up' && this.bootCount > afterBoot) {
        const address = this.#address;
        if (!address.startsWith('127.')) {
          throw new Error(
            `node ${this.index} booted at ${address}, outside 127.0.0.0/8: the lab never dials it`,
          );
        }
        if (await sshGreets(address)) return;
      }
      await delay(50);
    }
    const stderr = this.#boot?.spawned.stderr() ?? '';
    throw new Error(
      `node ${this.index} not up at ${this.#address} after ${timeoutMs} ms (${this.#power}, boot ${this.bootCount})${stderr ? `:\n${stderr}` : ''}`,
    );
  }

  runAsPi(command: string, options: RunOptions = {}): Promise<RunResult> {
    const identity = ['setpriv', '--reuid=pi', '--regid=pi', '--init-groups', '--'];
    const env = { HOME: '/home/pi', USER: 'pi', LOGNAME: 'pi', PATH: userPath };
    return this.#run(identity, env, command, options);
  }

  runAsRoot(command: string, options: RunOptions = {}): Promise<RunResult> {
    const env = { HOME: '/root', USER: 'root', LOGNAME: 'root', PATH: rootPath };
    return this.#run([], env, command, options);
  }

  #run(
    identity: string[],
    identityEnv: Record<string, string>,
    command: string,
    options: RunOptions,
  ): Promise<RunResult> {
    const initPid = this.#boot?.initPid;
    if (initPid === undefined) {
      return Promise.reject(new Error(`node ${this.index} is not up (${this.#power})`));
    }
    const env = { ...identityEnv, SHELL: '/bin/bash', LANG: 'C.UTF-8', ...options.env };
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`);
    const args = [
      ...['-t', String(initPid), '--mount', '--uts', '--pid', '--'],
      ...identity,
      ...['env', '-i', ...assignments],
      ...['bash', '-c', 'cd "$HOME" || exit 1; exec bash -c "$1"', 'bash', command],
    ];
    return runProcess('nsenter', args, options);
  }

  async bootId(): Promise<string> {
    return (await this.readFile('/proc/sys/kernel/random/boot_id')).trim();
  }

  async hostname(): Promise<string> {
    const result = await this.runAsRoot('hostname');
    if (result.code !== 0) throw new Error(`node ${this.index}: hostname failed: ${result.stderr}`);
    return result.stdout.trim();
  }

  async killSshd(): Promise<void> {
    const result = await this.runAsRoot('kill "$(cat /run/sshd.pid)"');
    if (result.code !== 0) throw new Error(`node ${this.index}: killing sshd: ${result.stderr}`);
  }

  /**
   * Kills the boot's init and the card's holder (their namespaces die with them), so that the
   * unshare processes above them reap them and exit; unshare itself is killed only if it lingers.
   */
  async unplug(): Promise<void> {
    this.#power = 'stopped';
    const pairs = [
      { spawned: this.#boot?.spawned, inner: this.#boot?.initPid },
      { spawned: this.#disk, inner: this.#diskPid },
    ];
    await Promise.all(
      pairs.map(async ({ spawned, inner }) => {
        if (!spawned || spawned.child.exitCode !== null || spawned.child.signalCode !== null)
          return;
        if (inner !== undefined) kill(inner);
        const timer = setTimeout(() => spawned.child.kill('SIGKILL'), 2000);
        await spawned.exited;
        clearTimeout(timer);
      }),
    );
  }

  unplugSync(): void {
    this.#power = 'stopped';
    for (const pid of [this.#boot?.initPid, this.#diskPid]) if (pid !== undefined) kill(pid);
    for (const spawned of [this.#boot?.spawned, this.#disk]) spawned?.child.kill('SIGKILL');
  }
}

interface LabSettings {
  dir: string;
  nodes: number;
  profile: NetworkProfile;
  password: string;
  sudo: 'password' | 'nopasswd';
  rebootDelayMs: number;
  dhcpChangesOnReboot: boolean;
  dhcpPrefix: string;
  sharedIdentity: string | undefined;
  led: LabLed | readonly LabLed[];
}

const runningLabs = new Set<FakePiLab>();
let exitHandlersInstalled = false;
let labsStarted = 0;

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on('exit', () => {
    for (const lab of runningLabs) lab.stopSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const lab of runningLabs) lab.stopSync();
      process.kill(process.pid, signal);
    });
  }
}

class FakePiLab implements Lab {
  readonly subnet: string;
  readonly nodes: FakePi[];
  readonly user = 'pi';
  readonly password: string;
  #staticPrefix: string;
  #claim: Server;
  #dir: string;
  #mounted = false;
  #stopped = false;

  constructor(settings: LabSettings, staticPrefix: string, claim: Server) {
    this.#staticPrefix = staticPrefix;
    this.subnet = `${staticPrefix}.0/24`;
    this.password = settings.password;
    this.#claim = claim;
    this.#dir = settings.dir;
    this.nodes = Array.from({ length: settings.nodes }, (_, index) => new FakePi(settings, index));
  }

  staticAddress(host: number): string {
    return `${this.#staticPrefix}.${host}`;
  }

  mountDirectory(): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=0700', 'pcw-lab', this.#dir], {
      encoding: 'utf8',
    });
    if (mount.status !== 0) throw new Error(`fake Pi lab: mounting ${this.#dir}: ${mount.stderr}`);
    this.#mounted = true;
  }

  #removeDirectory(): void {
    if (this.#mounted) spawnSync('umount', ['--lazy', this.#dir]);
    this.#mounted = false;
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    runningLabs.delete(this);
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise((resolve) => {
      timer = setTimeout(resolve, 5000);
    });
    await Promise.race([Promise.all(this.nodes.map((node) => node.unplug())), patience]);
    clearTimeout(timer);
    this.#removeDirectory();
    this.#claim.close();
  }

  stopSync(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    runningLabs.delete(this);
    for (const node of this.nodes) node.unplugSync();
    this.#removeDirectory();
    this.#claim.close();
  }
}

function makeSharedIdentity(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const type of ['ed25519', 'ecdsa']) {
    const keygen = spawnSync(
      'ssh-keygen',
      ['-q', '-N', '', '-C', 'root@raspberrypi', '-t', type, '-f', `${dir}/ssh_host_${type}_key`],
      { encoding: 'utf8' },
    );
    if (keygen.status !== 0) throw new Error(`fake Pi lab: ssh-keygen: ${keygen.stderr}`);
  }
  writeFileSync(`${dir}/machine-id`, `${randomUUID().replaceAll('-', '')}\n`, { mode: 0o444 });
  return dir;
}

const labsDirectory = '/var/tmp';

/**
 * What a lab process killed with SIGKILL left: its directory, and in this mount namespace its
 * tmpfs. Only directories whose owner process is dead, and only mounted or empty ones: the labs of
 * test runs in other namespaces look empty from here while they run.
 */
function removeLabsOfDeadProcesses(): void {
  const mountInfo = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const name of readdirSync(labsDirectory)) {
    const owner = /^pcw-lab-(\d+)-\d+$/.exec(name)?.[1];
    if (owner === undefined || existsSync(`/proc/${owner}`)) continue;
    const dir = `${labsDirectory}/${name}`;
    try {
      if (mountInfo.includes(` ${dir} `)) {
        spawnSync('umount', ['--lazy', dir], { stdio: 'ignore' });
        rmSync(dir, { recursive: true, force: true });
      } else {
        rmdirSync(dir);
      }
    } catch {}
  }
}

/** Starts `nodes` fake Pis, each up with sshd accepting at its DHCP address. */
export async function startLab(options: LabOptions): Promise<Lab> {
  ensureAllowed();
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 64) {
    throw new Error(`fake Pi lab: nodes must be 1..64, not ${options.nodes}`);
  }
  const { staticPrefix, dhcpPrefix, claim } = await claimAddressRanges();
  removeLabsOfDeadProcesses();
  const dir = `${labsDirectory}/pcw-lab-${process.pid}-${labsStarted++}`;
  const settings: LabSettings = {
    dir,
    nodes: options.nodes,
    profile: options.profile ?? 'networkmanager',
    password: options.password ?? 'raspberry',
    sudo: options.sudo ?? 'password',
    rebootDelayMs: options.rebootDelayMs ?? 500,
    dhcpChangesOnReboot: options.dhcpChangesOnReboot ?? false,
    dhcpPrefix,
    sharedIdentity: undefined,
    led: options.led ?? 'ACT',
  };
  const lab = new FakePiLab(settings, staticPrefix, claim);
  installExitHandlers();
  runningLabs.add(lab);
  try {
    lab.mountDirectory();
    if (options.clonedCards) settings.sharedIdentity = makeSharedIdentity(`${dir}/cloned-card`);
    await Promise.all(lab.nodes.map((node) => node.insertCard()));
    await Promise.all(lab.nodes.map((node) => node.boot()));
    await Promise.all(lab.nodes.map((node) => node.waitUntilUp()));
  } catch (error) {
    await lab.stop();
    throw error;
  }
  return lab;
}
