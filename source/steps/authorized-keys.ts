// Merging OpenSSH public keys the way ssh-copy-id does: each key once, existing lines kept in order,
// a newline before anything appended. Unlike the guide's `scp`, nothing a node had is lost.

export interface PublicKey {
  type: string;
  blob: string;
  comment: string;
  /** The whole line as written, options included. */
  line: string;
}

const keyTypes =
  /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** Parses one authorized_keys or .pub line (options before the type are allowed); undefined if not a key. */
export function parsePublicKey(line: string): PublicKey | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const fields = splitOutsideQuotes(trimmed);
  const typeIndex = fields.findIndex((field) => keyTypes.test(field));
  if (typeIndex === -1 || typeIndex > 1) return undefined;
  const blob = fields[typeIndex + 1];
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  return {
    type: fields[typeIndex]!,
    blob,
    comment: fields.slice(typeIndex + 2).join(' '),
    line: trimmed,
  };
}

/** The existing file with every key of `incoming` that it lacks appended, each key once. */
export function mergeAuthorizedKeys(existing: string, incoming: readonly string[]): string {
  const seen = new Set<string>();
  for (const line of existing.split('\n')) {
    const key = parsePublicKey(line);
    if (key) seen.add(`${key.type} ${key.blob}`);
  }
  const additions: string[] = [];
  for (const line of incoming) {
    const key = parsePublicKey(line);
    if (!key || seen.has(`${key.type} ${key.blob}`)) continue;
    seen.add(`${key.type} ${key.blob}`);
    additions.push(key.line);
  }
  if (additions.length === 0) return existing;
  const base = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
  return `${base}${additions.join('\n')}\n`;
}

/** Splits on spaces, keeping quoted option values such as command="a b" whole. */
function splitOutsideQuotes(text: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (!quoted && /\s/.test(char)) {
      if (current !== '') fields.push(current);
      current = '';
    } else current += char;
  }
  if (current !== '') fields.push(current);
  return fields;
}
