#!/usr/bin/env bash
# The fake Pi lab's network stacks, from Debian's archive, unpacked but never installed: `apt-get
# install --download-only` fetches the packages (and whatever they need that this machine lacks),
# `dpkg-deb -x` unpacks them into one folder, and each node overlays that folder on its own /usr
# and /etc inside its private mount namespace (node-disk.sh). No maintainer script runs, no service
# is enabled or started, nothing on this machine changes but that folder.
#
# Prints the folder. Idempotent: a folder made from the same package list is reused.
# Usage: bash test/lab/fetch-packages.sh [--installed]   (as root. --installed: only print the
# folder, or fail if it was not made yet; the lab uses that.)
set -euo pipefail

# What each node may run: a D-Bus system bus, busybox's udhcpd (the switch's DHCP server), dhcpcd, NetworkManager,
# ifupdown with dhclient, netplan and cloud-init.
wanted=(dbus-daemon dbus-system-bus-common busybox dhcpcd-base network-manager ifupdown isc-dhcp-client netplan.io cloud-init)
# Pulled in as dependencies but never unpacked: the init system and udev (the lab's fakes stand in
# for systemctl and reboot; the host's libsystemd0/libudev1 serve NetworkManager), and the disk
# tools cloud-init's growpart would use (no node may touch a disk).
skipped='^(systemd|systemd-sysv|systemd-timesyncd|udev|libpam-systemd|libnss-systemd|libsystemd-shared|libsystemd0|libudev1|fdisk|gdisk|eject)$'

base=${PCW_LAB_PACKAGES:-/var/cache/pcw-lab}
key=$(printf '%s\n' "${wanted[@]}" "$skipped" 1 | sha256sum | cut -c1-16)
root=$base/root-$key
# The Python of cloud-init and netplan, byte-compiled once here for this machine's python3: the
# nodes' /usr is a read-only lower layer, so without it every cloud-init run in every node compiles
# its 700 modules again (1.3 s of CPU per run instead of 0.5). compileall writes each .pyc
# atomically, so labs starting meanwhile see either none or a whole one.
tag=$(/usr/bin/python3 -c 'import sys; print(sys.implementation.cache_tag)')
compiled() {
  /usr/bin/python3 -m compileall -q -j 0 "$1/usr/lib/python3" >/dev/null
  touch "$1/.compiled-$tag"
}
if [ -e "$root/.complete" ]; then
  if [ "${1:-}" != --installed ] && [ ! -e "$root/.compiled-$tag" ]; then
    compiled "$root"
  fi
  echo "$root"
  exit 0
fi
if [ "${1:-}" = --installed ]; then
  echo "fetch-packages: $root is not there yet." >&2
  exit 1
fi

mkdir -p "$base"
work=$(mktemp -d "$base/.work-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/archives/partial" "$work/root"
apt-get update -qq >&2
apt-get install -y -qq --download-only --no-install-recommends \
  -o "Dir::Cache::archives=$work/archives" -o Debug::NoLocking=1 -o APT::Sandbox::User=root "${wanted[@]}" >&2
for deb in "$work"/archives/*.deb; do
  name=$(dpkg-deb -f "$deb" Package)
  [[ $name =~ $skipped ]] && continue
  dpkg-deb -x "$deb" "$work/root"
  echo "$name $(dpkg-deb -f "$deb" Version)" >>"$work/root/.packages"
done
# Merged /usr as on the host and on Raspberry Pi OS: /bin, /sbin and /lib of older packages move
# under /usr, where the nodes' overlays are.
for top in bin sbin lib; do
  if [ -d "$work/root/$top" ] && [ ! -L "$work/root/$top" ]; then
    mkdir -p "$work/root/usr/$top"
    cp -a "$work/root/$top/." "$work/root/usr/$top/"
    rm -rf "${work:?}/root/$top"
  fi
done
compiled "$work/root"
touch "$work/root/.complete"
if ! mv -T "$work/root" "$root" 2>/dev/null && [ ! -e "$root/.complete" ]; then
  echo "fetch-packages: could not move the unpacked packages to $root" >&2
  exit 1
fi
echo "$root"
