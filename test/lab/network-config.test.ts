import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  eth0AddressFromDhcpcd,
  eth0AddressFromInterfaces,
  eth0AddressFromNetworkManager,
  type KeyfileProfile,
} from './network-config.js';

const stock = (name: string) => readFileSync(new URL(`./stock/${name}`, import.meta.url), 'utf8');
const dhcp = { kind: 'dhcp' };
const at = (address: string) => ({ kind: 'static', address });

test('dhcpcd.conf: static ip_address inside an interface eth0 block', () => {
  const cases: [string, string, object][] = [
    ['stock file (example block commented out)', stock('dhcpcd.conf'), dhcp],
    [
      'appended block',
      `${stock('dhcpcd.conf')}\ninterface eth0\nstatic ip_address=127.61.7.101/24\nstatic routers=127.61.7.1\n`,
      at('127.61.7.101'),
    ],
    [
      'uncommented example',
      stock('dhcpcd.conf').replace(
        '#interface eth0\n#static ip_address=',
        'interface eth0\nstatic ip_address=',
      ),
      at('192.168.0.10'),
    ],
    ['wlan0 only', 'interface wlan0\nstatic ip_address=127.1.1.1/24\n', dhcp],
    ['profile block', 'profile static_eth0\nstatic ip_address=127.1.1.1/24\n', dhcp],
    [
      'eth0 after wlan0',
      'interface wlan0\ninterface eth0\n  static ip_address=127.1.1.2/24\n',
      at('127.1.1.2'),
    ],
  ];
  for (const [name, conf, expected] of cases) {
    assert.deepEqual(eth0AddressFromDhcpcd(conf), expected, name);
  }
});

test('/etc/network/interfaces: address of iface eth0 inet static, if eth0 comes up at boot', () => {
  const staticStanza =
    'auto eth0\niface eth0 inet static\n  address 127.61.7.102/24\n  gateway 127.61.7.1\n';
  const cases: [string, string, object][] = [
    ['stock file', stock('interfaces'), dhcp],
    ['static', staticStanza, at('127.61.7.102')],
    [
      'netmask form',
      'allow-hotplug eth0\niface eth0 inet static\naddress 127.1.2.3\nnetmask 255.255.255.0\n',
      at('127.1.2.3'),
    ],
    ['not brought up', 'iface eth0 inet static\n  address 127.1.2.3/24\n', dhcp],
    [
      'address of another stanza',
      'auto eth0\niface eth0 inet dhcp\niface eth1 inet static\n address 127.1.2.3\n',
      dhcp,
    ],
    [
      'replaced dhcp stanza',
      stock('interfaces').replace(
        'iface eth0 inet dhcp',
        'iface eth0 inet static\n    address 127.9.9.9/24',
      ),
      at('127.9.9.9'),
    ],
  ];
  for (const [name, interfaces, expected] of cases) {
    assert.deepEqual(eth0AddressFromInterfaces(interfaces), expected, name);
  }
});

test('NetworkManager keyfiles: the loadable eth0 profile with the highest priority decides', () => {
  const wired = stock('Wired connection 1.nmconnection');
  const manual = (address: string, extra = '') =>
    `[connection]\nid=static\ntype=ethernet\ninterface-name=eth0\n${extra}\n[ipv4]\nmethod=manual\naddress1=${address}/24,127.61.7.1\ndns=127.61.7.1;\n`;
  const file = (name: string, content: string, mode = 0o100600, uid = 0): KeyfileProfile => ({
    name,
    content,
    mode,
    uid,
  });
  const cases: [string, KeyfileProfile[], object][] = [
    ['stock profile', [file('Wired connection 1.nmconnection', wired)], dhcp],
    [
      'stock profile made manual',
      [
        file(
          'Wired connection 1.nmconnection',
          wired.replace('method=auto', 'method=manual\naddress1=127.61.7.103/24,127.61.7.1'),
        ),
      ],
      at('127.61.7.103'),
    ],
    [
      'new profile beats the stock one (priority 0 > -999)',
      [
        file('Wired connection 1.nmconnection', wired),
        file('eth0.nmconnection', manual('127.1.1.5')),
      ],
      at('127.1.1.5'),
    ],
    [
      'readable by others: ignored',
      [
        file('Wired connection 1.nmconnection', wired),
        file('eth0.nmconnection', manual('127.1.1.5'), 0o100644),
      ],
      dhcp,
    ],
    [
      'not owned by root: ignored',
      [file('eth0.nmconnection', manual('127.1.1.5'), 0o100600, 1000)],
      dhcp,
    ],
    ['not a .nmconnection file', [file('eth0.conf', manual('127.1.1.5'))], dhcp],
    [
      'autoconnect=false',
      [file('eth0.nmconnection', manual('127.1.1.5', 'autoconnect=false'))],
      dhcp,
    ],
    [
      'other interface',
      [file('wlan.nmconnection', manual('127.1.1.5').replace('eth0', 'wlan0'))],
      dhcp,
    ],
  ];
  for (const [name, profiles, expected] of cases) {
    assert.deepEqual(eth0AddressFromNetworkManager(profiles), expected, name);
  }
});
