import { Box, Text } from 'ink';
import { type ScreenName, screenOrder, screenTitles } from '../store/app-state.js';

/** The section of the guide (000: "Cluster Guide") each screen belongs to. */
export const guideSections: Record<ScreenName, string> = {
  welcome: 'Getting Started',
  'cluster-form': 'Network Lookup Table',
  'review-table': 'Network Lookup Table',
  confirm: 'Assign a static IP address … Remote Log-in',
};

export function Header({ screen, dryRun }: { screen: ScreenName; dryRun: boolean }) {
  const step = screenOrder.indexOf(screen) + 1;
  return (
    <HeaderLines
      section={guideSections[screen]}
      detail={`Step ${step} of ${screenOrder.length}: ${screenTitles[screen]}${dryRun ? '  (dry run: nothing is changed on any Pi)' : ''}`}
    />
  );
}

/** The program's name, the guide's section in bold, and a dim line on where the person is. */
export function HeaderLines({ section, detail }: { section: string; detail: string }) {
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text>
        <Text bold color="cyan">
          pi-cluster-wizard
        </Text>
        <Text> · Cluster Guide › </Text>
        <Text bold>{section}</Text>
      </Text>
      <Text dimColor>{detail}</Text>
    </Box>
  );
}
