// What a person reads when a run has ended or the master is about to reboot, whichever reporter
// shows it (the screens are handed these lines; the plain lines print them).
import type { RunOutcome } from '../engine/journaled-run.js';

/** What a person reads when the run has ended, whichever view showed it. */
export function endOfRunLines(outcome: RunOutcome): string[] {
  if (outcome.masterRebooting) return masterRebootLines(outcome.masterRebooting);
  if (outcome.interrupted)
    return ['Interrupted: the session is saved; run the same command again to resume.'];
  const nodes = outcome.failedNodes;
  if (nodes.length > 0) {
    return [
      `${nodes.length} node${nodes.length === 1 ? '' : 's'} failed: ${nodes.join(', ')}. ${outcome.stopped ? 'You stopped the run' : 'The others finished'}. Command log: ${outcome.commandLogPath}`,
      `Fix what the FAILED lines say, then run again (finished work is checked, not redone), e.g. pi-cluster-wizard run all --node ${nodes[0]}`,
    ];
  }
  if (outcome.dryRun) return ['Dry run done: nothing was changed.'];
  // Once every login is proven the cluster is set up: where to take it from here.
  const verified = outcome.reports.some((report) => report.step === 'verify');
  return [
    'Done: every step is ok on every node.',
    ...(verified
      ? ['For other tools: pi-cluster-wizard export ansible|hosts|mpi|ssh-config (see --help).']
      : []),
  ];
}

/** Said before the master reboots itself: the process may not outlive the reboot command. */
export function masterRebootLines({ user, address }: { user: string; address: string }): string[] {
  return [
    'The master reboots now to take its new address and name. Your SSH session will drop.',
    `Log in again with: ssh ${user}@${address}`,
    'then run pi-cluster-wizard again: it resumes where it stopped.',
  ];
}
