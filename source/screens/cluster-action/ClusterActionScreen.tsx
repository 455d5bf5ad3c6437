import { Box, Static, Text } from 'ink';
import { useStore } from 'zustand';
import type { ActionRow, ActionStore } from '../../store/action-store.js';
import { formatSeconds, spinnerFrame } from '../run/run-cells.js';
import useClock from '../run/use-clock.js';
import useKeys from '../use-keys.js';

/** Rows not started yet, shown one by one up to this many; more are one line. */
const waitingRowsShown = 6;

const ended: Record<string, { icon: string; color: 'green' | 'red' | 'gray' }> = {
  ok: { icon: '✓', color: 'green' },
  failed: { icon: '✗', color: 'red' },
  skipped: { icon: '–', color: 'gray' },
};

/**
 * exec, shutdown and reboot as they run: the title, then a row per node that ended (kept in the
 * scrollback as they end), a live row per node at work (a spinner, its time, what it does), and
 * the nodes waiting their turn. Ctrl+C stops (a second quits at once).
 */
export function ClusterActionScreen({
  store,
  isActive,
  onForceQuit,
}: {
  store: ActionStore;
  isActive: boolean;
  /** Ctrl+C a second time while stopping: end now. */
  onForceQuit: () => void;
}) {
  const view = useStore(store, (state) => state.view);
  const now = useClock(!view.done);
  useKeys(
    (input, key) => {
      if (!(key.ctrl && input === 'c')) return;
      if (view.stopping) onForceQuit();
      else store.getState().stop();
    },
    { isActive },
  );
  const width = Math.max(...view.nodes.map((node) => node.length), 6) + 2;
  const items = ['', ...view.ended];
  const live = view.nodes.filter((node) => {
    const row = view.rows[node];
    return row !== undefined && !view.ended.includes(node) && row.state !== 'waiting';
  });
  const waiting = view.nodes.filter((node) => view.rows[node]?.state === 'waiting');
  const notStarted = waiting.filter((node) => view.rows[node]?.activity === '');
  const collapsed = notStarted.length > waitingRowsShown;
  const waitingRows = collapsed ? waiting.filter((node) => !notStarted.includes(node)) : waiting;
  return (
    <Box flexDirection="column">
      <Static items={items}>
        {(node) =>
          node === '' ? (
            <Text key="title" bold>
              {view.title}
            </Text>
          ) : (
            <EndedRow key={node} node={node} row={view.rows[node]} width={width} />
          )
        }
      </Static>
      {live.map((node) => (
        <LiveRow key={node} node={node} row={view.rows[node]} width={width} now={now} />
      ))}
      {waitingRows.map((node) => (
        <Text key={node} dimColor>
          {`· ${node.padEnd(width)}${' '.repeat(8)}${view.rows[node]?.activity || 'waiting'}`}
        </Text>
      ))}
      {collapsed ? (
        <Text dimColor>
          {`· ${notStarted.length} waiting their turn: ${notStarted.slice(0, 3).join(', ')}, …`}
        </Text>
      ) : null}
      {view.done ? null : (
        <Box marginTop={1}>
          <Text dimColor>
            {view.stopping
              ? 'Stopping: what runs on the nodes is being stopped · Ctrl+C again quits at once'
              : 'Ctrl+C stop'}
          </Text>
        </Box>
      )}
    </Box>
  );
}

function EndedRow({ node, row, width }: { node: string; row?: ActionRow; width: number }) {
  const look = ended[row?.state ?? 'failed'] ?? ended.failed!;
  const [first = '', ...rest] = (row?.summary ?? '').split('\n');
  const took = formatSeconds(row?.elapsedMs ?? 0);
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={look.color}>{look.icon}</Text>
        {` ${node.padEnd(width)}${took.padEnd(8)}`}
        <Text {...(row?.state === 'failed' ? { color: 'red' } : {})}>{first}</Text>
      </Text>
      {rest.map((line) => (
        <Text key={line} dimColor>
          {`${' '.repeat(width + 10)}${line}`}
        </Text>
      ))}
    </Box>
  );
}

function LiveRow({
  node,
  row,
  width,
  now,
}: {
  node: string;
  row?: ActionRow;
  width: number;
  now: number;
}) {
  if (row?.state === 'retrying') {
    const wait = Math.ceil(Math.max(0, (row.retryAt ?? now) - now) / 1000);
    return (
      <Text color="yellow" wrap="truncate-end">
        {`↻ ${node.padEnd(width)}${`${row.attempt}/${row.maxAttempts} in ${wait}s`.padEnd(12)}${row.activity}`}
      </Text>
    );
  }
  const took = formatSeconds(Math.max(0, now - (row?.startedAt ?? now)));
  return (
    <Text wrap="truncate-end">
      <Text color="cyan">{spinnerFrame(now)}</Text>
      {` ${node.padEnd(width)}${took.padEnd(8)}${row?.activity ?? ''}`}
    </Text>
  );
}
