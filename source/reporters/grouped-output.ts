// exec's outputs as `clush -b` gathers them: the nodes that printed exactly the same thing under
// one header naming them (folded, `master,worker[1-3,5] (5)`), then that output once. Pure.

export interface OutputGroup {
  /** The nodes that printed exactly this, in the table's order. */
  nodes: string[];
  /** The nodes folded, with their count: `master,worker[1-2] (3)`. */
  header: string;
  /** What they printed: standard output, then standard error. */
  output: string;
}

/**
 * Folds names ending in a number into ranges, as ClusterShell's node sets do: `worker1`,
 * `worker2`, `worker3`, `worker5` → `worker[1-3,5]`; a name alone in its prefix stays as it is,
 * and a leading zero stays in the prefix (`node0[1-2]`). Prefixes come in the order they first
 * appear.
 */
export function foldNodeNames(names: readonly string[]): string {
  const prefixes = new Map<string, number[]>();
  const parts: Array<string | { prefix: string }> = [];
  for (const name of names) {
    const match = /^(.*?)(0|[1-9][0-9]*)$/.exec(name);
    if (!match || match[1] === undefined || match[2] === undefined) {
      parts.push(name);
      continue;
    }
    const prefix = match[1];
    const numbers = prefixes.get(prefix);
    if (numbers) numbers.push(Number(match[2]));
    else {
      prefixes.set(prefix, [Number(match[2])]);
      parts.push({ prefix });
    }
  }
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const numbers = [...new Set(prefixes.get(part.prefix) ?? [])].sort((a, b) => a - b);
      if (numbers.length === 1) return `${part.prefix}${numbers[0]}`;
      return `${part.prefix}[${ranges(numbers).join(',')}]`;
    })
    .join(',');
}

/** Sorted whole numbers as ranges: 1 2 3 5 → 1-3, 5. */
function ranges(numbers: readonly number[]): string[] {
  const found: string[] = [];
  for (let first = 0; first < numbers.length; ) {
    let last = first;
    while (last + 1 < numbers.length && numbers[last + 1] === (numbers[last] ?? 0) + 1) last += 1;
    found.push(first === last ? `${numbers[first]}` : `${numbers[first]}-${numbers[last]}`);
    first = last + 1;
  }
  return found;
}

/**
 * The nodes grouped by what they printed (standard output, then standard error), the groups in the
 * order of their first node. Nodes that printed nothing are left out, as clush leaves them out.
 */
export function groupOutputs(
  results: ReadonlyArray<{ node: string; stdout: string; stderr: string }>,
): OutputGroup[] {
  // Keyed by both streams: the same words on standard error are not the same output.
  const groups = new Map<string, { nodes: string[]; output: string }>();
  for (const { node, stdout, stderr } of results) {
    if (stdout === '' && stderr === '') continue;
    const key = JSON.stringify([stdout, stderr]);
    const group = groups.get(key);
    const between = stdout !== '' && stderr !== '' && !stdout.endsWith('\n') ? '\n' : '';
    if (group) group.nodes.push(node);
    else groups.set(key, { nodes: [node], output: `${stdout}${between}${stderr}` });
  }
  return [...groups.values()].map(({ nodes, output }) => ({
    nodes,
    header: `${foldNodeNames(nodes)} (${nodes.length})`,
    output,
  }));
}

/** The groups as clush -b prints them: a header between two rules, then the output. */
export function groupedOutputLines(groups: readonly OutputGroup[]): string[] {
  return groups.flatMap((group) => {
    const rule = '-'.repeat(Math.min(Math.max(group.header.length, 15), 72));
    return [rule, group.header, rule, ...group.output.replace(/\n$/, '').split('\n')];
  });
}
