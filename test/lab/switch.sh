#!/usr/bin/env bash
# The lab's Ethernet switch: pid 1 of the lab's own PID and network namespaces. A bridge `br0` with a
# fixed MAC (otherwise it changes as node ports come and go, and neighbours stall), route_localnet on
# (Linux drops 127/8 on any link but lo without it), and busybox udhcpd on it handing each node's MAC
# its lease from DHCP_CONF. The lab (lab.ts) plugs the ports in from outside: one per boot of a node,
# and one for the test run's namespace, the "router" the nodes' gateway and DNS settings point at.
# SIGHUP restarts udhcpd (the lab rewrote DHCP_CONF). Prints "ready <pid>" and runs until killed;
# every process and port of the switch dies with it.
#
# Environment: DHCP_SERVER (the bridge's address, a.b.c.d/24), DHCP_CONF, UDHCPD (busybox path).
set -euo pipefail
: "${DHCP_SERVER:?}" "${DHCP_CONF:?}" "${UDHCPD:?}"

# lo stays down: with it up, 127.0.0.0/8 is local here and the bridge would answer ARP for every
# node's address. arp_ignore=1: ARP answered only for br0's own address.
sysctl -q -w net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.default.route_localnet=1 \
  net.ipv4.conf.all.arp_ignore=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add br0 address 02:70:63:77:00:01 type bridge forward_delay 0 stp_state 0
sysctl -q -w net.ipv4.conf.br0.route_localnet=1 net.ipv4.conf.br0.arp_ignore=1
ip addr add "$DHCP_SERVER" dev br0 scope global
ip link set br0 up

udhcpd_pid=
trap '[ -n "$udhcpd_pid" ] && kill "$udhcpd_pid" 2>/dev/null' HUP
trap 'exit 0' TERM INT
echo "ready $$"
set +e
while :; do
  "$UDHCPD" udhcpd -f "$DHCP_CONF" &
  udhcpd_pid=$!
  while kill -0 "$udhcpd_pid" 2>/dev/null; do wait "$udhcpd_pid"; done
  sleep 0.05
done
