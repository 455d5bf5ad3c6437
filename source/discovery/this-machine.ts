// The machine the wizard runs on, as a scan sees it: its IPv4 addresses and its SSH host keys.
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { sshFingerprint } from '../transport/known-hosts.js';
import type { ThisMachine } from './discovery-report.js';

export function readThisMachine(sshDirectory = '/etc/ssh'): ThisMachine {
  const addresses = Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => entry.family === 'IPv4')
    .map((entry) => entry.address);
  const hostKeyFingerprints: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(sshDirectory).filter((name) => /^ssh_host_\w+_key\.pub$/.test(name));
  } catch {}
  for (const name of names) {
    try {
      const blob = readFileSync(`${sshDirectory}/${name}`, 'utf8').trim().split(/\s+/)[1];
      if (blob) hostKeyFingerprints.push(sshFingerprint(Buffer.from(blob, 'base64')));
    } catch {}
  }
  return { addresses, hostKeyFingerprints };
}
