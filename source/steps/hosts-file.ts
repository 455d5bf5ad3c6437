// /etc/hosts and /etc/hostname as the guide wants them: the cluster's names in one block, and the
// node's own name on the 127.0.1.1 line so sudo never says "unable to resolve host".
import type { NodeRow } from '../plan/plan-cluster.js';

export const clusterHostsHeader = '# pi-cluster network';

/** The guide's block: a header, then one `address<TAB>hostname` line per node. */
export function clusterHostsBlock(rows: readonly NodeRow[]): string {
  return [clusterHostsHeader, ...rows.map((row) => `${row.address}\t${row.hostname}`)].join('\n');
}

/**
 * Sets the name on the `127.0.1.1` line (Debian's way to resolve the machine's own name), as
 * raspi-config does; adds the line after the IPv4 localhost line when it is missing.
 */
export function setLoopbackHostname(text: string, hostname: string): string {
  const lines = text.split('\n');
  const wanted = `127.0.1.1\t${hostname}`;
  const existing = lines.findIndex((line) => /^\s*127\.0\.1\.1\s/.test(line));
  if (existing !== -1) {
    if (lines[existing] === wanted) return text;
    lines[existing] = wanted;
    return lines.join('\n');
  }
  const localhost = lines.findIndex((line) => /^\s*127\.0\.0\.1\s/.test(line));
  lines.splice(localhost === -1 ? 0 : localhost + 1, 0, wanted);
  const joined = lines.join('\n');
  return joined.endsWith('\n') ? joined : `${joined}\n`;
}

/** The name the 127.0.1.1 line gives, if any. */
export function loopbackHostname(text: string): string | undefined {
  const line = text.split('\n').find((each) => /^\s*127\.0\.1\.1\s/.test(each));
  return line?.trim().split(/\s+/)[1];
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}
