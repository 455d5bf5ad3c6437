import { Box, Text, useStdout } from 'ink';
import SelectInput from 'ink-select-input';
import { useStore } from 'zustand';
import { KeyHints } from '../../app/KeyHints.js';
import type { ScreenProps } from '../screen-props.js';
import useConfirmScreen, { type ConfirmChoice } from './use-confirm-screen.js';

export function ConfirmScreen({ store, isActive }: ScreenProps) {
  const rows = useStore(store, (state) => state.rows);
  const settings = useStore(store, (state) => state.settings);
  const dryRun = useStore(store, (state) => state.dryRun);
  const { onSelect } = useConfirmScreen(store, isActive);
  // Everything else on this screen takes about 17 lines.
  const maxRowsListed = Math.min(8, Math.max(2, (useStdout().stdout.rows ?? 24) - 17));
  const prefix = settings.subnet.split('/')[1] ?? '24';
  const items: Array<{ label: string; value: ConfirmChoice }> = [
    { label: dryRun ? 'Start (dry run)' : 'Start', value: 'start' },
    { label: 'Back to the table', value: 'back' },
  ];
  return (
    <Box flexDirection="column">
      <Text
        bold
      >{`What will be done on ${rows.length} ${rows.length === 1 ? 'Pi' : 'Pis'}, logging in as ${settings.user}:`}</Text>
      {rows.slice(0, maxRowsListed).map((row) => (
        <Text key={row.index}>
          {`  Pi ${row.index}: reached at ${row.reachAt}, becomes ${row.hostname} with static IP ${row.address}/${prefix} on ${row.interfaceName}`}
        </Text>
      ))}
      {rows.length > maxRowsListed ? (
        <Text>{`  … and ${rows.length - maxRowsListed} more, as in the table`}</Text>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        <Text>{`On every Pi: the static IP (gateway ${settings.gateway}, DNS ${settings.dns.join(', ')}), its hostname,`}</Text>
        <Text>{`/etc/hosts listing all ${rows.length} names, its own SSH key; then every Pi's key is`}</Text>
        <Text>authorized on every other and each login is tried.</Text>
      </Box>
      <Box marginTop={1}>
        <Text color="yellow">
          This version stops here: running the steps on the Pis comes in a later version.
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
