#!/usr/bin/env bash
# A/B of two builds on this machine, alternated (base, this, base, this, ...), each with its own driver
# and spawned server: produce-1k, sync-flush, latency-20k, consume-1k (--count, default 300k) and the
# 64-sender stand-in for Apache's Java benchmark (JSON headers, one write per frame). Both trees must be
# built (`pnpm build && (cd perf && pnpm run build)`). Prints the summary lines of every run.
#   perf/ab.sh <baseline repo dir> [rounds=2] [consume count=300k]
# e.g. git worktree add /tmp/base <commit> && (cd /tmp/base && pnpm install --frozen-lockfile && pnpm build && cd perf && pnpm run build)
set -u
base=${1:?usage: perf/ab.sh <baseline repo dir> [rounds] [consume count]}
rounds=${2:-2}
count=${3:-300k}
this=$(cd "$(dirname "$0")/.." && pwd)
for round in $(seq "$rounds"); do
  for tree in "$base" "$this"; do
    label=$([ "$tree" = "$this" ] && echo this || echo base)
    echo "=== round $round $label ($tree) $(uptime | sed 's/.*load/load/')"
    cd "$tree" || exit 2
    for sc in produce-1k sync-flush latency-20k; do
      timeout 300 node perf/dist/run.js "$sc" --spawn-broker 2>&1 | grep -E '^(produce|send latency|broker|memory|driver) ' | sed "s/^/$sc | /"
    done
    timeout 600 node perf/dist/run.js consume-1k --spawn-broker --count "$count" 2>&1 | grep -E '^(consume|broker|memory|driver) ' | sed 's/^/consume-1k | /'
    timeout 300 node perf/dist/sync-bench.js --spawn-broker --duration 15s --write-per-frame 2>&1 | grep -E '^ours' | sed 's/^/sync-bench-json-perframe | /'
  done
done
