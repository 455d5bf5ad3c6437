// exec, shutdown and reboot as plain lines (a line per node as it ends; exec then prints the outputs
// grouped as clush -b groups them) or as JSON lines (--json: a line per node, then a summary), and
// the words each ends with, whichever view showed the nodes. The JSON shapes are documented in
// readme.md; fields are only ever added.
import type {
  ClusterActionEvent,
  ExecResult,
  NodeActionResult,
  PowerOutcome,
} from '../engine/cluster-actions.js';
import { groupedOutputLines, groupOutputs } from './grouped-output.js';
import { jsonLinesVersion } from './json-lines.js';

type Out = NodeJS.WritableStream;
const nameWidth = (hostnames: readonly string[]) =>
  Math.max(...hostnames.map((name) => name.length), 6);
const writeJson = (out: Out) => (line: object) => out.write(`${JSON.stringify(line)}\n`);

/** A line, then the rest of a multi-line text (a failure and what to do) indented under it. */
function indented(head: string, text: string, indent: number): string[] {
  const [first = '', ...rest] = text.split('\n');
  return [`${head}${first}`, ...rest.map((line) => `${' '.repeat(indent)}${line}`)];
}

type Retrying = Extract<ClusterActionEvent, { type: 'retrying' }>;

function retryingLine(event: Retrying, width: number): string {
  const { node, attempt, maxAttempts, delayMs, message } = event;
  return `${node.padEnd(width)} retry   attempt ${attempt} of ${maxAttempts} in ${Math.round(delayMs / 1000)} s: ${message.split('\n')[0]}`;
}

function retryingJson({ node, attempt, maxAttempts, delayMs, message }: Retrying): object {
  return { type: 'retrying', node, attempt, maxAttempts, delayMs, message };
}

/** The summary's result word. */
const resultWord = (interrupted: boolean, failedNodes: readonly string[]) =>
  interrupted ? 'interrupted' : failedNodes.length > 0 ? 'nodes-failed' : 'done';

// exec

export interface ExecEnd {
  results: readonly ExecResult[];
  exitCode: number;
  interrupted: boolean;
  commandLogPath: string;
}

/** One consumer of exec's events; `end` gets the results in the table's order. */
export interface ExecReporter {
  onEvent(event: ClusterActionEvent<ExecResult>): void;
  end(ended: ExecEnd): void;
}

export const failedNodesOf = (results: readonly NodeActionResult[]): string[] =>
  results.filter((result) => result.status === 'failed').map((result) => result.node);

/** What a person reads when exec has ended. */
export function execEndLines({ results, interrupted, commandLogPath }: ExecEnd): string[] {
  const failed = results.filter((result) => result.status === 'failed');
  const count = results.length;
  if (interrupted) {
    const unfinished = failed.map((each) => each.node).join(', ');
    return [
      `Interrupted: nothing more was started, and what ran was told to stop${unfinished ? ` (${unfinished})` : ''}. Command log: ${commandLogPath}`,
    ];
  }
  if (failed.length === 0)
    return [`Done: exit code 0 on ${count === 1 ? 'the one node' : `all ${count} nodes`}.`];
  const named = failed.map((each) =>
    each.code === null ? `${each.node} (not run)` : `${each.node} (exit code ${each.code})`,
  );
  return [
    `${failed.length} of ${count} node${count === 1 ? '' : 's'} failed: ${named.join(', ')}. Command log: ${commandLogPath}`,
  ];
}

/** A node's line as it ends: its name and exit code and time, or why the command did not run. */
export function execResultLines(result: ExecResult, width: number): string[] {
  const name = result.node.padEnd(width);
  if (result.code === null) return indented(`${name} FAILED  `, result.summary, width + 9);
  return [
    `${name} exit ${String(result.code).padEnd(3)} ${(result.durationMs / 1000).toFixed(1)} s`,
  ];
}

export function execPlainLines(out: Out, hostnames: readonly string[]): ExecReporter {
  const print = (line: string) => out.write(`${line}\n`);
  const width = nameWidth(hostnames);
  return {
    onEvent(event) {
      if (event.type === 'finished')
        for (const line of execResultLines(event.result, width)) print(line);
      else if (event.type === 'retrying') print(retryingLine(event, width));
    },
    end(ended) {
      const groups = groupedOutputLines(groupOutputs(ended.results));
      if (groups.length > 0) print('');
      for (const line of groups) print(line);
      print('');
      for (const line of execEndLines(ended)) print(line);
    },
  };
}

export function execJsonLines(out: Out, command: readonly string[], asRoot: boolean): ExecReporter {
  const write = writeJson(out);
  return {
    onEvent(event) {
      if (event.type === 'finished') {
        const { node, status, code, stdout, stderr, summary, durationMs } = event.result;
        write({
          type: 'result',
          node,
          status,
          exitCode: code,
          stdout,
          stderr,
          summary,
          durationMs,
        });
      } else if (event.type === 'retrying') write(retryingJson(event));
    },
    end(ended) {
      const failedNodes = failedNodesOf(ended.results);
      write({
        type: 'summary',
        version: jsonLinesVersion,
        command: [...command],
        asRoot,
        result: resultWord(ended.interrupted, failedNodes),
        exitCode: ended.exitCode,
        failedNodes,
        groups: groupOutputs(ended.results),
        commandLog: ended.commandLogPath,
        message: execEndLines(ended).join(' '),
      });
    },
  };
}

// shutdown and reboot

export interface PowerEnd {
  outcome: PowerOutcome;
  exitCode: number;
  commandLogPath: string;
  /** For "log in again with ssh user@address" after the master's reboot. */
  user: string;
  masterAddress: string;
}

export interface PowerReporter {
  onEvent(event: ClusterActionEvent): void;
  end(ended: PowerEnd): void;
}

/** The command a person typed for the action. */
export const powerCommandName = (outcome: Pick<PowerOutcome, 'action'>) =>
  outcome.action === 'reboot' ? 'reboot' : 'shutdown';

/** What a person reads once the workers are done, just before the master's turn (if it comes). */
export function powerEndLines({
  outcome,
  commandLogPath,
  user,
  masterAddress,
}: PowerEnd): string[] {
  const { master } = outcome;
  const reboot = outcome.action === 'reboot';
  const workers = outcome.results.filter((result) => result.node !== master.node).length;
  if (master.goes) {
    const them = workers === 1 ? 'The worker is' : `All ${workers} workers are`;
    return [
      ...(workers === 0 ? [] : [`${them} ${reboot ? 'back with a new boot id' : 'off'}.`]),
      reboot
        ? `The master (${master.node}, this machine) reboots now, last: your SSH session will drop. Log in again with: ssh ${user}@${masterAddress}`
        : `The master (${master.node}, this machine) powers off now, last: your SSH session will drop. Unplug the Pis once their green LEDs have stopped blinking.`,
    ];
  }
  const not = `The master (${master.node}) is not ${reboot ? 'rebooted' : 'powered off'}: ${master.reason}.`;
  if (outcome.interrupted) return [`Interrupted. ${not} Command log: ${commandLogPath}`];
  return [
    `${not} Command log: ${commandLogPath}`,
    `Fix what the FAILED lines say, then run pi-cluster-wizard ${powerCommandName(outcome)} again; or, if you are sure, ${reboot ? 'reboot' : 'power off'} the master by hand: sudo ${reboot ? 'reboot' : 'poweroff'}`,
  ];
}

const statusWord = { ok: 'ok', failed: 'FAILED', skipped: 'skipped' } as const;

export function powerPlainLines(out: Out, hostnames: readonly string[]): PowerReporter {
  const print = (line: string) => out.write(`${line}\n`);
  const width = nameWidth(hostnames);
  return {
    onEvent(event) {
      if (event.type === 'finished') {
        const { node, status, summary } = event.result;
        const head = `${node.padEnd(width)} ${statusWord[status].padEnd(7)} `;
        for (const line of indented(head, summary, width + 9)) print(line);
      } else if (event.type === 'retrying') print(retryingLine(event, width));
    },
    end(ended) {
      print('');
      for (const line of powerEndLines(ended)) print(line);
    },
  };
}

export function powerJsonLines(out: Out): PowerReporter {
  const write = writeJson(out);
  return {
    onEvent(event) {
      if (event.type === 'finished') write({ type: 'result', ...event.result });
      else if (event.type === 'retrying') write(retryingJson(event));
    },
    end(ended) {
      const { outcome } = ended;
      write({
        type: 'summary',
        version: jsonLinesVersion,
        action: powerCommandName(outcome),
        result: resultWord(outcome.interrupted, outcome.failedNodes),
        exitCode: ended.exitCode,
        failedNodes: [...outcome.failedNodes],
        master: { ...outcome.master },
        commandLog: ended.commandLogPath,
        message: powerEndLines(ended).join(' '),
      });
    },
  };
}
