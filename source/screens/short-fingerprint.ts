/** "SHA256:AbCdEf…": a host or public key fingerprint short enough for a table column. */
export function shortFingerprint(fingerprint: string, length: number): string {
  return fingerprint.length <= length ? fingerprint : `${fingerprint.slice(0, length - 1)}…`;
}
