// Before a run drawn on screens, in the same Ink root as the run: the question `run` asks before it
// changes the Pis (y runs; n, Esc or Enter changes nothing), then the password on a masked screen
// (unless the command already has it), then the run screens. Used by the wizard's root (after its
// Start) and by `run` at a terminal. The run itself is the command's: `startRun` starts it.
import { Box, Text } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { RunStore } from '../store/run-store.js';
import { HeaderLines } from './Header.js';
import { KeyHints } from './KeyHints.js';
import { PasswordScreen } from './password/PasswordScreen.js';
import { RunRoot } from './RunRoot.js';
import useKeys from './use-keys.js';

export type StartRunCancel = 'declined' | 'interrupted';

export interface StartRunProps {
  user: string;
  dryRun: boolean;
  /** Asked first, answered with y; without it the run needs no yes. */
  question?: string;
  /** The password is known already (a file, a pipe, typed earlier): no password screen. */
  password?: { known: string | undefined };
  startRun: (password: string | undefined) => RunStore;
  /** No run: the person said no, or pressed Ctrl+C before the run started. */
  onCancel: (why: StartRunCancel) => void;
  /** Ctrl+C a second time while the run is stopping. */
  onForceQuit: () => void;
}

type Phase = 'question' | 'password' | 'run';

export function StartRun({
  user,
  dryRun,
  question,
  password,
  startRun,
  onCancel,
  onForceQuit,
}: StartRunProps) {
  const afterQuestion: Phase = password ? 'run' : 'password';
  const [phase, setPhase] = useState<Phase>(question ? 'question' : afterQuestion);
  const [runStore, setRunStore] = useState<RunStore | undefined>(undefined);
  // One start, whatever arrives in the same burst of keys.
  const started = useRef(false);
  const answered = useRef(false);
  const start = (typed: string | undefined) => {
    if (started.current) return;
    started.current = true;
    setRunStore(startRun(typed));
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the run is due with a known password
  useEffect(() => {
    if (phase === 'run' && password) start(password.known);
  }, [phase]);

  useKeys(
    (input, key) => {
      if (key.ctrl && input === 'c') {
        answered.current = true;
        onCancel('interrupted');
        return;
      }
      if (phase !== 'question' || answered.current) return;
      if (input === 'y' || input === 'Y') {
        answered.current = true;
        setPhase(afterQuestion);
      } else if (input === 'n' || input === 'N' || key.escape || key.return) {
        answered.current = true;
        onCancel('declined');
      }
    },
    { isActive: runStore === undefined },
  );

  if (runStore) return <RunRoot store={runStore} onForceQuit={onForceQuit} />;
  const detail = `Before the run${dryRun ? '  (dry run: nothing is changed on any Pi)' : ''}`;
  if (phase === 'question') {
    return (
      <Box flexDirection="column">
        <HeaderLines section="Remote Log-in" detail={detail} />
        <Text bold>{`${question} [y/N]`}</Text>
        <KeyHints
          hints={[
            ['y', 'run'],
            ['n, Esc or Enter', 'change nothing'],
          ]}
        />
      </Box>
    );
  }
  if (phase === 'password') {
    return (
      <Box flexDirection="column">
        <HeaderLines section="Remote Log-in" detail={detail} />
        <PasswordScreen user={user} isActive onSubmit={start} />
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <HeaderLines section="Remote Log-in" detail={detail} />
      <Text>Starting…</Text>
    </Box>
  );
}
