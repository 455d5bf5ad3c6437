// IPv4 addresses and CIDR subnets as plain numbers, with parse errors a person can act on.

export interface Subnet {
  /** The network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefixLength: number;
  /** The broadcast address as an unsigned 32-bit number. */
  readonly broadcast: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const octetPattern = /^(0|[1-9][0-9]{0,2})$/;

export function parseIpv4(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (trimmed === '')
    return { ok: false, message: 'is empty: enter an IPv4 address such as 192.168.0.100' };
  const parts = trimmed.split('.');
  if (parts.length !== 4 || parts.some((part) => !octetPattern.test(part) || Number(part) > 255)) {
    return {
      ok: false,
      message: `"${trimmed}" is not an IPv4 address: use four numbers 0–255 separated by dots, such as 192.168.0.100`,
    };
  }
  return { ok: true, value: parts.reduce((value, part) => value * 256 + Number(part), 0) };
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function parseSubnet(text: string): Parsed<Subnet> {
  const trimmed = text.trim();
  const match = /^([^/]+)\/(\d{1,2})$/.exec(trimmed);
  if (!match) {
    return {
      ok: false,
      message: `"${trimmed}" is not a subnet in CIDR form: write the network address, a slash and the prefix length, such as 192.168.0.0/24`,
    };
  }
  const address = parseIpv4(match[1]!);
  if (!address.ok) return { ok: false, message: `subnet address ${address.message}` };
  const prefixLength = Number(match[2]);
  if (prefixLength < 8 || prefixLength > 30) {
    return {
      ok: false,
      message: `prefix length /${prefixLength} is not usable for a cluster: use /8 to /30 (a home network is usually /24)`,
    };
  }
  const size = 2 ** (32 - prefixLength);
  const network = address.value - (address.value % size);
  if (network !== address.value) {
    return {
      ok: false,
      message: `${trimmed} has host bits set: the network of ${match[1]} with /${prefixLength} is ${formatIpv4(network)}/${prefixLength}`,
    };
  }
  return { ok: true, value: { network, prefixLength, broadcast: network + size - 1 } };
}

export function formatSubnet(subnet: Subnet): string {
  return `${formatIpv4(subnet.network)}/${subnet.prefixLength}`;
}

export function subnetContains(subnet: Subnet, address: number): boolean {
  return address >= subnet.network && address <= subnet.broadcast;
}
