#!/usr/bin/env bash
# pid 1 of one boot of a fake Pi: runs in fresh PID, mount and UTS namespaces copied from the node's
# disk namespace (node-disk.sh). Gives the boot its own /run, /tmp, /var/tmp (which also hides the
# lab's directories from the node) and boot_id, takes the hostname from /etc/hostname, starts sshd
# at NODE_ADDRESS if ssh is enabled, prints "up <boot_id>" and waits.
# SIGUSR1 (reboot) makes it exit 10 and SIGUSR2 or SIGTERM (power off) exit 11; either way the kernel
# then kills every other process of the boot, which drops open SSH sessions as on a real Pi.
set -euo pipefail

: "${NODE_ADDRESS:?}"

mount -t tmpfs -o mode=0755,nosuid,nodev pcw-lab-run /run
install -d -m 0755 /run/pcw-lab /run/sshd
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
cat /proc/sys/kernel/random/uuid >/run/pcw-lab/boot_id
mount --bind /run/pcw-lab/boot_id /proc/sys/kernel/random/boot_id
echo "$NODE_ADDRESS" >/run/pcw-lab/address

hostname=$(grep -m1 -v '^[[:space:]]*$' /etc/hostname || true)
/usr/local/lib/pcw-lab/hostname "${hostname:-localhost}"

trap 'exit 10' USR1
trap 'exit 11' USR2 TERM INT

if [ -e /etc/systemd/system/multi-user.target.wants/ssh.service ]; then
  /usr/bin/systemctl start ssh || echo "node-init: sshd did not start" >&2
fi

echo "up $(cat /run/pcw-lab/boot_id)"

set +e
while :; do
  sleep infinity &
  wait $!
done
