#!/usr/bin/env bash
# The network services of a fake Pi, as systemd would run them, with the real daemons from Debian
# (unpacked by fetch-packages.sh, overlaid on the card by node-disk.sh). Installed on each card as
# /usr/local/lib/pcw-lab/network-stack; node-init.sh runs `boot PROFILE` once per boot, the fake
# systemctl runs the others.
#
#   boot dhcpcd|networkmanager|ifupdown|trixie
#   start|stop UNIT          UNIT: dhcpcd, NetworkManager, networking
#   active UNIT              exit 0 if the unit runs (networking: `ifup -a` succeeded and not stopped)
#
# Each daemon runs detached in the boot (its parent is the boot's pid 1), its pid in
# /run/pcw-lab/UNIT.pid and its output in /run/pcw-lab/UNIT.log.
set -uo pipefail
run=/run/pcw-lab
clean_env=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)

# A sleep without a process (they are costly here): read with a timeout on a pipe nobody writes to.
exec {never}<> <(:)
nap() { read -r -t "$1" -u "$never" _ || true; }

spawn() {
  local name=$1
  shift
  setsid -f "${clean_env[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$run/$name.pid" "$@" \
    </dev/null >>"$run/$name.log" 2>&1
  for _ in {1..200}; do
    [ -s "$run/$name.pid" ] && return 0
    nap 0.01
  done
}

alive() {
  local pid
  pid=$(cat "$run/$1.pid" 2>/dev/null) && [ -n "$pid" ] && [ -d "/proc/$pid" ]
}

stop_pid() {
  local pid
  pid=$(cat "$run/$1.pid" 2>/dev/null) || return 0
  rm -f "$run/$1.pid"
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in {1..100}; do
    [ -d "/proc/$pid" ] || return 0
    nap 0.05
  done
  kill -KILL "$pid" 2>/dev/null
}

# A system bus of the node's own: Debian's system.conf without its user, fork, pid file, service
# directories (nothing is activated) and syslog, and with an absolute includedir (NetworkManager's
# policy in /usr/share/dbus-1/system.d).
start_dbus() {
  alive dbus && return 0
  mkdir -p /run/dbus
  sed -E -e '/<(user|fork|pidfile|syslog|standard_system_servicedirs|servicehelper)\b/d' \
    -e 's#<includedir>system\.d</includedir>#<includedir>/usr/share/dbus-1/system.d</includedir>#' \
    /usr/share/dbus-1/system.conf >"$run/dbus-system.conf"
  spawn dbus dbus-daemon --nofork --nopidfile --config-file="$run/dbus-system.conf"
  for _ in {1..500}; do
    [ -S /run/dbus/system_bus_socket ] && return 0
    nap 0.01
  done
  echo "network-stack: the system bus did not start" >&2
  return 1
}

# NetworkManager in the foreground with its log on stderr; no polkit in a node, so no authorization
# through it (root's nmcli works as on a Pi). These settings live in /run: the card keeps Debian's.
start_networkmanager() {
  alive NetworkManager && return 0
  start_dbus || return 1
  mkdir -p /run/NetworkManager/conf.d
  # lo is left alone: NetworkManager would give it 127.0.0.1/8 again, which takes in every lab
  # address (node-init.sh keeps 127.0.0.0/16 there). hostname-mode=none: without systemd-hostnamed
  # NetworkManager would apply every write to /etc/hostname at once; on a Pi it takes a reboot.
  printf '%s\n' '[main]' 'auth-polkit=false' 'hostname-mode=none' '' '[device-pcw-lab-lo]' \
    'match-device=interface-name:lo' 'managed=0' >/run/NetworkManager/conf.d/pcw-lab.conf
  spawn NetworkManager NetworkManager --no-daemon --debug
}

# dhcpcd as Raspberry Pi OS's dhcpcd.service runs it, in the foreground; -A skips the 5 s ARP
# probe of a new address (on the command line, so the card's dhcpcd.conf is the node's own). eth0
# is named because dhcpcd passes over veth devices when it looks for interfaces itself (a Pi's eth0
# is its only wired one anyway). IPv4 only: the lab has no IPv6.
start_dhcpcd() {
  alive dhcpcd && return 0
  spawn dhcpcd dhcpcd -B -q -4 -A eth0
}

# networking.service (`ifup -a`), then what udev's hotplug rule runs for eth0 (`ifup
# --allow=hotplug`). `inet dhcp` runs dhclient.
#
# iproute2 gives an address in 127/8 scope host unless told otherwise (any other address gets scope
# global), and Linux then gives routes via a gateway no source address. For this boot only, an `ip`
# that adds `scope global` to `ip addr add 127.…` comes first for ifupdown (/usr/local/sbin, first
# on the PATH it sets) and for dhclient-script (a function in its enter hooks), so that an address
# behaves as a LAN address does on a Pi. (NetworkManager and dhcpcd set addresses themselves.)
ip_shim() {
  mountpoint -q /usr/local/sbin && return 0
  local add='*" addr add 127."* | *" address add 127."* | *" a add 127."*'
  install -d -m 0755 "$run/ip-shim/sbin" "$run/ip-shim/hooks" /etc/dhcp/dhclient-enter-hooks.d
  cat >"$run/ip-shim/sbin/ip" <<SHIM
#!/bin/sh
# The fake Pi lab's ip (network-stack.sh): \`addr add 127.…\` without a scope gets scope global.
case " \$* " in
*" scope "*) ;;
$add) exec /usr/bin/ip "\$@" scope global ;;
esac
exec /usr/bin/ip "\$@"
SHIM
  chmod 0755 "$run/ip-shim/sbin/ip"
  cat >"$run/ip-shim/hooks/zzz-pcw-lab-scope" <<HOOK
# The fake Pi lab (network-stack.sh): \`ip addr add 127.…\` without a scope gets scope global.
ip() {
  case " \$* " in
  *" scope "*) ;;
  $add)
    command ip "\$@" scope global
    return
    ;;
  esac
  command ip "\$@"
}
HOOK
  mount -t overlay pcw-lab-ip-shim -o "lowerdir=$run/ip-shim/sbin:/usr/local/sbin" /usr/local/sbin
  mount -t overlay pcw-lab-dhclient-hooks \
    -o "lowerdir=$run/ip-shim/hooks:/etc/dhcp/dhclient-enter-hooks.d" /etc/dhcp/dhclient-enter-hooks.d
}

start_networking() {
  [ -e "$run/networking.up" ] && return 0
  install -d -m 0755 /run/network
  ip_shim
  local code=0
  "${clean_env[@]}" ifup -a >>"$run/networking.log" 2>&1 || code=$?
  "${clean_env[@]}" ifup --allow=hotplug eth0 >>"$run/networking.log" 2>&1 || true
  [ "$code" = 0 ] && touch "$run/networking.up"
  return "$code"
}

stop_networking() {
  rm -f "$run/networking.up"
  "${clean_env[@]}" ifdown -a --exclude=lo >>"$run/networking.log" 2>&1 || true
}

# cloud-init as Raspberry Pi OS Trixie runs it at every boot, limited to the three per-boot modules
# the card's /etc/cloud/cloud.cfg lists (set_hostname, update_hostname, update_etc_hosts), and
# without the capabilities to make device nodes or touch raw devices, in a boot whose /dev has no
# disk: whatever a configuration asks, it cannot reach the machine's disks.
cloud_init() {
  "${clean_env[@]}" setpriv --bounding-set=-mknod,-sys_rawio,-sys_module,-sys_boot -- \
    cloud-init "$@" >>"$run/cloud-init.log" 2>&1
}

start_unit() {
  case $1 in
  dhcpcd) start_dhcpcd ;;
  NetworkManager) start_networkmanager ;;
  networking) start_networking ;;
  *) return 1 ;;
  esac
}

stop_unit() {
  case $1 in
  NetworkManager) stop_pid NetworkManager ;;
  dhcpcd) stop_pid dhcpcd ;;
  networking) stop_networking ;;
  esac
}

case ${1:-} in
boot)
  # systemd starts a network service only while it is enabled.
  case ${2:-} in
  dhcpcd) unit=dhcpcd ;;
  ifupdown) unit=networking ;;
  *) unit=NetworkManager ;;
  esac
  enabled=0
  [ -L "/etc/systemd/system/multi-user.target.wants/$unit.service" ] && enabled=1
  case ${2:-} in
  dhcpcd | networkmanager | ifupdown)
    [ "$enabled" = 0 ] || start_unit "$unit"
    ;;
  trixie)
    # The netplan systemd generator (early boot), cloud-init's local stage, NetworkManager, then
    # cloud-init's network stage.
    "${clean_env[@]}" netplan generate >>"$run/netplan.log" 2>&1 ||
      echo "network-stack: netplan generate failed (see $run/netplan.log)" >&2
    cloud_init init --local || echo "network-stack: cloud-init init --local failed" >&2
    [ "$enabled" = 0 ] || start_networkmanager
    cloud_init init || echo "network-stack: cloud-init init failed" >&2
    ;;
  *)
    echo "network-stack: unknown profile ${2:-}" >&2
    exit 1
    ;;
  esac
  ;;
start) start_unit "${2:-}" ;;
stop) stop_unit "${2:-}" ;;
active)
  case ${2:-} in
  networking) [ -e "$run/networking.up" ] ;;
  *) alive "${2:-}" ;;
  esac
  ;;
*)
  echo "usage: network-stack boot PROFILE | start|stop|active UNIT" >&2
  exit 2
  ;;
esac
