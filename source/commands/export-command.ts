// `pi-cluster-wizard export ansible|hosts|mpi|ssh-config`: the saved cluster in another tool's
// format, on standard output or in a file (--output) replaced the way the steps replace a node's
// files: atomically, with a backup, and not at all when it already holds the same. Reads only the
// session; contacts no Pi.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExportOptions } from '../command-line/parse-command-line.js';
import { openSessionFile } from '../session/session-file.js';
import { formatTransportError } from '../transport/errors.js';
import { LocalNodeConnection } from '../transport/local-connection.js';
import { exitCodes } from './exit-codes.js';
import { type ExportKind, exportText, processorsUnknown } from './export-formats.js';

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A new file's mode: an ssh_config must be its owner's alone (ssh refuses it otherwise). */
const newFileMode = (kind: ExportKind) => (kind === 'ssh-config' ? 0o600 : 0o644);

export async function exportCommand(options: ExportOptions, io: Io = process): Promise<number> {
  const refuse = (message: string) => {
    io.stderr.write(`${message}\n`);
    return exitCodes.usage;
  };
  const sessionFlag = options.sessionName === 'default' ? '' : ` --session ${options.sessionName}`;
  const target = options.output === undefined ? undefined : outputPath(options.output);
  const targetProblem = target === undefined ? undefined : outputProblem(target);
  if (targetProblem) return refuse(targetProblem);

  const sessionFile = openSessionFile({ sessionName: options.sessionName });
  if (sessionFile.notice) io.stderr.write(`${sessionFile.notice}\n`);
  const session = sessionFile.saved;
  if (session === undefined || session.rows.length === 0) {
    return refuse(
      `No cluster is planned in ${sessionFile.path}, so there is nothing to export. Plan one first: on the wizard's screens (pi-cluster-wizard${sessionFlag}), or from flags (pi-cluster-wizard run all${sessionFlag} --nodes N --subnet CIDR).`,
    );
  }
  const source = {
    rows: session.rows,
    user: session.settings.user,
    ...(session.run?.memory.nodes ? { known: session.run.memory.nodes } : {}),
  };
  const text = exportText(options.kind, source);
  if (options.kind === 'mpi') {
    const unknown = processorsUnknown(source);
    if (unknown.length > 0)
      io.stderr.write(
        `The number of processors of ${unknown.join(', ')} is not known yet (preflight has not recorded it), so ${unknown.length === 1 ? 'its line has' : 'their lines have'} no :N and MPICH starts one process there at a time. To learn ${unknown.length === 1 ? 'it' : 'them'}: pi-cluster-wizard run preflight${sessionFlag}, then export again.\n`,
      );
  }
  if (target === undefined) {
    io.stdout.write(text);
    return exitCodes.done;
  }
  return writeExport(target, text, newFileMode(options.kind), io);
}

/** --output as given, with a leading `~/` as the shell would have expanded it (--output=~/x). */
function outputPath(given: string): string {
  const home = given === '~' || given.startsWith('~/') ? os.homedir() + given.slice(1) : given;
  return path.resolve(home);
}

function outputProblem(target: string): string | undefined {
  const directory = path.dirname(target);
  const stat = (file: string) => fs.statSync(file, { throwIfNoEntry: false });
  if (!stat(directory)?.isDirectory())
    return `--output ${target}: the directory ${directory} does not exist; create it first (mkdir -p ${directory}) or write somewhere else.`;
  if (stat(target)?.isDirectory())
    return `--output ${target} is a directory: name the file to write, e.g. --output ${path.join(target, 'inventory.yml')}.`;
  try {
    // The temporary file and the backup are made beside the file; the old version is read first.
    fs.accessSync(directory, fs.constants.W_OK);
    if (stat(target)) fs.accessSync(target, fs.constants.R_OK);
  } catch (error) {
    return `--output ${target}: ${(error as Error).message}; choose a file you may read and write in a directory you may write to.`;
  }
  return undefined;
}

/** The one atomic replace of the wizard (the steps' own), on this machine as the user running it. */
async function writeExport(target: string, text: string, newMode: number, io: Io) {
  const connection = new LocalNodeConnection({ node: 'this machine' });
  try {
    const current = await connection.inspectFile(target);
    // An existing file keeps its mode (and, in the replace, its owner).
    const mode = current === undefined ? newMode : Number.parseInt(current.mode, 8);
    const change = await connection.replaceFile(target, text, { mode, asRoot: false });
    if (!change.changed) io.stderr.write(`${target} already holds this export: nothing written.\n`);
    else if (change.backupPath)
      io.stderr.write(`Wrote ${target}; its previous version is kept in ${change.backupPath}.\n`);
    else io.stderr.write(`Wrote ${target}.\n`);
    return exitCodes.done;
  } catch (error) {
    io.stderr.write(`${formatTransportError(error)}\n`);
    return exitCodes.notDone;
  } finally {
    await connection.close();
  }
}
