// Merging OpenSSH public keys the way ssh-copy-id does: each key once, existing lines kept in order,
// a newline before anything appended. Unlike the guide's `scp`, nothing a node had is lost.

export interface PublicKey {
  type: string;
  blob: string;
  comment: string;
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
  };
}

/** What makes a key the same key whatever its options or comment (`type base64`); undefined if none. */
export function keyIdentity(line: string): string | undefined {
  const key = parsePublicKey(line);
  return key && `${key.type} ${key.blob}`;
}

/**
 * The existing file with every key of `incoming` that it lacks added, each key once. A missing key
 * goes right after the incoming key before it that the file has (else before the next one it has,
 * else at the end), so keys added by a later run land where a single run would have put them.
 */
export function mergeAuthorizedKeys(existing: string, incoming: readonly string[]): string {
  const lines = existing === '' ? [] : existing.replace(/\n$/, '').split('\n');
  const lineOf = (id: string) => lines.findIndex((line) => keyIdentity(line) === id);
  const wanted: { id: string; line: string }[] = [];
  for (const line of incoming) {
    const id = keyIdentity(line);
    if (id && !wanted.some((each) => each.id === id)) wanted.push({ id, line: line.trim() });
  }
  let added = false;
  wanted.forEach(({ id, line }, index) => {
    if (lineOf(id) !== -1) return;
    const before = wanted
      .slice(0, index)
      .reverse()
      .map((each) => lineOf(each.id));
    const after = wanted.slice(index + 1).map((each) => lineOf(each.id));
    const previous = before.find((at) => at !== -1);
    const next = after.find((at) => at !== -1);
    lines.splice(previous !== undefined ? previous + 1 : (next ?? lines.length), 0, line);
    added = true;
  });
  return added ? `${lines.join('\n')}\n` : existing;
}

/**
 * The file without the lines holding any of `keys` (compared by type and key, whatever the options
 * or comment): only what the wizard knows it added. Unchanged (the same string) when none is there.
 */
export function removeAuthorizedKeys(existing: string, keys: readonly string[]): string {
  const gone = new Set(keys.flatMap((line) => keyIdentity(line) ?? []));
  if (gone.size === 0 || existing === '') return existing;
  const lines = existing.split('\n');
  const kept = lines.filter((line) => {
    const id = keyIdentity(line);
    return id === undefined || !gone.has(id);
  });
  return kept.length === lines.length ? existing : kept.join('\n');
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
