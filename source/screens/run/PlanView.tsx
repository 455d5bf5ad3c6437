import { Box, Text } from 'ink';
import type { PlanLine } from '../../store/run-view.js';

const tones = {
  title: 'cyan',
  node: undefined,
  add: 'green',
  remove: 'red',
  plain: undefined,
} as const;

const nodeSteps = (count: number) => `${count} node-step${count === 1 ? '' : 's'}`;

function planHeadline(changing: number, failing: number): string {
  if (failing > 0) {
    return `${nodeSteps(failing)} failed while planning (see their lines: what happened and what to do)${changing > 0 ? `; ${nodeSteps(changing)} would change` : ''}.`;
  }
  return changing > 0
    ? `${nodeSteps(changing)} would change; the rest are as they should be.`
    : 'Nothing would change: every node is as it should be.';
}

/** The dry run's plan, a window of it at a time: per step and node, the diffs and commands. */
export function PlanView({
  lines,
  offset,
  height,
  changing,
  failing,
}: {
  lines: readonly PlanLine[];
  /** How many node-steps would change. */
  changing: number;
  /** How many node-steps failed while planning: their nodes are not known to be as they should be. */
  failing: number;
  offset: number;
  height: number;
}) {
  const shown = lines.slice(offset, offset + height);
  return (
    <Box flexDirection="column">
      <Text bold>The plan (dry run: nothing was changed on any Pi)</Text>
      <Text color={failing > 0 ? 'red' : changing > 0 ? 'yellow' : 'green'}>
        {planHeadline(changing, failing)}
      </Text>
      {shown.map((line) => {
        const color = tones[line.tone];
        return (
          <Text
            key={line.id}
            wrap="truncate-end"
            bold={line.tone === 'title'}
            {...(color ? { color } : {})}
          >
            {line.text === '' ? ' ' : line.text}
          </Text>
        );
      })}
      {lines.length > height ? (
        <Text dimColor>{`lines ${offset + 1}–${offset + shown.length} of ${lines.length}`}</Text>
      ) : null}
    </Box>
  );
}
