import { useEffect, useReducer, useRef } from 'react';
import { useStore } from 'zustand';
import { reachAtPatches, rowOfAddress } from '../../discovery/discovery-report.js';
import { parseScanRange } from '../../discovery/scan-range.js';
import type { AppStore } from '../../store/app-store.js';
import { formatTransportError } from '../../transport/errors.js';
import { textEditFor } from '../text-field/text-field-state.js';
import useKeys from '../use-keys.js';
import {
  type DiscoveryAction,
  discoveryReducer,
  initialDiscoveryState,
} from './discovery-state.js';
import type { DiscoveryWork } from './discovery-work.js';

/** How long Identify blinks a board's LED. */
export const identifySeconds = 5;

/**
 * The discovery screen's keys and its two pieces of I/O (done by `work`, the command's), both
 * stopped when the screen goes: the scan (started by Enter on the subnet, never by itself) and
 * Identify (a login to one board).
 * Subnet: Enter scans, Esc goes back. Scanning: Esc stops. Found: ↑/↓ machine, ←/→ its row,
 * a suggested order, Enter saves to the table, i identify, r scan again, s another subnet, Esc back.
 */
export default function useDiscovery(
  store: AppStore,
  work: DiscoveryWork,
  isActive: boolean,
  onClose: () => void,
) {
  const rows = useStore(store, (state) => state.rows);
  const subnet = useStore(store, (state) => state.settings.subnet);
  const [state, dispatch] = useReducer(discoveryReducer, subnet, initialDiscoveryState);
  // A burst of keys is handled before any render: the handler reads and advances this ref.
  const latest = useRef(state);
  latest.current = state;
  const act = (action: DiscoveryAction) => {
    latest.current = discoveryReducer(latest.current, action);
    dispatch(action);
  };
  const scanning = useRef<AbortController | undefined>(undefined);
  const identifying = useRef<AbortController | undefined>(undefined);

  // biome-ignore lint/correctness/useExhaustiveDependencies: one scan per scan number, no more
  useEffect(() => {
    if (state.scanNumber === 0) return;
    const controller = new AbortController();
    scanning.current = controller;
    work
      .scan(latest.current.addresses, store.getState().rows, {
        signal: controller.signal,
        onProgress: ({ probed, found }) => act({ type: 'progress', probed, found }),
      })
      .then((discovery) =>
        act({
          type: 'scanned',
          machines: discovery.machines,
          suggestion: discovery.suggestion,
          stopped: discovery.stopped,
          probed: discovery.probed,
          durationMs: discovery.durationMs,
        }),
      )
      .catch((error: unknown) =>
        act({ type: 'scan-failed', problem: `The scan failed: ${formatTransportError(error)}` }),
      );
    return () => controller.abort();
  }, [state.scanNumber]);
  useEffect(() => () => identifying.current?.abort(), []);

  const identify = (address: string, node: string, isThisMachine: boolean) => {
    const controller = new AbortController();
    identifying.current = controller;
    const { settings, secrets } = store.getState();
    act({ type: 'identify-started', address, node, seconds: identifySeconds });
    work
      .identify(
        {
          node,
          address,
          isThisMachine,
          user: settings.user,
          ...(secrets.password === undefined ? {} : { password: secrets.password }),
          signal: controller.signal,
        },
        identifySeconds,
      )
      .then((outcome) =>
        act(
          outcome.kind === 'blinked'
            ? {
                type: 'identify-ended',
                ok: true,
                message: `${node}: its activity LED blinked for ${outcome.seconds} s and is back on its own trigger (${outcome.restoredTrigger}). Label that board ${node}.`,
              }
            : { type: 'identify-ended', ok: false, message: outcome.message },
        ),
      )
      .catch((error: unknown) =>
        act({ type: 'identify-ended', ok: false, message: formatTransportError(error) }),
      );
  };

  useKeys(
    (input, key) => {
      if (key.ctrl) return; // Ctrl+C is the root's
      const current = latest.current;
      const panel = current.identify;
      if (panel?.status === 'asking-password') {
        if (key.escape) act({ type: 'identify-close' });
        else if (key.return) {
          store
            .getState()
            .setPassword(panel.passwordDraft === '' ? undefined : panel.passwordDraft);
          const machine = current.machines.find((each) => each.address === panel.address);
          identify(panel.address, panel.node, machine?.isThisMachine ?? false);
        } else {
          const edit = textEditFor(input, key);
          if (edit) act({ type: 'password-edit', edit });
        }
        return;
      }
      if (panel?.status === 'blinking') {
        if (key.escape) identifying.current?.abort();
        return;
      }
      if (panel && key.escape) {
        act({ type: 'identify-close' });
        return;
      }
      if (current.phase === 'choose-subnet') {
        if (key.escape) onClose();
        else if (key.return) {
          const range = parseScanRange(current.subnet.value);
          if (range.ok) {
            act({ type: 'scan', subnet: range.value.subnet, addresses: range.value.addresses });
          } else act({ type: 'subnet-refused', problem: range.message });
        } else {
          const edit = textEditFor(input, key);
          if (edit) act({ type: 'edit-subnet', edit });
        }
        return;
      }
      if (current.phase === 'scanning') {
        if (key.escape) scanning.current?.abort();
        return;
      }
      const machine = current.machines[current.selected];
      const rowIndexes = store.getState().rows.map((row) => row.index);
      if (key.escape) onClose();
      else if (key.upArrow) act({ type: 'move', by: -1 });
      else if (key.downArrow) act({ type: 'move', by: 1 });
      else if (key.rightArrow) act({ type: 'cycle-row', by: 1, rowIndexes });
      else if (key.leftArrow) act({ type: 'cycle-row', by: -1, rowIndexes });
      else if (input === 'a') act({ type: 'accept-suggestion' });
      else if (input === 'r') {
        act({ type: 'scan', subnet: current.subnet.value, addresses: current.addresses });
      } else if (input === 's') act({ type: 'edit-subnet-again' });
      else if (input === 'i' && machine) {
        const index = rowOfAddress(current.assignment, machine.address);
        const node =
          store.getState().rows.find((row) => row.index === index)?.hostname ?? machine.address;
        if (store.getState().secrets.password === undefined && !machine.isThisMachine) {
          act({ type: 'identify-ask-password', address: machine.address, node });
        } else identify(machine.address, node, machine.isThisMachine);
      } else if (key.return) {
        const { rows: tableRows } = store.getState();
        store.getState().assignReachAt(reachAtPatches(tableRows, current.assignment));
        onClose();
      }
    },
    { isActive },
  );

  return { state, rows };
}
