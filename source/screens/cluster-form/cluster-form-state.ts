// The cluster form as a pure reducer: the text of each field, which one has focus, and whether the
// person tried to go on with problems left or must confirm discarding table edits.
import {
  type ClusterSettings,
  parseNodeCount,
  type SettingsField,
  validateSettings,
} from '../../plan/plan-cluster.js';
import { editText, type TextEdit } from '../text-field/text-field-state.js';

export const formFields = [
  { name: 'nodeCount', label: 'Number of Pis', hint: 'the master and its workers' },
  { name: 'subnet', label: 'Subnet (CIDR)', hint: 'e.g. 192.168.0.0/24' },
  { name: 'firstAddress', label: 'First static IP', hint: "the master's; workers follow" },
  { name: 'gateway', label: 'Gateway', hint: 'your router' },
  { name: 'dns', label: 'DNS servers', hint: 'comma-separated' },
  { name: 'user', label: 'Login user', hint: 'the same on every Pi' },
  { name: 'masterName', label: 'Master hostname', hint: '' },
  { name: 'workerPrefix', label: 'Worker prefix', hint: 'workers are prefix1, prefix2, …' },
  { name: 'interfaceName', label: 'Network interface', hint: 'eth0 for the cable' },
] as const satisfies ReadonlyArray<{ name: SettingsField; label: string; hint: string }>;

export type FormField = (typeof formFields)[number]['name'];
export type FormValues = Record<FormField, string>;

export interface ClusterFormState {
  values: FormValues;
  focus: number;
  /** The cursor in the focused field. */
  cursor: number;
  /** Enter was pressed with problems left: say so under the form. */
  triedWithProblems: boolean;
  /** Set while asking whether to throw away this many hand-edited rows. */
  confirmDiscard?: number;
}

export type ClusterFormAction =
  | { type: 'edit'; edit: TextEdit }
  | { type: 'focus-next' }
  | { type: 'focus-previous' }
  | { type: 'submit-with-problems'; firstField: FormField }
  | { type: 'ask-discard'; editedRows: number }
  | { type: 'cancel-discard' };

export function initialFormState(settings: ClusterSettings): ClusterFormState {
  const values: FormValues = {
    nodeCount: String(settings.nodeCount),
    subnet: settings.subnet,
    firstAddress: settings.firstAddress,
    gateway: settings.gateway,
    dns: settings.dns.join(', '),
    user: settings.user,
    masterName: settings.masterName,
    workerPrefix: settings.workerPrefix,
    interfaceName: settings.interfaceName,
  };
  return { values, focus: 0, cursor: values.nodeCount.length, triedWithProblems: false };
}

const focusedField = (focus: number): FormField => formFields[focus]?.name ?? 'nodeCount';

/** Moves the focus; the cursor goes to the end of the newly focused field. */
function focusOn(state: ClusterFormState, focus: number): ClusterFormState {
  const wrapped = (focus + formFields.length) % formFields.length;
  return { ...state, focus: wrapped, cursor: state.values[focusedField(wrapped)].length };
}

export function clusterFormReducer(
  state: ClusterFormState,
  action: ClusterFormAction,
): ClusterFormState {
  switch (action.type) {
    case 'edit': {
      const field = focusedField(state.focus);
      const edited = editText({ value: state.values[field], cursor: state.cursor }, action.edit);
      return {
        ...state,
        values: { ...state.values, [field]: edited.value },
        cursor: edited.cursor,
      };
    }
    case 'focus-next':
      return focusOn(state, state.focus + 1);
    case 'focus-previous':
      return focusOn(state, state.focus - 1);
    case 'submit-with-problems':
      return {
        ...focusOn(
          state,
          formFields.findIndex((field) => field.name === action.firstField),
        ),
        triedWithProblems: true,
      };
    case 'ask-discard':
      return { ...state, confirmDiscard: action.editedRows };
    case 'cancel-discard':
      return { ...state, confirmDiscard: undefined };
  }
}

/** The settings the text stands for (a count that is not a number becomes NaN). */
export function settingsFromValues(values: FormValues): ClusterSettings {
  const count = parseNodeCount(values.nodeCount);
  return {
    nodeCount: count.ok ? count.value : Number.NaN,
    subnet: values.subnet.trim(),
    firstAddress: values.firstAddress.trim(),
    gateway: values.gateway.trim(),
    dns: values.dns
      .split(',')
      .map((server) => server.trim())
      .filter((server) => server !== ''),
    user: values.user.trim(),
    masterName: values.masterName.trim(),
    workerPrefix: values.workerPrefix.trim(),
    interfaceName: values.interfaceName.trim(),
  };
}

/** Every problem of the form, by field, in the words validateSettings and parseNodeCount use. */
export function formProblems(values: FormValues): Partial<Record<FormField, string[]>> {
  const problems: Partial<Record<FormField, string[]>> = {};
  const add = (field: FormField, message: string) => {
    problems[field] = [...(problems[field] ?? []), message];
  };
  const count = parseNodeCount(values.nodeCount);
  if (!count.ok) add('nodeCount', count.message);
  for (const issue of validateSettings(settingsFromValues(values))) {
    if (issue.scope !== 'settings') continue;
    if (issue.field === 'nodeCount' && !count.ok) continue;
    add(issue.field, issue.message);
  }
  return problems;
}

/** The first field (in form order) that has a problem. */
export function firstProblemField(
  problems: Partial<Record<FormField, string[]>>,
): FormField | undefined {
  return formFields.find((field) => (problems[field.name]?.length ?? 0) > 0)?.name;
}
