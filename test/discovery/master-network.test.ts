// Reading the master's own network for the cluster form: what `ip` and resolv.conf print, parsed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  networkDefaultsFrom,
  parseDefaultRoute,
  parseInterfaceSubnet,
  parseNameServers,
} from '../../source/discovery/master-network.js';

describe("the master's network", () => {
  it('reads the default route, the subnet of its interface and the name servers', () => {
    assert.deepEqual(
      parseDefaultRoute(
        'default via 192.168.1.1 dev eth0 proto dhcp src 192.168.1.23 metric 100\n',
      ),
      { gateway: '192.168.1.1', device: 'eth0' },
    );
    assert.equal(parseDefaultRoute(''), undefined, 'no default route');
    assert.equal(parseDefaultRoute('default dev wg0 scope link\n'), undefined, 'no router');
    assert.equal(
      parseInterfaceSubnet(
        '2: eth0    inet 192.168.1.23/24 brd 192.168.1.255 scope global dynamic noprefixroute eth0\\       valid_lft 85000sec',
      ),
      '192.168.1.0/24',
    );
    assert.equal(
      parseInterfaceSubnet('2: eth0    inet 10.20.30.40/31 scope global eth0'),
      undefined,
    );
    assert.deepEqual(
      parseNameServers(
        'search lan\nnameserver 192.168.1.1\nnameserver fd00::1\nnameserver 127.0.0.53\n',
      ),
      ['192.168.1.1'],
    );
  });

  it('says where each value came from, the name servers from the gateway when resolv.conf has none usable', () => {
    const defaults = networkDefaultsFrom({
      route: 'default via 192.168.1.1 dev eth0\n',
      address: '2: eth0    inet 192.168.1.23/24 scope global eth0',
      resolvConf: 'nameserver 127.0.0.53\n',
    });
    assert.deepEqual(defaults?.settings, {
      subnet: '192.168.1.0/24',
      firstAddress: '192.168.1.100',
      gateway: '192.168.1.1',
      dns: ['192.168.1.1'],
    });
    assert.match(defaults?.sources.dns ?? '', /the gateway/);
    assert.equal(networkDefaultsFrom({ route: '', address: '', resolvConf: '' }), undefined);
  });
});
