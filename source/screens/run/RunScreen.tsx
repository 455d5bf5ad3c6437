import { Box, Static, Text, useStdout } from 'ink';
import { useStore } from 'zustand';
import type { RunStore } from '../../store/run-store.js';
import {
  countStates,
  currentSectionIndex,
  liveSectionIndex,
  planLines,
  type RunView,
  sectionOf,
  sectionsOf,
  stepTitle,
} from '../../store/run-view.js';
import { HeaderLines } from '../Header.js';
import { FailurePanel } from './FailurePanel.js';
import { NodeTable } from './NodeTable.js';
import { PlanView } from './PlanView.js';
import { formatSeconds, sectionElapsed } from './run-cells.js';
import { sectionColumns } from './run-columns.js';
import { clampOffset } from './run-screen-state.js';
import useClock from './use-clock.js';
import useRunScreen from './use-run-screen.js';

export interface RunScreenProps {
  store: RunStore;
  isActive: boolean;
  /** Leave the screens (the run has ended). */
  onQuit: () => void;
  /** Ctrl+C a second time while stopping: end now. */
  onForceQuit: () => void;
}

/** The guide's sections as the run goes: finished ones as a line each, the live one as a table. */
export function RunScreen({ store, isActive, onQuit, onForceQuit }: RunScreenProps) {
  const view = useStore(store, (state) => state.view);
  const { stdout } = useStdout();
  const terminalRows = stdout.rows ?? 24;
  const terminalColumns = stdout.columns ?? 100;
  const now = useClock(!view.outcome && !view.masterRebooting);
  const sections = sectionsOf(view.steps);
  const currentIndex = liveSectionIndex(view);
  // Some Pis are a section ahead of the live one (they move on by themselves).
  const ahead = currentSectionIndex(view) > currentIndex;
  const live = sections[currentIndex];
  // The live section stays a table to the end; only the ones before it shrink to a line.
  const finished = sections.slice(0, currentIndex);
  const planMode = Boolean(view.outcome && view.dryRun);
  const plan = planMode ? planLines(view) : [];
  const planCounts = countStates(view, view.steps);
  const failure = view.failures[0];
  const liveNodes = live ? nodesOf(view, live.steps) : view.nodes;

  const failureLines = failure
    ? 7 + Math.ceil(failure.summary.length / Math.max(20, terminalColumns - 4))
    : 0;
  const warningLines = view.warnings.reduce(
    (lines, text) => lines + Math.ceil(text.length / Math.max(20, terminalColumns)),
    0,
  );
  const reserved =
    (planMode ? 8 : 9) +
    warningLines +
    (live?.section === 'Keys' ? 1 : 0) +
    failureLines +
    (view.clonedCards ? 4 : 0) +
    (view.stopping ? 1 : 0) +
    (view.masterRebooting ? 5 : 0) +
    (view.outcome && !planMode ? 3 : 0);
  const height = Math.max(3, terminalRows - reserved);
  const total = planMode ? plan.length : liveNodes.length;
  const state = useRunScreen(store, { isActive, total, height, onQuit, onForceQuit });
  const offset = clampOffset(state.offset, total, height);

  return (
    <Box flexDirection="column">
      <Static items={finished.map((each) => sectionSummary(view, each.section, each.steps))}>
        {(line) => (
          <Text key={line.key} color={line.failed ? 'red' : 'green'}>
            {line.text}
          </Text>
        )}
      </Static>
      <HeaderLines
        section={`${planMode ? 'Plan' : (live?.section ?? 'Starting')}${view.dryRun ? ' (dry run: nothing is changed on any Pi)' : ''}`}
        detail={
          planMode
            ? `All ${sections.length} sections planned`
            : `Section ${currentIndex + 1} of ${sections.length}${view.current ? ` · now: ${view.current}, ${stepTitle(view.current)}${ahead ? ` (Pis that are done here are ahead, in ${sectionOf(view.current)})` : ''}` : ''}`
        }
      />
      {view.warnings.map((text) => (
        <Text key={text} color="yellow">
          {`⚠ ${text}`}
        </Text>
      ))}
      {planMode ? (
        <PlanView
          lines={plan}
          offset={offset}
          height={height}
          changing={planCounts.changed}
          failing={planCounts.failed}
        />
      ) : live ? (
        <Box flexDirection="column">
          {live.section === 'Keys' ? (
            <Text dimColor>
              fan-in: every public key into master:~/.ssh/authorized_keys · fan-out: that file back
              out to every worker, merged
            </Text>
          ) : null}
          <NodeTable
            columns={sectionColumns(view, live.section, live.steps, now, terminalColumns)}
            nodes={liveNodes.slice(offset, offset + height)}
            firstIndex={view.nodes.indexOf(liveNodes[offset] ?? '')}
          />
          <StatusLine
            view={view}
            steps={live.steps}
            offset={offset}
            height={height}
            total={total}
          />
        </Box>
      ) : null}
      {view.clonedCards ? (
        <Box flexDirection="column" borderStyle="round" borderColor="yellow" paddingX={1}>
          <Text>{`These Pis were cloned from one SD card (same SSH host key or machine-id): ${view.clonedCards.map((group) => group.join(' + ')).join('; ')}.`}</Text>
          <Text bold>
            Give every one but the first new SSH host keys and a new machine-id? (y/n)
          </Text>
        </Box>
      ) : null}
      {failure ? (
        <FailurePanel failure={failure} waiting={view.failures.length - 1} choice={state.choice} />
      ) : null}
      {view.stopping && !view.outcome ? (
        <Text color="yellow">
          Stopping: work in flight finishes, then the session is saved (Ctrl+C again to quit now).
        </Text>
      ) : null}
      {view.masterRebooting && view.notice ? (
        <Box flexDirection="column" borderStyle="round" borderColor="yellow" paddingX={1}>
          {view.notice.map((line) => (
            <Text key={line}>{line}</Text>
          ))}
        </Box>
      ) : null}
      {view.outcome && !view.masterRebooting && !planMode ? (
        <Box flexDirection="column" marginTop={1}>
          {(view.notice ?? []).map((line) => (
            <Text key={line} color={endedWell(view.outcome) ? 'green' : 'red'}>
              {line}
            </Text>
          ))}
        </Box>
      ) : null}
      {view.outcome && !planMode ? null : (
        <Box marginTop={1}>
          <Text dimColor>{hints(view, planMode, total > height)}</Text>
        </Box>
      )}
    </Box>
  );
}

const endedWell = (outcome: RunView['outcome']) =>
  outcome !== undefined && !outcome.interrupted && outcome.failedNodes.length === 0;

/** The nodes a section works on (all of them until its first step starts). */
function nodesOf(view: RunView, steps: readonly string[]): string[] {
  const working = view.nodes.filter((node) =>
    steps.some((step) => view.cells[step as keyof RunView['cells']]?.[node] !== undefined),
  );
  return working.length > 0 ? working : view.nodes;
}

function StatusLine({
  view,
  steps,
  offset,
  height,
  total,
}: {
  view: RunView;
  steps: RunView['steps'];
  offset: number;
  height: number;
  total: number;
}) {
  const counts = countStates(view, steps);
  const done = counts.ok + counts.changed + counts.skipped;
  const parts = [
    `${done} done`,
    ...(counts.running > 0 ? [`${counts.running} running`] : []),
    ...(counts.retrying > 0 ? [`${counts.retrying} retrying`] : []),
    ...(counts.failed > 0 ? [`${counts.failed} failed`] : []),
    ...(counts.waiting > 0 ? [`${counts.waiting} waiting`] : []),
  ];
  const window =
    total > height ? ` · nodes ${offset + 1}–${Math.min(total, offset + height)} of ${total}` : '';
  return (
    <Text {...(counts.failed > 0 ? { color: 'red' } : {})}>{`${parts.join(' · ')}${window}`}</Text>
  );
}

function sectionSummary(view: RunView, section: string, steps: RunView['steps']) {
  const counts = countStates(view, steps);
  const failedNodes = view.nodes.filter((node) =>
    steps.some((step) => view.cells[step]?.[node]?.state === 'failed'),
  );
  const longest = Math.max(
    0,
    ...view.nodes.map((node) =>
      sectionElapsed(
        steps.map((step) => view.cells[step]?.[node]),
        Date.now(),
      ),
    ),
  );
  const changed = view.dryRun ? 'to change' : 'changed';
  if (Object.values(counts).every((count) => count === 0))
    return { key: section, text: `· ${section}: nothing ran`, failed: false };
  const text = `${failedNodes.length > 0 ? '✗' : '✓'} ${section}: ${counts.changed} ${changed}, ${counts.ok} ok${counts.skipped > 0 ? `, ${counts.skipped} skipped` : ''}${failedNodes.length > 0 ? `, failed on ${failedNodes.join(', ')}` : ''} (${formatSeconds(longest)})`;
  return { key: section, text, failed: failedNodes.length > 0 };
}

function hints(view: RunView, planMode: boolean, scrolls: boolean): string {
  const scroll = scrolls ? ['↑↓ PgUp PgDn scroll'] : [];
  if (planMode) return [...scroll, 'q quit'].join(' · ');
  if (view.clonedCards) return 'y yes · n no · Ctrl+C stop';
  if (view.failures.length > 0)
    return ['r retry · s skip · x stop · ←→ Enter choose', ...scroll, 'Ctrl+C stop'].join(' · ');
  return [
    ...scroll,
    view.stopping ? 'Ctrl+C quit now' : 'Ctrl+C stop (work in flight finishes)',
  ].join(' · ');
}
