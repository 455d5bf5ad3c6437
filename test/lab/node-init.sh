#!/usr/bin/env bash
# pid 1 of one boot of a fake Pi: runs in fresh PID, mount and UTS namespaces copied from the node's
# disk namespace (node-disk.sh). Gives the boot its own /run, /tmp, /var/tmp (which also hides the
# lab's directories from the node), boot_id and activity LED (NODE_LED: ACT, led0 or none), takes
# the hostname from /etc/hostname, starts sshd
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
# The board's activity LED, fresh each boot: sysfs here has no /sys/class/leds, so an overlay over
# /sys/class adds a tmpfs one (hiding any real LED of the host) with the files Raspberry Pi OS has.
led=${NODE_LED:-ACT}
if [ "$led" != none ]; then
  install -d /run/pcw-lab/sys-class/upper /run/pcw-lab/sys-class/work
  mount -t overlay pcw-lab-sys-class \
    -o lowerdir=/sys/class,upperdir=/run/pcw-lab/sys-class/upper,workdir=/run/pcw-lab/sys-class/work \
    /sys/class
  install -d /sys/class/leds
  mount -t tmpfs -o mode=0755,nosuid,nodev,noexec pcw-lab-leds /sys/class/leds
  install -d "/sys/class/leds/$led"
  echo 'none rc-feedback kbd-scrolllock kbd-numlock timer oneshot heartbeat backlight gpio cpu default-on input panic actpwr [mmc0]' \
    >"/sys/class/leds/$led/trigger"
  echo 0 >"/sys/class/leds/$led/brightness"
  echo 1 >"/sys/class/leds/$led/max_brightness"
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
