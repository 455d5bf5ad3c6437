/**
 * Finds the machines answering SSH among many addresses: a bounded number of probes at once, each
 * bounded in time, so a /24 takes seconds; stopping ends every probe in flight at once.
 */
import { setMaxListeners } from 'node:events';
import { type ProbeOutcome, probeSsh, type SshIdentity } from './ssh-probe.js';

export interface FoundMachine extends SshIdentity {
  address: string;
}

export interface ScanProgress {
  probed: number;
  total: number;
  found: number;
}

export interface ScanOptions {
  /** Probes at once (default 64). */
  concurrency?: number;
  /** Per address (default 1500 ms). */
  timeoutMs?: number;
  port?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ScanProgress) => void;
  /** Called as each machine is found, before the scan ends. */
  onFound?: (machine: FoundMachine) => void;
  /** Replaceable only to count calls; the real probe otherwise. */
  probe?: typeof probeSsh;
}

export interface ScanResult {
  /** In address order. */
  found: FoundMachine[];
  probed: number;
  total: number;
  /** True when the signal stopped the scan before every address was probed. */
  stopped: boolean;
  durationMs: number;
}

/** Numeric order of dotted IPv4 addresses. */
export function compareAddresses(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) {
    const difference = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

export async function scanForSsh(
  addresses: readonly string[],
  options: ScanOptions = {},
): Promise<ScanResult> {
  const started = performance.now();
  const probe = options.probe ?? probeSsh;
  const found: FoundMachine[] = [];
  let probed = 0;
  const total = addresses.length;
  const report = () => options.onProgress?.({ probed, total, found: found.length });
  report();
  const concurrency = options.concurrency ?? 64;
  // Every probe in flight listens for the stop: more listeners than Node's default warning limit.
  const stop = new AbortController();
  setMaxListeners(concurrency + 16, stop.signal);
  const forward = () => stop.abort();
  if (options.signal?.aborted) stop.abort();
  options.signal?.addEventListener('abort', forward, { once: true });
  // Its own small pool, not the engine's: a scan probes each address once (a silent address is an
  // answer, not a failure to retry) and has no nodes, steps or command log.
  let next = 0;
  const worker = async () => {
    while (next < addresses.length && !stop.signal.aborted) {
      const address = addresses[next++] as string;
      const outcome: ProbeOutcome = await probe(address, {
        signal: stop.signal,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.port === undefined ? {} : { port: options.port }),
      });
      if (stop.signal.aborted) return;
      probed += 1;
      if (outcome.kind === 'ssh') {
        const machine = { address, ...outcome.identity };
        found.push(machine);
        options.onFound?.(machine);
      }
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, addresses.length) }, worker));
  options.signal?.removeEventListener('abort', forward);
  return {
    found: found.sort((a, b) => compareAddresses(a.address, b.address)),
    probed,
    total,
    stopped: probed < total,
    durationMs: Math.round(performance.now() - started),
  };
}
