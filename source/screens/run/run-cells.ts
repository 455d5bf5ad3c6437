// How one node's state on one step reads on screen: an icon, a word or two and a colour. Pure.
import type { NodeCell } from '../../store/run-view.js';

export interface CellText {
  text: string;
  color?: 'green' | 'yellow' | 'red' | 'cyan' | 'gray';
  dim?: boolean;
}

const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export const spinnerFrame = (now: number) => spinner[Math.floor(now / 100) % spinner.length]!;

export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
}

export function cellText(cell: NodeCell | undefined, now: number, dryRun: boolean): CellText {
  if (!cell) return { text: '·', dim: true };
  switch (cell.state) {
    case 'waiting':
      return { text: '· waiting', dim: true };
    case 'running':
      return {
        text: `${spinnerFrame(now)} ${formatSeconds(Math.max(0, now - (cell.startedAt ?? now)))}${(cell.attempt ?? 1) > 1 ? ` ${cell.attempt}/${cell.maxAttempts}` : ''}`,
        color: 'cyan',
      };
    case 'retrying': {
      const wait = Math.max(0, (cell.retryAt ?? now) - now);
      return {
        text: `↻ ${(cell.attempt ?? 1) + 1}/${cell.maxAttempts} in ${Math.ceil(wait / 1000)}s`,
        color: 'yellow',
      };
    }
    case 'ok':
      return { text: '✓ ok', color: 'green' };
    case 'changed':
      return dryRun
        ? { text: '● to change', color: 'yellow' }
        : { text: '● changed', color: 'green' };
    case 'failed':
      return { text: '✗ failed', color: 'red' };
    case 'skipped':
      return { text: '– skipped', color: 'gray' };
  }
}

/** A node's time on a section so far: finished steps' times plus the running one's. */
export function sectionElapsed(cells: ReadonlyArray<NodeCell | undefined>, now: number): number {
  let total = 0;
  for (const cell of cells) {
    if (!cell) continue;
    if (cell.elapsedMs !== undefined && cell.state !== 'running' && cell.state !== 'retrying')
      total += cell.elapsedMs;
    else if (cell.startedAt !== undefined) total += Math.max(0, now - cell.startedAt);
  }
  return total;
}
