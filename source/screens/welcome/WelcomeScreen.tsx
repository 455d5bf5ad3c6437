import { Box, Text } from 'ink';
import SelectInput from 'ink-select-input';
import { KeyHints } from '../../app/KeyHints.js';
import type { ScreenProps } from '../screen-props.js';
import useWelcomeScreen from './use-welcome-screen.js';

const whatHappens = [
  'gets its row of the network lookup table: a Pi number, a static IP address and a hostname',
  'keeps that static IP address on its network interface',
  'gets its hostname (master, worker1, worker2, …)',
  'lists every Pi of the cluster in /etc/hosts',
  'gets its own SSH key; every Pi then logs in to every other without a password',
];

const beforeYouStart = [
  'Run this on the Pi that will be the master, in a terminal (e.g. after ssh <user>@<master>).',
  'SSH is enabled on every worker (e.g. in Raspberry Pi Imager: Services → Enable SSH).',
  'Every Pi has the same login user and password (e.g. set in Raspberry Pi Imager).',
  'All Pis are powered on and connected to the same network switch or LAN.',
];

export function WelcomeScreen({ store, isActive }: ScreenProps) {
  const { items, onSelect, sessionNotice } = useWelcomeScreen(store);
  return (
    <Box flexDirection="column">
      <Text bold>What happens to each Pi, following the guide:</Text>
      {whatHappens.map((line) => (
        <Text key={line}> • it {line}</Text>
      ))}
      <Text dimColor>
        {' '}
        This version plans and checks the table; running the steps on the Pis comes in a later
        version.
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
