/**
 * The one place that turns transport failures into words for people: what happened, on which
 * node, and what to do next. The engine reads `transient` to decide whether a retry can help.
 */

export type TransportErrorKind =
  | 'auth-failed'
  | 'connection-refused'
  | 'timed-out'
  | 'no-route'
  | 'unknown-host'
  | 'host-key-changed'
  | 'sudo-refused'
  | 'connection-lost'
  | 'command-timed-out'
  | 'command-killed'
  | 'command-failed'
  | 'did-not-come-back'
  | 'did-not-power-off'
  | 'aborted'
  | 'protocol';

/** Kinds a later attempt can fix by itself: the node was busy, booting, or the network hiccupped. */
const TRANSIENT_KINDS: ReadonlySet<TransportErrorKind> = new Set<TransportErrorKind>([
  'connection-refused',
  'timed-out',
  'no-route',
  'connection-lost',
  'command-timed-out',
]);

export interface TransportErrorDetails {
  /** What happened, in words, naming the node. */
  message: string;
  /** One line on what the person can do about it. */
  nextStep: string;
  cause?: unknown;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly node: string;
  readonly kind: TransportErrorKind;
  readonly transient: boolean;
  readonly nextStep: string;

  constructor(node: string, kind: TransportErrorKind, details: TransportErrorDetails) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.node = node;
    this.kind = kind;
    this.transient = TRANSIENT_KINDS.has(kind);
    this.nextStep = details.nextStep;
  }
}

export function isTransportError(error: unknown): error is TransportError {
  return error instanceof TransportError;
}

export function isTransient(error: unknown): boolean {
  return isTransportError(error) && error.transient;
}

/** Where a connection attempt was going, for messages. */
export interface ConnectionTarget {
  node: string;
  host: string;
  port: number;
  username?: string;
}

function describeTarget(target: ConnectionTarget): string {
  const address = target.port === 22 ? target.host : `${target.host}:${target.port}`;
  return target.node === target.host ? address : `${target.node} (${address})`;
}

interface ErrorWithCode {
  code?: unknown;
  level?: unknown;
  message?: unknown;
}

function errorFields(error: unknown): { code: string; level: string; message: string } {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as ErrorWithCode;
  return {
    code: typeof fields.code === 'string' ? fields.code : '',
    level: typeof fields.level === 'string' ? fields.level : '',
    message: typeof fields.message === 'string' ? fields.message : String(error),
  };
}

/** Turns what ssh2 or the socket reported while connecting into an error in words. */
export function connectionError(target: ConnectionTarget, error: unknown): TransportError {
  if (isTransportError(error)) {
    return error;
  }
  const { code, level, message } = errorFields(error);
  const where = describeTarget(target);
  const node = target.node;
  if (code === 'ECONNREFUSED') {
    return new TransportError(node, 'connection-refused', {
      message: `${where} refused the SSH connection: nothing is listening on port ${target.port}.`,
      nextStep:
        'If the Pi is still booting, wait a minute and retry; otherwise check that SSH is enabled on it (raspi-config, Interface Options, SSH).',
      cause: error,
    });
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return new TransportError(node, 'no-route', {
      message: `No route to ${where}: nothing on the network answers for this address.`,
      nextStep:
        'Check that the Pi is powered and on the same network as this machine, and that the address is right.',
      cause: error,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new TransportError(node, 'unknown-host', {
      message: `The name ${target.host} of ${target.node} does not resolve to an address.`,
      nextStep: 'Use the IP address of the Pi, or check the name for typos.',
      cause: error,
    });
  }
  if (code === 'ETIMEDOUT' || level === 'client-timeout' || /timed out/i.test(message)) {
    if (/keepalive/i.test(message)) {
      return connectionLost(target.node, 'the node stopped answering (keepalive timeout)', error);
    }
    return new TransportError(node, 'timed-out', {
      message: `${where} did not complete the SSH handshake in time.`,
      nextStep:
        'Check that the Pi is powered and reachable; a Pi that is still booting answers after a minute.',
      cause: error,
    });
  }
  if (level === 'client-authentication') {
    return new TransportError(node, 'auth-failed', {
      message: `${where} did not accept the login${target.username ? ` for user ${target.username}` : ''}.`,
      nextStep: 'Check the user name and password set when this card was flashed, then retry.',
      cause: error,
    });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /lost|closed|ended/i.test(message)) {
    return connectionLost(target.node, message, error);
  }
  return new TransportError(node, 'protocol', {
    message: `SSH to ${where} failed: ${message}`,
    nextStep: 'Retry; if it keeps failing, try `ssh` to the node by hand to see what it says.',
    cause: error,
  });
}

export function connectionLost(node: string, reason: string, cause?: unknown): TransportError {
  return new TransportError(node, 'connection-lost', {
    message: `The connection to ${node} was lost: ${reason}.`,
    nextStep:
      'Check that the Pi is still powered and on the network; the step is retried automatically.',
    cause,
  });
}

/** A command under which the connection went away: no exit status came. */
export function droppedUnder(node: string, what: string, reason: string): TransportError {
  return connectionLost(
    node,
    `${what} was running when the connection dropped${reason ? ` (${reason})` : ''}`,
  );
}

export function authenticationFailed(
  target: ConnectionTarget,
  tried: readonly string[],
  offered: readonly string[],
): TransportError {
  const where = describeTarget(target);
  const user = target.username ?? 'the login user';
  if (tried.length === 0) {
    return new TransportError(target.node, 'auth-failed', {
      message: `${where} offers only ${offered.join(', ') || 'no'} login methods, and none of them can be used here for ${user}.`,
      nextStep:
        'Give the password of the login user, or put a key in ~/.ssh that the Pi accepts, then retry.',
    });
  }
  const usedPassword = tried.includes('password') || tried.includes('keyboard-interactive');
  return new TransportError(target.node, 'auth-failed', {
    message: usedPassword
      ? `${where} did not accept the password for user ${user} (tried ${tried.join(', ')}).`
      : `${where} did not accept any key for user ${user} (tried ${tried.join(', ')}).`,
    nextStep: usedPassword
      ? 'Check the user name and password set when this card was flashed, then retry.'
      : 'Give the password of the login user so the wizard can log in and install a key.',
  });
}

export function hostKeyChanged(
  target: ConnectionTarget,
  knownHostsPath: string,
  hostPattern: string,
  fingerprint: string,
): TransportError {
  return new TransportError(target.node, 'host-key-changed', {
    message: `The SSH host key of ${describeTarget(target)} (${fingerprint}) is not the one recorded in ${knownHostsPath}. Either the card was reflashed, or another machine answers at this address. Work on this node stopped.`,
    nextStep: `If you reflashed this Pi, forget the old key with: ssh-keygen -f "${knownHostsPath}" -R "${hostPattern}" and retry.`,
  });
}

export type SudoRefusal = 'wrong-password' | 'not-in-sudoers' | 'password-needed' | 'no-sudo';

export function sudoRefused(node: string, reason: SudoRefusal, detail: string): TransportError {
  const messages: Record<SudoRefusal, { message: string; nextStep: string }> = {
    'wrong-password': {
      message: `sudo on ${node} did not accept the password.`,
      nextStep: 'Check the password of the login user on this node, then retry.',
    },
    'not-in-sudoers': {
      message: `The login user on ${node} may not use sudo.`,
      nextStep:
        'Log in as a user in the sudo group (the user created when flashing is), or add this user with: usermod -aG sudo <user>.',
    },
    'password-needed': {
      message: `sudo on ${node} asks for a password, and none was given.`,
      nextStep: 'Give the password of the login user, then retry.',
    },
    'no-sudo': {
      message: `sudo is not usable on ${node}.`,
      nextStep: 'Install sudo on the node (apt install sudo) as root, then retry.',
    },
  };
  const { message, nextStep } = messages[reason];
  return new TransportError(node, 'sudo-refused', {
    message: detail ? `${message} (${detail})` : message,
    nextStep,
  });
}

export function commandFailed(
  node: string,
  what: string,
  code: number,
  stderr: string,
): TransportError {
  const said = stderr.trim().split('\n').slice(-3).join(' / ');
  return new TransportError(node, 'command-failed', {
    message: `${what} failed on ${node} (exit code ${code})${said ? `: ${said}` : ''}.`,
    nextStep: 'See the command log for the full command; fix the cause on the node and retry.',
  });
}

export function commandTimedOut(node: string, what: string, timeoutMs: number): TransportError {
  return new TransportError(node, 'command-timed-out', {
    message: `${what} on ${node} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`,
    nextStep:
      'Check whether the node is overloaded or waiting for something; it is retried automatically.',
  });
}

export function commandKilled(node: string, what: string, signal: string): TransportError {
  return new TransportError(node, 'command-killed', {
    message: `${what} on ${node} was killed by signal ${signal}.`,
    nextStep:
      'Check the node for memory pressure or another process stopping commands, then retry.',
  });
}

export function aborted(node: string, what: string): TransportError {
  return new TransportError(node, 'aborted', {
    message: `${what} on ${node} was cancelled.`,
    nextStep: 'Run it again when you are ready.',
  });
}

export function didNotComeBack(
  node: string,
  lastKnownAddress: string,
  expectedAddress: string,
  waitedMs: number,
  lastError: unknown,
): TransportError {
  const last = lastError === undefined ? '' : ` Last attempt: ${describeCause(lastError)}`;
  return new TransportError(node, 'did-not-come-back', {
    message: `${node} did not come back after the reboot: waited ${Math.round(waitedMs / 1000)} s for SSH at ${expectedAddress} (last known address ${lastKnownAddress}).${last}`,
    nextStep: `Check the Pi's screen or LEDs; if it booted with another address, look for it at ${lastKnownAddress} or in your router's DHCP list, and check its network settings.`,
  });
}

/** `login` is user@address, where the node still answers. */
export function didNotPowerOff(node: string, login: string, waitedMs: number): TransportError {
  const address = login.slice(login.indexOf('@') + 1);
  return new TransportError(node, 'did-not-power-off', {
    message: `${node} still answered SSH at ${address} ${Math.round(waitedMs / 1000)} s after it was told to power off.`,
    nextStep: `Log in to it (ssh ${login}) to see what holds it up, or power it off there by hand (sudo poweroff); unplug it once its green LED has stopped blinking.`,
  });
}

function describeCause(error: unknown): string {
  return isTransportError(error) ? error.message : errorFields(error).message;
}

/**
 * The one format of a failure for people, whatever failed (a transport, a step's check, the
 * command line): what happened, then what to do next, then where the command log is when there
 * is one, so every command run on the node can be looked at.
 */
export function formatFailure(failure: {
  message: string;
  nextStep?: string;
  commandLogPath?: string;
}): string {
  return [
    failure.message,
    ...(failure.nextStep ? [`What to do: ${failure.nextStep}`] : []),
    ...(failure.commandLogPath ? [`Command log: ${failure.commandLogPath}`] : []),
  ].join('\n');
}

/** Any error in that format: a TransportError with its next step, anything else by its message. */
export function formatTransportError(
  error: unknown,
  options: { commandLogPath?: string } = {},
): string {
  return formatFailure({
    message: describeCause(error),
    ...(isTransportError(error) ? { nextStep: error.nextStep } : {}),
    ...(options.commandLogPath ? { commandLogPath: options.commandLogPath } : {}),
  });
}
