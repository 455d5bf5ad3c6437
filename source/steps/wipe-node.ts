// `remove NAME --wipe`: what the wizard put on a node that leaves the cluster, taken off again while
// it still answers. Its static address and name stay (changing them would cut it off the network
// the person reaches it on); its key pair, the cluster's keys and blocks, the machinefile and the
// hardening drop-in go. Every edited file keeps a backup; the hardening drop-in is moved aside, not
// deleted, and sshd reloaded, so password logins work again on a node the cluster no longer reaches.
import type { NodeConnection } from '../transport/node-connection.js';
import { removeAuthorizedKeys } from './authorized-keys.js';
import { cloudInitHostsTemplate } from './cloud-init.js';
import { hardenDropInPath, machinefileRelativePath } from './cluster-files.js';

const userFile = { mode: 0o600, asRoot: false } as const;
const rootFile = { mode: 0o644, owner: 'root', group: 'root', asRoot: true } as const;

// Fixed script: $1 ~/.ssh, $2 the machinefile; prints each file it removed.
const removeOwnFiles = `for f in "$1/id_ed25519" "$1/id_ed25519.pub" "$2"; do
  if [ -e "$f" ]; then rm -f -- "$f" && printf '%s\\n' "$f"; fi
done
exit 0`;

// Fixed script, as root: $1 the drop-in, $2 the backup's path. Moved aside (sshd reads only *.conf),
// checked and reloaded; prints "moved" when it did.
const unharden = `[ -e "$1" ] || exit 0
mv -- "$1" "$2" && sshd -t && systemctl reload ssh && echo moved`;

/** Takes the wizard's work off a node; `clusterKeys` are every public key it fanned in. Says what went. */
export async function wipeNode(
  connection: NodeConnection,
  clusterKeys: readonly string[],
): Promise<string[]> {
  const said: string[] = [];
  const home = await connection.homeDirectory();
  const ssh = `${home}/.ssh`;
  const authorizedKeys = `${ssh}/authorized_keys`;
  const authorized = await connection.readFile(authorizedKeys);
  if (authorized !== undefined) {
    const kept = removeAuthorizedKeys(authorized, clusterKeys);
    if (kept !== authorized) {
      await connection.replaceFile(authorizedKeys, kept, userFile);
      said.push(`the cluster's keys left ${authorizedKeys} (the others stay)`);
    }
  }
  const blocks = [
    { path: `${ssh}/known_hosts`, id: 'cluster', options: userFile },
    { path: '/etc/hosts', id: 'pi-cluster-network', options: rootFile },
    { path: cloudInitHostsTemplate, id: 'pi-cluster-network', options: rootFile },
  ];
  for (const block of blocks) {
    const content = await connection.readFile(block.path, { asRoot: block.options.asRoot });
    if (content === undefined || !content.includes(`pi-cluster-wizard ${block.id}`)) continue;
    const change = await connection.editManagedBlock(block.path, block.id, null, block.options);
    if (change.changed) said.push(`the cluster's block left ${block.path}`);
  }
  const removed = await connection.run(
    { script: removeOwnFiles, args: [ssh, `${home}/${machinefileRelativePath}`] },
    { label: 'remove its key pair and the machinefile', check: true },
  );
  for (const path of removed.stdout.split('\n').filter(Boolean)) said.push(`${path} removed`);
  const moved = await connection.runAsRoot(
    { script: unharden, args: [hardenDropInPath, `${hardenDropInPath}.pcw-wiped.bak`] },
    { label: 'turn password logins on again (move the hardening drop-in aside)', check: true },
  );
  if (moved.stdout.includes('moved'))
    said.push(`password logins are on again (${hardenDropInPath} moved aside, sshd reloaded)`);
  return said;
}
