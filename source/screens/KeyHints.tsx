import { Box, Text } from 'ink';

/** The footer: the keys the current screen listens to, then the one that always works. */
export function KeyHints({
  hints,
}: {
  hints: ReadonlyArray<readonly [key: string, action: string]>;
}) {
  return (
    <Box marginTop={1}>
      <Text dimColor>
        {[...hints, ['Ctrl+C', 'quit'] as const]
          .map(([key, action]) => `${key} ${action}`)
          .join(' · ')}
      </Text>
    </Box>
  );
}
