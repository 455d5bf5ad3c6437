// The MAC addresses this machine has seen on the LAN: the kernel's neighbour table as `ip neigh`
// prints it. Only read: nothing here sends a packet.
import { spawn } from 'node:child_process';
import { normalizeMac } from './raspberry-pi-oui.js';

/** Address → MAC from `ip neigh show` output; entries without a MAC (FAILED, INCOMPLETE) are left out. */
export function parseNeighbourTable(text: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\d{1,3}(?:\.\d{1,3}){3})\s.*\blladdr\s+(\S+)/.exec(line.trim());
    if (!match) continue;
    const mac = normalizeMac(match[2]!);
    if (mac !== undefined && !/\b(FAILED|INCOMPLETE)\b/.test(line)) table.set(match[1]!, mac);
  }
  return table;
}

/**
 * The neighbour table now; empty when `ip` is missing or fails (the MAC is only a hint, and a
 * machine reached over loopback or through a router has none).
 */
export function readNeighbourTable(): Promise<Map<string, string>> {
  return new Promise((resolve) => {
    let output = '';
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('ip', ['-4', 'neigh', 'show'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      resolve(new Map());
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
    });
    child.once('error', () => {
      clearTimeout(timer);
      resolve(new Map());
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? parseNeighbourTable(output) : new Map());
    });
  });
}
