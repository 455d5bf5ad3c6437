/**
 * What one address says before anyone logs in: its SSH identification line (the banner) and the
 * host key it offers. One TCP connection: the banner is read off the socket, then ssh2 takes the
 * same socket for the key exchange, and the host key is refused as soon as it is seen, so the
 * connection ends before authentication. No user name, password or key is ever sent, and nothing
 * is written to known_hosts.
 */
import { connect, type Socket } from 'node:net';
import type { Client } from 'ssh2';
import { hostKeyAlgorithms } from '../transport/host-keys.js';
import { keyTypeOfBlob, sshFingerprint } from '../transport/known-hosts.js';
import { loadSsh2 } from '../transport/load-ssh2.js';

export interface SshIdentity {
  /** The server's identification line, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3`. */
  banner: string;
  /** e.g. `ssh-ed25519`. */
  keyType: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The key itself, `type base64`, to record once a person has confirmed its fingerprint. */
  hostKey: string;
}

export type ProbeOutcome =
  | { kind: 'ssh'; identity: SshIdentity }
  /** Something answered but is not an SSH server, or stopped before showing its host key. */
  | { kind: 'not-ssh'; detail: string }
  /** Nothing listens, nothing answered in time, or the probe was stopped. */
  | { kind: 'nothing'; detail: string };

export interface ProbeOptions {
  port?: number;
  /** The whole probe: connect, banner and key exchange (default 1500 ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Lines a server may send before its identification (RFC 4253 4.2) are skipped; this is plenty. */
const maxPreambleBytes = 8192;

export async function probeSsh(address: string, options: ProbeOptions = {}): Promise<ProbeOutcome> {
  const { port = 22, timeoutMs = 1500, signal } = options;
  const { Client } = await loadSsh2();
  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    let client: Client | undefined;
    const socket: Socket = connect({ host: address, port });
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      client?.destroy();
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: 'nothing', detail: 'stopped' });
    const timer = setTimeout(
      () =>
        finish(
          banner === undefined
            ? { kind: 'nothing', detail: `no answer within ${timeoutMs} ms` }
            : { kind: 'not-ssh', detail: `no host key within ${timeoutMs} ms` },
        ),
      timeoutMs,
    );
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    let banner: string | undefined;
    let received = Buffer.alloc(0);
    const onError = (error: NodeJS.ErrnoException) =>
      finish({ kind: 'nothing', detail: error.code ?? error.message });
    const onClose = () =>
      finish({ kind: 'not-ssh', detail: 'closed without an SSH identification' });
    socket.on('error', onError);
    socket.on('close', onClose);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const text = received.toString('latin1');
      const line = text.split('\n').find((each, position, all) => {
        return position < all.length - 1 && each.startsWith('SSH-');
      });
      if (line === undefined) {
        if (received.length > maxPreambleBytes) {
          finish({ kind: 'not-ssh', detail: 'no SSH identification line' });
        }
        return;
      }
      banner = line.replace(/\r$/, '');
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      // ssh2 adds its own listeners; this one only keeps a late socket error from throwing.
      socket.on('error', () => {});
      socket.pause();
      // ssh2 reads the identification again from the same bytes.
      socket.unshift(received);
      handOver();
    };
    socket.on('data', onData);

    const handOver = () => {
      let key: Buffer | undefined;
      client = new Client();
      const afterClient = () => {
        if (key === undefined || banner === undefined) {
          finish({ kind: 'not-ssh', detail: 'the key exchange ended before a host key' });
          return;
        }
        let keyType: string;
        try {
          keyType = keyTypeOfBlob(key);
        } catch (error) {
          finish({ kind: 'not-ssh', detail: (error as Error).message });
          return;
        }
        finish({
          kind: 'ssh',
          identity: {
            banner,
            keyType,
            fingerprint: sshFingerprint(key),
            hostKey: `${keyType} ${key.toString('base64')}`,
          },
        });
      };
      // Refusing the key is what ends the connection: ssh2 never reaches authentication.
      client.on('error', afterClient);
      client.on('close', afterClient);
      try {
        client.connect({
          sock: socket,
          // ssh2 insists on a user name; it would only be sent after the host key was accepted.
          username: 'never-sent',
          readyTimeout: timeoutMs,
          algorithms: { serverHostKey: hostKeyAlgorithms },
          hostVerifier: (offered: Buffer) => {
            key = Buffer.from(offered);
            return false;
          },
        });
      } catch (error) {
        finish({ kind: 'not-ssh', detail: (error as Error).message });
      }
    };
  });
}

/** A few words on the operating system, from the banner's comment: a hint, not a fact. */
export function operatingSystemHint(banner: string): string {
  const software = banner.replace(/^SSH-[\d.]+-/, '');
  const openSsh = /^OpenSSH_([\w.]+)/.exec(software)?.[1];
  const comment = software.slice(software.indexOf(' ') + 1);
  const server = openSsh ? `OpenSSH ${openSsh}` : (software.split(' ')[0] ?? software);
  if (!software.includes(' ')) return server;
  if (/Raspbian/i.test(comment)) return `${server}, Raspberry Pi OS (32-bit)`;
  const debian = /deb(\d+)u/.exec(comment)?.[1];
  const releases: Record<string, string> = {
    '10': 'buster',
    '11': 'bullseye',
    '12': 'bookworm',
    '13': 'trixie',
  };
  if (debian) {
    const name = releases[debian];
    return `${server}, Debian ${debian}${name ? ` (${name})` : ''}`;
  }
  if (/^Debian/i.test(comment)) return `${server}, Debian`;
  if (/^Ubuntu/i.test(comment)) return `${server}, Ubuntu`;
  return `${server}, ${comment}`;
}
