// The session file on disk, through conf: one JSON file per --session name, mode 0600, written
// atomically on every change. A file that cannot be used is moved aside, never a crash.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { readSavedSession, type SavedSession, sessionSchemaVersion } from './saved-session.js';

/** Tests and people with several set-ups point this at a directory of their own. */
export const configDirVariable = 'PI_CLUSTER_WIZARD_CONFIG_DIR';

/** $PI_CLUSTER_WIZARD_CONFIG_DIR, else $XDG_CONFIG_HOME/pi-cluster-wizard or ~/.config/… */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env[configDirVariable];
  if (own) return path.resolve(own);
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'pi-cluster-wizard');
}

export interface OpenSessionOptions {
  sessionName: string;
  /** --fresh: do not offer the saved session (it is replaced once the person moves on). */
  fresh?: boolean;
  configDir?: string;
  now?: () => Date;
}

export interface SessionFile {
  /** Where the session is saved. */
  path: string;
  /** The saved session to offer, if there is one and it is readable. */
  saved?: SavedSession;
  /** What the person must be told about the file (moved aside, replaced, not saved). */
  notice?: string;
  /** Writes the session; returns a message for the person when that failed. */
  save(session: SavedSession): string | undefined;
}

type SessionConf = Conf<Record<string, unknown>>;

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function openSessionFile(options: OpenSessionOptions): SessionFile {
  const configDir = options.configDir ?? defaultConfigDir();
  const configName = `session-${options.sessionName}`;
  const file = path.join(configDir, `${configName}.json`);
  const open = (): SessionConf =>
    new Conf<Record<string, unknown>>({
      cwd: configDir,
      configName,
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
    });

  let conf: SessionConf | undefined;
  let problem: string | undefined;
  try {
    // Only its owner lists the sessions (conf would make the directory world-readable).
    fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
    conf = open();
    if (fs.existsSync(file)) {
      const read = readSavedSession(conf.store);
      if (read.kind === 'newer') {
        problem = `it was written by a newer pi-cluster-wizard (session format ${read.schemaVersion}; this version reads format ${sessionSchemaVersion}): update the wizard to resume it`;
      } else if (read.kind === 'invalid') {
        problem = read.reason;
      } else if (options.fresh) {
        return {
          path: file,
          save: saver(conf, file),
          notice: `Starting fresh (--fresh): the saved session in ${file} is replaced once you go past this screen.`,
        };
      } else {
        return { path: file, save: saver(conf, file), saved: read.session };
      }
    }
  } catch (error) {
    problem = describeError(error);
  }
  if (problem === undefined && conf) return { path: file, save: saver(conf, file) };

  const unsaved = 'Your answers are kept only until you quit.';
  const cannotSave = () => `The session cannot be saved in ${file}. ${unsaved}`;
  const unusable = `The saved session in ${file} could not be used (${problem})`;
  if (!fs.existsSync(file)) {
    return {
      path: file,
      notice: `The session cannot be saved in ${file} (${problem}). ${unsaved}`,
      save: cannotSave,
    };
  }
  const now = options.now ?? (() => new Date());
  const target = `${file}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
  try {
    fs.renameSync(file, target);
  } catch (error) {
    return {
      path: file,
      notice: `${unusable} and could not be moved aside (${describeError(error)}). Starting fresh. ${unsaved}`,
      save: cannotSave,
    };
  }
  const notice = `${unusable}. It was moved to ${target}. Starting fresh.`;
  try {
    return { path: file, notice, save: saver(conf ?? open(), file) };
  } catch (error) {
    return {
      path: file,
      notice: `${notice} ${unsaved} (${describeError(error)})`,
      save: cannotSave,
    };
  }
}

function saver(conf: SessionConf, file: string): SessionFile['save'] {
  return (session) => {
    try {
      conf.store = { ...session };
      return undefined;
    } catch (error) {
      return `Could not save the session to ${file}: ${describeError(error)}. Your answers are kept only until you quit.`;
    }
  };
}
