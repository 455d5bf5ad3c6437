#!/usr/bin/env bash
# The guide's way, as a person does it from the master: one Pi after another with OpenSSH ssh and
# scp, the password typed at each prompt (here answered by SSH_ASKPASS). Run as the login user on
# the master. Phase "network": dhcpcd.conf, /etc/hostname, /etc/hosts, ssh enabled, then every
# worker rebooted and waited for at its new address, then the master rebooted (this script dies
# with it). Phase "keys": key pairs, every key appended to the master's authorized_keys from each
# worker, that file copied to every worker with scp, then every Pi logs into every other by name.
#   guide-by-hand.sh network|keys TABLE PREFIXLEN GATEWAY DNS
# TABLE: one "hostname dhcp-address static-address" line per Pi, the master first.
# PCW_PASSWORD: the password; PCW_ASKPASS: a program printing it.
set -euo pipefail
phase=$1 table=$2 prefix=$3 gateway=$4 dns=$5
export SSH_ASKPASS=$PCW_ASKPASS SSH_ASKPASS_REQUIRE=force PCW_LAB_SSH_PASSWORD=$PCW_PASSWORD
ssh_options=(-F /dev/null -o StrictHostKeyChecking=accept-new -o LogLevel=ERROR -o ConnectTimeout=5
  -o NumberOfPasswordPrompts=1)
mapfile -t names < <(awk '{print $1}' "$table")
master=${names[0]}

# What a person types on one Pi for the network section, as root after sudo asked the password.
network_edits() { # hostname static
  local as_root
  as_root=$(
    cat <<SCRIPT
set -e
cat >>/etc/dhcpcd.conf <<CONF

interface eth0
static ip_address=$2/$prefix
static routers=$gateway
static domain_name_servers=$dns
CONF
echo $1 >/etc/hostname
sed -i 's/^127\.0\.1\.1.*/127.0.1.1\t$1/' /etc/hosts
{ echo '# pi-cluster network'; awk '{print \$3, \$1}' <<'HOSTS'
$(cat "$table")
HOSTS
} >>/etc/hosts
hostname $1
systemctl enable ssh
systemctl start ssh
SCRIPT
  )
  printf 'printf "%%s\\n" "$PW" | sudo -S -p "" bash -c %q\n' "$as_root"
}

on() { # address command...
  ssh "${ssh_options[@]}" "pi@$1" "${@:2}"
}

if [ "$phase" = network ]; then
  while read -r name dhcp static; do
    if [ "$name" = "$master" ]; then
      PW=$PCW_PASSWORD bash -c "$(network_edits "$name" "$static")"
    else
      on "$dhcp" "PW=\$(cat); $(network_edits "$name" "$static")" <<<"$PCW_PASSWORD"
    fi
  done <"$table"
  while read -r name dhcp static; do
    [ "$name" = "$master" ] && continue
    on "$dhcp" "printf '%s\n' \"\$(cat)\" | sudo -S -p '' reboot" <<<"$PCW_PASSWORD" || true
    until on "$static" true 2>/dev/null </dev/null; do sleep 0.2; done
  done <"$table"
  printf '%s\n' "$PCW_PASSWORD" | sudo -S -p '' reboot
  sleep 60
elif [ "$phase" = keys ]; then
  mkdir -p -m 700 ~/.ssh
  ssh-keygen -q -t ed25519 -N '' -f ~/.ssh/id_ed25519 <<<y >/dev/null
  cat ~/.ssh/id_ed25519.pub >>~/.ssh/authorized_keys
  for name in "${names[@]:1}"; do
    # On the worker: its key pair, then its public key appended to the master's authorized_keys.
    on "$name" "export SSH_ASKPASS=$PCW_ASKPASS SSH_ASKPASS_REQUIRE=force PCW_LAB_SSH_PASSWORD=\$(cat)
      mkdir -p -m 700 ~/.ssh
      ssh-keygen -q -t ed25519 -N '' -f ~/.ssh/id_ed25519 <<<y >/dev/null
      cat ~/.ssh/id_ed25519.pub | ssh ${ssh_options[*]} pi@$master 'cat >> ~/.ssh/authorized_keys'" \
      <<<"$PCW_PASSWORD"
  done
  for name in "${names[@]:1}"; do
    scp -q "${ssh_options[@]}" ~/.ssh/authorized_keys "pi@$name:~/.ssh/authorized_keys"
  done
  # Every Pi logs into every other by name, answering "yes" to each new host key.
  for name in "${names[@]}"; do
    on "$name" "for other in ${names[*]}; do ssh -n -o BatchMode=yes -o StrictHostKeyChecking=accept-new \$other hostname; done" </dev/null
  done
fi
