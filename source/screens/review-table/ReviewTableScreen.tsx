import { Box, Text } from 'ink';
import type { NodeRow } from '../../plan/plan-cluster.js';
import { DiscoveryScreen } from '../discovery/DiscoveryScreen.js';
import type { DiscoveryWork } from '../discovery/discovery-work.js';
import { KeyHints } from '../KeyHints.js';
import type { ScreenProps } from '../screen-props.js';
import { TextField } from '../text-field/TextField.js';
import { type CardReplacement, editFields, maxIssuesShown } from './review-table-state.js';
import useReviewTable from './use-review-table.js';

const columns = [
  { title: 'Pi', width: 4, cell: (row: NodeRow) => String(row.index) },
  { title: 'Interface', width: 11, cell: (row: NodeRow) => row.interfaceName },
  { title: 'Static IP', width: 17, cell: (row: NodeRow) => row.address },
  { title: 'Hostname', width: 22, cell: (row: NodeRow) => row.hostname },
  { title: 'Reach it now at', width: 17, cell: (row: NodeRow) => row.reachAt },
];

export function ReviewTableScreen({
  store,
  discovery,
  isActive,
}: ScreenProps & { discovery: DiscoveryWork }) {
  const { state, shown, issues, window, closeDiscovery } = useReviewTable(
    store,
    discovery,
    isActive,
  );
  const removing =
    state.removing === undefined ? undefined : shown.find((row) => row.index === state.removing);
  if (state.discovering) {
    return (
      <DiscoveryScreen
        store={store}
        discovery={discovery}
        isActive={isActive}
        onClose={closeDiscovery}
      />
    );
  }
  const rowsWithIssues = new Set(issues.map((issue) => (issue.scope === 'row' ? issue.row : -1)));
  const { editing } = state;
  return (
    <Box flexDirection="column">
      <Text>The guide's lookup table. Edit a row if a Pi answers at another address now.</Text>
      <Box marginTop={1}>
        <Text>{'   '}</Text>
        {columns.map((column) => (
          <Box key={column.title} width={column.width}>
            <Text bold underline>
              {column.title}
            </Text>
          </Box>
        ))}
      </Box>
      {shown.slice(window.start, window.end).map((row, offset) => {
        const selected = window.start + offset === state.selected;
        const beingEdited = editing?.index === row.index;
        return (
          <Box key={row.index}>
            <Text color={selected ? 'cyan' : undefined}>{selected ? '›' : ' '}</Text>
            <Text color="red">{rowsWithIssues.has(row.index) ? '✗ ' : '  '}</Text>
            {columns.map((column) => (
              <Box key={column.title} width={column.width}>
                <Text
                  wrap="truncate-end"
                  inverse={selected && !editing}
                  color={beingEdited ? 'yellow' : undefined}
                >
                  {column.cell(row)}
                </Text>
              </Box>
            ))}
          </Box>
        );
      })}
      {shown.length > window.end - window.start ? (
        <Text dimColor>
          {`   rows ${window.start + 1}–${window.end} of ${shown.length} (↑/↓, PgUp/PgDn, Home/End)`}
        </Text>
      ) : null}

      {editing ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>{`Editing Pi ${editing.index}:`}</Text>
          {editFields.map((field, position) => {
            const focused = position === editing.focus;
            return (
              <Box key={field.name}>
                <Text color={focused ? 'cyan' : undefined}>{focused ? ' › ' : '   '}</Text>
                <Box width={18}>
                  <Text bold={focused}>{field.label}</Text>
                </Box>
                <Box width={26}>
                  <TextField
                    value={editing.values[field.name]}
                    cursor={editing.cursor}
                    focused={isActive && focused}
                  />
                </Box>
                <Text dimColor>{field.hint}</Text>
              </Box>
            );
          })}
        </Box>
      ) : null}
      {state.replacing ? (
        <ReplacePanel replacing={state.replacing} rows={shown} isActive={isActive} />
      ) : null}

      <Box flexDirection="column" marginTop={1}>
        {issues.length === 0 ? (
          <Text color="green">✓ The table is valid.</Text>
        ) : (
          <>
            {issues.slice(0, maxIssuesShown).map((issue) => (
              <Text
                key={`${issue.field}-${issue.message}`}
                color="red"
              >{`✗ ${issue.message}`}</Text>
            ))}
            {issues.length > maxIssuesShown ? (
              <Text color="red">{`  … and ${issues.length - maxIssuesShown} more`}</Text>
            ) : null}
          </>
        )}
        {state.notice ? <Text color="yellow">{state.notice}</Text> : null}
        {removing ? (
          <Text color="yellow" bold>
            {`Remove ${removing.hostname} (${removing.address}) from the cluster? Its public key leaves every authorized_keys and its lines every hosts and known_hosts block at the next run; the Pi itself is not changed. y remove · any other key keeps it`}
          </Text>
        ) : null}
        {state.triedWithProblems && issues.length > 0 && !editing ? (
          <Text color="red" bold>
            Fix the problems above before going on.
          </Text>
        ) : null}
      </Box>
      <KeyHints
        hints={
          state.replacing
            ? replaceHints[state.replacing.phase]
            : editing
              ? [
                  ['Tab/↑/↓', 'field'],
                  ['Enter', 'save the row'],
                  ['Esc', 'cancel the edit'],
                ]
              : [
                  ['↑/↓', 'row'],
                  ['Enter/e', 'edit'],
                  ['c', 'continue'],
                  ['d', 'find the Pis'],
                  ['a', 'add a Pi'],
                  ['x', 'remove one'],
                  ['r', 'replace its card'],
                  ['Esc', 'back to the settings'],
                ]
        }
      />
    </Box>
  );
}

const replaceHints: Record<CardReplacement['phase'], Array<[string, string]>> = {
  address: [
    ['Enter', 'ask it for its host key'],
    ['Esc', 'cancel'],
  ],
  asking: [['Esc', 'cancel']],
  confirm: [
    ['y', 'trust this key'],
    ['any other key', 'cancel'],
  ],
};

/** Key r: a re-flashed card, where it answers now, then its host key for the person to confirm. */
function ReplacePanel({
  replacing,
  rows,
  isActive,
}: {
  replacing: CardReplacement;
  rows: readonly NodeRow[];
  isActive: boolean;
}) {
  const row = rows.find((each) => each.index === replacing.index);
  if (!row) return null;
  const { identity } = replacing;
  return (
    <Box flexDirection="column" marginTop={1} borderStyle="round" borderColor="yellow" paddingX={1}>
      <Text bold>{`Replace ${row.hostname}'s card (re-flashed, or a new board in its place)`}</Text>
      <Text>
        Where does the new card answer now?{' '}
        <Text dimColor>Its DHCP address (your router lists it), or a name.</Text>
      </Text>
      <Box>
        <Text color="cyan">{' › '}</Text>
        <TextField
          value={replacing.value}
          cursor={replacing.cursor}
          focused={isActive && replacing.phase === 'address'}
        />
      </Box>
      {replacing.phase === 'asking' ? (
        <Text>{`Asking ${replacing.value.trim()} for its SSH host key (no login)…`}</Text>
      ) : null}
      {identity ? (
        <>
          <Text>{`It answers: ${identity.banner}`}</Text>
          <Text bold>{`Its host key: ${identity.keyType} ${identity.fingerprint}`}</Text>
          <Text>
            {`Compare it on the Pi itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub). Once trusted, the next run forgets the old card's host keys, takes its public key out of every authorized_keys, and sets ${row.hostname} up again at ${row.address} (it reboots); the other Pis only get its new keys.`}
          </Text>
          <Text color="yellow" bold>
            {`Is this ${row.hostname}'s new card? y trusts this key · any other key cancels`}
          </Text>
        </>
      ) : null}
    </Box>
  );
}
