import { Box, Text } from 'ink';
import {
  clonedCardsAdvice,
  clonedGroups,
  describeMachineNotes,
  progressBar,
  rowOfAddress,
} from '../../discovery/discovery-report.js';
import { operatingSystemHint } from '../../discovery/ssh-probe.js';
import { KeyHints } from '../KeyHints.js';
import type { ScreenProps } from '../screen-props.js';
import { shortFingerprint } from '../short-fingerprint.js';
import { TextField } from '../text-field/TextField.js';
import type { DiscoveryWork } from './discovery-work.js';
import useDiscovery from './use-discovery.js';

const columnWidths: Record<string, number> = {
  Address: 17,
  'Host key': 23,
  System: 30,
  Row: 11,
  Notes: 17,
};

export function DiscoveryScreen({
  store,
  discovery,
  isActive,
  onClose,
}: ScreenProps & { discovery: DiscoveryWork; onClose: () => void }) {
  const { state, rows } = useDiscovery(store, discovery, isActive, onClose);
  const hostnameOf = (address: string) => {
    const index = rowOfAddress(state.assignment, address);
    return rows.find((row) => row.index === index)?.hostname;
  };
  const clones = clonedGroups(state.machines);
  const { identify } = state;
  const hints: ReadonlyArray<readonly [string, string]> =
    identify?.status === 'asking-password'
      ? [
          ['Enter', 'log in and blink'],
          ['Esc', 'cancel'],
        ]
      : identify?.status === 'blinking'
        ? [['Esc', 'stop blinking']]
        : state.phase === 'choose-subnet'
          ? [
              ['Enter', 'scan'],
              ['Esc', 'back to the table'],
            ]
          : state.phase === 'scanning'
            ? [['Esc', 'stop the scan']]
            : [
                ['↑/↓', 'machine'],
                ['←/→', 'its row'],
                ['a', 'suggested order'],
                ['i', 'identify (blink LED)'],
                ['Enter', 'save to the table'],
                ['r', 'scan again'],
                ['s', 'subnet'],
                ['Esc', 'back'],
              ];
  return (
    <Box flexDirection="column">
      <Text>Find the Pis: machines answering SSH. Scanning sends no password.</Text>
      <Box marginTop={1}>
        <Box width={17}>
          <Text bold={state.phase === 'choose-subnet'}>Subnet to scan</Text>
        </Box>
        <TextField
          value={state.subnet.value}
          cursor={state.subnet.cursor}
          focused={isActive && state.phase === 'choose-subnet' && !identify}
        />
      </Box>
      {state.problem ? <Text color="red">{`✗ ${state.problem}`}</Text> : null}
      {state.phase !== 'choose-subnet' || state.scanNumber > 0 ? (
        <Text>
          {`${progressBar(state.probed, state.addresses.length)} · ${state.found} found${
            state.phase === 'scanning'
              ? ''
              : state.stopped
                ? ' · stopped'
                : ` · done in ${(state.durationMs / 1000).toFixed(1)} s`
          }`}
        </Text>
      ) : null}
      {state.phase === 'scanned' ? (
        state.machines.length === 0 ? (
          <Text color="yellow">
            No machine answers SSH here. Check that the Pis are powered, on this network, and have
            SSH enabled.
          </Text>
        ) : (
          <Box flexDirection="column" marginTop={1}>
            <Box>
              <Text>{'  '}</Text>
              {Object.entries(columnWidths).map(([title, width]) => (
                <Box key={title} width={width} paddingRight={1}>
                  <Text bold underline>
                    {title}
                  </Text>
                </Box>
              ))}
            </Box>
            {state.machines.map((machine, position) => {
              const selected = position === state.selected;
              const cells = [
                { title: 'Address', text: machine.address },
                { title: 'Host key', text: shortFingerprint(machine.fingerprint, 21) },
                { title: 'System', text: operatingSystemHint(machine.banner) },
                { title: 'Row', text: hostnameOf(machine.address) ?? '—' },
                { title: 'Notes', text: describeMachineNotes(machine, rows).join('; ') },
              ];
              return (
                <Box key={machine.address}>
                  <Text color={selected ? 'cyan' : undefined}>{selected ? '› ' : '  '}</Text>
                  {cells.map((cell) => (
                    <Box key={cell.title} width={columnWidths[cell.title]} paddingRight={1}>
                      <Text
                        wrap="truncate-end"
                        inverse={selected && cell.title === 'Row'}
                        color={
                          machine.clonedWith.length > 0 && cell.title === 'Host key'
                            ? 'red'
                            : undefined
                        }
                      >
                        {cell.text}
                      </Text>
                    </Box>
                  ))}
                </Box>
              );
            })}
          </Box>
        )
      ) : null}
      {clones.length > 0 ? <Text color="red">{`⚠ ${clonedCardsAdvice(clones)}`}</Text> : null}
      {identify ? (
        <Box flexDirection="column" marginTop={1}>
          {identify.status === 'asking-password' ? (
            <Box>
              <Text>{`Password of ${store.getState().settings.user} for ${identify.node} (kept in memory only): `}</Text>
              <TextField
                value={'•'.repeat(identify.passwordDraft.length)}
                cursor={identify.passwordDraft.length}
                focused={isActive}
              />
            </Box>
          ) : (
            <Text
              color={
                identify.status === 'failed'
                  ? 'red'
                  : identify.status === 'done'
                    ? 'green'
                    : undefined
              }
            >
              {identify.message}
            </Text>
          )}
        </Box>
      ) : null}
      <KeyHints hints={hints} />
    </Box>
  );
}
