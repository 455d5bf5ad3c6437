// `run --nodes N --subnet CIDR …`: the cluster planned from flags exactly as the screens plan it
// (planCluster over the same settings, validated by the same rules, in the same words), each
// problem named by its flag.
import type { PlanFlags } from '../command-line/parse-command-line.js';
import {
  type ClusterSettings,
  defaultSettings,
  guideAddressesFor,
  type NodeRow,
  parseNodeCount,
  planCluster,
  type SettingsField,
  validateRows,
  validateSettings,
} from '../plan/plan-cluster.js';

const flagOf: Partial<Record<SettingsField, string>> = {
  nodeCount: '--nodes',
  subnet: '--subnet',
  firstAddress: '--first',
  gateway: '--gateway',
  dns: '--dns',
  user: '--user',
};

const list = (text: string) => text.split(',').map((item) => item.trim());

export type PlannedFromFlags =
  | { ok: true; settings: ClusterSettings; rows: NodeRow[] }
  | { ok: false; problems: string[] };

export function clusterFromFlags(flags: PlanFlags): PlannedFromFlags {
  const count = parseNodeCount(flags.nodes);
  if (!count.ok) return { ok: false, problems: [`--nodes: ${count.message}`] };
  const subnet = flags.subnet ?? defaultSettings.subnet;
  const guide = guideAddressesFor(subnet);
  const settings: ClusterSettings = {
    ...defaultSettings,
    nodeCount: count.value,
    subnet,
    firstAddress: flags.first ?? guide?.firstAddress ?? '',
    gateway: flags.gateway ?? guide?.gateway ?? '',
    dns: flags.dns === undefined ? (guide?.dns ?? []) : list(flags.dns),
    user: flags.user ?? defaultSettings.user,
  };
  const settingsIssues = validateSettings(settings);
  if (settingsIssues.length > 0) {
    return {
      ok: false,
      problems: settingsIssues.map((issue) =>
        issue.scope === 'settings'
          ? `${flagOf[issue.field] ?? issue.field}: ${issue.message}`
          : issue.message,
      ),
    };
  }
  const planned = planCluster(settings);
  let rows = planned;
  if (flags.reachAt !== undefined) {
    const addresses = list(flags.reachAt);
    if (addresses.length !== planned.length) {
      return {
        ok: false,
        problems: [
          `--reach-at: ${addresses.length} address${addresses.length === 1 ? '' : 'es'} for ${planned.length} Pi${planned.length === 1 ? '' : 's'}: give one for each Pi, in order from the master (Pi 0), comma-separated`,
        ],
      };
    }
    rows = planned.map((row, position) => ({ ...row, reachAt: addresses[position] ?? '' }));
  }
  const rowIssues = validateRows(settings, rows);
  if (rowIssues.length > 0) {
    return {
      ok: false,
      problems: rowIssues.map((issue) =>
        issue.scope === 'row' && issue.field === 'reachAt'
          ? `--reach-at: ${issue.message}`
          : issue.message,
      ),
    };
  }
  return { ok: true, settings, rows };
}
