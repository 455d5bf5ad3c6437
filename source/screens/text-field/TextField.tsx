import { Text } from 'ink';

/** One line of text; when focused, the character under the cursor is shown inverted. */
export function TextField({
  value,
  cursor,
  focused,
}: {
  value: string;
  cursor: number;
  focused: boolean;
}) {
  if (!focused) return <Text>{value}</Text>;
  const at = Math.min(Math.max(cursor, 0), value.length);
  return (
    <Text>
      {value.slice(0, at)}
      <Text inverse>{value[at] ?? ' '}</Text>
      {value.slice(at + 1)}
    </Text>
  );
}
