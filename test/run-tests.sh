#!/usr/bin/env bash
# Runs every test file. As root the whole run happens inside a private network namespace (only `lo`)
# and a private mount namespace, so nothing a test does can reach a real network, and every lab
# mount disappears with the namespace whatever way the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."

# The longest files first (each is minutes of fake Pis booting and running the setup): two run at a
# time, so starting them early keeps both slots busy to the end instead of one long file last.
longest=(
  test/faults/step-faults.test.ts
  test/e2e/terminal-run.test.ts
  test/e2e/setup.test.ts
  test/faults/sigkill-resume.test.ts
  test/e2e/cloud-init.test.ts
  test/e2e/reboot-refusals.test.ts
  test/e2e/plan-and-partial.test.ts
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

run() {
  node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
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
