import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assignMachine,
  clonedGroups,
  describeMachines,
  reachAtPatches,
  suggestAssignment,
} from '../../source/discovery/discovery-report.js';
import { selectedTrigger } from '../../source/discovery/identify-board.js';
import { parseNeighbourTable } from '../../source/discovery/neighbour-table.js';
import { normalizeMac, raspberryPiHolder } from '../../source/discovery/raspberry-pi-oui.js';
import { parseScanRange } from '../../source/discovery/scan-range.js';
import type { FoundMachine } from '../../source/discovery/scan-subnet.js';
import { operatingSystemHint } from '../../source/discovery/ssh-probe.js';
import { defaultSettings, planCluster } from '../../source/plan/plan-cluster.js';

describe('Raspberry Pi MAC prefixes', () => {
  const cases: Array<[string, boolean]> = [
    ['b8:27:eb:01:02:03', true],
    ['DC:A6:32:AA:BB:CC', true],
    ['e4-5f-01-00-00-01', true],
    ['d8:3a:dd:12:34:56', true],
    ['2c:cf:67:12:34:56', true],
    ['28:cd:c1:12:34:56', true],
    ['3a:35:41:12:34:56', true],
    ['00:1a:2b:12:34:56', false],
    ['b8:27:ec:01:02:03', false],
    ['not a mac', false],
  ];
  for (const [mac, isPi] of cases) {
    it(`${mac} is ${isPi ? '' : 'not '}a Raspberry Pi's`, () => {
      assert.equal(raspberryPiHolder(mac) !== undefined, isPi);
    });
  }
  it('normalizes case and separators', () => {
    assert.equal(normalizeMac('E4-5F-01-0A-0B-0C'), 'e4:5f:01:0a:0b:0c');
    assert.equal(normalizeMac('e4:5f:01:0a:0b'), undefined);
  });
});

describe('the neighbour table', () => {
  it('maps addresses to MACs and leaves out entries without one', () => {
    const table = parseNeighbourTable(
      [
        '192.168.0.101 dev eth0 lladdr dc:a6:32:01:02:03 REACHABLE',
        '192.168.0.102 dev eth0 lladdr B8:27:EB:0A:0B:0C STALE',
        '192.168.0.103 dev eth0  FAILED',
        '192.168.0.104 dev eth0 INCOMPLETE',
        'fe80::1 dev eth0 lladdr 00:11:22:33:44:55 router REACHABLE',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      [...table],
      [
        ['192.168.0.101', 'dc:a6:32:01:02:03'],
        ['192.168.0.102', 'b8:27:eb:0a:0b:0c'],
      ],
    );
  });
});

describe('the range a scan takes', () => {
  it('lists the host addresses of a /24 (not the network or broadcast address)', () => {
    const range = parseScanRange('10.1.2.0/24');
    assert.ok(range.ok);
    assert.equal(range.value.addresses.length, 254);
    assert.equal(range.value.addresses[0], '10.1.2.1');
    assert.equal(range.value.addresses.at(-1), '10.1.2.254');
  });
  it('takes a /22 and refuses anything bigger, in words', () => {
    const wide = parseScanRange('10.1.0.0/22');
    assert.ok(wide.ok);
    assert.equal(wide.value.addresses.length, 1022);
    const tooWide = parseScanRange('10.0.0.0/16');
    assert.ok(!tooWide.ok);
    assert.match(tooWide.message, /65534 addresses: a scan takes at most a \/22/);
    assert.match(tooWide.message, /10\.0\.0\.0\/24/);
  });
  it('refuses what is not a subnet', () => {
    for (const text of ['', 'banana', '10.1.2.3/24', '10.1.2.0/33']) {
      assert.equal(parseScanRange(text).ok, false, text);
    }
  });
});

describe('the OS hint from an SSH banner', () => {
  const cases: Array<[string, string]> = [
    ['SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', 'OpenSSH 9.2p1, Debian 12 (bookworm)'],
    ['SSH-2.0-OpenSSH_10.0p2 Debian-7', 'OpenSSH 10.0p2, Debian'],
    ['SSH-2.0-OpenSSH_7.9p1 Raspbian-10+deb10u2+rpt1', 'OpenSSH 7.9p1, Raspberry Pi OS (32-bit)'],
    ['SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10', 'OpenSSH 8.9p1, Ubuntu'],
    ['SSH-2.0-dropbear_2022.83', 'dropbear_2022.83'],
  ];
  for (const [banner, hint] of cases) {
    it(banner, () => assert.equal(operatingSystemHint(banner), hint));
  }
});

describe('the LED trigger in use', () => {
  it('is the bracketed word, or the only word', () => {
    assert.equal(selectedTrigger('none timer heartbeat [mmc0] default-on\n'), 'mmc0');
    assert.equal(selectedTrigger('[none] timer'), 'none');
    assert.equal(selectedTrigger('timer\n'), 'timer');
    assert.equal(selectedTrigger('none timer'), undefined);
  });
});

describe('what the found machines are to the cluster', () => {
  const settings = { ...defaultSettings, nodeCount: 4 };
  const rows = planCluster(settings); // master .100, worker1 .101, worker2 .102, worker3 .103
  const machine = (address: string, fingerprint: string): FoundMachine => ({
    address,
    banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
    keyType: 'ssh-ed25519',
    fingerprint,
    hostKey: 'ssh-ed25519 AAAA',
  });
  const found = [
    machine('192.168.0.57', 'SHA256:c'),
    machine('192.168.0.23', 'SHA256:master'),
    machine('192.168.0.102', 'SHA256:b'),
    machine('192.168.0.9', 'SHA256:a'),
    machine('192.168.0.60', 'SHA256:a'),
  ];
  const machines = describeMachines(found, {
    rows,
    neighbours: new Map([
      ['192.168.0.9', 'dc:a6:32:00:00:09'],
      ['192.168.0.57', '00:1a:2b:00:00:57'],
    ]),
    thisMachine: { addresses: ['127.0.0.1', '192.168.0.23'], hostKeyFingerprints: [] },
  });

  it('sorts by address and tells MACs, this machine, members and clones apart', () => {
    assert.deepEqual(
      machines.map((each) => each.address),
      ['192.168.0.9', '192.168.0.23', '192.168.0.57', '192.168.0.60', '192.168.0.102'],
    );
    const at = (address: string) => machines.find((each) => each.address === address)!;
    assert.equal(at('192.168.0.9').raspberryPi, 'Raspberry Pi Trading Ltd');
    assert.equal(at('192.168.0.57').raspberryPi, undefined);
    assert.equal(at('192.168.0.57').mac, '00:1a:2b:00:00:57');
    assert.equal(at('192.168.0.23').isThisMachine, true);
    assert.equal(at('192.168.0.102').configuredAs, 2);
    assert.deepEqual(at('192.168.0.9').clonedWith, ['192.168.0.60']);
    assert.deepEqual(clonedGroups(machines), [['192.168.0.9', '192.168.0.60']]);
  });

  it('suggests: members keep their rows, this machine is the master, the rest in address order', () => {
    const suggested = suggestAssignment(rows, machines);
    assert.deepEqual(
      [...suggested].sort(([a], [b]) => a - b),
      [
        [0, '192.168.0.23'],
        [1, '192.168.0.9'],
        [2, '192.168.0.102'],
        [3, '192.168.0.57'],
      ],
    );
    assert.deepEqual(reachAtPatches(rows, suggested), [
      { index: 0, reachAt: '192.168.0.23' },
      { index: 1, reachAt: '192.168.0.9' },
      { index: 3, reachAt: '192.168.0.57' },
    ]);
  });

  it('never gives the master row a machine that is not this one', () => {
    const elsewhere = describeMachines(found, { rows });
    const suggested = suggestAssignment(rows, elsewhere);
    assert.equal(suggested.has(0), false);
    assert.equal(suggested.get(1), '192.168.0.9');
  });

  it('moves a machine to another row, taking it from the row that had it', () => {
    const suggested = suggestAssignment(rows, machines);
    const moved = assignMachine(suggested, '192.168.0.9', 3);
    assert.equal(moved.get(3), '192.168.0.9');
    assert.equal(moved.has(1), false);
    const none = assignMachine(moved, '192.168.0.9', undefined);
    assert.equal([...none.values()].includes('192.168.0.9'), false);
  });
});
