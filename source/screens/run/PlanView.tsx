import { Box, Text } from 'ink';
import type { PlanLine } from '../../store/run-view.js';

const tones = {
  title: 'cyan',
  node: undefined,
  add: 'green',
  remove: 'red',
  plain: undefined,
} as const;

/** The dry run's plan, a window of it at a time: per step and node, the diffs and commands. */
export function PlanView({
  lines,
  offset,
  height,
  changing,
}: {
  lines: readonly PlanLine[];
  /** How many node-steps would change. */
  changing: number;
  offset: number;
  height: number;
}) {
  const shown = lines.slice(offset, offset + height);
  return (
    <Box flexDirection="column">
      <Text bold>The plan (dry run: nothing was changed on any Pi)</Text>
      <Text color={changing > 0 ? 'yellow' : 'green'}>
        {changing > 0
          ? `${changing} node-step${changing === 1 ? '' : 's'} would change; the rest are as they should be.`
          : 'Nothing would change: every node is as it should be.'}
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
