/**
 * How the wizard logs in to a node: ssh-agent, then a key from ~/.ssh, then the password (or
 * keyboard-interactive answered with it), in a bounded number of attempts so sshd's MaxAuthTries
 * and OpenSSH's per-source penalties are never tripped.
 */

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type {
  AnyAuthMethod,
  AuthenticationType,
  IdentityCallback,
  KeyboardInteractiveCallback,
  OpenSSHAgent,
  ParsedKey,
  Prompt,
} from 'ssh2';
import { loadSsh2 } from './load-ssh2.js';

export interface SshCredentials {
  username: string;
  /** The login password; also what sudo is given when it asks. */
  password?: string;
  /** Where to look for id_ed25519, id_ecdsa, id_rsa (default ~/.ssh). */
  identityDirectory?: string;
  /** For encrypted private keys; without it they are skipped. */
  passphrase?: string;
  /** ssh-agent socket; default `SSH_AUTH_SOCK`. Set to null to never use an agent. */
  agentSocket?: string | null;
  /** Most login attempts per connection (default 4, below sshd's default MaxAuthTries of 6). */
  maxAttempts?: number;
}

export const IDENTITY_FILE_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'] as const;

export interface Identity {
  /** The file the key came from, for messages. */
  source: string;
  key: ParsedKey;
}

/** Private keys from the identity directory that can be used now (encrypted ones need the passphrase). */
export async function loadIdentities(credentials: SshCredentials): Promise<Identity[]> {
  const { utils } = await loadSsh2();
  const directory = credentials.identityDirectory ?? join(homedir(), '.ssh');
  const identities: Identity[] = [];
  for (const name of IDENTITY_FILE_NAMES) {
    const source = join(directory, name);
    let data: Buffer;
    try {
      data = readFileSync(source);
    } catch {
      continue;
    }
    const parsed = utils.parseKey(data, credentials.passphrase);
    // parseKey returns an Error (does not throw) for encrypted keys without their passphrase.
    if (parsed instanceof Error) continue;
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key?.isPrivateKey()) identities.push({ source, key });
  }
  return identities;
}

export type AuthStep =
  | { method: 'agent'; socket: string; keys: number }
  | { method: 'publickey'; identity: Identity }
  | { method: 'password' };

/**
 * The login attempts to make, in order, within the budget. The password always keeps one attempt
 * when it is known, since it is the method that works on a freshly flashed Pi.
 */
export function planAuthentication(
  credentials: SshCredentials,
  identities: readonly Identity[],
  environmentAgentSocket: string | undefined = process.env.SSH_AUTH_SOCK,
): AuthStep[] {
  const budget = Math.max(1, credentials.maxAttempts ?? 4);
  const keyBudget = budget - (credentials.password === undefined ? 0 : 1);
  const steps: AuthStep[] = [];
  let keysLeft = keyBudget;
  const socket =
    credentials.agentSocket === null
      ? undefined
      : (credentials.agentSocket ?? environmentAgentSocket);
  if (socket && keysLeft > 0) {
    // The agent's keys are limited to what is left after the files' share, at least one.
    const forAgent = Math.max(1, keysLeft - identities.length);
    steps.push({ method: 'agent', socket, keys: forAgent });
    keysLeft -= forAgent;
  }
  for (const identity of identities) {
    if (keysLeft <= 0) break;
    steps.push({ method: 'publickey', identity });
    keysLeft -= 1;
  }
  if (credentials.password !== undefined) {
    steps.push({ method: 'password' });
  }
  return steps;
}

/** The agent offering only its first few keys, so a full agent cannot exhaust MaxAuthTries. */
function bounded(agent: OpenSSHAgent, limit: number): OpenSSHAgent {
  const getIdentities = agent.getIdentities.bind(agent);
  agent.getIdentities = (callback: IdentityCallback<ParsedKey>) => {
    getIdentities((error, keys) => {
      callback(error, keys?.slice(0, limit));
    });
  };
  return agent;
}

export interface AuthProgress {
  /** Methods tried so far, for the error message. */
  tried: string[];
  /** What the server said it accepts, from its last failure reply. */
  offered: AuthenticationType[];
}

/**
 * ssh2's `authHandler`: "none" first (free, it tells which methods the server takes), then the
 * planned steps the server accepts; the password goes over keyboard-interactive when the server
 * does not take plain password logins.
 */
export async function createAuthHandler(
  username: string,
  password: string | undefined,
  steps: readonly AuthStep[],
  progress: AuthProgress,
) {
  const { OpenSSHAgent } = await loadSsh2();
  let started = false;
  let index = 0;
  return (
    methodsLeft: AuthenticationType[] | null,
    _partialSuccess: boolean | null,
    next: (method: AnyAuthMethod | false) => void,
  ): void => {
    if (methodsLeft) progress.offered = methodsLeft;
    if (!started) {
      started = true;
      next({ type: 'none', username });
      return;
    }
    const allows = (type: AuthenticationType) => methodsLeft === null || methodsLeft.includes(type);
    while (index < steps.length) {
      const step = steps[index];
      index += 1;
      if (!step) break;
      if (step.method === 'agent' && allows('publickey')) {
        progress.tried.push('ssh-agent');
        next({ type: 'agent', username, agent: bounded(new OpenSSHAgent(step.socket), step.keys) });
        return;
      }
      if (step.method === 'publickey' && allows('publickey')) {
        progress.tried.push(`key ${step.identity.source}`);
        next({ type: 'publickey', username, key: step.identity.key });
        return;
      }
      if (step.method === 'password' && password !== undefined) {
        if (allows('password')) {
          progress.tried.push('password');
          next({ type: 'password', username, password });
          return;
        }
        if (allows('keyboard-interactive')) {
          progress.tried.push('keyboard-interactive');
          next({ type: 'keyboard-interactive', username, prompt: answerWithPassword(password) });
          return;
        }
      }
    }
    next(false);
  };
}

/** Answers keyboard-interactive prompts with the password, for two rounds at most. */
function answerWithPassword(password: string) {
  let rounds = 0;
  return (
    _name: string,
    _instructions: string,
    _lang: string,
    prompts: Prompt[],
    finish: KeyboardInteractiveCallback,
  ): void => {
    rounds += 1;
    if (rounds > 2) {
      finish([]);
      return;
    }
    finish(prompts.map(() => password));
  };
}
