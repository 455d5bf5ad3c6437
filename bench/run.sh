#!/usr/bin/env bash
# Runs the benchmarks (bench/run-bench.ts) inside a private network and mount namespace, as the
# tests do: every fake Pi is on 127.0.0.0/8 and nothing can reach a real network.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${PCW_IN_BENCH_NAMESPACE:-}" = 1 ]; then
  ip link set lo up
  mount --make-rprivate /
  exec node --import tsx bench/run-bench.ts "$@"
elif [ "$(id -u)" -eq 0 ]; then
  PCW_IN_BENCH_NAMESPACE=1 exec unshare --net --mount --fork --kill-child -- bash "$0" "$@"
else
  echo "bench/run.sh: run as root (the fake Pi lab needs a private network namespace)." >&2
  exit 2
fi
