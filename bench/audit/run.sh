#!/usr/bin/env bash
# Wall time of `crabport audit` with a cold and a warm index cache.
#
#   bench/audit/run.sh [PROJECT_DIR] [COLD_RUNS] [WARM_RUNS]
#
# PROJECT_DIR defaults to the bundled example. The figures in README.md were
# taken on outline's package.json (229 production dependencies):
#   git clone --depth 1 https://github.com/outline/outline /tmp/outline
#   bench/audit/run.sh /tmp/outline
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
project="${1:-$root/examples/metrics-service}"
cold_runs="${2:-5}"
warm_runs="${3:-20}"

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin crabport
bin="$root/target/release/crabport"
cache="$(mktemp -d)"
trap 'rm -rf "$cache"' EXIT

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
stats() { sort -n | awk '{ a[NR] = $1 } END { printf "min %d ms  median %d ms  max %d ms  (n=%d)\n", a[1], a[int((NR + 1) / 2)], a[NR], NR }'; }

deps=$("$bin" audit "$project" --cache-dir "$cache/probe" --offline --format json -q | grep -c '"dependency_kind": "prod"' || true)
echo "project: $project ($deps production dependency entries)"

echo -n "cold (empty cache, every crate fetched): "
for _ in $(seq "$cold_runs"); do
  rm -rf "$cache/c"
  start=$(date +%s%N)
  "$bin" audit "$project" --cache-dir "$cache/c" --format json -q > /dev/null
  ms "$start"
done | stats

"$bin" audit "$project" --cache-dir "$cache/w" --format json -q > /dev/null
echo -n "warm (cache within its TTL, no network): "
for _ in $(seq "$warm_runs"); do
  start=$(date +%s%N)
  "$bin" audit "$project" --cache-dir "$cache/w" --format json -q > /dev/null
  ms "$start"
done | stats

echo -n "revalidate (TTL 0: one conditional request per crate, 304s): "
for _ in $(seq "$cold_runs"); do
  start=$(date +%s%N)
  "$bin" audit "$project" --cache-dir "$cache/w" --cache-ttl 0s --format json -q > /dev/null
  ms "$start"
done | stats
