#!/usr/bin/env bash
# A fake Pi's SD card. Runs for the life of the lab in the node's own mount namespace, where it
# mounts copy-on-write overlays over the host's /etc, /home, /root, /opt, /srv, /usr and
# /var/{cache,lib,log,mail,spool} (upper layers in the node's directory of the lab; between them and
# the host's files, the Debian packages of the network stacks unpacked by fetch-packages.sh),
# provisions them once like a freshly flashed Raspberry Pi OS card, prints "ready <pid>" and sleeps.
# Each boot of the node starts from a copy of this mount namespace (node-init.sh), so files survive
# reboots as on a card.
#
# Environment: NODE_DIR, PROFILE (dhcpcd|networkmanager|ifupdown|trixie), PI_PASSWORD, SUDO_MODE
# (password|nopasswd), LAB_SCRIPTS (this directory), LAB_PACKAGES (the unpacked packages),
# SHARED_IDENTITY (a directory holding the host keys and machine-id every cloned card shares; empty
# for cards of their own), TEMPLATE_CARD (optional: the directory of a card of the same lab that is
# provisioned already: its layers are copied, and only what makes a card unique is done again, as
# a card flashed from the same image; processes are costly here, this saves most of them).
set -euo pipefail

: "${NODE_DIR:?}" "${PROFILE:?}" "${PI_PASSWORD:?}" "${SUDO_MODE:?}" "${LAB_SCRIPTS:?}" "${LAB_PACKAGES:?}"
shared_identity=${SHARED_IDENTITY:-}
template=${TEMPLATE_CARD:-}

overlays=(/etc /home /root /opt /srv /usr /var/cache /var/lib /var/log /var/mail /var/spool)
fresh=0
[ -e "$NODE_DIR/provisioned" ] || fresh=1
if [ "$fresh" = 1 ] && [ -n "$template" ]; then
  cp -a "$template/upper" "$NODE_DIR/upper"
fi
layers=()
for dir in "${overlays[@]}"; do
  layers+=("$NODE_DIR/upper/${dir//\//_}" "$NODE_DIR/work/${dir//\//_}")
done
mkdir -p "${layers[@]}"
for dir in "${overlays[@]}"; do
  [ -d "$dir" ] || continue
  layer=${dir//\//_}
  lower=$dir
  [ -d "$LAB_PACKAGES$dir" ] && lower=$LAB_PACKAGES$dir:$dir
  mount -t overlay "pcw-lab$layer" \
    -o "lowerdir=$lower,upperdir=$NODE_DIR/upper/$layer,workdir=$NODE_DIR/work/$layer" "$dir"
done

provision() {
  local stock=$LAB_SCRIPTS/stock

  # The unpacked packages' libraries in the card's loader cache: netplan's Python looks
  # libnetplan up there (the dynamic loader finds the others in its default directories).
  if [ "$PROFILE" = trixie ]; then ldconfig; fi

  # root's dotfiles as a card has them (Debian's base-files), not this machine's: a .bashrc that
  # starts a Python version manager would run in every non-interactive bash on the node (bash reads
  # ~/.bashrc when its stdin is a socket, as the lab's and sshd's are), seconds of CPU each time.
  install -m 0644 /usr/share/base-files/dot.bashrc /root/.bashrc
  install -m 0644 /usr/share/base-files/dot.profile /root/.profile

  install -m 0644 /dev/null /etc/hostname
  echo raspberrypi >/etc/hostname
  install -m 0644 "$stock/hosts" /etc/hosts

  # No name server: the host's resolv.conf names servers a node cannot reach (every sudo would
  # wait seconds resolving the hostname); the node's network stack may write its own.
  rm -f /etc/resolv.conf
  install -m 0644 /dev/null /etc/resolv.conf

  # Only the profile's network configuration; the packages' own files of the other stacks stay
  # (Debian's NetworkManager.conf, dhcpcd.conf defaults) as an installed package leaves them.
  rm -f /etc/dhcpcd.conf /etc/network/interfaces
  rm -rf /etc/NetworkManager/system-connections /etc/network/interfaces.d /etc/netplan /etc/cloud \
    /var/lib/cloud
  install -d -m 0700 /etc/NetworkManager/system-connections
  case $PROFILE in
  dhcpcd) install -m 0644 "$stock/dhcpcd.conf" /etc/dhcpcd.conf ;;
  ifupdown)
    install -d -m 0755 /etc/network/interfaces.d
    install -m 0644 "$stock/interfaces" /etc/network/interfaces
    ;;
  networkmanager) ;; # "Wired connection 1": see identity

  trixie)
    # What Raspberry Pi Imager 2.x leaves: eth0 in netplan (rendered for NetworkManager at each
    # boot) and a NoCloud seed; cloud-init itself limited to the lab's cloud.cfg (see there).
    install -d -m 0755 /etc/netplan /etc/cloud /etc/cloud/cloud.cfg.d
    install -m 0600 "$stock/50-cloud-init.yaml" /etc/netplan/50-cloud-init.yaml
    install -m 0644 "$stock/cloud.cfg" /etc/cloud/cloud.cfg
    cp -a "$LAB_PACKAGES/etc/cloud/templates" /etc/cloud/templates
    ;;
  *)
    echo "node-disk: unknown profile $PROFILE" >&2
    exit 1
    ;;
  esac

  # The login user, created in this card's /etc only, in the groups Raspberry Pi OS gives it.
  local groups=() group
  for group in adm dialout cdrom sudo audio video plugdev games users input render netdev gpio i2c spi; do
    getent group "$group" >/dev/null && groups+=("$group")
  done
  useradd -m -s /bin/bash -G "$(
    IFS=,
    echo "${groups[*]}"
  )" pi
  echo "pi:$PI_PASSWORD" | chpasswd
  if [ "$PROFILE" = trixie ]; then
    # The NoCloud seed Imager writes (on /boot/firmware there; here where cloud-init also looks).
    install -d -m 0755 /var/lib/cloud/seed/nocloud
    install -m 0644 "$stock/meta-data" /var/lib/cloud/seed/nocloud/meta-data
    local hash
    hash=$(getent shadow pi | cut -d: -f2)
    sed "s#^    passwd: PASSWORD\$#    passwd: $hash#" "$stock/user-data" \
      >/var/lib/cloud/seed/nocloud/user-data
    chmod 0600 /var/lib/cloud/seed/nocloud/user-data
  fi
  rm -f /etc/sudoers.d/010_pi-nopasswd
  if [ "$SUDO_MODE" = nopasswd ]; then
    echo 'pi ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/010_pi-nopasswd
    chmod 0440 /etc/sudoers.d/010_pi-nopasswd
  fi

  # The privilege-separation user of dhcpcd, as its package's postinst creates it.
  getent passwd dhcpcd >/dev/null ||
    useradd --system --home-dir /usr/lib/dhcpcd --no-create-home --shell /usr/sbin/nologin dhcpcd

  # sshd in a namespace cannot set the audit login uid; a real Pi can. Nothing else changes in PAM.
  sed -i -E 's/^session\s+required\s+pam_loginuid\.so/session    optional     pam_loginuid.so/' /etc/pam.d/sshd

  # SSH enabled, as Raspberry Pi Imager leaves it.
  install -d -m 0755 /etc/systemd/system/multi-user.target.wants
  ln -sfn /lib/systemd/system/ssh.service /etc/systemd/system/multi-user.target.wants/ssh.service
  ln -sfn /lib/systemd/system/ssh.service /etc/systemd/system/sshd.service
  local network_unit
  case $PROFILE in
  dhcpcd) network_unit=dhcpcd ;;
  ifupdown) network_unit=networking ;;
  networkmanager | trixie) network_unit=NetworkManager ;;
  esac
  ln -sfn "/lib/systemd/system/$network_unit.service" \
    "/etc/systemd/system/multi-user.target.wants/$network_unit.service"

  # The node's own reboot, shutdown, poweroff, halt, systemctl and hostnamectl, where the real ones
  # are (on the same PATHs), and the services they start (network-stack.sh).
  install -d -m 0755 /usr/local/lib/pcw-lab
  install -m 0755 "$LAB_SCRIPTS/network-stack.sh" /usr/local/lib/pcw-lab/network-stack
  rm -f /usr/sbin/reboot /usr/sbin/shutdown /usr/sbin/poweroff /usr/sbin/halt
  install -m 0755 "$LAB_SCRIPTS/fakes/reboot" "$LAB_SCRIPTS/fakes/shutdown" /usr/sbin/
  ln -s reboot /usr/sbin/poweroff
  ln -s reboot /usr/sbin/halt
  rm -f /usr/bin/systemctl /usr/bin/hostnamectl
  install -m 0755 "$LAB_SCRIPTS/fakes/systemctl" "$LAB_SCRIPTS/fakes/hostnamectl" /usr/bin/
  echo "$PROFILE" >/usr/local/lib/pcw-lab/profile
}

# What makes each card unique, even among cards flashed from one image.
identity() {
  # A card of its own gets fresh host keys; cloned cards share one set (as after dd).
  # ed25519 and ecdsa only: RSA generation takes seconds per node.
  rm -f /etc/ssh/ssh_host_*
  if [ -n "$shared_identity" ]; then
    cp -p "$shared_identity"/ssh_host_* /etc/ssh/
    install -m 0444 "$shared_identity/machine-id" /etc/machine-id
  else
    ssh-keygen -q -N '' -C root@raspberrypi -t ed25519 -f /etc/ssh/ssh_host_ed25519_key
    ssh-keygen -q -N '' -C root@raspberrypi -t ecdsa -f /etc/ssh/ssh_host_ecdsa_key
    local id
    read -r id </proc/sys/kernel/random/uuid
    echo "${id//-/}" >/etc/machine-id
    chmod 0444 /etc/machine-id
  fi
  if [ "$PROFILE" = networkmanager ]; then
    local uuid
    read -r uuid </proc/sys/kernel/random/uuid
    local profile="/etc/NetworkManager/system-connections/Wired connection 1.nmconnection"
    sed "s/^uuid=UUID\$/uuid=$uuid/" "$LAB_SCRIPTS/stock/Wired connection 1.nmconnection" >"$profile"
    chmod 0600 "$profile"
  fi
}

if [ "$fresh" = 1 ]; then
  [ -n "$template" ] || provision
  identity
  touch "$NODE_DIR/provisioned"
fi

echo "ready $$"
exec sleep infinity
