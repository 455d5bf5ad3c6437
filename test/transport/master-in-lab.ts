// The master as a user whose sudo asks for the password: run by local-connection.test.ts inside a
// lab node as pi (the test itself runs as root, where no sudo is needed). Reads the password from
// the first line of stdin and prints what it saw as one JSON object.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { isTransportError } from '../../source/transport/errors.js';
import { LocalNodeConnection } from '../../source/transport/local-connection.js';
import { SESSION_OF_THIS_COMMAND } from './session-of-command.js';

const password = readFileSync(0, 'utf8').split('\n')[0] ?? '';
const master = new LocalNodeConnection({ password });

async function sessionOf(connection: LocalNodeConnection): Promise<string> {
  return (await connection.runAsRoot({ script: SESSION_OF_THIS_COMMAND })).stdout.trim();
}

async function failureOf(promise: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await promise;
    return { kind: 'none', message: '' };
  } catch (error) {
    return isTransportError(error)
      ? { kind: error.kind, message: error.message }
      : { kind: 'other', message: String(error) };
  }
}

/** Whether a process with exactly this command line runs, after a moment to end. */
async function running(commandLine: string): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .some((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `${commandLine.replace(' ', '\0')}\0`
        );
      } catch {
        return false;
      }
    });
}

const binary = randomBytes(1 << 16);
const [first, second, third, hashed] = await Promise.all([
  sessionOf(master),
  sessionOf(master),
  sessionOf(master),
  master.runAsRoot(['sha256sum'], { stdin: binary }),
]);
const timedOut = await failureOf(master.runAsRoot(['sleep', '3181'], { timeoutMs: 500 }));
const timedOutLeftRunning = await running('sleep 3181');
const afterTimeout = await sessionOf(master);
const controller = new AbortController();
setTimeout(() => controller.abort(), 200);
const abortStarted = Date.now();
const aborted = await failureOf(master.runAsRoot(['sleep', '3182'], { signal: controller.signal }));
const abortMs = Date.now() - abortStarted;
const abortedLeftRunning = await running('sleep 3182');
const afterAbort = await sessionOf(master);
await master.close();
const closedSudo = afterAbort.split(' ')[0] ?? '';
const wrongStarted = Date.now();
const wrong = await failureOf(new LocalNodeConnection({ password: 'not it' }).runAsRoot(['true']));

console.log(
  JSON.stringify({
    sessions: [first, second, third],
    hashOk: hashed.stdout === `${createHash('sha256').update(binary).digest('hex')}  -\n`,
    timedOut,
    timedOutLeftRunning,
    afterTimeout,
    aborted,
    abortMs,
    abortedLeftRunning,
    afterAbort,
    closedSudoRunning: readdirSync('/proc').includes(closedSudo),
    wrong,
    wrongMs: Date.now() - wrongStarted,
  }),
);
