#!/usr/bin/env bash
# The multi-core scaling curve (issue 15, docs/design.md "Multi-core"): perf/dist/scale.js over broker
# layouts that fit this machine. Brokers take CPUs from the bottom half, drivers the top half, so the
# load never takes a broker's core. Needs `pnpm build && (cd perf && pnpm run build)` and taskset.
#   perf/scale-curve.sh [duration=8s] [out=/tmp/perf-scale]
# Prints one `scale ...` line per layout; each run's files are under out/<label>/.
set -u
dur=${1:-8s}
out=${2:-/tmp/perf-scale}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
n=$(nproc)
half=$((n / 2))
drv="$half-$((n - 1))"
[ "$n" -lt 4 ] && drv="$((n - 1))"
ndrv=$(( half > 8 ? 8 : (half < 1 ? 1 : half) ))
mkdir -p "$out"
echo "scale-curve: $n CPUs, drivers on $drv, $dur per run, $(uname -r), node $(node --version)"
run() { # label, then scale.js options
  local label=$1; shift
  timeout 180 node perf/dist/scale.js --label "$label" --duration "$dur" --warmup 2s --out "$out/$label" "$@" 2>&1 | grep -E '^(scale|Error)'
}
# lists of CPUs for k brokers of c CPUs each: 0-1/2-3/...
lists() { local k=$1 c=$2 s="" i; for ((i = 0; i < k; i++)); do s+="${s:+/}$((i * c))$([ "$c" -gt 1 ] && echo "-$((i * c + c - 1))")"; done; echo "$s"; }
fits() { [ $(($1 * $2)) -le "$half" ] || { [ "$n" -lt 4 ] && [ $(($1 * $2)) -le 1 ]; }; }

for c in 1 2 4; do fits 1 $c && run "b1c$c" --brokers 1 --broker-cpus "$(lists 1 $c)" --drivers "$ndrv" --driver-cpus "$drv"; done
for k in 2 4 8; do fits $k 2 && run "b${k}c2" --brokers $k --broker-cpus "$(lists $k 2)" --drivers "$ndrv" --driver-cpus "$drv"; done
for k in 4 8; do fits $k 1 && run "b${k}c1" --brokers $k --broker-cpus "$(lists $k 1)" --drivers "$ndrv" --driver-cpus "$drv"; done
fits 1 2 && run "b1c2-sync" --brokers 1 --broker-cpus "$(lists 1 2)" --drivers "$ndrv" --driver-cpus "$drv" --flush-disk-type SYNC_FLUSH
# the 64-sender stand-in for Apache's Java benchmark (one per broker), latency-bound
for c in 1 2; do fits 1 $c && run "sb1c$c" --load sync-bench --brokers 1 --broker-cpus "$(lists 1 $c)" --driver-cpus "$drv"; done
fits 4 2 && run "sb4c2" --load sync-bench --brokers 4 --broker-cpus "$(lists 4 2)" --driver-cpus "$drv"
exit 0
