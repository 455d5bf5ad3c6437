import { Box, Text } from 'ink';
import { useStore } from 'zustand';
import { KeyHints } from '../KeyHints.js';
import type { ScreenProps } from '../screen-props.js';
import { TextField } from '../text-field/TextField.js';
import { formFields } from './cluster-form-state.js';
import useClusterForm from './use-cluster-form.js';

const labelWidth = 20;
const inputWidth = 26;

const networkFields = new Set<string>(['subnet', 'firstAddress', 'gateway', 'dns']);

export function ClusterFormScreen({ store, isActive }: ScreenProps) {
  const { state, problems, asking } = useClusterForm(store, isActive);
  const fresh = useStore(store, (each) => each.freshSettings);
  const sources = useStore(store, (each) => each.settingsSources);
  /** Where a network value came from, while it is still the one the form started with. */
  const hintOf = (field: (typeof formFields)[number]) => {
    if (!networkFields.has(field.name)) return field.hint;
    const started = fresh[field.name];
    const value = state.values[field.name];
    if ((Array.isArray(started) ? started.join(', ') : String(started)) !== value)
      return field.hint;
    const source = sources?.[field.name as keyof NonNullable<typeof sources>];
    return source ? `from ${source}` : "the guide's example (this Pi's network not read)";
  };
  const problemCount = Object.values(problems).reduce((sum, list) => sum + list.length, 0);
  return (
    <Box flexDirection="column">
      <Text>Describe the cluster; the lookup table is made from these answers.</Text>
      <Box flexDirection="column" marginTop={1}>
        {formFields.map((field, position) => {
          const focused = position === state.focus;
          return (
            <Box key={field.name} flexDirection="column">
              <Box>
                <Text color={focused ? 'cyan' : undefined}>{focused ? '› ' : '  '}</Text>
                <Box width={labelWidth}>
                  <Text bold={focused}>{field.label}</Text>
                </Box>
                <Box width={inputWidth}>
                  <TextField
                    value={state.values[field.name]}
                    cursor={state.cursor}
                    focused={isActive && focused && !asking}
                  />
                </Box>
                <Text dimColor>{hintOf(field)}</Text>
              </Box>
              {(problems[field.name] ?? []).map((message) => (
                <Box key={message} paddingLeft={4}>
                  <Text color="red">{`✗ ${message}`}</Text>
                </Box>
              ))}
            </Box>
          );
        })}
      </Box>
      {state.triedWithProblems && problemCount > 0 ? (
        <Box marginTop={1}>
          <Text color="red" bold>
            {problemCount === 1
              ? 'Fix the problem marked ✗ above before going on.'
              : `Fix the ${problemCount} problems marked ✗ above before going on.`}
          </Text>
        </Box>
      ) : null}
      {asking ? (
        <Box marginTop={1}>
          <Text color="yellow" bold>
            {`These answers make a new lookup table: your hand edits to ${state.confirmDiscard} ${state.confirmDiscard === 1 ? 'row' : 'rows'} will be lost. Make the new table? (y/n)`}
          </Text>
        </Box>
      ) : null}
      <KeyHints
        hints={
          asking
            ? [
                ['y', 'new table'],
                ['n/Esc', 'keep the edited table'],
              ]
            : [
                ['Tab/↓', 'next field'],
                ['Shift+Tab/↑', 'previous'],
                ['Enter', 'make the table'],
                ['Esc', 'back'],
              ]
        }
      />
    </Box>
  );
}
