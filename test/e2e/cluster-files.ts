// The files a whole setup leaves on every node, for comparing two runs: byte for byte within one
// lab, and across labs once what is random per lab (addresses, key material, backup times) is
// replaced by names.
import type { Lab } from '../lab/lab.js';

export const networkManagerFile =
  '/etc/NetworkManager/system-connections/pi-cluster-eth0.nmconnection';

/** Every file the setup may write, per node, as the node sees it ('(none)' when missing). */
export const setupFiles = [
  '/etc/hosts',
  '/etc/hostname',
  networkManagerFile,
  '/home/pi/.ssh/authorized_keys',
  '/home/pi/.ssh/known_hosts',
  '/home/pi/.ssh/id_ed25519.pub',
] as const;

export type NodeFiles = Record<(typeof setupFiles)[number] | 'listing', string>;

/** The setup's files on every node, with the names, modes and owners in /etc and ~/.ssh. */
export async function clusterFiles(lab: Lab): Promise<NodeFiles[]> {
  return Promise.all(
    lab.nodes.map(async (node) => {
      const files = {} as NodeFiles;
      for (const file of setupFiles) files[file] = await node.readFile(file).catch(() => '(none)');
      const listing = await node.runAsRoot(
        'ls -la /etc /home/pi/.ssh | grep -v " \\.$" | awk \'{print $1, $3, $4, $9}\'',
      );
      files.listing = listing.stdout;
      return files;
    }),
  );
}

/** Lines the wizard's own SSH connections add to the master's known_hosts, in whatever order the
 * workers first answered: sorted, so that only the set of keys counts. The cluster block stays. */
function sortRecordedHostKeys(knownHosts: string): string {
  const blockStart = knownHosts.indexOf('# BEGIN pi-cluster-wizard');
  const recorded = blockStart === -1 ? knownHosts : knownHosts.slice(0, blockStart);
  const lines = recorded.split('\n').filter(Boolean).sort();
  const rest = blockStart === -1 ? '' : knownHosts.slice(blockStart);
  return `${lines.map((line) => `${line}\n`).join('')}${rest}`;
}

/**
 * The same files, keyed "node file", with nothing that depends on the lab: its two address
 * prefixes, each node's key pair and host keys (by node name), NetworkManager's profile uuid (made
 * from the address), backup times, and the order in which workers first answered the master.
 */
export async function labIndependentFiles(
  lab: Lab,
  files: NodeFiles[],
): Promise<Record<string, string>> {
  const names = files.map((each) => each['/etc/hostname'].trim());
  const replacements: Array<[string, string]> = [];
  for (const [index, node] of lab.nodes.entries()) {
    const name = names[index] ?? `node${index}`;
    const userKey = files[index]?.['/home/pi/.ssh/id_ed25519.pub'].split(' ')[1];
    if (userKey) replacements.push([userKey, `<key of ${name}>`]);
    for (const type of ['ed25519', 'ecdsa']) {
      const hostKey = (await node.readFile(`/etc/ssh/ssh_host_${type}_key.pub`)).split(' ')[1];
      if (hostKey) replacements.push([hostKey, `<${type} host key of ${name}>`]);
    }
  }
  const prefix = (address: string) => address.slice(0, address.lastIndexOf('.') + 1);
  replacements.push([prefix(lab.staticAddress(1)), '<static>.']);
  replacements.push([prefix(lab.nodes[0]!.dhcpAddress), '<dhcp>.']);
  const independent = (text: string) =>
    replacements
      .reduce((done, [from, to]) => done.replaceAll(from, to), text)
      .replace(/\.pcw-\d{8}T\d{6}(-\d+)?\.bak/g, '.pcw-<time>.bak')
      .replace(/^uuid=[0-9a-f-]{36}$/m, 'uuid=<uuid>');
  const result: Record<string, string> = {};
  for (const [index, each] of files.entries()) {
    for (const [file, content] of Object.entries(each)) {
      const text = independent(content);
      result[`${names[index]} ${file}`] = file.endsWith('/known_hosts')
        ? sortRecordedHostKeys(text)
        : text;
    }
  }
  return result;
}
