// The live view of exec, shutdown and reboot at a terminal: an Ink root fed with the engine's
// events, brought down once the nodes are done so that the command can print below it.
import { render } from 'ink';
import type { ClusterActionEvent } from '../engine/cluster-actions.js';
import { ClusterActionScreen } from '../screens/cluster-action/ClusterActionScreen.js';
import { createActionStore } from '../store/action-store.js';
import type { Interrupts } from './interrupts.js';

export interface ActionScreen {
  onEvent(event: ClusterActionEvent): void;
  /** Ctrl+C (a signal, or the key on the view): says so on the view. */
  stop(): void;
  /** The last frame stays in the scrollback; the terminal is the command's again. */
  close(): Promise<void>;
  /** Down at once (a second Ctrl+C, before the process ends). */
  quit(): void;
}

export function openActionScreen(
  title: string,
  nodes: readonly string[],
  interrupts: Pick<Interrupts, 'stop' | 'interrupt'>,
): ActionScreen {
  const store = createActionStore({ title, nodes, onStop: () => interrupts.stop('SIGINT') });
  const instance = render(
    <ClusterActionScreen
      store={store}
      isActive
      onForceQuit={() => interrupts.interrupt('SIGINT')}
    />,
    { exitOnCtrlC: false, maxFps: 15 },
  );
  let closed: Promise<void> | undefined;
  return {
    onEvent: (event) => store.getState().apply(event),
    stop: () => store.getState().stop(),
    close() {
      closed ??= (async () => {
        store.getState().finish();
        // One frame without the spinner and the key hint, then down.
        await new Promise((resolve) => setTimeout(resolve, 80));
        instance.unmount();
        await instance.waitUntilExit();
      })();
      return closed;
    },
    quit: () => instance.unmount(),
  };
}
