#!/usr/bin/env bash
# crabport assess on a large real repository: wall time and peak RSS.
#
#   bench/assess/run.sh REPO_DIR [RUNS]
#
# REPO_DIR is a git work tree with package.json (the figures in README.md
# used outline: git clone https://github.com/outline/outline /tmp/outline-wt).
# Without crabport.toml the root package is the one service: every
# production dependency audited, every source file scanned, the whole
# history read once.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
repo="$(cd "${1:?usage: run.sh REPO_DIR [RUNS]}" && pwd)"
runs="${2:-5}"

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin crabport
bin="$root/target/release/crabport"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

commits=$(git -C "$repo" rev-list --count HEAD)
deps=$(node -e 'const p=require(process.argv[1]);console.log(Object.keys(p.dependencies||{}).length)' "$repo/package.json")
echo "repo: $repo ($commits commits, $deps production dependencies); $(nproc) cores"

run() { # label, env...
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$work/time" env "$@" "$bin" assess "$repo" --format json -q > "$work/out.json"
  read -r t m < "$work/time"
  printf "%-28s %6.2f s   peak RSS %7d KB\n" "$label" "$t" "$m"
}

# Cold: an empty index cache, every crate fetched from crates.io.
run "cold index cache" CRABPORT_CACHE_DIR="$work/cache"
for i in $(seq "$runs"); do
  run "warm run $i" CRABPORT_CACHE_DIR="$work/cache"
done
node -e '
const r = require(process.argv[1]);
for (const s of r.services) {
  const h = s.evidence.history, c = s.evidence.code, d = s.evidence.dependencies;
  console.log(`${s.name}: ${s.verdict} (${s.primary_reason}); ${c.files} files, ${c.lines} lines; ` +
    `${d.production} deps; history ${h ? h.windows.map(w => w.days + "d " + w.commits + " commits").join(", ") : "missing"}`);
}' "$work/out.json"
