/**
 * The one managed-block editor: the text between `# BEGIN pi-cluster-wizard <id>` and
 * `# END pi-cluster-wizard <id>` belongs to the wizard, everything else in the file to the person.
 */

const VALID_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/;

export interface ManagedBlockMarkers {
  begin: string;
  end: string;
}

/** Whether a line opens or closes any of the wizard's blocks, whatever its id. */
export function managedBlockBoundary(line: string): 'begin' | 'end' | undefined {
  if (line.startsWith('# BEGIN pi-cluster-wizard ')) return 'begin';
  if (line.startsWith('# END pi-cluster-wizard ')) return 'end';
  return undefined;
}

export function managedBlockMarkers(id: string): ManagedBlockMarkers {
  if (!VALID_ID.test(id)) {
    throw new Error(
      `A managed block id must be letters, digits and . _ : @ / - only, got ${JSON.stringify(id)}.`,
    );
  }
  return { begin: `# BEGIN pi-cluster-wizard ${id}`, end: `# END pi-cluster-wizard ${id}` };
}

export interface ManagedBlockEdit {
  text: string;
  changed: boolean;
}

/** Splits text into lines that keep their `\n`, so joining them gives the text back exactly. */
function splitKeepingNewlines(text: string): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g);
  return lines ?? [];
}

function withoutNewline(line: string): string {
  return line.replace(/\r?\n$/, '').trimEnd();
}

/**
 * Puts `content` between the markers of block `id` (replacing what was there, or appending the
 * block at the end), or removes the block when `content` is null. Text outside the markers is kept
 * byte for byte. Refuses files whose markers are broken rather than guessing.
 */
export function applyManagedBlock(
  original: string,
  id: string,
  content: string | null,
): ManagedBlockEdit {
  const { begin, end } = managedBlockMarkers(id);
  const lines = splitKeepingNewlines(original);
  const beginIndexes: number[] = [];
  const endIndexes: number[] = [];
  lines.forEach((line, index) => {
    const bare = withoutNewline(line);
    if (bare === begin) beginIndexes.push(index);
    if (bare === end) endIndexes.push(index);
  });
  if (beginIndexes.length > 1 || endIndexes.length > 1) {
    throw new Error(`The file has the block "${id}" more than once; fix it by hand first.`);
  }
  const beginIndex = beginIndexes[0];
  const endIndex = endIndexes[0];
  if ((beginIndex === undefined) !== (endIndex === undefined)) {
    throw new Error(
      `The file has only one of the markers of the block "${id}"; fix it by hand first.`,
    );
  }
  if (beginIndex !== undefined && endIndex !== undefined && endIndex < beginIndex) {
    throw new Error(
      `The markers of the block "${id}" are in the wrong order; fix it by hand first.`,
    );
  }

  let block = '';
  if (content !== null) {
    const body = content.replace(/\n+$/, '');
    for (const line of body.split('\n')) {
      const bare = line.trimEnd();
      if (bare === begin || bare === end) {
        throw new Error(`The content of the block "${id}" cannot contain its own markers.`);
      }
    }
    block = body === '' ? `${begin}\n${end}\n` : `${begin}\n${body}\n${end}\n`;
  }

  let text: string;
  if (beginIndex !== undefined && endIndex !== undefined) {
    const before = lines.slice(0, beginIndex).join('');
    const after = lines.slice(endIndex + 1).join('');
    // Keep the line break the end marker had when it was the file's last line without one.
    const endLine = lines[endIndex] ?? '';
    const trimmedBlock = endLine.endsWith('\n') || block === '' ? block : block.slice(0, -1);
    text = before + trimmedBlock + after;
  } else if (block === '') {
    text = original;
  } else {
    const separator = original === '' || original.endsWith('\n') ? '' : '\n';
    text = original + separator + block;
  }
  return { text, changed: text !== original };
}
