/**
 * Run as root, prints `<sudo pid> <agent pid>`: the sudo process the command descends from, and
 * that sudo's child (the root session's agent), both as the node sees them; `none` without sudo.
 */
export const SESSION_OF_THIS_COMMAND = `p=$$ child=
while [ "$p" -gt 1 ]; do
  if [ "$(cat "/proc/$p/comm")" = sudo ]; then echo "$p $child"; exit 0; fi
  child=$p
  set -- $(cat "/proc/$p/stat")
  p=$4
done
echo none`;
