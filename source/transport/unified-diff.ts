/**
 * A small unified diff (the `diff -u` format) so a plan can show exactly what a file edit would
 * change before anything is written.
 */

export interface UnifiedDiffOptions {
  oldLabel?: string;
  newLabel?: string;
  context?: number;
}

type Operation = { kind: ' ' | '-' | '+'; line: string };

/** Beyond this many line pairs the diff shows the whole file replaced instead of a minimal one. */
const MAX_LCS_CELLS = 4_000_000;

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function editScript(oldLines: string[], newLines: string[]): Operation[] {
  // Trim the common head and tail so the table only covers what differs.
  let head = 0;
  while (head < oldLines.length && head < newLines.length && oldLines[head] === newLines[head]) {
    head += 1;
  }
  let tail = 0;
  while (
    tail < oldLines.length - head &&
    tail < newLines.length - head &&
    oldLines[oldLines.length - 1 - tail] === newLines[newLines.length - 1 - tail]
  ) {
    tail += 1;
  }
  const a = oldLines.slice(head, oldLines.length - tail);
  const b = newLines.slice(head, newLines.length - tail);
  const middle: Operation[] = [];
  if (a.length * b.length > MAX_LCS_CELLS) {
    for (const line of a) middle.push({ kind: '-', line });
    for (const line of b) middle.push({ kind: '+', line });
  } else {
    // lcs[i][j] = length of the longest common subsequence of a[i..] and b[j..].
    const width = b.length + 1;
    const lcs = new Uint32Array((a.length + 1) * width);
    for (let i = a.length - 1; i >= 0; i -= 1) {
      for (let j = b.length - 1; j >= 0; j -= 1) {
        lcs[i * width + j] =
          a[i] === b[j]
            ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1
            : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0);
      }
    }
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) {
        middle.push({ kind: ' ', line: a[i] ?? '' });
        i += 1;
        j += 1;
      } else if (
        i < a.length &&
        (j >= b.length || (lcs[(i + 1) * width + j] ?? 0) >= (lcs[i * width + j + 1] ?? 0))
      ) {
        middle.push({ kind: '-', line: a[i] ?? '' });
        i += 1;
      } else {
        middle.push({ kind: '+', line: b[j] ?? '' });
        j += 1;
      }
    }
  }
  return [
    ...oldLines.slice(0, head).map((line): Operation => ({ kind: ' ', line })),
    ...middle,
    ...oldLines.slice(oldLines.length - tail).map((line): Operation => ({ kind: ' ', line })),
  ];
}

function range(start: number, count: number): string {
  // diff -u writes an empty range as the line before it, and leaves out a count of 1.
  if (count === 0) return `${start - 1},0`;
  if (count === 1) return `${start}`;
  return `${start},${count}`;
}

function renderLine(operation: Operation): string {
  if (operation.line.endsWith('\n')) {
    return `${operation.kind}${operation.line}`;
  }
  return `${operation.kind}${operation.line}\n\\ No newline at end of file\n`;
}

/** Returns the unified diff from `oldText` to `newText`, or '' when they are equal. */
export function unifiedDiff(
  oldText: string,
  newText: string,
  options: UnifiedDiffOptions = {},
): string {
  if (oldText === newText) return '';
  const context = options.context ?? 3;
  const operations = editScript(splitLines(oldText), splitLines(newText));

  // Find the changed stretches, then widen each by the context and merge the ones that touch.
  const hunks: Array<{ from: number; to: number }> = [];
  operations.forEach((operation, index) => {
    if (operation.kind === ' ') return;
    const from = Math.max(0, index - context);
    const to = Math.min(operations.length, index + context + 1);
    const last = hunks.at(-1);
    if (last && from <= last.to) {
      last.to = Math.max(last.to, to);
    } else {
      hunks.push({ from, to });
    }
  });

  let output = `--- ${options.oldLabel ?? 'a'}\n+++ ${options.newLabel ?? 'b'}\n`;
  let oldLine = 1;
  let newLine = 1;
  let position = 0;
  for (const hunk of hunks) {
    for (; position < hunk.from; position += 1) {
      const operation = operations[position];
      if (operation?.kind !== '+') oldLine += 1;
      if (operation?.kind !== '-') newLine += 1;
    }
    const slice = operations.slice(hunk.from, hunk.to);
    const oldCount = slice.filter((operation) => operation.kind !== '+').length;
    const newCount = slice.filter((operation) => operation.kind !== '-').length;
    output += `@@ -${range(oldLine, oldCount)} +${range(newLine, newCount)} @@\n`;
    output += slice.map(renderLine).join('');
    oldLine += oldCount;
    newLine += newCount;
    position = hunk.to;
  }
  return output;
}
