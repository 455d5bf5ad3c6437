#!/usr/bin/env bash
# Runs every test file. As root the whole run happens inside a private network namespace (only `lo`)
# and a private mount namespace, so nothing a test does can reach a real network, and every lab
# mount disappears with the namespace whatever way the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."

# The longest files first (each is minutes of fake Pis booting and running the setup): two run at a
# time (the machine has two cores), so starting them early keeps both slots busy to the end instead
# of one long file last.
longest=(
  test/faults/step-faults.test.ts
  test/e2e/terminal-run.test.ts
  test/e2e/setup.test.ts
  test/e2e/membership.test.ts
  test/faults/sigkill-resume.test.ts
  test/e2e/cloud-init.test.ts
  test/e2e/reboot-refusals.test.ts
  test/e2e/plan-and-partial.test.ts
  test/e2e/exec-shutdown.test.ts
  test/lab/daemons.test.ts
)
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=()
  for file in "${longest[@]}"; do [ -f "$file" ] && files+=("$file"); done
  mapfile -t rest < <(find test -name '*.test.ts' -o -name '*.test.tsx' | sort | grep -vxF -f <(printf '%s\n' "${longest[@]}"))
  files+=("${rest[@]}")
fi

# Two files at a time, in the order above (node --test would sort them by name). Each file's output
# is printed whole when it ends, under a line with its time and exit code; the run fails when any
# file failed, and says which.
run() {
  local results
  results=$(mktemp -d)
  printf '%s\0' "${files[@]}" | xargs -0 -P 2 -I{} bash -c '
    file=$1 results=$2 started=$SECONDS
    out=$(mktemp "$results/out.XXXXXX")
    # A file that hangs (a lab that never stops, say) fails by name instead of eating the whole CI:
    # the longest file takes about 12 minutes on a busy machine.
    timeout --kill-after=30 1800 node --import tsx --test --test-reporter=spec "$file" >"$out" 2>&1
    code=$?
    [ "$code" -eq 124 ] && echo "run-tests: $file did not end within 30 minutes and was stopped" >>"$out"
    {
      flock 9
      echo "== $file: exit $code after $((SECONDS - started)) s"
      cat "$out"
    } 9>"$results/lock"
    rm -f "$out"
    [ "$code" -eq 0 ] || echo "$file" >>"$results/failed"
    exit 0
  ' run-one {} "$results"
  if [ -s "$results/failed" ]; then
    echo "run-tests: $(wc -l <"$results/failed") of ${#files[@]} test files failed:"
    sed 's/^/  /' "$results/failed"
    rm -rf "$results"
    return 1
  fi
  echo "run-tests: all ${#files[@]} test files passed."
  rm -rf "$results"
}

if [ "${PCW_IN_TEST_NAMESPACE:-}" = 1 ]; then
  ip link set lo up
  mount --make-rprivate /
  run
elif [ "$(id -u)" -eq 0 ]; then
  PCW_IN_TEST_NAMESPACE=1 exec unshare --net --mount --fork --kill-child -- bash "$0" "${files[@]}"
else
  echo "run-tests: not root: running outside a private namespace; fake Pi lab tests will refuse to run." >&2
  run
fi
