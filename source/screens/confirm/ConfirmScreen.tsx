import { Box, Text, useStdout } from 'ink';
import SelectInput from 'ink-select-input';
import { useStore } from 'zustand';
import type { NodeRow } from '../../plan/plan-cluster.js';
import { KeyHints } from '../KeyHints.js';
import type { ScreenProps } from '../screen-props.js';
import useConfirmScreen, { type ConfirmChoice } from './use-confirm-screen.js';

/** Everything on this screen but the listed rows, with a line to spare. */
const otherLines = 18;

export function ConfirmScreen({ store, isActive }: ScreenProps) {
  const rows = useStore(store, (state) => state.rows);
  const settings = useStore(store, (state) => state.settings);
  const dryRun = useStore(store, (state) => state.dryRun);
  const { onSelect } = useConfirmScreen(store, isActive);
  const terminalRows = useStdout().stdout.rows ?? 24;
  const listed =
    rows.length <= terminalRows - otherLines ? rows.length : terminalRows - otherLines - 1;
  const shown = rows.slice(0, Math.max(2, listed));
  const prefixLength = settings.subnet.split('/')[1] ?? '24';
  const columns = [
    { title: 'Pi', width: 4, cell: (row: NodeRow) => String(row.index) },
    { title: 'Becomes', width: 22, cell: (row: NodeRow) => row.hostname },
    {
      title: `Static IP on ${settings.interfaceName}`,
      width: 21,
      cell: (row: NodeRow) => `${row.address}/${prefixLength}`,
    },
    { title: 'Reached now at', width: 17, cell: (row: NodeRow) => row.reachAt },
  ];
  const items: Array<{ label: string; value: ConfirmChoice }> = [
    { label: dryRun ? 'Start (dry run)' : 'Start', value: 'start' },
    { label: 'Back to the table', value: 'back' },
  ];
  const count = `${rows.length} ${rows.length === 1 ? 'Pi' : 'Pis'}`;
  return (
    <Box flexDirection="column">
      <Text bold>{`What will be done on ${count}, logging in as ${settings.user}:`}</Text>
      <Box>
        <Text>{'  '}</Text>
        {columns.map((column) => (
          <Box key={column.title} width={column.width}>
            <Text underline>{column.title}</Text>
          </Box>
        ))}
      </Box>
      {shown.map((row) => (
        <Box key={row.index}>
          <Text>{'  '}</Text>
          {columns.map((column) => (
            <Box key={column.title} width={column.width}>
              <Text wrap="truncate-end">{column.cell(row)}</Text>
            </Box>
          ))}
        </Box>
      ))}
      {rows.length > shown.length ? (
        <Text>{`  … and ${rows.length - shown.length} more, as in the table`}</Text>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        <Text>{`On every Pi: the static IP (gateway ${settings.gateway}, DNS ${settings.dns.join(', ')}),`}</Text>
        <Text>{`its hostname, /etc/hosts listing all ${count}, its own SSH key; then every`}</Text>
        <Text>Pi's key is authorized on every other and each login is tried.</Text>
      </Box>
      <Box marginTop={1}>
        <Text color="yellow">
          {dryRun
            ? 'Start shows the plan of every step on every Pi and changes nothing.'
            : 'Start asks for the password, then runs the steps in this terminal, every Pi at once.'}
        </Text>
      </Box>
      <Box marginTop={1}>
        <SelectInput items={items} onSelect={onSelect} isFocused={isActive} />
      </Box>
      <KeyHints
        hints={[
          ['↑/↓', 'choose'],
          ['Enter', 'select'],
          ['Esc', 'back to the table'],
        ]}
      />
    </Box>
  );
}
