// The I/O the discovery and review screens ask for, handed in by the command: a screen starts a
// scan, an identify or a probe through these and only draws what comes back.
import type { IdentifyOutcome, IdentifyTarget } from '../../discovery/identify-board.js';
import type { Discovery } from '../../discovery/run-discovery.js';
import type { ScanProgress } from '../../discovery/scan-subnet.js';
import type { ProbeOutcome } from '../../discovery/ssh-probe.js';
import type { NodeRow } from '../../plan/plan-cluster.js';

export interface DiscoveryWork {
  scan(
    addresses: readonly string[],
    rows: readonly NodeRow[],
    options: { signal: AbortSignal; onProgress: (progress: ScanProgress) => void },
  ): Promise<Discovery>;
  identify(target: IdentifyTarget, seconds: number): Promise<IdentifyOutcome>;
  /** The SSH banner and host key one address offers, no login (a re-flashed card, on review). */
  probe(address: string, signal: AbortSignal): Promise<ProbeOutcome>;
}
