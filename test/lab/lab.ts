// The fake Pi lab: real OpenSSH servers, real sudo and real files on loopback, one fake Raspberry Pi
// per node, for tests that drive the wizard against something that behaves like a cluster.
//
//   const lab = await startLab({ nodes: 4, profile: 'dhcpcd' });
//   startLab({ nodes: 4, profile: ['trixie', 'networkmanager', 'dhcpcd', 'ifupdown'] })
//                                     a mixed lab: one profile per node by index
//   lab.subnet                        '127.61.7.0/24': free for the wizard's static addresses
//   lab.staticAddress(host)           '127.61.7.<host>', an address in that subnet
//   lab.user, lab.password            'pi', 'raspberry'
//   lab.nodes[0]                      the future master; every node is a LabNode:
//     .index, .dhcpAddress            the lease the lab's DHCP server holds for its MAC
//     .profile                        the network stack its card has
//     .address()                      eth0's address this boot, as its network stack set it
//     .bootCount                      boots so far (1 after startLab)
//     .runAsPi(cmd, opts)             bash -c cmd inside the node (its PID, mount, UTS and network
//                                     namespaces) as pi (HOME and cwd /home/pi)
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
// A node has its own PID, mount, UTS and network namespaces; copy-on-write overlays of the host's
// /etc, /home, /root, /opt, /srv, /usr/{bin,sbin,lib,libexec,share,local} and
// /var/{cache,lib,log,mail,spool} with Debian's network stacks unpacked in between (node-disk.sh,
// fetch-packages.sh); fresh /run, /tmp, /var/tmp, /dev, /sys, boot_id and network namespace each
// boot, where the real dhcpcd, NetworkManager, ifupdown or netplan + NetworkManager + cloud-init
// bring eth0 up from the card's files (node-init.sh, network-stack.sh); and its own reboot, shutdown,
// poweroff, systemctl and hostnamectl in place of the real ones (fakes/).
//
// eth0 is a veth plugged into the lab's switch (switch.sh: a bridge in a network namespace of its
// own, busybox udhcpd serving each node's MAC its lease). The test run's namespace has a port on the
// switch too, holding `<subnet>.1` and `<dhcp subnet>.1`: the gateway and name server the wizard's
// settings name, routing between the two subnets. Everything is in 127.0.0.0/8 with route_localnet
// on; nothing else is reachable.
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
import { readFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runProcess } from './run-process.js';

/**
 * The card's network stack: Raspberry Pi OS Bookworm (NetworkManager, "Wired connection 1"), the
 * first guide's dhcpcd, the second guide's ifupdown, or Trixie flashed with Raspberry Pi Imager 2.x
 * (netplan rendered for NetworkManager, cloud-init's per-boot hostname and /etc/hosts modules).
 */
export type NetworkProfile = 'dhcpcd' | 'networkmanager' | 'ifupdown' | 'trixie';

export interface LabOptions {
  nodes: number;
  /**
   * Which network stack and stock configuration the cards have: one profile for all nodes, or one
   * per node by index (a mixed cluster: exactly `nodes` of them). Default 'networkmanager'
   * (Bookworm).
   */
  profile?: NetworkProfile | readonly NetworkProfile[];
  /** Every node has the same SSH host keys and /etc/machine-id, as after copying one card with dd. */
  clonedCards?: boolean;
  /** 'password' (default): sudo asks pi's password. 'nopasswd': Raspberry Pi Imager's sudoers file. */
  sudo?: 'password' | 'nopasswd';
  /** pi's password. Default 'raspberry'. */
  password?: string;
  /** How long a rebooting node stays down. Default 500 ms. */
  rebootDelayMs?: number;
  /** The DHCP server gives a node a different address at each boot. */
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
  readonly profile: NetworkProfile;
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

/** The test run's port on a lab's switch: `pcw…`, the only links besides lo a lab may find. */
const labPortPrefix = 'pcw';

/** Why the lab must not start here, or undefined when it may. Pure, for tests. */
export function labRefusal(uid: number | undefined, ipLinkOutput: string): string | undefined {
  const how =
    'The fake Pi lab runs only as root inside a private network namespace whose only interfaces ' +
    'are lo and the ports of other labs; run the tests with `bash test/run-tests.sh` as root.';
  if (uid !== 0) return `${how} (Not root: uid ${uid ?? 'unknown'}.)`;
  const links = ipLinkOutput
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)[^<]*<([^>]*)>/.exec(line))
    .filter((match) => match !== null);
  const others = links
    .map((match) => match[1])
    .filter((name) => name !== 'lo' && !name?.startsWith(labPortPrefix));
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

/** Calls `handle` with each line the process prints, for its whole life. */
function onLines(spawned: Spawned, handle: (line: string) => void): void {
  let buffer = '';
  spawned.child.stdout?.setEncoding('utf8');
  spawned.child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) handle(line);
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
  readonly profile: NetworkProfile;
  bootCount = 0;
  #lab: LabSettings;
  #dir: string;
  #disk: Spawned | undefined;
  #diskPid: number | undefined;
  /** The current boot, from its spawn on; initPid once it is up. */
  #boot: { spawned: Spawned; initPid?: number } | undefined;
  /** eth0's first address, the latest any boot had. */
  #address: string;
  /** eth0's IPv4 addresses this boot, as node-init.sh last reported them (undefined: not yet). */
  #bootAddresses: string[] | undefined;
  #power: Power = 'off';
  #failure = '';

  constructor(lab: LabSettings, index: number) {
    this.#lab = lab;
    this.index = index;
    this.profile = typeof lab.profile === 'string' ? lab.profile : lab.profile[index]!;
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

  get cardDirectory(): string {
    return this.#dir;
  }

  /**
   * Mounts and provisions the node's card (once per lab); with a template (a provisioned card of
   * the same lab and the same profile), copies its layers and gives the card only its own identity.
   */
  async insertCard(template?: string): Promise<void> {
    mkdirSync(this.#dir, { recursive: true });
    const env = {
      PATH: rootPath,
      LANG: 'C.UTF-8',
      NODE_DIR: this.#dir,
      PROFILE: this.profile,
      PI_PASSWORD: this.#lab.password,
      SUDO_MODE: this.#lab.sudo,
      LAB_SCRIPTS: scriptsDir,
      LAB_PACKAGES: this.#lab.packages,
      SHARED_IDENTITY: this.#lab.sharedIdentity ?? '',
      TEMPLATE_CARD: template ?? '',
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

  get mac(): string {
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    return `02:70:63:00:${hex(this.index >> 8)}:${hex(this.index & 0xff)}`;
  }

  async boot(): Promise<void> {
    if (this.#diskPid === undefined || this.#power === 'stopped') return;
    this.#power = 'booting';
    this.bootCount += 1;
    this.#bootAddresses = undefined;
    if (this.#lab.dhcpChangesOnReboot) this.#lab.network.updateLeases();
    const bootCount = this.bootCount;
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
        '--net',
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
        PCW_LAB_PROJECT: projectRoot,
        NODE_LED:
          typeof this.#lab.led === 'string' ? this.#lab.led : (this.#lab.led[this.index] ?? 'ACT'),
      },
    );
    this.#boot = { spawned };
    void spawned.exited.then(({ code }) => this.#ended(spawned, code));
    const what = `boot ${bootCount} of node ${this.index}`;
    const up = new Promise<void>((resolve, reject) => {
      void spawned.exited.then(({ code, signal }) =>
        reject(
          new Error(`${what} ended (${signal ?? code}) before it was up:\n${spawned.stderr()}`),
        ),
      );
      onLines(spawned, (line) => {
        if (line === 'plug') {
          this.#plug(spawned, bootCount).catch(reject);
        } else if (line.startsWith('up ')) {
          resolve();
        } else if (line.startsWith('addresses')) {
          if (this.#boot?.spawned !== spawned) return;
          const addresses = line.slice('addresses'.length).trim().split(/\s+/).filter(Boolean);
          this.#bootAddresses = addresses;
          if (addresses[0]) this.#address = addresses[0];
        }
      });
    });
    try {
      await up;
    } catch (error) {
      this.#failure = String(error);
      spawned.child.kill('SIGKILL');
      return;
    }
    if (this.#boot?.spawned !== spawned) return;
    if (this.#boot.initPid === undefined) {
      this.#failure = `${what}: no init process found`;
      spawned.child.kill('SIGKILL');
      return;
    }
    if (this.#power === 'booting') this.#power = 'up';
  }

  /** Plugs the boot's eth0 into the switch: a veth with the node's MAC, the other end on br0. */
  async #plug(spawned: Spawned, bootCount: number): Promise<void> {
    const initPid = spawned.child.pid === undefined ? undefined : childPidOf(spawned.child.pid);
    if (initPid === undefined) throw new Error(`node ${this.index}: no init process to plug`);
    if (this.#boot?.spawned === spawned) this.#boot.initPid = initPid;
    const port = `n${this.index}b${bootCount % 10000}`;
    await this.#lab.network.inSwitch([
      `link add ${port} type veth peer name eth0 address ${this.mac} netns ${initPid}`,
      `link set ${port} master br0 up`,
    ]);
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
      const address = this.#bootAddresses?.[0];
      if (this.#power === 'up' && this.bootCount > afterBoot && address !== undefined) {
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
    if (this.#power === 'up' && this.#bootAddresses?.length === 0) {
      const log = await this.#stackLog();
      throw new Error(
        `node ${this.index} is up (boot ${this.bootCount}) but its network stack (${this.profile}) gave eth0 no address in ${timeoutMs} ms: unreachable, as a Pi would be${log}${stderr ? `\n${stderr}` : ''}`,
      );
    }
    throw new Error(
      `node ${this.index} not up at ${this.#bootAddresses?.[0] ?? this.#address} after ${timeoutMs} ms (${this.#power}, boot ${this.bootCount})${stderr ? `:\n${stderr}` : ''}`,
    );
  }

  /** The end of the boot's network stack log, for a message. */
  async #stackLog(): Promise<string> {
    const unit = { dhcpcd: 'dhcpcd', ifupdown: 'networking' }[this.profile as string];
    const path = `/run/pcw-lab/${unit ?? 'NetworkManager'}.log`;
    const text = await this.readFile(path).catch(() => '');
    const tail = text.trim().split('\n').slice(-12).join('\n');
    return tail ? `; the end of ${path}:\n${tail}` : '';
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
      ...['-t', String(initPid), '--mount', '--uts', '--pid', '--net', '--'],
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
  profile: NetworkProfile | readonly NetworkProfile[];
  password: string;
  sudo: 'password' | 'nopasswd';
  rebootDelayMs: number;
  dhcpChangesOnReboot: boolean;
  dhcpPrefix: string;
  sharedIdentity: string | undefined;
  led: LabLed | readonly LabLed[];
  /** The unpacked Debian packages of the network stacks (fetch-packages.sh). */
  packages: string;
  network: LabSwitch;
}

/**
 * The lab's switch (switch.sh, pid 1 of its own PID and network namespaces) with busybox udhcpd,
 * and the test run's port on it (`pcw…`, holding `<static>.1` and `<dhcp>.1`, forwarding between
 * the two subnets). Everything it made dies with its pid 1: the bridge, every port, the test run's
 * port with its addresses and routes.
 */
class LabSwitch {
  readonly port: string;
  #dir: string;
  #staticPrefix: string;
  #dhcpPrefix: string;
  #leases: () => { mac: string; address: string }[] = () => [];
  #spawned: Spawned | undefined;
  #pid: number | undefined;

  constructor(dir: string, staticPrefix: string, dhcpPrefix: string, labNumber: number) {
    this.#dir = dir;
    this.#staticPrefix = staticPrefix;
    this.#dhcpPrefix = dhcpPrefix;
    this.port = `${labPortPrefix}${process.pid.toString(36)}n${labNumber.toString(36)}`;
  }

  get #conf(): string {
    return `${this.#dir}/udhcpd.conf`;
  }

  #writeConf(): void {
    const prefix = this.#dhcpPrefix;
    const lines = [
      'interface br0',
      `start ${prefix}.10`,
      `end ${prefix}.250`,
      `lease_file ${this.#dir}/udhcpd.leases`,
      `pidfile ${this.#dir}/udhcpd.pid`,
      'auto_time 0',
      'option subnet 255.255.255.0',
      `option router ${prefix}.1`,
      'option lease 86400',
      ...this.#leases().map(({ mac, address }) => `static_lease ${mac} ${address}`),
    ];
    writeFileSync(this.#conf, `${lines.join('\n')}\n`);
  }

  async start(packages: string, leases: () => { mac: string; address: string }[]): Promise<void> {
    this.#leases = leases;
    this.#writeConf();
    const spawned = spawnWatched(
      'setpriv',
      [
        ...['--pdeathsig', 'KILL', '--'],
        ...['unshare', '--net', '--pid', '--mount', '--fork', '--kill-child', '--mount-proc', '--'],
        ...['bash', `${scriptsDir}switch.sh`],
      ],
      {
        PATH: rootPath,
        LANG: 'C.UTF-8',
        DHCP_SERVER: `${this.#dhcpPrefix}.2/24`,
        DHCP_CONF: this.#conf,
        UDHCPD: `${packages}/usr/bin/busybox`,
      },
    );
    this.#spawned = spawned;
    await firstLine(spawned, 'ready ', "the lab's switch");
    this.#pid = spawned.child.pid === undefined ? undefined : childPidOf(spawned.child.pid);
    if (this.#pid === undefined) throw new Error("fake Pi lab: the switch's pid was not found");
    const port = this.port;
    const sysctl = (pairs: string[]) => `sysctl -q -w ${pairs.join(' ')}`;
    const script = [
      'set -e',
      `ip link add ${port} type veth peer name uplink netns ${this.#pid}`,
      `nsenter --net=/proc/${this.#pid}/ns/net ip link set uplink master br0 up`,
      sysctl([
        'net.ipv4.conf.all.route_localnet=1',
        'net.ipv4.conf.default.route_localnet=1',
        'net.ipv4.ip_forward=1',
        'net.ipv4.conf.all.send_redirects=0',
        `net.ipv4.conf.${port}.route_localnet=1`,
        `net.ipv4.conf.${port}.send_redirects=0`,
        // ARP answered only for the port's own addresses: lo's 127.0.0.0/8 is local here too.
        `net.ipv4.conf.${port}.arp_ignore=1`,
        `net.ipv6.conf.${port}.disable_ipv6=1`,
      ]),
      `ip addr add ${this.#staticPrefix}.1/24 dev ${port} scope global`,
      `ip addr add ${this.#dhcpPrefix}.1/24 dev ${port} scope global`,
      `ip link set ${port} up`,
      // lo's 127.0.0.0/8 in the local table would swallow the lab's subnets: more specific routes
      // there send them out through the port.
      `ip route add ${this.#staticPrefix}.0/24 dev ${port} table local scope link src ${this.#staticPrefix}.1`,
      `ip route add ${this.#dhcpPrefix}.0/24 dev ${port} table local scope link src ${this.#dhcpPrefix}.1`,
    ].join('\n');
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`fake Pi lab: plugging the test run into the switch: ${result.stderr}`);
    }
  }

  /** Runs `ip -batch` commands in the switch's network namespace. */
  async inSwitch(commands: string[]): Promise<void> {
    if (this.#pid === undefined) throw new Error("fake Pi lab: the switch isn't running");
    const result = await runProcess(
      'nsenter',
      [`--net=/proc/${this.#pid}/ns/net`, 'ip', '-batch', '-'],
      { input: `${commands.join('\n')}\n` },
    );
    if (result.code !== 0) throw new Error(`fake Pi lab: in the switch: ${result.stderr}`);
  }

  /** Writes every node's lease again and restarts udhcpd with them. */
  updateLeases(): void {
    this.#writeConf();
    if (this.#pid !== undefined) {
      try {
        process.kill(this.#pid, 'SIGHUP');
      } catch {}
    }
  }

  async stop(): Promise<void> {
    const spawned = this.#spawned;
    if (!spawned || spawned.child.exitCode !== null || spawned.child.signalCode !== null) return;
    if (this.#pid !== undefined) kill(this.#pid);
    const timer = setTimeout(() => spawned.child.kill('SIGKILL'), 2000);
    await spawned.exited;
    clearTimeout(timer);
  }

  stopSync(): void {
    if (this.#pid !== undefined) kill(this.#pid);
    this.#spawned?.child.kill('SIGKILL');
  }
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
  #network: LabSwitch;
  #mounted = false;
  #stopped = false;

  constructor(settings: LabSettings, staticPrefix: string, claim: Server) {
    this.#staticPrefix = staticPrefix;
    this.#network = settings.network;
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
    await this.#network.stop();
    this.#removeDirectory();
    this.#claim.close();
  }

  stopSync(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    runningLabs.delete(this);
    for (const node of this.nodes) node.unplugSync();
    this.#network.stopSync();
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

/** Where fetch-packages.sh unpacked the network stacks; it must have run (install-and-test.sh). */
function networkStackPackages(): string {
  const fetched = spawnSync('bash', [`${scriptsDir}fetch-packages.sh`, '--installed'], {
    encoding: 'utf8',
  });
  const path = fetched.stdout.trim();
  if (fetched.status !== 0 || !path) {
    throw new Error(
      `fake Pi lab: the network stacks' Debian packages are not unpacked here: run \`bash test/lab/fetch-packages.sh\` as root (test/install-and-test.sh does). ${fetched.stderr.trim()}`,
    );
  }
  return path;
}

/** Starts `nodes` fake Pis, each up with sshd accepting at the address its network stack gave. */
export async function startLab(options: LabOptions): Promise<Lab> {
  ensureAllowed();
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 64) {
    throw new Error(`fake Pi lab: nodes must be 1..64, not ${options.nodes}`);
  }
  if (typeof options.profile === 'object' && options.profile.length !== options.nodes) {
    throw new Error(
      `fake Pi lab: one profile per node: ${options.nodes} nodes, ${options.profile.length} profiles`,
    );
  }
  const { staticPrefix, dhcpPrefix, claim } = await claimAddressRanges();
  removeLabsOfDeadProcesses();
  const packages = networkStackPackages();
  const labNumber = labsStarted++;
  const dir = `${labsDirectory}/pcw-lab-${process.pid}-${labNumber}`;
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
    packages,
    network: new LabSwitch(dir, staticPrefix, dhcpPrefix, labNumber),
  };
  const lab = new FakePiLab(settings, staticPrefix, claim);
  installExitHandlers();
  runningLabs.add(lab);
  try {
    lab.mountDirectory();
    if (options.clonedCards) settings.sharedIdentity = makeSharedIdentity(`${dir}/cloned-card`);
    await settings.network.start(packages, () =>
      lab.nodes.map((node) => ({ mac: node.mac, address: node.dhcpAddress })),
    );
    // The first card of each profile is provisioned in full; the others copy its layers.
    const firsts = new Map<NetworkProfile, FakePi>();
    for (const node of lab.nodes) if (!firsts.has(node.profile)) firsts.set(node.profile, node);
    for (const node of firsts.values()) await node.insertCard();
    await Promise.all(
      lab.nodes
        .filter((node) => firsts.get(node.profile) !== node)
        .map((node) => node.insertCard(firsts.get(node.profile)!.cardDirectory)),
    );
    await Promise.all(lab.nodes.map((node) => node.boot()));
    await Promise.all(lab.nodes.map((node) => node.waitUntilUp({ timeoutMs: 60_000 })));
  } catch (error) {
    await lab.stop();
    throw error;
  }
  return lab;
}
