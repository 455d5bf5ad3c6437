import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Lab, type LabNode, labRefusal, type NetworkProfile, startLab } from './lab.js';
import { hostKeyFingerprints, sshWithPassword } from './real-ssh.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));

function target(lab: Lab, node: LabNode, address = node.address()) {
  return { address, user: lab.user, password: lab.password };
}

/** The profiles whose network file a person edits by hand (Trixie's is netplan's, cloud-init's). */
type HandEdited = Exclude<NetworkProfile, 'trixie'>;

/** What a person types (after a first sudo) to give eth0 a static address with each stack. */
const makeStatic: Record<HandEdited, (address: string, gateway: string) => string> = {
  dhcpcd: (address, gateway) =>
    `printf '\\ninterface eth0\\nstatic ip_address=${address}/24\\nstatic routers=${gateway}\\n' | sudo tee -a /etc/dhcpcd.conf >/dev/null`,
  ifupdown: (address, gateway) =>
    `sudo sed -i 's|^iface eth0 inet dhcp$|iface eth0 inet static\\n    address ${address}/24\\n    gateway ${gateway}|' /etc/network/interfaces`,
  networkmanager: (address, gateway) =>
    `sudo sed -i 's|^method=auto$|method=manual\\naddress1=${address}/24,${gateway}|;T;:a;n;ba' '/etc/NetworkManager/system-connections/Wired connection 1.nmconnection'`,
};

/** Each profile reboots with a different command, so that all three are exercised. */
const rebootCommand: Record<HandEdited, string> = {
  dhcpcd: 'sudo -S -p "" reboot',
  ifupdown: 'sudo -S -p "" shutdown -r now',
  networkmanager: 'sudo -S -p "" systemctl reboot',
};

test('the lab refuses to start outside a private network namespace or without root', () => {
  const lo = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT\n';
  const eth0 = '2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n';
  assert.equal(labRefusal(0, lo), undefined);
  const labPort =
    '3: pcw1a2bn0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n';
  assert.equal(labRefusal(0, lo + labPort), undefined, "another lab's port on its switch");
  assert.match(labRefusal(0, lo + eth0) ?? '', /bash test\/run-tests\.sh.*eth0/s);
  assert.match(labRefusal(1000, lo) ?? '', /root.*bash test\/run-tests\.sh.*uid 1000/s);
  assert.match(labRefusal(0, lo.replace('LOOPBACK,UP,', 'LOOPBACK,')) ?? '', /lo is down/);
  assert.match(labRefusal(0, '') ?? '', /no interfaces/);
});

test('startLab run by a non-root user throws a message naming the test command', (t) => {
  const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups', '--'];
  if (spawnSync('setpriv', [...nobody, 'test', '-r', `${repository}package.json`]).status !== 0) {
    // A checkout inside a directory only root may enter (a CI clone under a mktemp dir): the
    // subprocess cannot load the lab there, so the refusal itself is what is checked.
    t.diagnostic(`${repository} is not readable by uid 65534: checking labRefusal directly`);
    assert.match(
      labRefusal(65534, '1: lo: <LOOPBACK,UP,LOWER_UP>') ?? '',
      /bash test\/run-tests\.sh/,
    );
    return;
  }
  const script =
    "import('./test/lab/lab.ts').then((lab) => lab.startLab({ nodes: 1 })).catch((error) => { console.log(error.message); process.exit(3); });";
  const child = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '--',
      process.execPath,
      '--import',
      'tsx',
      '-e',
      script,
    ],
    {
      cwd: repository,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: '/tmp' },
      timeout: 30_000,
    },
  );
  assert.equal(child.status, 3, child.stderr);
  assert.match(child.stdout, /bash test\/run-tests\.sh/);
});

for (const profile of ['dhcpcd', 'ifupdown', 'networkmanager'] as const) {
  describe(`a lab of ${profile} Pis`, () => {
    let lab: Lab;
    before(async () => {
      lab = await startLab({ nodes: 2, profile, rebootDelayMs: 300 });
    });
    after(() => lab?.stop());

    test('every node accepts a password login over SSH as pi, at its DHCP address', async () => {
      for (const node of lab.nodes) {
        assert.equal(node.address(), node.dhcpAddress);
        assert.ok(!node.dhcpAddress.startsWith(lab.subnet.split('.').slice(0, 3).join('.')));
        const login = await sshWithPassword(
          target(lab, node),
          'id -un; hostname; pwd; cat /etc/hostname',
        );
        assert.equal(login.code, 0, login.stderr);
        assert.equal(login.stdout, 'pi\nraspberrypi\n/home/pi\nraspberrypi\n');
      }
      const wrong = await sshWithPassword(
        { ...target(lab, lab.nodes[0]!), password: 'wrong' },
        'true',
      );
      assert.equal(wrong.code, 255);
      assert.match(wrong.stderr, /Permission denied/);
    });

    test('stock Raspberry Pi OS files and the running network stack', async () => {
      const node = lab.nodes[0]!;
      assert.match(await node.readFile('/etc/hosts'), /^127\.0\.1\.1\traspberrypi$/m);
      const stack = { dhcpcd: 'dhcpcd', ifupdown: 'networking', networkmanager: 'NetworkManager' }[
        profile
      ];
      const answers = await node.runAsPi(
        `systemctl is-active ${stack}; systemctl is-enabled ssh; systemctl is-active sshd; systemctl is-active ${profile === 'dhcpcd' ? 'NetworkManager' : 'dhcpcd'}; echo $?`,
      );
      assert.equal(answers.stdout, 'active\nenabled\nactive\ninactive\n3\n');
      if (profile === 'networkmanager') {
        const keyfile = '/etc/NetworkManager/system-connections/Wired connection 1.nmconnection';
        const mode = await node.runAsRoot(`stat -c '%U %a' '${keyfile}'`);
        assert.equal(mode.stdout, 'root 600\n');
        assert.match(await node.readFile(keyfile), /^\[ipv4\]\nmethod=auto$/m);
      } else if (profile === 'dhcpcd') {
        assert.match(
          await node.readFile('/etc/dhcpcd.conf'),
          /^# Example static IP configuration:\n#interface eth0\n#static ip_address=192\.168\.0\.10\/24$/m,
        );
      } else {
        assert.match(
          await node.readFile('/etc/network/interfaces'),
          /^auto eth0\niface eth0 inet dhcp$/m,
        );
      }
    });

    test('a reboot brings the node up at the static address and hostname its files name', async () => {
      const node = lab.nodes[1]!;
      const staticAddress = lab.staticAddress(101);
      const dhcpAddress = node.address();
      const firstBootId = await node.bootId();
      const bootCount = node.bootCount;
      const edit = await sshWithPassword(
        target(lab, node),
        `sudo -S -p '' true && ${makeStatic[profile](staticAddress, lab.staticAddress(1))} && echo pi-worker1 | sudo tee /etc/hostname >/dev/null`,
        { input: `${lab.password}\n` },
      );
      assert.equal(edit.code, 0, edit.stderr);
      assert.equal(
        await node.hostname(),
        'raspberrypi',
        'the running hostname changes only at boot',
      );

      const session = sshWithPassword(target(lab, node), 'echo open; exec sleep 60');
      for (let tries = 0; tries < 200; tries++) {
        if ((await node.runAsRoot('pgrep -u pi -x sleep')).code === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const reboot = await sshWithPassword(target(lab, node), rebootCommand[profile], {
        input: `${lab.password}\n`,
      });
      assert.notEqual(reboot.code, 0, 'the session that rebooted the node ends with it');
      const dropped = await session;
      assert.equal(dropped.stdout, 'open\n');
      assert.equal(dropped.code, 255, 'an open SSH session drops on reboot');

      await node.waitUntilUp({ afterBoot: bootCount });
      assert.equal(node.bootCount, bootCount + 1);
      assert.equal(node.address(), staticAddress);
      assert.notEqual(await node.bootId(), firstBootId);
      const login = await sshWithPassword(
        target(lab, node),
        'hostname; cat /proc/sys/kernel/random/boot_id',
      );
      assert.equal(login.code, 0, login.stderr);
      assert.equal(login.stdout.split('\n')[0], 'pi-worker1');
      assert.equal(login.stdout.split('\n')[1], await node.bootId());
      const old = await sshWithPassword(target(lab, node, dhcpAddress), 'true', {
        timeoutMs: 10_000,
      });
      assert.equal(old.code, 255, 'nothing listens at the old DHCP address');
    });
  });
}

describe('sudo', () => {
  let asking: Lab;
  let nopasswd: Lab;
  before(async () => {
    [asking, nopasswd] = await Promise.all([
      startLab({ nodes: 1, sudo: 'password', password: 'hunter2' }),
      startLab({ nodes: 1, sudo: 'nopasswd', dhcpChangesOnReboot: true, rebootDelayMs: 100 }),
    ]);
  });
  after(() => Promise.all([asking?.stop(), nopasswd?.stop()]));

  test('asks for the password by default, and refuses a wrong one', async () => {
    const node = asking.nodes[0]!;
    const right = await node.runAsPi("sudo -S -p '' id -u", { input: 'hunter2\n' });
    assert.deepEqual([right.code, right.stdout], [0, '0\n'], right.stderr);
    const wrong = await sshWithPassword(target(asking, node), "sudo -K; sudo -S -p '' id -u", {
      input: 'raspberry\n',
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /incorrect password attempt|Sorry, try again/);
    const none = await node.runAsPi('sudo -n true');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /a password is required/);
    assert.equal(existsSync('/etc/sudoers.d/010_pi-nopasswd'), false);
  });

  test("with Raspberry Pi Imager's NOPASSWD file, asks nothing", async () => {
    const node = nopasswd.nodes[0]!;
    const result = await sshWithPassword(target(nopasswd, node), 'sudo -n id -u');
    assert.deepEqual([result.code, result.stdout], [0, '0\n'], result.stderr);
    const sudoers = await node.runAsRoot(
      "stat -c '%U %a' /etc/sudoers.d/010_pi-nopasswd; cat /etc/sudoers.d/010_pi-nopasswd",
    );
    assert.equal(sudoers.stdout, 'root 440\npi ALL=(ALL) NOPASSWD: ALL\n');
  });

  test('root-only fakes refuse pi without sudo, as the real ones do', async () => {
    const node = nopasswd.nodes[0]!;
    const notFound = await node.runAsPi('reboot');
    assert.equal(notFound.code, 127, "pi's PATH has no sbin, as on Raspberry Pi OS");
    const rootOnly = [
      '/usr/sbin/reboot',
      '/sbin/shutdown -r now',
      '/sbin/poweroff',
      'systemctl reboot',
      'systemctl enable ssh',
      'hostnamectl set-hostname x',
    ];
    for (const command of rootOnly) {
      const result = await node.runAsPi(command);
      assert.equal(result.code, 1, command);
      assert.match(result.stderr, /Interactive authentication required/, command);
    }
    assert.equal(node.bootCount, 1);
  });

  test('hostnamectl set-hostname changes /etc/hostname and the running hostname', async () => {
    const node = nopasswd.nodes[0]!;
    const result = await node.runAsPi(
      'sudo hostnamectl set-hostname pi-master && hostname && hostnamectl',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^pi-master\n {1}Static hostname: pi-master$/m);
    assert.equal(await node.readFile('/etc/hostname'), 'pi-master\n');
    assert.equal(await node.hostname(), 'pi-master');
  });

  test('systemctl enables, disables, stops and starts ssh as systemd does', async () => {
    const node = nopasswd.nodes[0]!;
    const toggled = await node.runAsPi(
      'sudo systemctl disable ssh; systemctl is-enabled ssh; echo $?; sudo systemctl enable ssh; systemctl is-enabled ssh',
    );
    assert.equal(toggled.stdout, 'disabled\n1\nenabled\n');
    assert.match(toggled.stderr, /Removed ".*multi-user\.target\.wants\/ssh\.service"/);
    assert.match(
      toggled.stderr,
      /Created symlink .*ssh\.service → \/lib\/systemd\/system\/ssh\.service/,
    );
    await node.killSshd();
    const refused = await sshWithPassword(target(nopasswd, node), 'true');
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, /Connection refused/);
    const status = await node.runAsPi(
      'systemctl is-active ssh; sudo systemctl start ssh && systemctl is-active ssh',
    );
    assert.equal(status.stdout, 'inactive\nactive\n');
    await node.waitUntilUp();
    const login = await sshWithPassword(target(nopasswd, node), 'true');
    assert.equal(login.code, 0, login.stderr);
  });

  test('poweroff keeps a node down until powered on; DHCP may hand out a new address', async () => {
    const node = nopasswd.nodes[0]!;
    const first = node.address();
    const bootCount = node.bootCount;
    await node.runAsPi('sudo poweroff');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(node.pid(), undefined);
    assert.equal(node.bootCount, bootCount);
    await node.powerOn();
    await node.waitUntilUp({ afterBoot: bootCount });
    assert.notEqual(node.address(), first);
    assert.equal(node.address(), node.dhcpAddress);
    assert.equal(await node.hostname(), 'pi-master');
  });
});

describe('cards', () => {
  let cloned: Lab;
  let own: Lab;
  before(async () => {
    [cloned, own] = await Promise.all([
      startLab({ nodes: 3, clonedCards: true }),
      startLab({ nodes: 3, profile: 'dhcpcd' }),
    ]);
  });
  after(() => Promise.all([cloned?.stop(), own?.stop()]));

  test('cloned cards share host keys and machine-id; cards of their own do not', async () => {
    const fingerprints = async (lab: Lab) =>
      Promise.all(lab.nodes.map((node) => hostKeyFingerprints(node.address())));
    const machineIds = (lab: Lab) =>
      Promise.all(lab.nodes.map((node) => node.readFile('/etc/machine-id')));
    const clonedPrints = await fingerprints(cloned);
    assert.equal(clonedPrints[0]?.length, 2);
    assert.equal(new Set(clonedPrints.map(String)).size, 1);
    assert.equal(new Set(await machineIds(cloned)).size, 1);
    const ownPrints = (await fingerprints(own)).flat();
    assert.equal(new Set(ownPrints).size, ownPrints.length);
    assert.equal(new Set(await machineIds(own)).size, 3);
    const hostKey = readFileSync('/etc/ssh/ssh_host_ed25519_key.pub', 'utf8');
    for (const node of [...cloned.nodes, ...own.nodes]) {
      assert.notEqual(await node.readFile('/etc/ssh/ssh_host_ed25519_key.pub'), hostKey);
    }
  });

  test('a file written on one node is absent on the others and on the host', async () => {
    const [writer, ...others] = own.nodes;
    const hostPasswd = readFileSync('/etc/passwd', 'utf8');
    const write = await writer!.runAsPi(
      'echo secret > ~/only-here && echo raspberry | sudo -S -p "" sh -c "for d in /etc /usr/local /var/lib /opt /root; do echo x > \\$d/only-here; done"',
    );
    assert.equal(write.code, 0, write.stderr);
    assert.equal(await writer!.readFile('/home/pi/only-here'), 'secret\n');
    const paths = ['/home/pi', '/etc', '/usr/local', '/var/lib', '/opt', '/root'].map(
      (d) => `${d}/only-here`,
    );
    for (const path of paths) {
      for (const node of others) await assert.rejects(node.readFile(path), { code: 'ENOENT' });
      assert.equal(existsSync(path), false, path);
    }
    assert.doesNotMatch(hostPasswd, /^pi:/m);
    assert.match(await writer!.readFile('/etc/passwd'), /^pi:x:\d+:\d+::\/home\/pi:\/bin\/bash$/m);
    assert.equal(existsSync('/home/pi'), false);
  });

  test('stop tears every node down and removes the lab directory; a second stop is harmless', async () => {
    const lab = await startLab({ nodes: 2 });
    const pids = lab.nodes.map((node) => node.pid());
    const addresses = lab.nodes.map((node) => node.address());
    const dirs = spawnSync('sh', ['-c', `ls -d /var/tmp/pcw-lab-${process.pid}-*`], {
      encoding: 'utf8',
    });
    await lab.stop();
    await lab.stop();
    for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`), false);
    const left = spawnSync('sh', ['-c', `ls -d /var/tmp/pcw-lab-${process.pid}-*`], {
      encoding: 'utf8',
    });
    assert.equal(left.stdout.split('\n').length, dirs.stdout.split('\n').length - 1);
    for (const address of addresses) {
      const login = await sshWithPassword({ address, user: 'pi', password: 'raspberry' }, 'true', {
        timeoutMs: 10_000,
      });
      assert.equal(login.code, 255);
    }
  });
});

test('sixteen nodes boot, each reachable', async (t) => {
  const started = Date.now();
  const lab = await startLab({ nodes: 16 });
  const seconds = (Date.now() - started) / 1000;
  try {
    // How long it takes depends on the machine's load: measured, not asserted (see the README).
    t.diagnostic(`16 nodes up, sshd accepting on each, in ${seconds.toFixed(1)} s`);
    const last = lab.nodes[15]!;
    const login = await sshWithPassword(target(lab, last), 'hostname');
    assert.equal(login.code, 0, login.stderr);
  } finally {
    await lab.stop();
  }
});

/** Gone, or a zombie: killed, waiting only for a reaper outside the lab. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('a lab dies with its process: cleaned up on SIGTERM, nodes killed even on SIGKILL', async () => {
  const script =
    "import('./test/lab/lab.ts').then(async (m) => { const lab = await m.startLab({ nodes: 1 }); const node = lab.nodes[0]; console.log(JSON.stringify({ pid: node.pid(), address: node.address() })); setInterval(() => {}, 1000); });";
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: repository,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
    const { pid, address } = JSON.parse(line) as { pid: number; address: string };
    const dir = `/var/tmp/pcw-lab-${child.pid}-0`;
    assert.ok(isRunning(pid) && existsSync(dir));
    child.kill(signal);
    await once(child, 'exit');
    for (let waited = 0; isRunning(pid) && waited < 3000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(isRunning(pid), false, `node init still running after ${signal}`);
    const login = await sshWithPassword({ address, user: 'pi', password: 'raspberry' }, 'true');
    assert.equal(login.code, 255);
    if (signal === 'SIGKILL') {
      // Nothing could run in the killed process: the next lab removes what it left.
      const next = await startLab({ nodes: 1 });
      await next.stop();
    }
    assert.equal(existsSync(dir), false, `${dir} left after ${signal}`);
  }
});
