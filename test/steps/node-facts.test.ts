import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  networkStackProblem,
  parseNodeFacts,
  sudoRightsProblem,
} from '../../source/steps/node-facts.js';

const trixie = [
  'os=Debian GNU/Linux 13 (trixie)',
  'user=pi',
  'uid=1000',
  'groups=pi adm dialout sudo video',
  'home=/home/pi',
  'hostname=raspberrypi',
  'active_NetworkManager=active',
  'active_dhcpcd=inactive',
  'active_networking=inactive',
  'nm_device=eth0:connected',
  'nm_device=lo:connected (externally)',
  'netplan=yes',
  'cloud_init=25.1.4',
  'cloud_init_status=done',
  'sudo=password',
].join('\n');

describe('node facts', () => {
  test('a Trixie card from Imager 2.x: NetworkManager fed by netplan, cloud-init, sudo asking', () => {
    const facts = parseNodeFacts(trixie);
    assert.equal(facts.networkStack, 'netplan');
    assert.deepEqual(facts.cloudInit, { version: '25.1.4', status: 'done' });
    assert.equal(facts.sudo, 'password');
    assert.equal(facts.networkManagerDevices.get('eth0'), 'connected');
    assert.equal(networkStackProblem(facts, 'eth0'), undefined);
  });
  test('processors from nproc; none when it said nothing', () => {
    assert.equal(parseNodeFacts(`${trixie}\ncores=4`).cores, 4);
    assert.equal(parseNodeFacts(`${trixie}\ncores=`).cores, undefined);
    assert.equal(parseNodeFacts(trixie).cores, undefined);
  });

  test('cloud-init that is disabled, did not run at this boot, or is not installed, is not a fact', () => {
    for (const status of ['disabled', 'not run'])
      assert.equal(
        parseNodeFacts(trixie.replace('cloud_init_status=done', `cloud_init_status=${status}`))
          .cloudInit,
        undefined,
      );
    assert.equal(parseNodeFacts(trixie.replace(/^cloud_init.*$/gm, '')).cloudInit, undefined);
  });

  test('NetworkManager leaving eth0 to ifupdown, and no known stack, are said in words', () => {
    const unmanaged = parseNodeFacts(trixie.replace('eth0:connected', 'eth0:unmanaged'));
    assert.match(
      networkStackProblem(unmanaged, 'eth0') ?? '',
      /NetworkManager leaves eth0 unmanaged: ifupdown configures it too/,
    );
    const none = parseNodeFacts(trixie.replace('active_NetworkManager=active', ''));
    assert.match(networkStackProblem(none, 'eth0') ?? '', /no network stack the wizard knows runs/);
  });

  test('sudo asking a password of a user in no sudo group is said; in group sudo, or NOPASSWD, it is not', () => {
    const facts = parseNodeFacts(trixie);
    assert.deepEqual(facts.groups, ['pi', 'adm', 'dialout', 'sudo', 'video']);
    assert.equal(sudoRightsProblem(facts), undefined);
    const outside = parseNodeFacts(trixie.replace(' sudo video', ' video'));
    assert.match(
      sudoRightsProblem(outside) ?? '',
      /^pi is in no sudo group \(pi adm dialout video\): unless \/etc\/sudoers names pi, sudo will refuse/,
    );
    assert.equal(
      sudoRightsProblem(
        parseNodeFacts(`${trixie.replace(' sudo video', ' video')}\nsudo=nopasswd`),
      ),
      undefined,
    );
  });
});
