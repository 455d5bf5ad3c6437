// Where a saved run stands, in words for the welcome screen: which sections of the guide are done
// on how many Pis, whether the master has rebooted, what failed, and what comes next.
import type { NodeRow } from '../plan/plan-cluster.js';
import type { RunState } from '../session/saved-session.js';
import { guideStepIds } from '../steps/step.js';
import { sectionsOf } from './run-view.js';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

const listed = (items: readonly string[]) =>
  items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/** Undefined when no step has a result yet. */
export function describeRunProgress(
  rows: readonly NodeRow[],
  run: RunState | undefined,
): string | undefined {
  const results = run?.results ?? {};
  if (Object.keys(results).length === 0) return undefined;
  const done: string[] = [];
  let next: string | undefined;
  for (const { section, steps } of sectionsOf(guideStepIds)) {
    const statuses = steps.map((step) => Object.values(results[step] ?? {}));
    const finished =
      statuses.every((each) => each.length > 0) &&
      statuses.flat().every((status) => status === 'ok' || status === 'changed');
    if (finished && next === undefined) done.push(section);
    else next ??= section;
  }
  const failed = rows
    .map((row) => row.hostname)
    .filter((host) => Object.values(results).some((byNode) => byNode[host] === 'failed'));
  const parts = [
    ...(done.length > 0 ? [`${listed(done)} done on ${plural(rows.length, 'Pi')}`] : []),
    ...(run?.memory.masterBootIdBeforeReboot ? ['the master rebooted'] : []),
    ...(failed.length > 0 ? [`failed on ${listed(failed)}`] : []),
  ];
  const where = parts.length > 0 ? parts.join(', ') : 'started';
  return `${where}; next: ${next ?? 'a check that every step is still ok'}`;
}
