import { Box, Text } from 'ink';
import type { Column } from './run-columns.js';

/** A table with one row per node in view; only the cells' text changes between frames. */
export function NodeTable({
  columns,
  nodes,
  firstIndex,
}: {
  columns: readonly Column[];
  /** The nodes in view, and the Pi number of the first. */
  nodes: readonly string[];
  firstIndex: number;
}) {
  return (
    <Box flexDirection="column">
      <Box>
        {columns.map((column) => (
          <Box key={column.id} width={column.width} flexShrink={0}>
            <Text underline wrap="truncate-end">
              {column.title}
            </Text>
          </Box>
        ))}
      </Box>
      {nodes.map((node, row) => (
        <Box key={node}>
          {columns.map((column) => {
            const cell = column.cell(node, firstIndex + row);
            return (
              <Box key={column.id} width={column.width} flexShrink={0}>
                <Text
                  wrap="truncate-end"
                  {...(cell.color ? { color: cell.color } : {})}
                  {...(cell.dim ? { dimColor: true } : {})}
                >
                  {cell.text}
                </Text>
              </Box>
            );
          })}
        </Box>
      ))}
    </Box>
  );
}
