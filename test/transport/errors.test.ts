import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ConnectionTarget,
  connectionError,
  didNotComeBack,
  formatTransportError,
  hostKeyChanged,
  sudoRefused,
  type TransportErrorKind,
} from '../../source/transport/errors.js';

const target: ConnectionTarget = { node: 'pi3', host: '192.168.1.23', port: 22, username: 'pi' };

function socketError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code, level: 'client-socket' });
}

describe('errors in words', () => {
  const table: Array<[string, unknown, TransportErrorKind, boolean, RegExp]> = [
    [
      'ECONNREFUSED',
      socketError('ECONNREFUSED'),
      'connection-refused',
      true,
      /pi3 \(192\.168\.1\.23\) refused the SSH connection/,
    ],
    ['EHOSTUNREACH', socketError('EHOSTUNREACH'), 'no-route', true, /No route to pi3/],
    ['ENETUNREACH', socketError('ENETUNREACH'), 'no-route', true, /No route/],
    [
      'ETIMEDOUT',
      socketError('ETIMEDOUT'),
      'timed-out',
      true,
      /did not complete the SSH handshake in time/,
    ],
    [
      'handshake timeout',
      Object.assign(new Error('Timed out while waiting for handshake'), {
        level: 'client-timeout',
      }),
      'timed-out',
      true,
      /in time/,
    ],
    [
      'keepalive timeout',
      Object.assign(new Error('Keepalive timeout'), { level: 'client-timeout' }),
      'connection-lost',
      true,
      /stopped answering/,
    ],
    ['ECONNRESET', socketError('ECONNRESET'), 'connection-lost', true, /was lost/],
    ['ENOTFOUND', socketError('ENOTFOUND'), 'unknown-host', false, /does not resolve/],
    [
      'auth',
      Object.assign(new Error('All configured authentication methods failed'), {
        level: 'client-authentication',
      }),
      'auth-failed',
      false,
      /did not accept the login for user pi/,
    ],
    [
      'anything else',
      new Error('kex failed'),
      'protocol',
      false,
      /SSH to pi3 \(192\.168\.1\.23\) failed: kex failed/,
    ],
  ];
  for (const [name, raw, kind, transient, message] of table) {
    it(`${name} → ${kind}`, () => {
      const error = connectionError(target, raw);
      assert.equal(error.kind, kind);
      assert.equal(error.transient, transient);
      assert.equal(error.node, 'pi3');
      assert.match(error.message, message);
      assert.ok(error.nextStep.length > 10);
    });
  }

  it('names the port when it is not 22', () => {
    const error = connectionError({ ...target, port: 2222 }, socketError('ECONNREFUSED'));
    assert.match(error.message, /pi3 \(192\.168\.1\.23:2222\) refused .* port 2222/);
  });

  it('gives the exact command that forgets a changed host key', () => {
    const error = hostKeyChanged(target, '/home/me/.ssh/known_hosts', '192.168.1.23', 'SHA256:abc');
    assert.equal(error.kind, 'host-key-changed');
    assert.equal(error.transient, false);
    assert.ok(
      error.nextStep.includes('ssh-keygen -f "/home/me/.ssh/known_hosts" -R "192.168.1.23"'),
    );
    assert.match(error.message, /pi3 .*SHA256:abc/);
  });

  it('tells the sudo refusals apart', () => {
    assert.match(sudoRefused('pi3', 'wrong-password', '').message, /did not accept the password/);
    assert.match(sudoRefused('pi3', 'not-in-sudoers', '').message, /may not use sudo/);
    assert.match(sudoRefused('pi3', 'password-needed', '').message, /none was given/);
  });

  it('names both addresses of a node that did not come back', () => {
    const error = didNotComeBack(
      'pi3',
      '192.168.1.140',
      '192.168.1.23',
      180_000,
      new Error('refused'),
    );
    assert.match(
      error.message,
      /waited 180 s for SSH at 192\.168\.1\.23 \(last known address 192\.168\.1\.140\)\. Last attempt: refused/,
    );
    assert.match(error.nextStep, /192\.168\.1\.140/);
  });

  it('formats any failure as the message and what to do', () => {
    assert.equal(
      formatTransportError(sudoRefused('pi3', 'password-needed', '')),
      'sudo on pi3 asks for a password, and none was given.\nWhat to do: Give the password of the login user, then retry.',
    );
    assert.equal(formatTransportError(new Error('plain')), 'plain');
  });
});
