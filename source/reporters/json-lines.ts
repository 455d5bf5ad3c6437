// The run as JSON lines (--json): one object per line per event, then one summary object, for
// scripts and CI. The shape is documented in readme.md ("JSON lines"); fields are only ever added.
import type { RunOutcome } from '../engine/journaled-run.js';
import type { SetupEvent } from '../engine/run-setup.js';
import { plannedChangeLines, type StepStatus } from '../steps/step.js';
import type { RunReporter, RunReporterContext } from './reporter.js';
import { endOfRunLines } from './run-summary.js';

/** The version of the lines' shape, in the summary; raised only if a field changes meaning. */
export const jsonLinesVersion = 1;

export type JsonLine =
  | { type: 'step-started'; step: string; nodes: string[] }
  | { type: 'step-finished'; step: string }
  | {
      type: 'result';
      step: string;
      node: string;
      status: StepStatus;
      summary: string;
      /** What a dry run would do (commands and diffs), one line each. */
      plan: string[];
    }
  | {
      type: 'retrying';
      step: string;
      node: string;
      attempt: number;
      maxAttempts: number;
      delayMs: number;
      message: string;
    }
  | {
      type: 'host-key';
      node: string;
      keyType: string;
      fingerprint: string;
      status: 'new' | 'known';
      recorded: boolean;
    }
  | { type: 'reach-changed'; node: string; address: string }
  | { type: 'warning'; text: string }
  | { type: 'public-key'; node: string; fingerprint: string; comment: string }
  | { type: 'logins'; node: string; logins: Array<{ to: string; ok: boolean; detail: string }> }
  | { type: 'master-rebooting'; node: string; address: string; loginAgain: string }
  | JsonSummary;

export interface JsonSummary {
  type: 'summary';
  version: number;
  /** done, dry-run, nodes-failed, interrupted or master-rebooting. */
  result: 'done' | 'dry-run' | 'nodes-failed' | 'interrupted' | 'master-rebooting';
  exitCode: number;
  dryRun: boolean;
  failedNodes: string[];
  /** The person chose "stop" at a failed node. */
  stopped: boolean;
  /** Counts of the last result of each node and step. */
  counts: Record<StepStatus, number>;
  commandLog: string;
  /** The same words the plain lines end with. */
  message: string;
}

export function toJsonLine(event: SetupEvent, user: string): JsonLine | undefined {
  switch (event.type) {
    case 'step-started':
      return { type: 'step-started', step: event.step, nodes: [...event.nodes] };
    case 'step-finished':
      return { type: 'step-finished', step: event.step };
    case 'report': {
      const { step, node, status, summary, changes } = event.report;
      return {
        type: 'result',
        step,
        node,
        status,
        summary,
        plan: changes.flatMap(plannedChangeLines).map((line) => line.trim()),
      };
    }
    case 'node-progress': {
      if (event.event.type !== 'retrying') return undefined;
      const { node, attempt, maxAttempts, delayMs, message } = event.event;
      return {
        type: 'retrying',
        step: event.step,
        node,
        attempt: attempt + 1,
        maxAttempts,
        delayMs,
        message,
      };
    }
    case 'host-key': {
      const { node, keyType, fingerprint, status, recorded } = event.event;
      return { type: 'host-key', node, keyType, fingerprint, status, recorded };
    }
    case 'reach-changed':
      return { type: 'reach-changed', node: event.node, address: event.address };
    case 'public-key':
      return {
        type: 'public-key',
        node: event.node,
        fingerprint: event.fingerprint,
        comment: event.comment,
      };
    case 'logins':
      return {
        type: 'logins',
        node: event.node,
        logins: event.logins.map((each) => ({ ...each })),
      };
    case 'master-rebooting':
      return {
        type: 'master-rebooting',
        node: event.hostname,
        address: event.address,
        loginAgain: `ssh ${user}@${event.address}`,
      };
    case 'warning':
      return { type: 'warning', text: event.text };
    case 'memory':
      return undefined;
  }
}

export function jsonSummary(outcome: RunOutcome, exitCode: number): JsonSummary {
  const last = new Map<string, StepStatus>();
  for (const report of outcome.reports) last.set(`${report.step} ${report.node}`, report.status);
  const counts: Record<StepStatus, number> = { ok: 0, changed: 0, failed: 0, skipped: 0 };
  for (const status of last.values()) counts[status] += 1;
  return {
    type: 'summary',
    version: jsonLinesVersion,
    result: outcome.masterRebooting
      ? 'master-rebooting'
      : outcome.interrupted
        ? 'interrupted'
        : outcome.failedNodes.length > 0
          ? 'nodes-failed'
          : outcome.dryRun
            ? 'dry-run'
            : 'done',
    exitCode,
    dryRun: outcome.dryRun,
    failedNodes: [...outcome.failedNodes],
    stopped: outcome.stopped,
    counts,
    commandLog: outcome.commandLogPath,
    message: endOfRunLines(outcome).join(' '),
  };
}

export function jsonLinesReporter({ out, user }: RunReporterContext): RunReporter {
  const write = (line: JsonLine) => out.write(`${JSON.stringify(line)}\n`);
  return {
    onEvent(event) {
      const line = toJsonLine(event, user);
      if (line) write(line);
    },
    end(outcome, exitCode) {
      write(jsonSummary(outcome, exitCode));
    },
  };
}
