// The login password for a run without screens: from --password-file, from standard input when it
// is a pipe, or typed at a hidden prompt. Never from argv or the environment; kept in memory only.
import { readFileSync, statSync } from 'node:fs';
import type { ReadStream } from 'node:tty';

export type PasswordResult =
  | { ok: true; password: string | undefined; warning?: string }
  | { ok: false; message: string };

/** The first line of the file; a warning when others can read it. */
export function readPasswordFile(path: string): PasswordResult {
  try {
    const mode = statSync(path).mode & 0o777;
    const password = firstLine(readFileSync(path, 'utf8'));
    const warning =
      mode & 0o077
        ? `${path} can be read by other users (mode ${mode.toString(8)}): chmod 600 ${path}`
        : undefined;
    return { ok: true, password, ...(warning ? { warning } : {}) };
  } catch (error) {
    return {
      ok: false,
      message: `cannot read the password file ${path}: ${(error as Error).message}`,
    };
  }
}

/** The first line of standard input, when it is a pipe or a file. */
export async function readPasswordFromPipe(stdin: NodeJS.ReadableStream): Promise<PasswordResult> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
  return { ok: true, password: firstLine(Buffer.concat(chunks).toString('utf8')) };
}

/** Reads one line at the terminal, echoed or hidden; Ctrl+C gives `interrupted`. */
export function promptLine(
  stdin: ReadStream,
  stderr: NodeJS.WritableStream,
  question: string,
  options: { hidden: boolean },
): Promise<string | 'interrupted'> {
  return new Promise((resolve) => {
    let typed = '';
    stderr.write(question);
    stdin.setRawMode(true);
    // After the Ink screens, stdin is unref'd: without this the process would end at the prompt.
    stdin.ref();
    stdin.resume();
    const finish = (result: string | 'interrupted', rest: string) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.unref();
      stdin.off('data', onData);
      // Keys typed ahead (a pasted answer to the next question) stay for the next reader.
      if (rest !== '') stdin.unshift(Buffer.from(rest, 'utf8'));
      stderr.write('\n');
      resolve(result);
    };
    const onData = (data: Buffer) => {
      const chars = [...data.toString('utf8')];
      for (const [position, char] of chars.entries()) {
        const rest = chars.slice(position + 1).join('');
        if (char === '\u0003') return finish('interrupted', rest);
        if (char === '\r' || char === '\n') return finish(typed, rest);
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (char >= ' ') {
          typed += char;
          if (!options.hidden) stderr.write(char);
        }
      }
    };
    stdin.on('data', onData);
  });
}

/** Asks for the password without echoing it; an empty answer means none (keys only). */
export async function promptPassword(
  stdin: ReadStream,
  stderr: NodeJS.WritableStream,
  question: string,
): Promise<PasswordResult | 'interrupted'> {
  const typed = await promptLine(stdin, stderr, question, { hidden: true });
  if (typed === 'interrupted') return typed;
  return { ok: true, password: typed === '' ? undefined : typed };
}

function firstLine(text: string): string | undefined {
  const line = text.split(/\r?\n/)[0] ?? '';
  return line === '' ? undefined : line;
}
