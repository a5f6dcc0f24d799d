#!/usr/bin/env bash
# crabport plan beside crabport assess on a large real repository: wall time
# and peak RSS of each, and their ratio (the target: plan within 1.5× of
# assess, since both gather the same evidence once and plan adds the route
# inventory, the module graph and the per-route joins).
#
#   bench/plan/run.sh REPO_DIR [RUNS]
#
# REPO_DIR is a git work tree with package.json (the figures in README.md
# used outline: git clone https://github.com/outline/outline /tmp/outline-wt).
# Both commands run on a warm index cache (one cold run first fills it).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
repo="$(cd "${1:?usage: run.sh REPO_DIR [RUNS]}" && pwd)"
runs="${2:-5}"

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin crabport
bin="$root/target/release/crabport"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CRABPORT_CACHE_DIR="$work/cache"

commits=$(git -C "$repo" rev-list --count HEAD)
files=$(git -C "$repo" ls-files '*.ts' '*.tsx' '*.js' '*.jsx' '*.mjs' '*.cjs' | wc -l)
echo "repo: $repo ($commits commits, $files source files); $(nproc) cores"

"$bin" assess "$repo" --format json -q > /dev/null # fills the index cache

best() { sort -n | head -1; }
measure() { # command → "seconds KB" per run on stdout
  local cmd="$1"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" "$cmd" "$repo" --format json -q > "$work/$cmd.json"
    cat "$work/time"
  done
}
measure assess > "$work/assess.times"
measure plan > "$work/plan.times"
a=$(cut -d' ' -f1 "$work/assess.times" | best)
p=$(cut -d' ' -f1 "$work/plan.times" | best)
am=$(cut -d' ' -f2 "$work/assess.times" | sort -n | tail -1)
pm=$(cut -d' ' -f2 "$work/plan.times" | sort -n | tail -1)
printf "assess: best of %d %6.2f s, peak RSS %7d KB\n" "$runs" "$a" "$am"
printf "plan:   best of %d %6.2f s, peak RSS %7d KB\n" "$runs" "$p" "$pm"
ratio=$(awk -v p="$p" -v a="$a" 'BEGIN { printf "%.2f", p / a }')
echo "plan / assess: ${ratio}× (target ≤ 1.5×)"
node -e '
const p = require(process.argv[1]);
console.log(`${p.routes.length} routes in ${p.waves.length} waves, ${p.unresolved.length} unresolved; limits: ${p.limits.length}`);
' "$work/plan.json"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }' || { echo "plan is more than 1.5× assess" >&2; exit 1; }
