// The discovery screen as a pure reducer: the subnet being typed, the scan's progress, the machines
// found, which row each is given, and the identify panel (its password draft included, which lives
// only here and in the store's secrets).
import type { DiscoveredMachine } from '../../discovery/discovery-report.js';
import { assignMachine, rowOfAddress } from '../../discovery/discovery-report.js';
import { editText, type TextEdit } from '../text-field/text-field-state.js';

export type DiscoveryPhase = 'choose-subnet' | 'scanning' | 'scanned';

export interface IdentifyPanel {
  address: string;
  /** Which row (hostname) or address the messages name. */
  node: string;
  status: 'asking-password' | 'blinking' | 'done' | 'failed';
  message: string;
  passwordDraft: string;
}

export interface DiscoveryState {
  phase: DiscoveryPhase;
  subnet: { value: string; cursor: number };
  /** Why the subnet cannot be scanned, or why the scan failed. */
  problem?: string;
  /** Bumped for each scan: the hook starts a scan when it changes. */
  scanNumber: number;
  addresses: string[];
  probed: number;
  found: number;
  stopped: boolean;
  durationMs: number;
  machines: DiscoveredMachine[];
  suggestion: ReadonlyMap<number, string>;
  assignment: ReadonlyMap<number, string>;
  selected: number;
  identify?: IdentifyPanel;
}

export type DiscoveryAction =
  | { type: 'edit-subnet'; edit: TextEdit }
  | { type: 'subnet-refused'; problem: string }
  | { type: 'scan'; subnet: string; addresses: string[] }
  | { type: 'progress'; probed: number; found: number }
  | {
      type: 'scanned';
      machines: DiscoveredMachine[];
      suggestion: ReadonlyMap<number, string>;
      stopped: boolean;
      probed: number;
      durationMs: number;
    }
  | { type: 'scan-failed'; problem: string }
  | { type: 'edit-subnet-again' }
  | { type: 'move'; by: number }
  | { type: 'cycle-row'; by: number; rowIndexes: readonly number[] }
  | { type: 'accept-suggestion' }
  | { type: 'identify-ask-password'; address: string; node: string }
  | { type: 'password-edit'; edit: TextEdit }
  | { type: 'identify-started'; address: string; node: string; seconds: number }
  | { type: 'identify-ended'; ok: boolean; message: string }
  | { type: 'identify-close' };

export function initialDiscoveryState(subnet: string): DiscoveryState {
  return {
    phase: 'choose-subnet',
    subnet: { value: subnet, cursor: subnet.length },
    scanNumber: 0,
    addresses: [],
    probed: 0,
    found: 0,
    stopped: false,
    durationMs: 0,
    machines: [],
    suggestion: new Map(),
    assignment: new Map(),
    selected: 0,
  };
}

const clamp = (value: number, low: number, high: number) =>
  Math.min(Math.max(value, low), Math.max(low, high));

export function discoveryReducer(state: DiscoveryState, action: DiscoveryAction): DiscoveryState {
  switch (action.type) {
    case 'edit-subnet':
      return { ...state, subnet: editText(state.subnet, action.edit), problem: undefined };
    case 'subnet-refused':
      return { ...state, problem: action.problem };
    case 'scan':
      return {
        ...state,
        phase: 'scanning',
        subnet: { value: action.subnet, cursor: action.subnet.length },
        problem: undefined,
        scanNumber: state.scanNumber + 1,
        addresses: action.addresses,
        probed: 0,
        found: 0,
        stopped: false,
        machines: [],
        selected: 0,
        identify: undefined,
      };
    case 'progress':
      return state.phase === 'scanning'
        ? { ...state, probed: action.probed, found: action.found }
        : state;
    case 'scanned':
      return {
        ...state,
        phase: 'scanned',
        machines: action.machines,
        suggestion: action.suggestion,
        assignment: action.suggestion,
        stopped: action.stopped,
        probed: action.probed,
        found: action.machines.length,
        durationMs: action.durationMs,
        selected: 0,
      };
    case 'scan-failed':
      return { ...state, phase: 'choose-subnet', problem: action.problem };
    case 'edit-subnet-again':
      return { ...state, phase: 'choose-subnet', identify: undefined };
    case 'move':
      return {
        ...state,
        selected: clamp(state.selected + action.by, 0, state.machines.length - 1),
      };
    case 'cycle-row': {
      const machine = state.machines[state.selected];
      if (!machine) return state;
      // The choices: no row, then every row in order.
      const choices: Array<number | undefined> = [undefined, ...action.rowIndexes];
      const current = choices.indexOf(rowOfAddress(state.assignment, machine.address));
      const next = choices[(current + action.by + choices.length) % choices.length];
      return { ...state, assignment: assignMachine(state.assignment, machine.address, next) };
    }
    case 'accept-suggestion':
      return { ...state, assignment: state.suggestion };
    case 'identify-ask-password':
      return {
        ...state,
        identify: {
          address: action.address,
          node: action.node,
          status: 'asking-password',
          message: '',
          passwordDraft: '',
        },
      };
    case 'password-edit': {
      if (state.identify?.status !== 'asking-password') return state;
      const { value } = editText(
        { value: state.identify.passwordDraft, cursor: state.identify.passwordDraft.length },
        action.edit,
      );
      return { ...state, identify: { ...state.identify, passwordDraft: value } };
    }
    case 'identify-started':
      return {
        ...state,
        identify: {
          address: action.address,
          node: action.node,
          status: 'blinking',
          message: `Logging in to ${action.node} (${action.address}) to blink its activity LED for ${action.seconds} s…`,
          passwordDraft: '',
        },
      };
    case 'identify-ended':
      return state.identify
        ? {
            ...state,
            identify: {
              ...state.identify,
              status: action.ok ? 'done' : 'failed',
              message: action.message,
            },
          }
        : state;
    case 'identify-close':
      return { ...state, identify: undefined };
  }
}
