#!/usr/bin/env bash
# pid 1 of one boot of a fake Pi: runs in fresh PID, mount, UTS and network namespaces, the mounts
# copied from the node's card (node-disk.sh). Gives the boot its own /run, /tmp, /var/tmp (which also
# hides the lab's directories from the node), /dev (no disks), read-only /sys of its own network
# namespace, boot_id and activity LED (NODE_LED: ACT, led0 or none); takes the hostname from
# /etc/hostname; prints "plug" and waits for the lab to plug `eth0` (a veth whose other end is on the
# lab's switch); then boots like a Pi: the network stack of the card's profile brings eth0 up from the
# files on the card (network-stack.sh), sshd starts listening on every address, and "up <boot_id>" is
# printed. From then on every change of eth0's IPv4 addresses is printed as "addresses A B …" (none:
# "addresses"). Nothing here decides or changes an address: a stack that gives none leaves the node
# unreachable.
#
# SIGUSR1 (reboot) makes it exit 10 and SIGUSR2 or SIGTERM (power off) exit 11; either way the kernel
# then kills every other process of the boot, which drops open SSH sessions as on a real Pi, and the
# boot's network namespace (with eth0) goes with it.
set -euo pipefail

# Processes are costly on the machines running the tests: builtins where they do, one process for
# many files where one can.
mount -t tmpfs -o mode=0755,nosuid,nodev pcw-lab-run /run
mkdir -p /run/pcw-lab/dev /run/sshd /run/lock
# The checkout under test stays visible when it lives under /tmp or /var/tmp (a CI clone often
# does): held in the new /run while the fresh /tmp and /var/tmp go on, then moved back in place.
project=${PCW_LAB_PROJECT:-}
case "$project" in
  /tmp/* | /var/tmp/*) install -d /run/pcw-lab/project && mount --bind "$project" /run/pcw-lab/project ;;
  *) project= ;;
esac
mount -t tmpfs -o mode=1777,nosuid,nodev pcw-lab-tmp /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev pcw-lab-var-tmp /var/tmp
if [ -n "$project" ]; then
  install -d "$project" && mount --move /run/pcw-lab/project "$project"
fi

# A /dev without the host's disks: the character devices programs need and a pty instance of its own.
mount -t tmpfs -o mode=0755,nosuid,noexec pcw-lab-dev /run/pcw-lab/dev
cp -a /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/fd /dev/stdin \
  /dev/stdout /dev/stderr /dev/shm /run/pcw-lab/dev/
mkdir /run/pcw-lab/dev/pts
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 pcw-lab-pts /run/pcw-lab/dev/pts
ln -s pts/ptmx /run/pcw-lab/dev/ptmx
mount --move /run/pcw-lab/dev /dev

# sysfs of this boot's network namespace (/sys/class/net lists eth0), read-only as in a container:
# NetworkManager then does not wait for udev, which no node runs.
mount -t sysfs -o ro,nosuid,nodev,noexec pcw-lab-sys /sys
# The board's activity LED, fresh each boot: sysfs here has no /sys/class/leds, so an overlay over
# /sys/class adds a tmpfs one (hiding any real LED of the host) with the files Raspberry Pi OS has.
# /sys/class/net stays sysfs itself (an overlay would not show eth0 appearing later).
led=${NODE_LED:-ACT}
if [ "$led" != none ]; then
  mkdir -p /run/pcw-lab/sys-class/upper /run/pcw-lab/sys-class/work /run/pcw-lab/sys-class-net
  mount --bind /sys/class/net /run/pcw-lab/sys-class-net
  mount -t overlay pcw-lab-sys-class \
    -o lowerdir=/sys/class,upperdir=/run/pcw-lab/sys-class/upper,workdir=/run/pcw-lab/sys-class/work \
    /sys/class
  mount --move /run/pcw-lab/sys-class-net /sys/class/net
  mkdir /sys/class/leds
  mount -t tmpfs -o mode=0755,nosuid,nodev,noexec pcw-lab-leds /sys/class/leds
  mkdir "/sys/class/leds/$led"
  echo 'none rc-feedback kbd-scrolllock kbd-numlock timer oneshot heartbeat backlight gpio cpu default-on input panic actpwr [mmc0]' \
    >"/sys/class/leds/$led/trigger"
  echo 0 >"/sys/class/leds/$led/brightness"
  echo 1 >"/sys/class/leds/$led/max_brightness"
fi

read -r boot_id </proc/sys/kernel/random/uuid
echo "$boot_id" >/run/pcw-lab/boot_id
mount --bind /run/pcw-lab/boot_id /proc/sys/kernel/random/boot_id

hostname=
while read -r line; do
  [ -n "$line" ] && hostname=$line && break
done </etc/hostname || true
echo "${hostname:-localhost}" >/proc/sys/kernel/hostname

# The kernel's part of the network. Linux treats 127/8 as martian on any link but lo unless
# route_localnet is on; lo keeps only 127.0.0.0/16 (127.0.0.1, and 127.0.1.1 of /etc/hosts), so
# that the lab's addresses elsewhere in 127/8 go out through eth0. No IPv6: only 127/8 is used.
sysctl -q -w net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.default.route_localnet=1 \
  net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
printf '%s\n' 'link set lo up' 'addr del 127.0.0.1/8 dev lo' 'addr add 127.0.0.1/16 dev lo' |
  ip -force -batch - 2>/dev/null || true
echo plug
# A sleep without a process: read with a timeout on a pipe nothing writes to.
exec {never}<> <(:)
# Its sysctl directory, not /sys/class/net/eth0: the kernel makes that one first, and the sysctl
# below has failed in the moment between the two.
for _ in {1..400}; do
  [ -e /proc/sys/net/ipv4/conf/eth0 ] && break
  read -r -t 0.05 -u "$never" _ || true
done
if [ ! -e /proc/sys/net/ipv4/conf/eth0 ]; then
  echo "node-init: the lab never plugged eth0 in" >&2
  exit 1
fi
sysctl -q -w net.ipv4.conf.eth0.route_localnet=1

trap 'exit 10' USR1
trap 'exit 11' USR2 TERM INT

# What systemd would start, in its order: the network stack, then sshd.
read -r profile </usr/local/lib/pcw-lab/profile
/usr/local/lib/pcw-lab/network-stack boot "$profile" || echo "node-init: $profile did not start" >&2
if [ -e /etc/systemd/system/multi-user.target.wants/ssh.service ]; then
  systemctl start ssh || echo "node-init: sshd did not start" >&2
fi

echo "up $boot_id"

# eth0's IPv4 addresses as they change, for the lab (lab.ts) to know where the node answers.
report_addresses() {
  local addresses=() cidr
  while read -r _ _ _ cidr _; do
    addresses+=("${cidr%/*}")
  done < <(ip -o -4 addr show dev eth0 2>/dev/null)
  [ "${addresses[*]}" = "$reported" ] && return 0
  reported="${addresses[*]}"
  [ -n "$reported" ] && [ ! -e /run/pcw-lab/address ] && echo "${addresses[0]}" >/run/pcw-lab/address
  echo "addresses $reported"
}
set +e
(
  reported=unset
  trap - USR1 USR2 TERM INT
  # Woken by every address event; also after 2 s, then less and less often (up to 30 s), for one
  # that came before the monitor listened. (Polling every 2 s on every node of the suite's labs
  # cost a few per cent of the machine's CPU.)
  every=2
  ip -o -4 monitor address dev eth0 | while :; do
    read -r -t "$every" _
    status=$?
    report_addresses
    [ "$status" = 1 ] && sleep 2
    [ "$status" -gt 128 ] && [ "$every" -lt 30 ] && every=$((every * 2 > 30 ? 30 : every * 2))
  done
) &

while :; do
  sleep infinity &
  wait $!
done
