import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import { KeyHints } from '../KeyHints.js';
import type { ScreenProps } from '../screen-props.js';
import useWelcomeScreen from './use-welcome-screen.js';

// Short lines: a Pi's console or an SSH window is often 80×24.
const whatHappens = [
  'its row in the lookup table: Pi number, static IP address, hostname',
  'that static IP address and hostname (master, worker1, worker2, …)',
  'an /etc/hosts that lists every Pi of the cluster',
  'its own SSH key; then every Pi logs in to every other without a password',
];

const beforeYouStart = [
  'Run this on the Pi that will be the master (e.g. after ssh <user>@<master>).',
  'SSH is enabled on every worker (e.g. in Raspberry Pi Imager).',
  'Every Pi has the same login user and password.',
  'All Pis are on and connected to the same switch or LAN.',
];

export function WelcomeScreen({ store, isActive }: ScreenProps) {
  const { items, onSelect, sessionNotice } = useWelcomeScreen(store);
  return (
    <Box flexDirection="column">
      <Text bold>What each Pi gets, following the guide:</Text>
      {whatHappens.map((line) => (
        <Text key={line}> • {line}</Text>
      ))}
      <Text dimColor>
        {' '}
        (Every change keeps a backup; --dry-run shows the plan first and changes nothing.)
      </Text>
      <Box marginTop={1} flexDirection="column">
        <Text bold>Before you start:</Text>
        {beforeYouStart.map((line) => (
          <Text key={line}> • {line}</Text>
        ))}
      </Box>
      {sessionNotice ? (
        <Box marginTop={1}>
          <Text color="yellow">{sessionNotice}</Text>
        </Box>
      ) : null}
      <Box marginTop={1}>
        <SelectInput items={items} onSelect={onSelect} isFocused={isActive} />
      </Box>
      <KeyHints
        hints={[
          ['↑/↓', 'choose'],
          ['Enter', 'select'],
        ]}
      />
    </Box>
  );
}
