import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ClusterSettings,
  defaultSettings,
  type NodeRow,
  parseNodeCount,
  planCluster,
  validateRows,
  validateSettings,
} from '../../source/plan/plan-cluster.js';

const settings = (overrides: Partial<ClusterSettings>): ClusterSettings => ({
  ...defaultSettings,
  ...overrides,
});

describe('planCluster', () => {
  test("5 nodes on 192.168.0.0/24 from .100 is exactly the guide's lookup table", () => {
    assert.deepEqual(validateSettings(defaultSettings), []);
    const rows = planCluster(defaultSettings);
    assert.deepEqual(
      rows.map((row) => [row.index, row.interfaceName, row.address, row.hostname]),
      [
        [0, 'eth0', '192.168.0.100', 'master'],
        [1, 'eth0', '192.168.0.101', 'worker1'],
        [2, 'eth0', '192.168.0.102', 'worker2'],
        [3, 'eth0', '192.168.0.103', 'worker3'],
        [4, 'eth0', '192.168.0.104', 'worker4'],
      ],
    );
    assert.deepEqual(
      rows.map((row) => row.reachAt),
      rows.map((row) => row.address),
    );
    assert.deepEqual(validateRows(defaultSettings, rows), []);
  });

  test('naming scheme, interface and a loopback lab subnet', () => {
    const rows = planCluster(
      settings({
        nodeCount: 3,
        subnet: '127.61.7.0/24',
        firstAddress: '127.61.7.10',
        gateway: '127.61.7.1',
        dns: ['127.61.7.1'],
        masterName: 'head',
        workerPrefix: 'node-',
        interfaceName: 'wlan0',
      }),
    );
    assert.deepEqual(
      rows.map((row) => `${row.interfaceName} ${row.address} ${row.hostname}`),
      ['wlan0 127.61.7.10 head', 'wlan0 127.61.7.11 node-1', 'wlan0 127.61.7.12 node-2'],
    );
  });

  test('a single node is a master alone', () => {
    assert.deepEqual(
      planCluster(settings({ nodeCount: 1 })).map((row) => row.hostname),
      ['master'],
    );
  });
});

describe('validateSettings', () => {
  const cases: Array<[string, Partial<ClusterSettings>, string, RegExp]> = [
    ['malformed CIDR', { subnet: '192.168.0.0' }, 'subnet', /not a subnet in CIDR form/],
    ['CIDR with letters', { subnet: '192.168.o.0/24' }, 'subnet', /not an IPv4 address/],
    ['prefix too long', { subnet: '192.168.0.0/31' }, 'subnet', /\/31 is not usable/],
    ['prefix too short', { subnet: '10.0.0.0/7' }, 'subnet', /\/7 is not usable/],
    [
      'host bits set',
      { subnet: '192.168.0.5/24' },
      'subnet',
      /network of 192\.168\.0\.5 with \/24 is 192\.168\.0\.0\/24/,
    ],
    ['octet over 255', { firstAddress: '192.168.0.256' }, 'firstAddress', /not an IPv4 address/],
    [
      'leading zero octet',
      { firstAddress: '192.168.0.010' },
      'firstAddress',
      /not an IPv4 address/,
    ],
    ['empty address', { firstAddress: '' }, 'firstAddress', /is empty/],
    ['three octets', { gateway: '192.168.1' }, 'gateway', /not an IPv4 address/],
    ['count zero', { nodeCount: 0 }, 'nodeCount', /at least 1 Pi/],
    ['count negative', { nodeCount: -3 }, 'nodeCount', /at least 1 Pi/],
    ['count fractional', { nodeCount: 2.5 }, 'nodeCount', /at least 1 Pi/],
    [
      'count over maximum',
      { nodeCount: 1000, subnet: '10.0.0.0/16', firstAddress: '10.0.0.10', gateway: '10.0.0.1' },
      'nodeCount',
      /at most 256/,
    ],
    [
      'more nodes than the subnet holds',
      { nodeCount: 200 },
      'nodeCount',
      /room for 155 before its broadcast address 192\.168\.0\.255/,
    ],
    [
      'first address is the network address',
      { firstAddress: '192.168.0.0' },
      'firstAddress',
      /network address/,
    ],
    [
      'first address is the broadcast address',
      { nodeCount: 1, firstAddress: '192.168.0.255' },
      'nodeCount',
      /room for 0/,
    ],
    [
      'first address outside the subnet',
      { firstAddress: '192.168.1.100' },
      'firstAddress',
      /outside the subnet 192\.168\.0\.0\/24/,
    ],
    [
      'gateway inside the node range',
      { gateway: '192.168.0.102' },
      'gateway',
      /inside the Pis' range 192\.168\.0\.100–192\.168\.0\.104/,
    ],
    ['gateway outside the subnet', { gateway: '10.0.0.1' }, 'gateway', /outside the subnet/],
    ['no DNS', { dns: [] }, 'dns', /at least one DNS server/],
    ['bad DNS', { dns: ['1.1.1'] }, 'dns', /DNS server "1\.1\.1" is not an IPv4 address/],
    ['empty user', { user: '' }, 'user', /user is empty/],
    ['user with shell characters', { user: 'pi; rm -rf /' }, 'user', /not a Linux user name/],
    ['user root', { user: 'root' }, 'user', /root cannot log in/],
    [
      'master name with underscore',
      { masterName: 'my_master' },
      'masterName',
      /not a valid hostname/,
    ],
    [
      'master name with leading hyphen',
      { masterName: '-master' },
      'masterName',
      /not a valid hostname/,
    ],
    [
      'worker prefix with a dot',
      { workerPrefix: 'w.' },
      'workerPrefix',
      /must make names like worker1/,
    ],
    [
      'interface with a space',
      { interfaceName: 'eth 0' },
      'interfaceName',
      /not a network interface name/,
    ],
  ];
  for (const [name, overrides, field, message] of cases) {
    test(name, () => {
      const issues = validateSettings(settings(overrides));
      const match = issues.find((issue) => issue.field === field);
      assert.ok(match, `expected an issue on ${field}, got ${JSON.stringify(issues)}`);
      assert.match(match.message, message);
    });
  }
});

describe('validateRows', () => {
  const base = planCluster(defaultSettings);
  const edit = (row: number, change: Partial<NodeRow>): NodeRow[] =>
    base.map((each) => (each.index === row ? { ...each, ...change } : each));
  const cases: Array<[string, NodeRow[], number, string, RegExp]> = [
    [
      'duplicate static IP',
      edit(2, { address: '192.168.0.101' }),
      2,
      'address',
      /already used by Pi 1/,
    ],
    [
      'duplicate hostname, any case',
      edit(3, { hostname: 'Worker1' }),
      3,
      'hostname',
      /already used by Pi 1/,
    ],
    [
      'hostname not an RFC 1123 label',
      edit(1, { hostname: 'worker_1' }),
      1,
      'hostname',
      /not a valid hostname/,
    ],
    ['hostname too long', edit(1, { hostname: 'a'.repeat(64) }), 1, 'hostname', /longer than 63/],
    ['hostname empty', edit(1, { hostname: '' }), 1, 'hostname', /is empty/],
    ['hostname all digits', edit(1, { hostname: '1234' }), 1, 'hostname', /all digits/],
    [
      'hostname with shell characters',
      edit(1, { hostname: '$(reboot)' }),
      1,
      'hostname',
      /not a valid hostname/,
    ],
    [
      'static IP outside the subnet',
      edit(4, { address: '10.0.0.4' }),
      4,
      'address',
      /outside the subnet/,
    ],
    [
      'static IP is the broadcast address',
      edit(4, { address: '192.168.0.255' }),
      4,
      'address',
      /broadcast address/,
    ],
    [
      'static IP is the network address',
      edit(4, { address: '192.168.0.0' }),
      4,
      'address',
      /network address/,
    ],
    [
      'static IP is the gateway',
      edit(4, { address: '192.168.0.1' }),
      4,
      'address',
      /gateway's address/,
    ],
    ['static IP malformed', edit(4, { address: '192.168.0' }), 4, 'address', /not an IPv4 address/],
    [
      'current address malformed',
      edit(1, { reachAt: '192.168.0.300' }),
      1,
      'reachAt',
      /not an IPv4 address/,
    ],
    ['current address empty', edit(1, { reachAt: ' ' }), 1, 'reachAt', /where it answers now/],
    [
      'current address shared',
      edit(2, { reachAt: '192.168.0.101' }),
      2,
      'reachAt',
      /Pi 1 is reached too/,
    ],
    [
      'current address not a name',
      edit(2, { reachAt: 'pi 2.local' }),
      2,
      'reachAt',
      /neither an IPv4 address nor a host name/,
    ],
  ];
  for (const [name, rows, row, field, message] of cases) {
    test(name, () => {
      const issues = validateRows(defaultSettings, rows);
      const match = issues.find(
        (issue) => issue.scope === 'row' && issue.row === row && issue.field === field,
      );
      assert.ok(match, `expected an issue on row ${row} ${field}, got ${JSON.stringify(issues)}`);
      assert.match(match.message, message);
      assert.match(match.message, new RegExp(`^Pi ${row}:`));
    });
  }

  test('a DHCP address and a .local name are accepted as current addresses', () => {
    const rows = edit(1, { reachAt: '192.168.0.37' }).map((row) =>
      row.index === 2 ? { ...row, reachAt: 'raspberrypi.local' } : row,
    );
    assert.deepEqual(validateRows(defaultSettings, rows), []);
  });
});

describe('parseNodeCount', () => {
  const cases: Array<[string, number | RegExp]> = [
    ['5', 5],
    [' 12 ', 12],
    ['1', 1],
    ['256', 256],
    ['0', /at least 1/],
    ['257', /at most 256/],
    ['-1', /not a whole number/],
    ['2.5', /not a whole number/],
    ['five', /not a whole number/],
    ['', /not a whole number/],
    ['1e3', /not a whole number/],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => {
      const result = parseNodeCount(input);
      if (typeof expected === 'number') assert.deepEqual(result, { ok: true, value: expected });
      else {
        assert.equal(result.ok, false);
        if (!result.ok) assert.match(result.message, expected);
      }
    });
  }
});
