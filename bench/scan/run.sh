#!/usr/bin/env bash
# crabport scan vs oxlint (default rules) vs ESLint (a comparable small rule
# set, eslint.config.mjs) on the same files, one run each after a warm-up.
#
#   bench/scan/run.sh CORPUS_DIR [RUNS]
#
# The figures in README.md used outline's app/, server/ and shared/ trees:
#   git clone --depth 1 https://github.com/outline/outline /tmp/outline-src
#   bench/scan/run.sh /tmp/outline-src
# Needs node/npm (oxlint, eslint and @typescript-eslint/parser are installed
# into a temporary directory from the npm registry).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
corpus="$(cd "${1:?usage: run.sh CORPUS_DIR [RUNS]}" && pwd)"
runs="${2:-3}"

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin crabport
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
(cd "$tools" && npm init -y > /dev/null && npm install --silent --no-audit --no-fund oxlint eslint @typescript-eslint/parser > /dev/null)
cp "$root/bench/scan/eslint.config.mjs" "$tools/"

files=$(find "$corpus" -type f \( -name '*.ts' -o -name '*.tsx' -o -name '*.js' -o -name '*.jsx' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.mts' -o -name '*.cts' \) -not -path '*/node_modules/*' -not -name '*.d.ts' | wc -l)
echo "corpus: $corpus ($files source files); $(nproc) cores; best of $runs"

measure() { # name, command...
  local name="$1"; shift
  "$@" > /dev/null 2>&1 || true # warm-up (file cache, JIT caches)
  local best="" rss=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$tools/time" "$@" > /dev/null 2>&1 || true
    local out t m
    out=$(tail -1 "$tools/time")
    t="${out% *}"; m="${out#* }"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best="$t"; rss="$m"; fi
  done
  printf "%-10s %8.2f s   peak RSS %7d KB\n" "$name" "$best" "$rss"
}

measure crabport "$root/target/release/crabport" scan "$corpus" --format json -q
measure oxlint "$tools/node_modules/.bin/oxlint" "$corpus"
# ESLint ignores files outside its config's directory: lint the corpus through a link.
ln -s "$corpus" "$tools/corpus"
(cd "$tools" && measure eslint ./node_modules/.bin/eslint --no-config-lookup -c eslint.config.mjs corpus)
