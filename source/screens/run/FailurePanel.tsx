import { Box, Text } from 'ink';
import type { FailureChoice, NodeFailure } from '../../engine/run-setup.js';
import { failureChoices } from './run-screen-state.js';

/** The oldest failed node waiting for the person: its error in words and the three choices. */
export function FailurePanel({
  failure,
  waiting,
  choice,
}: {
  failure: NodeFailure;
  /** How many more failed nodes wait after this one. */
  waiting: number;
  choice: FailureChoice;
}) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="red" paddingX={1}>
      <Text color="red" bold>
        {`✗ ${failure.node} failed at ${failure.step}`}
      </Text>
      <Text>{failure.summary}</Text>
      <Text dimColor>The other nodes go on meanwhile. What now for {failure.node}?</Text>
      {failureChoices.map((each) => (
        <Text key={each.value} {...(each.value === choice ? { color: 'cyan' } : {})}>
          {`${each.value === choice ? '❯' : ' '} ${each.label} (${each.key})`}
        </Text>
      ))}
      {waiting > 0 ? (
        <Text color="yellow">{`${waiting} more failed node${waiting === 1 ? '' : 's'} wait for a choice after this one`}</Text>
      ) : null}
    </Box>
  );
}
