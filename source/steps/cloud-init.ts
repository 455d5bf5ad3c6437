// cloud-init on Raspberry Pi OS cards customised by Raspberry Pi Imager 2.x: its user-data says
// `hostname: raspberrypi` and `manage_etc_hosts: true`, so at every boot `set_hostname` puts the old
// name back and `update_etc_hosts` rewrites the whole of /etc/hosts from its template. The wizard
// keeps its work through cloud-init's own documented means: the template carries the 127.0.1.1 line
// and the cluster's block, and a cloud.cfg.d drop-in says `preserve_hostname: true` (it has to be
// there: in user-data the early stage has set the hostname before it is read).
import type { FileWrite } from '../transport/node-connection.js';
import { setLoopbackHostname } from './hosts-file.js';
import { StepFailure, type StepWork } from './step.js';

/** The template `update_etc_hosts` renders: `hosts.<osfamily>.tmpl`, Debian's on Raspberry Pi OS. */
export const cloudInitHostsTemplate = '/etc/cloud/templates/hosts.debian.tmpl';

/** Sorts after the image's own drop-ins, so its `preserve_hostname` is the one in force. */
export const cloudInitDropIn = '/etc/cloud/cloud.cfg.d/99_zz-pi-cluster-wizard.cfg';

export const cloudInitDropInContent = [
  '# Written by pi-cluster-wizard: keep the hostname it set. Without this, cloud-init sets the',
  '# hostname from its user-data (/boot/firmware/user-data) again at every boot.',
  'preserve_hostname: true',
  '',
].join('\n');

/** What cloud-init's own merged configuration (system config and the instance's user-data) says. */
export interface CloudInitSettings {
  /** How `update_etc_hosts` treats /etc/hosts: from the template, only the 127.0.1.1 line, or not. */
  etcHosts: 'template' | 'localhost' | 'off' | 'unknown';
  preserveHostname: boolean | 'unknown';
  /** Why the settings are unknown (cloud-init could not be asked). */
  problem?: string;
}

// Asks cloud-init's own code to merge its configuration the way its modules will at the next boot
// (cloud.cfg, cloud.cfg.d, then the instance's user-data), and to read `manage_etc_hosts` as
// `update_etc_hosts` does. A fixed script: nothing from the plan goes into it. Needs root (the
// instance's cloud-config is readable by root only).
const askCloudInit = `
import json
from cloudinit import stages, util
cfg = stages.Init().cfg
manage = util.get_cfg_option_str(cfg, "manage_etc_hosts", False)
if manage == "localhost":
    hosts = "localhost"
elif util.translate_bool(manage, addons=["template"]):
    hosts = "template"
else:
    hosts = "off"
print(json.dumps({"etc_hosts": hosts, "preserve_hostname": util.get_cfg_option_bool(cfg, "preserve_hostname", False)}))
`;

export async function readCloudInitSettings(work: StepWork): Promise<CloudInitSettings> {
  // Starting Python takes seconds on a Pi Zero: the answer is kept until the wizard writes
  // cloud-init's own configuration (a drop-in) or runs a command that may write any file.
  const result = await work.read(['python3', '-c', askCloudInit], {
    asRoot: true,
    label: "read cloud-init's merged configuration",
    remember: { untilWritten: ['/etc/cloud/cloud.cfg'] },
  });
  const last = result.stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(last) as { etc_hosts?: unknown; preserve_hostname?: unknown };
    const etcHosts = parsed.etc_hosts;
    if (
      result.code === 0 &&
      (etcHosts === 'template' || etcHosts === 'localhost' || etcHosts === 'off') &&
      typeof parsed.preserve_hostname === 'boolean'
    ) {
      return { etcHosts, preserveHostname: parsed.preserve_hostname };
    }
  } catch {
    // Falls through: cloud-init could not be asked.
  }
  const said = (result.stderr.trim().split('\n').pop() ?? '').trim();
  return {
    etcHosts: 'unknown',
    preserveHostname: 'unknown',
    problem: `cloud-init's configuration could not be read (exit code ${result.code}${said ? `: ${said}` : ''})`,
  };
}

const rootFile = { mode: 0o644, owner: 'root', group: 'root', asRoot: true } as const;

/**
 * For the hostname step, written with its own files: the drop-in that stops cloud-init setting the
 * hostname, and the template's 127.0.1.1 line naming this node. Both are written whatever
 * cloud-init says (neither changes anything cloud-init does not manage), and it is asked after
 * them (checkCloudInitKeepsHostname), so one question covers both checks.
 */
export async function cloudInitHostnameWrites(work: StepWork): Promise<FileWrite[]> {
  const template = await readTemplate(work);
  return [
    { path: cloudInitDropIn, content: cloudInitDropInContent, options: rootFile },
    ...(template === undefined
      ? []
      : [
          {
            path: cloudInitHostsTemplate,
            content: setLoopbackHostname(template, work.row.hostname),
            options: rootFile,
          },
        ]),
  ];
}

/**
 * For the hostname step, after its writes, and its verify: cloud-init, asked, keeps the hostname
 * at the next boot and lets the template give /etc/hosts its 127.0.1.1 line.
 */
export async function checkCloudInitKeepsHostname(work: StepWork): Promise<void> {
  const name = work.row.hostname;
  const settings = await readCloudInitSettings(work);
  if (settings.problem) work.note(settings.problem);
  if (settings.etcHosts === 'localhost') {
    throw new StepFailure(
      `${name}: cloud-init's "manage_etc_hosts: localhost" puts its own hostname back on the 127.0.1.1 line of /etc/hosts at every boot, whatever the wizard writes`,
      `change it to "manage_etc_hosts: true" in /boot/firmware/user-data (the wizard then keeps its lines in ${cloudInitHostsTemplate}) or delete the line, then run: pi-cluster-wizard run hostname --node ${name}`,
    );
  }
  // In check mode the drop-in may not be written yet: only what was written can be judged.
  if (settings.preserveHostname === false && !work.checkOnly) {
    throw new StepFailure(
      `${name}: cloud-init would still set the hostname at the next boot: its merged configuration says preserve_hostname: false although ${cloudInitDropIn} says true (its user-data overrides it?)`,
      `delete the preserve_hostname line from /boot/firmware/user-data, then run: pi-cluster-wizard run hostname --node ${name}`,
    );
  }
}

/** For the hosts step, written with /etc/hosts: the cluster's block in cloud-init's template too. */
export async function cloudInitHostsWrites(
  work: StepWork,
  id: string,
  block: string,
): Promise<FileWrite[]> {
  if ((await readTemplate(work)) === undefined) return [];
  return [{ path: cloudInitHostsTemplate, block: id, content: block, options: rootFile }];
}

async function readTemplate(work: StepWork): Promise<string | undefined> {
  const template = await work.connection.readFile(cloudInitHostsTemplate, { asRoot: true });
  if (template === undefined)
    work.note(`cloud-init has no ${cloudInitHostsTemplate}: /etc/hosts is edited directly`);
  return template;
}
