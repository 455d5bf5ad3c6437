// Which addresses a scan may probe: a CIDR subnet no bigger than a /22, its host addresses only.
import { formatIpv4, formatSubnet, type Parsed, parseSubnet } from '../plan/ipv4.js';

/** The widest subnet a scan takes: 1022 addresses, a few seconds at the scan's concurrency. */
export const widestScanPrefix = 22;

export interface ScanRange {
  /** The subnet as written back, e.g. 192.168.0.0/24. */
  subnet: string;
  /** Every host address: the network and broadcast addresses are left out. */
  addresses: string[];
}

export function parseScanRange(text: string): Parsed<ScanRange> {
  const parsed = parseSubnet(text);
  if (!parsed.ok) return parsed;
  const { network, broadcast, prefixLength } = parsed.value;
  const subnet = formatSubnet(parsed.value);
  if (prefixLength < widestScanPrefix) {
    return {
      ok: false,
      message: `${subnet} has ${broadcast - network - 1} addresses: a scan takes at most a /${widestScanPrefix} (${2 ** (32 - widestScanPrefix) - 2} addresses). Name the part where the Pis are, such as ${formatIpv4(network)}/24.`,
    };
  }
  const addresses: string[] = [];
  for (let address = network + 1; address < broadcast; address++) {
    addresses.push(formatIpv4(address));
  }
  return { ok: true, value: { subnet, addresses } };
}
