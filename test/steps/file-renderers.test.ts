import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';
import {
  mergeAuthorizedKeys,
  parsePublicKey,
  removeAuthorizedKeys,
} from '../../source/steps/authorized-keys.js';
import { machinefile } from '../../source/steps/cluster-files.js';
import {
  clusterHostsBlock,
  loopbackHostname,
  setLoopbackHostname,
} from '../../source/steps/hosts-file.js';
import {
  configuredStaticAddress,
  dhcpcdBlock,
  dhcpcdConflicts,
  ifupdownStanza,
  ifupdownStanzaRange,
  networkManagerKeyfile,
  staticAddressFor,
} from '../../source/steps/network-config.js';

const rows = planCluster(defaultSettings);
const worker1 = staticAddressFor(defaultSettings, rows[1]!);

const stockHosts = [
  '127.0.0.1\tlocalhost',
  '::1\t\tlocalhost ip6-localhost ip6-loopback',
  'ff02::1\t\tip6-allnodes',
  'ff02::2\t\tip6-allrouters',
  '',
  '127.0.1.1\t\traspberrypi',
  '',
].join('\n');

describe('hosts file', () => {
  test("the cluster block is the guide's", () => {
    assert.equal(
      clusterHostsBlock(rows),
      '# pi-cluster network\n192.168.0.100\tmaster\n192.168.0.101\tworker1\n192.168.0.102\tworker2\n192.168.0.103\tworker3\n192.168.0.104\tworker4',
    );
  });

  test('the 127.0.1.1 line takes the new name and nothing else changes', () => {
    const changed = setLoopbackHostname(stockHosts, 'worker1');
    assert.equal(changed, stockHosts.replace('127.0.1.1\t\traspberrypi', '127.0.1.1\tworker1'));
    assert.equal(loopbackHostname(changed), 'worker1');
    assert.equal(setLoopbackHostname(changed, 'worker1'), changed, 'second run changes nothing');
  });

  test('a missing 127.0.1.1 line is added after localhost', () => {
    const changed = setLoopbackHostname('127.0.0.1\tlocalhost\n::1\tlocalhost\n', 'master');
    assert.equal(changed, '127.0.0.1\tlocalhost\n127.0.1.1\tmaster\n::1\tlocalhost\n');
  });
});

const stockDhcpcd = [
  '# A sample configuration for dhcpcd.',
  'hostname',
  'clientid',
  'persistent',
  'option rapid_commit',
  '',
  '# Example static IP configuration:',
  '#interface eth0',
  '#static ip_address=192.168.0.10/24',
  '#static routers=192.168.0.1',
  '#static domain_name_servers=192.168.0.1 8.8.8.8 fd51:42f8:caae:d92e::1',
  '',
].join('\n');

describe('network configuration', () => {
  test('dhcpcd block', () => {
    assert.equal(
      dhcpcdBlock(worker1),
      'interface eth0\nstatic ip_address=192.168.0.101/24\nstatic routers=192.168.0.1\nstatic domain_name_servers=192.168.0.1',
    );
  });

  test('dhcpcd: the stock example is not a conflict, a hand-made stanza is', () => {
    assert.deepEqual(dhcpcdConflicts(stockDhcpcd, 'eth0'), []);
    assert.deepEqual(
      dhcpcdConflicts(`${stockDhcpcd}interface eth0\nstatic ip_address=1.2.3.4/24\n`, 'eth0'),
      [12],
    );
    const managed = `${stockDhcpcd}# BEGIN pi-cluster-wizard static-ip\n${dhcpcdBlock(worker1)}\n# END pi-cluster-wizard static-ip\n`;
    assert.deepEqual(dhcpcdConflicts(managed, 'eth0'), []);
    assert.equal(configuredStaticAddress('dhcpcd', managed, 'eth0'), '192.168.0.101');
    assert.equal(configuredStaticAddress('dhcpcd', stockDhcpcd, 'eth0'), undefined);
  });

  test('NetworkManager keyfile: manual, outranks the stock profile, same UUID every time', () => {
    const keyfile = networkManagerKeyfile(worker1);
    assert.match(
      keyfile,
      /^\[ipv4\]\nmethod=manual\naddress1=192\.168\.0\.101\/24,192\.168\.0\.1\ndns=192\.168\.0\.1;$/m,
    );
    assert.match(keyfile, /^interface-name=eth0$/m);
    assert.match(keyfile, /^autoconnect-priority=100$/m);
    assert.match(
      keyfile,
      /^uuid=[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/m,
    );
    assert.equal(networkManagerKeyfile(worker1), keyfile);
    assert.equal(configuredStaticAddress('networkmanager', keyfile, 'eth0'), '192.168.0.101');
    assert.equal(
      configuredStaticAddress('networkmanager', '[ipv4]\nmethod=auto\n', 'eth0'),
      undefined,
    );
  });

  test('ifupdown: the dhcp stanza is found with its options, not the comments after it', () => {
    const stock =
      'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n    hostname pi\n\n# wifi\nallow-hotplug wlan0\n';
    assert.deepEqual(ifupdownStanzaRange(stock, 'eth0'), { start: 4, end: 6 });
    assert.equal(ifupdownStanzaRange(stock, 'eth1'), undefined);
    assert.equal(
      ifupdownStanza(worker1),
      'iface eth0 inet static\n    address 192.168.0.101/24\n    gateway 192.168.0.1\n    dns-nameservers 192.168.0.1',
    );
    assert.equal(
      configuredStaticAddress('ifupdown', ifupdownStanza(worker1), 'eth0'),
      '192.168.0.101',
    );
    assert.equal(configuredStaticAddress('ifupdown', stock, 'eth0'), undefined);
  });
});

describe('authorized_keys', () => {
  const a =
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa pi@master';
  const b =
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb pi@worker1';
  test('parses options, comments and rejects junk', () => {
    assert.equal(parsePublicKey(a)?.comment, 'pi@master');
    assert.equal(parsePublicKey(`from="10.0.0.1,10.0.0.2" ${b}`)?.type, 'ssh-ed25519');
    assert.equal(parsePublicKey('# a comment'), undefined);
    assert.equal(parsePublicKey('ssh-ed25519 not-base64!'), undefined);
    assert.equal(parsePublicKey('hello world'), undefined);
  });
  test('merges each key once, keeps what was there, adds a missing newline', () => {
    assert.equal(mergeAuthorizedKeys('', [a, b, a]), `${a}\n${b}\n`);
    assert.equal(mergeAuthorizedKeys(`# mine\n${a}`, [b]), `# mine\n${a}\n${b}\n`);
    const merged = mergeAuthorizedKeys(`${a}\n`, [`${b.replace('pi@worker1', 'renamed')}`, a]);
    assert.equal(
      mergeAuthorizedKeys(merged, [a, b]),
      merged,
      'same key, other comment: not added again',
    );
  });
  test('a key added by a later run lands where one run would have put it', () => {
    const key = (letter: string, name: string) =>
      `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${letter.repeat(43)} pi@${name}`;
    const [master, w1, w2, w3] = [
      key('A', 'master'),
      key('B', 'w1'),
      key('C', 'w2'),
      key('D', 'w3'),
    ];
    const laptop = key('L', 'laptop');
    const everyKey = [master, w1, w2, w3];
    const oneRun = mergeAuthorizedKeys(`${laptop}\n`, everyKey);
    // w1 and w3 failed the first run; the second adds them.
    const firstRun = mergeAuthorizedKeys(`${laptop}\n`, [master, w2]);
    assert.equal(mergeAuthorizedKeys(firstRun, everyKey), oneRun);
    assert.equal(oneRun, `${[laptop, ...everyKey].join('\n')}\n`);
    // A key the person added after the cluster's stays where it is.
    const later = mergeAuthorizedKeys(`${master}\n${w2}\n${laptop}\n`, everyKey);
    assert.equal(later, `${[master, w1, w2, w3, laptop].join('\n')}\n`);
  });
  test('removes only the lines of the keys given, whatever their options or comment', () => {
    const mine = '# my laptop\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ me@laptop';
    const file = `${mine}\n${a}\nfrom="127.0.0.1" ${b.replace('pi@worker1', 'renamed')}\n`;
    assert.equal(removeAuthorizedKeys(file, [b]), `${mine}\n${a}\n`);
    assert.equal(removeAuthorizedKeys(file, [a, b]), `${mine}\n`);
    const none = removeAuthorizedKeys(file, ['not a key']);
    assert.equal(none, file, 'nothing to remove: the same text');
    assert.equal(removeAuthorizedKeys(`${a}`, [a]), '', 'the last key of a file without a newline');
    assert.equal(removeAuthorizedKeys('', [a]), '');
  });
});

test('machinefile lists every node by name', () => {
  assert.equal(machinefile(rows), 'master\nworker1\nworker2\nworker3\nworker4\n');
});
