import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  checkHostKey,
  formatKnownHostsLine,
  hostFieldMatches,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  sshFingerprint,
} from '../../source/transport/known-hosts.js';

const directory = mkdtempSync(join(tmpdir(), 'pcw-known-hosts-'));
after(() => rmSync(directory, { recursive: true, force: true }));

function keygen(args: string[]): string {
  const result = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** A fresh public key of `type`: its blob and the path of its .pub file. */
function makeKey(type: string, name: string): { blob: Buffer; pubPath: string } {
  const path = join(directory, name);
  keygen(['-q', '-t', type, '-N', '', '-C', 'test', '-f', path]);
  const [, base64] = readFileSync(`${path}.pub`, 'utf8').split(' ');
  return { blob: Buffer.from(base64 ?? '', 'base64'), pubPath: `${path}.pub` };
}

describe('known_hosts and fingerprints', () => {
  const ed25519 = makeKey('ed25519', 'ed');
  const ecdsa = makeKey('ecdsa', 'ec');
  const rsa = makeKey('rsa', 'rsa');

  for (const [type, key] of [
    ['ssh-ed25519', ed25519],
    ['ecdsa-sha2-nistp256', ecdsa],
    ['ssh-rsa', rsa],
  ] as const) {
    it(`prints the ${type} fingerprint exactly as ssh-keygen -lf does`, () => {
      const printed = keygen(['-l', '-E', 'sha256', '-f', key.pubPath]).split(' ')[1];
      assert.equal(sshFingerprint(key.blob), printed);
      assert.equal(keyTypeOfBlob(key.blob), type);
    });
  }

  it('names hosts as OpenSSH does', () => {
    assert.equal(knownHostsName('192.168.1.20', 22), '192.168.1.20');
    assert.equal(knownHostsName('192.168.1.20', 2222), '[192.168.1.20]:2222');
  });

  it('writes lines that ssh-keygen -F finds, on port 22 and on another port', () => {
    const path = join(directory, 'written');
    writeFileSync(
      path,
      formatKnownHostsLine('127.0.0.5', ed25519.blob) +
        formatKnownHostsLine('[127.0.0.6]:2222', ecdsa.blob),
    );
    assert.match(keygen(['-F', '127.0.0.5', '-f', path]), /127\.0\.0\.5 ssh-ed25519 /);
    assert.match(keygen(['-F', '[127.0.0.6]:2222', '-f', path]), /ecdsa-sha2-nistp256/);
  });

  it('reads entries hashed by ssh-keygen -H', () => {
    const path = join(directory, 'hashed');
    writeFileSync(path, formatKnownHostsLine('127.0.0.7', ed25519.blob));
    keygen(['-H', '-f', path]);
    const text = readFileSync(path, 'utf8');
    assert.match(text, /^\|1\|/);
    const entries = parseKnownHosts(text);
    assert.deepEqual(checkHostKey(entries, '127.0.0.7', ed25519.blob), { status: 'known' });
    assert.deepEqual(checkHostKey(entries, '127.0.0.8', ed25519.blob), { status: 'unknown' });
    assert.deepEqual(checkHostKey(entries, '127.0.0.7', ecdsa.blob), {
      status: 'changed',
      knownLines: [1],
    });
  });

  const patternTable: Array<[string, string, boolean]> = [
    ['pi1,192.168.1.21', '192.168.1.21', true],
    ['pi1,192.168.1.21', 'pi1', true],
    ['PI1', 'pi1', true],
    ['pi1', 'pi10', false],
    ['192.168.1.*', '192.168.1.40', true],
    ['192.168.1.?', '192.168.1.40', false],
    ['192.168.1.*,!192.168.1.40', '192.168.1.40', false],
    ['[127.0.0.6]:2222', '[127.0.0.6]:2222', true],
    ['127.0.0.6', '[127.0.0.6]:2222', false],
  ];
  for (const [field, name, expected] of patternTable) {
    it(`${field} ${expected ? 'names' : 'does not name'} ${name}`, () => {
      assert.equal(hostFieldMatches(field, name), expected);
    });
  }

  it('sorts a file into known, changed, unknown and revoked', () => {
    const text = [
      '# comment',
      '',
      `pi1 ${'ssh-ed25519'} ${ed25519.blob.toString('base64')}`,
      'garbage line',
      `@cert-authority *.lan ssh-rsa ${rsa.blob.toString('base64')}`,
      `@revoked * ${ecdsa.blob.toString('base64').replace(/^/, 'ecdsa-sha2-nistp256 ')}`,
      `pi2 ssh-rsa ${rsa.blob.toString('base64')}`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    assert.equal(entries.length, 4);
    assert.deepEqual(checkHostKey(entries, 'pi1', ed25519.blob), { status: 'known' });
    assert.deepEqual(checkHostKey(entries, 'pi2', ed25519.blob), {
      status: 'changed',
      knownLines: [7],
    });
    assert.deepEqual(checkHostKey(entries, 'pi3', ed25519.blob), { status: 'unknown' });
    assert.deepEqual(checkHostKey(entries, 'pi1', ecdsa.blob), {
      status: 'revoked',
      lineNumber: 6,
    });
    // A cert-authority line is not a host key: a host under it is still unknown.
    assert.deepEqual(checkHostKey(entries, 'x.lan', rsa.blob), { status: 'unknown' });
    assert.deepEqual(knownKeyTypes(entries, 'pi2'), ['ssh-rsa']);
  });
});
