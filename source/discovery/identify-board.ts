/**
 * Identify: makes one board's activity LED blink for a few seconds so the person can label the
 * physical Pi, then gives the LED back its trigger (and brightness). Raspberry Pi OS names the LED
 * ACT (led0 on older kernels). The node restores the LED itself when the blink ends, even if the
 * connection drops meanwhile; the wizard restores it again when the blink failed or was stopped.
 */
import { LocalNodeConnection } from '../transport/local-connection.js';
import type { NodeConnection } from '../transport/node-connection.js';
import { connectOverSsh } from '../transport/ssh-connection.js';

export const ledNames = ['ACT', 'led0'] as const;

export type IdentifyOutcome =
  | { kind: 'blinked'; led: string; restoredTrigger: string; seconds: number }
  | { kind: 'no-led'; message: string };

export interface LedState {
  /** e.g. /sys/class/leds/ACT */
  directory: string;
  /** The trigger in use, e.g. mmc0 (the bracketed word of the trigger file). */
  trigger: string;
  brightness: string;
}

const findLedScript = `for name in "$@"; do
  dir=/sys/class/leds/$name
  if [ -f "$dir/trigger" ] && [ -f "$dir/brightness" ]; then
    printf 'dir=%s\\n' "$dir"
    printf 'trigger=%s\\n' "$(cat "$dir/trigger")"
    printf 'brightness=%s\\n' "$(cat "$dir/brightness")"
    exit 0
  fi
done
echo none`;

// The timer trigger blinks by itself (delay_on/delay_off appear once it is chosen); where it
// cannot be chosen, the brightness is toggled by hand. Brightness goes back before the trigger:
// on a real LED, writing brightness switches the trigger off. The script's pid is kept in /run so
// that a stopped identify can end it before restoring.
const blinkScript = `dir=$1 seconds=$2 trigger=$3 brightness=$4 pidfile=$5
restore() {
  echo "$brightness" > "$dir/brightness"
  echo "$trigger" > "$dir/trigger"
  rm -f "$pidfile"
}
trap 'restore; exit 1' HUP INT TERM
echo $$ > "$pidfile"
if echo timer > "$dir/trigger" 2>/dev/null && [ -f "$dir/delay_on" ]; then
  echo 100 > "$dir/delay_on"
  echo 100 > "$dir/delay_off"
  sleep "$seconds" &
  wait $!
else
  echo none > "$dir/trigger"
  end=$(( $(date +%s) + seconds ))
  on=1
  while [ "$(date +%s)" -lt "$end" ]; do
    echo "$on" > "$dir/brightness"
    on=$(( 1 - on ))
    sleep 0.25
  done
fi
restore`;

const restoreScript = `dir=$1 trigger=$2 brightness=$3 pidfile=$4
if pid=$(cat "$pidfile" 2>/dev/null) && kill "$pid" 2>/dev/null; then
  tries=0
  while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 20 ]; do sleep 0.1; tries=$((tries + 1)); done
fi
rm -f "$pidfile"
echo "$brightness" > "$dir/brightness"
echo "$trigger" > "$dir/trigger"`;

/** Where the blink script of one LED keeps its pid. */
const pidFileOf = (ledDirectory: string) =>
  `/run/pi-cluster-wizard-identify-${ledDirectory.split('/').pop() ?? 'led'}.pid`;

/** The trigger in use: the bracketed word (`none timer [mmc0]` → mmc0), or the only word. */
export function selectedTrigger(triggerFile: string): string | undefined {
  const bracketed = /\[([^\]\s]+)\]/.exec(triggerFile)?.[1];
  if (bracketed) return bracketed;
  const words = triggerFile.trim().split(/\s+/).filter(Boolean);
  return words.length === 1 ? words[0] : undefined;
}

/** The board's activity LED and its state, or undefined when it has none. */
export async function readLedState(
  connection: NodeConnection,
  signal?: AbortSignal,
): Promise<LedState | undefined> {
  const result = await connection.run(
    { script: findLedScript, args: [...ledNames] },
    {
      label: 'find the activity LED',
      check: true,
      timeoutMs: 15_000,
      ...(signal ? { signal } : {}),
    },
  );
  const fields = new Map(
    result.stdout.split('\n').flatMap((line) => {
      const at = line.indexOf('=');
      return at > 0 ? [[line.slice(0, at), line.slice(at + 1)] as const] : [];
    }),
  );
  const directory = fields.get('dir');
  if (!directory) return undefined;
  return {
    directory,
    trigger: selectedTrigger(fields.get('trigger') ?? '') ?? 'none',
    brightness: (fields.get('brightness') ?? '0').trim() || '0',
  };
}

export async function identifyBoard(
  connection: NodeConnection,
  options: { seconds?: number; signal?: AbortSignal } = {},
): Promise<IdentifyOutcome> {
  const seconds = Math.max(1, Math.round(options.seconds ?? 5));
  const signal = options.signal;
  const led = await readLedState(connection, signal);
  if (!led) {
    return {
      kind: 'no-led',
      message: `${connection.node} has no activity LED the wizard can blink (no /sys/class/leds/${ledNames.join(' or ')}): it may not be a Raspberry Pi. Tell it apart by its address or MAC instead.`,
    };
  }
  let blinked = false;
  try {
    await connection.runAsRoot(
      {
        script: blinkScript,
        args: [
          led.directory,
          String(seconds),
          led.trigger,
          led.brightness,
          pidFileOf(led.directory),
        ],
      },
      {
        label: `blink ${led.directory} for ${seconds} s`,
        check: true,
        timeoutMs: seconds * 1000 + 20_000,
        ...(signal ? { signal } : {}),
      },
    );
    blinked = true;
  } finally {
    if (!blinked) {
      // Ends the node's blink script (its trap restores too), then restores: best effort.
      await connection
        .runAsRoot(
          {
            script: restoreScript,
            args: [led.directory, led.trigger, led.brightness, pidFileOf(led.directory)],
          },
          { label: `restore ${led.directory}`, timeoutMs: 15_000 },
        )
        .catch(() => undefined);
    }
  }
  return { kind: 'blinked', led: led.directory, restoredTrigger: led.trigger, seconds };
}

export interface IdentifyTarget {
  /** The row's hostname, or the address for a machine not assigned yet. */
  node: string;
  address: string;
  /** The wizard's own machine is reached with local commands, not over SSH. */
  isThisMachine: boolean;
  user: string;
  /** Memory only: given to the connection, never logged or saved. */
  password?: string;
  knownHostsPath?: string;
  signal?: AbortSignal;
}

/** Logs in to the machine to identify (the one login discovery makes, after the person chose it). */
export async function openIdentifyConnection(target: IdentifyTarget): Promise<NodeConnection> {
  const password = target.password === undefined ? {} : { password: target.password };
  if (target.isThisMachine) return new LocalNodeConnection({ node: target.node, ...password });
  return connectOverSsh({
    node: target.node,
    host: target.address,
    credentials: { username: target.user, ...password },
    readyTimeoutMs: 15_000,
    ...(target.knownHostsPath ? { knownHostsPath: target.knownHostsPath } : {}),
    ...(target.signal ? { signal: target.signal } : {}),
  });
}

/** Opens the connection, blinks, closes; failures come back as TransportErrors for formatTransportError. */
export async function identifyMachine(
  target: IdentifyTarget,
  seconds?: number,
): Promise<IdentifyOutcome> {
  const connection = await openIdentifyConnection(target);
  try {
    return await identifyBoard(connection, {
      ...(seconds === undefined ? {} : { seconds }),
      ...(target.signal ? { signal: target.signal } : {}),
    });
  } finally {
    await connection.close();
  }
}
