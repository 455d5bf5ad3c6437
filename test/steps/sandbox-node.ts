// A node's files and its network stack's own tools, without a boot or a daemon: each command runs
// in a fresh private mount, network and UTS namespace (unshare) where /etc, /usr and /var/lib are
// overlays of this machine's with the lab's unpacked Debian packages on top
// (test/lab/fetch-packages.sh: NetworkManager's nmcli, ifupdown, dhcpcd, cloud-init), the node's
// changes kept in the sandbox's own folders, and eth0 a veth whose other end is in the same
// namespace (nothing is reachable). Commands run as root. For the steps' real-tool tests: what the
// wizard writes is judged by nmcli --offline, ifup --no-act, dhcpcd --test and cloud-init's modules.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalNodeConnection } from '../../source/transport/local-connection.js';
import type { ExecuteRequest, RawResult } from '../../source/transport/shell-node-connection.js';

const repository = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let packages: string | undefined;

/** The unpacked packages' folder (fetched once per machine by the lab's script). */
export function debianPackagesRoot(): string {
  if (packages) return packages;
  const fetched = spawnSync(
    'bash',
    [join(repository, 'test/lab/fetch-packages.sh'), '--installed'],
    {
      encoding: 'utf8',
    },
  );
  if (fetched.status !== 0) throw new Error(`fetch-packages.sh failed: ${fetched.stderr}`);
  packages = fetched.stdout.trim();
  return packages;
}

// Mounts the overlays and makes eth0, then runs the command. $1 is the sandbox, $2 the packages.
const enter = `
set -e
box=$1; pkg=$2; shift 2
for top in etc usr var/lib; do
  name=$(echo "$top" | tr / _)
  mount -t overlay overlay -o "lowerdir=$pkg/$top:/$top,upperdir=$box/$name.up,workdir=$box/$name.work" "/$top"
done
mount -t tmpfs tmpfs /run
# As a boot does: the running hostname is what /etc/hostname says.
[ -s /etc/hostname ] && hostname -F /etc/hostname
mkdir -p /run/network
ip link add eth0 type veth peer name eth1
ip link set eth0 up
ip link set eth1 up
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
set +e
exec "$@"
`;

export class SandboxNode extends LocalNodeConnection {
  readonly directory: string;
  readonly packages: string;

  constructor(node: string) {
    super({ node });
    this.packages = debianPackagesRoot();
    this.directory = mkdtempSync(join(tmpdir(), 'pcw-sandbox-'));
    for (const top of ['etc', 'usr', 'var_lib']) {
      mkdirSync(join(this.directory, `${top}.up`));
      mkdirSync(join(this.directory, `${top}.work`));
    }
  }

  /** Puts a file on the node before the test (into the sandbox's own layer). */
  seed(path: string, content: string, mode = 0o644): void {
    const [top, rest] = path.startsWith('/var/lib/')
      ? ['var_lib', path.slice('/var/lib/'.length)]
      : [path.split('/')[1]!, path.split('/').slice(2).join('/')];
    const target = join(this.directory, `${top}.up`, rest);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { mode });
  }

  protected override execute(request: ExecuteRequest): Promise<RawResult> {
    return super.execute({
      ...request,
      argv: [
        'unshare',
        '--mount',
        '--net',
        '--uts',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        enter,
        'sandbox',
        this.directory,
        this.packages,
        ...request.argv,
      ],
    });
  }

  /** Runs a shell script in the sandbox as root (test setup and inspection). */
  async shell(script: string, stdin?: string): Promise<{ code: number; out: string }> {
    const result = await this.run(
      { script },
      { timeoutMs: 60_000, ...(stdin === undefined ? {} : { stdin }) },
    );
    return { code: result.code, out: `${result.stdout}${result.stderr}` };
  }

  override async close(): Promise<void> {
    await super.close();
    rmSync(this.directory, { recursive: true, force: true });
  }
}
