// The one place signals become an orderly stop. SIGINT (Ctrl+C), SIGTERM (a kill) and SIGHUP (the
// terminal closed) abort the work: work in flight finishes and the session is saved; a second one
// quits at once. Every command ends with the signal's code from exit-codes.ts.
import { exitCodes, type InterruptSignal } from './exit-codes.js';

export const interruptSignals: readonly InterruptSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface Interrupts {
  /** Aborted at the first interrupt. */
  readonly signal: AbortSignal;
  /** The first interrupt, if any. */
  readonly by: InterruptSignal | undefined;
  /** The code to end with when interrupted (undefined when not). */
  readonly exitCode: number | undefined;
  /** Ctrl+C typed on a screen (raw mode turns it into a key, not a signal) counts the same. */
  interrupt(signal: InterruptSignal): void;
  /** The first interrupt only: nothing when already stopping (a screen's own "stop" key). */
  stop(signal: InterruptSignal): void;
  /** Stops listening; call once the work is over. */
  dispose(): void;
}

export interface CatchInterruptsOptions {
  /** Told of the first interrupt (say "Stopping…", stop the screens' store, …). */
  onInterrupt?: (signal: InterruptSignal) => void;
  /** Before quitting at the second interrupt: put the terminal back. */
  beforeQuit?: () => void;
  /** Replaceable in tests. */
  exit?: (code: number) => void;
}

export function catchInterrupts(options: CatchInterruptsOptions = {}): Interrupts {
  const controller = new AbortController();
  let by: InterruptSignal | undefined;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  // A library listening once re-raises the signal to this process after its own clean-up (conf's
  // atomically → when-exit does): that echo is not the person's second Ctrl+C.
  let echoes = 0;
  const onceListeners = new Map(interruptSignals.map((signal) => [signal, listenersOnce(signal)]));
  const interrupt = (signal: InterruptSignal) => {
    if (by !== undefined && signal === by && echoes > 0) {
      echoes -= 1;
      return;
    }
    if (by !== undefined) {
      options.beforeQuit?.();
      exit(exitCodes[by]);
      return;
    }
    by = signal;
    // Such a listener may have run (and gone) before this one: count those seen at the start too.
    echoes = new Set([...(onceListeners.get(signal) ?? []), ...listenersOnce(signal)]).size;
    controller.abort();
    options.onInterrupt?.(signal);
  };
  const listeners = interruptSignals.map((signal) => {
    const listener = () => interrupt(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return {
    signal: controller.signal,
    get by() {
      return by;
    },
    get exitCode() {
      return by === undefined ? undefined : exitCodes[by];
    },
    interrupt,
    stop(signal) {
      if (by === undefined) interrupt(signal);
    },
    dispose() {
      for (const [signal, listener] of listeners) process.off(signal, listener);
    },
  };
}

/** The listeners registered with process.once (rawListeners shows them wrapped, with .listener). */
function listenersOnce(signal: InterruptSignal): unknown[] {
  return process.rawListeners(signal).filter((listener) => 'listener' in listener);
}
