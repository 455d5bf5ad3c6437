// Which MAC addresses belong to Raspberry Pi boards: the prefixes the IEEE registry lists for the
// Raspberry Pi companies (checked against the IEEE MA-L and CID listings as quoted on
// raspberrypi.stackexchange.com question 28365, January 2024).

/** MA-L blocks (OUIs) and the one CID of the Raspberry Pi companies, lower case. */
export const raspberryPiPrefixes: ReadonlyArray<{ prefix: string; holder: string }> = [
  { prefix: 'b8:27:eb', holder: 'Raspberry Pi Foundation' },
  { prefix: 'dc:a6:32', holder: 'Raspberry Pi Trading Ltd' },
  { prefix: 'e4:5f:01', holder: 'Raspberry Pi Trading Ltd' },
  { prefix: '28:cd:c1', holder: 'Raspberry Pi Trading Ltd' },
  { prefix: 'd8:3a:dd', holder: 'Raspberry Pi Trading Ltd' },
  { prefix: '2c:cf:67', holder: 'Raspberry Pi (Trading) Ltd' },
  // A CID (company ID), not an OUI: locally administered addresses some boards use.
  { prefix: '3a:35:41', holder: 'Raspberry Pi (Trading) Ltd (CID)' },
];

/** `b8:27:eb:12:34:56`, upper or lower case, with `:` or `-`, as one canonical form; or undefined. */
export function normalizeMac(text: string): string | undefined {
  const parts = text.trim().toLowerCase().split(/[:-]/);
  if (parts.length !== 6 || parts.some((part) => !/^[0-9a-f]{2}$/.test(part))) return undefined;
  return parts.join(':');
}

/** The Raspberry Pi company that holds this MAC address's prefix, or undefined for anyone else. */
export function raspberryPiHolder(mac: string): string | undefined {
  const normal = normalizeMac(mac);
  if (normal === undefined) return undefined;
  return raspberryPiPrefixes.find((entry) => normal.startsWith(`${entry.prefix}:`))?.holder;
}
