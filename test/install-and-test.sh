#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh Debian machine, then runs them.
# Needs root for the Debian packages and for the fake Pi lab (namespaces, overlays, sshd).
set -euo pipefail
cd "$(dirname "$0")/.."

# mpich: the second guide's `mpiexec … hostname` check runs for real in the end-to-end tests.
# ansible-core: `export ansible` is read back by ansible-inventory and pinged through on the lab.
debian_packages=(openssh-server openssh-client sudo tmux iproute2 util-linux procps mpich ansible-core)
missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-and-test: missing Debian packages: ${missing[*]}; run as root or install them." >&2
    exit 1
  fi
  echo "install-and-test: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The fake Pi lab's network stacks (dhcpcd, NetworkManager, ifupdown, netplan, cloud-init, udhcpd):
# downloaded and unpacked into a folder the nodes overlay, never installed here (no service of
# theirs may start on this machine).
bash test/lab/fetch-packages.sh >/dev/null

# `npm install` with the committed lock file rather than `npm ci`: npm 11 records Biome's
# per-platform optional packages incompletely, and `npm ci` then refuses the lock file as out of sync.
npm install --no-audit --no-fund
npm test
