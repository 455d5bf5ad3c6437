// The columns of a section's table, one row per node: the steps' states, and where the guide has
// more to show, the drawing itself: host keys first seen (Network), each public key travelling into
// the master's authorized_keys and that file travelling back out (Keys), the N×N login matrix
// (Verify). Pure: a column is a title, a width and a function from a node to its text.

import type { GuideSection, StepId } from '../../steps/step.js';
import type { NodeCell, RunView } from '../../store/run-view.js';
import { shortFingerprint } from '../short-fingerprint.js';
import { type CellText, cellText, formatSeconds, sectionElapsed } from './run-cells.js';

export interface Column {
  /** Unique within a table. */
  id: string;
  title: string;
  width: number;
  cell: (node: string, index: number) => CellText;
}

const stepWidth = 13;
const arrowLength = 7;
const ended = (cell: NodeCell | undefined) =>
  cell !== undefined && (cell.state === 'ok' || cell.state === 'changed');

/** An arrow that grows while its work runs, so a travelling key is visible between frames. */
const travelling = (now: number) => {
  const length = 1 + (Math.floor(now / 150) % arrowLength);
  return `${'━'.repeat(length)}▶${' '.repeat(arrowLength - length)}`;
};
const arrived = `${'━'.repeat(arrowLength)}▶`;

export function sectionColumns(
  view: RunView,
  section: GuideSection,
  steps: readonly StepId[],
  now: number,
  availableWidth: number,
): Column[] {
  const master = view.nodes[0] ?? '';
  const cellOf = (step: StepId, node: string) => view.cells[step]?.[node];
  const stepColumn = (step: StepId): Column => ({
    id: step,
    title: step,
    width: stepWidth,
    cell: (node) => cellText(cellOf(step, node), now, view.dryRun),
  });
  const nameWidth = Math.min(18, Math.max(10, ...view.nodes.map((node) => node.length + 2)));
  const lead: Column[] = [
    { id: 'pi', title: 'Pi', width: 4, cell: (_, index) => ({ text: String(index) }) },
    { id: 'name', title: 'hostname', width: nameWidth, cell: (node) => ({ text: node }) },
  ];
  const time: Column = {
    id: 'time',
    title: 'time',
    width: 8,
    cell: (node) => {
      const cells = steps.map((step) => cellOf(step, node));
      if (cells.every((cell) => cell === undefined || cell.state === 'waiting'))
        return { text: '' };
      return { text: formatSeconds(sectionElapsed(cells, now)), dim: true };
    },
  };
  const middle: Column[] = [];
  for (const step of steps) {
    if (section === 'Keys' && step === 'keys') middle.push(keyPairColumn(view, now));
    else if (section === 'Keys' && step === 'fan-in') middle.push(fanInColumn(view, master, now));
    else if (section === 'Keys' && step === 'fan-out') middle.push(fanOutColumn(view, master, now));
    else middle.push(stepColumn(step));
  }
  if (section === 'Network' && view.newHostKeys.length > 0) {
    middle.push({
      id: 'host-key',
      title: 'new host key',
      width: 18,
      cell: (node) => {
        const key = view.newHostKeys.find((each) => each.node === node);
        return key
          ? { text: shortFingerprint(key.fingerprint, 16), color: 'yellow' }
          : { text: '' };
      },
    });
  }
  const columns = [...lead, ...middle];
  if (section === 'Verify' && steps.includes('verify')) {
    const used = [...columns, time].reduce((sum, column) => sum + column.width, 0);
    columns.push(...loginMatrixColumns(view, availableWidth - used));
  }
  return [...columns, time];
}

function keyPairColumn(view: RunView, now: number): Column {
  return {
    id: 'keys',
    title: 'key pair (ed25519)',
    width: 22,
    cell: (node) => {
      const cell = view.cells.keys?.[node];
      const key = view.publicKeys[node];
      if (!key || !ended(cell)) return cellText(cell, now, view.dryRun);
      return {
        text: `${cell?.state === 'changed' ? '●' : '✓'} ${shortFingerprint(key.fingerprint, 18)}`,
        color: 'green',
      };
    },
  };
}

function fanInColumn(view: RunView, master: string, now: number): Column {
  return {
    id: 'fan-in',
    title: 'fan-in → master',
    width: 18,
    cell: (node) => {
      const merge = view.cells['fan-in']?.[master];
      if (node === master) {
        const text = cellText(merge, now, view.dryRun);
        if (!ended(merge)) return text;
        return {
          ...text,
          text: `${text.text.slice(0, 2)}${Object.keys(view.publicKeys).length} keys in`,
        };
      }
      if (!view.publicKeys[node]) return { text: '· no key yet', dim: true };
      if (ended(merge)) return { text: `${arrived} ✓`, color: 'green' };
      if (merge?.state === 'failed') return { text: `${arrived} ✗`, color: 'red' };
      if (merge?.state === 'running' || merge?.state === 'retrying')
        return { text: travelling(now), color: 'cyan' };
      return { text: '╌ key ready', color: 'yellow' };
    },
  };
}

function fanOutColumn(view: RunView, master: string, now: number): Column {
  return {
    id: 'fan-out',
    title: 'fan-out ← master',
    width: 18,
    cell: (node) => {
      if (node === master) {
        const merge = view.cells['fan-in']?.[master];
        return ended(merge) ? { text: 'sends its file', dim: true } : { text: '' };
      }
      const cell = view.cells['fan-out']?.[node];
      if (!cell || cell.state === 'waiting') return { text: '·', dim: true };
      if (cell.state === 'running') return { text: travelling(now), color: 'cyan' };
      if (ended(cell))
        return { text: `${arrived} ${cell.state === 'changed' ? '●' : '✓'}`, color: 'green' };
      return cellText(cell, now, view.dryRun);
    },
  };
}

/** One narrow column per target node: ✓ logged in by name without a password, ✗ not, · not yet. */
function loginMatrixColumns(view: RunView, width: number): Column[] {
  const count = view.nodes.length;
  if (count < 2) return [];
  const tried = (node: string) => view.logins[node];
  if (count * 3 + 2 > width) {
    // Too many nodes for a grid on this terminal: one count per row instead.
    return [
      {
        id: 'logins',
        title: 'logs into',
        width: 12,
        cell: (node) => {
          const logins = tried(node);
          if (!logins) return { text: '·', dim: true };
          const ok = logins.filter((each) => each.ok).length;
          return { text: `${ok}/${logins.length}`, color: ok === logins.length ? 'green' : 'red' };
        },
      },
    ];
  }
  return [
    { id: 'to', title: ' to:', width: 5, cell: () => ({ text: '' }) },
    ...view.nodes.map(
      (target, targetIndex): Column => ({
        id: `to-${target}`,
        title: String(targetIndex),
        width: 3,
        cell: (node) => {
          if (node === target) return { text: '╲', dim: true };
          const login = tried(node)?.find((each) => each.to === target);
          if (!login) return { text: '·', dim: true };
          return login.ok ? { text: '✓', color: 'green' } : { text: '✗', color: 'red' };
        },
      }),
    ),
  ];
}
