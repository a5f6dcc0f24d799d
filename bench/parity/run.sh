#!/usr/bin/env bash
# crabport parity's throughput and memory: requests compared per second on a
# large HAR (10,000 entries by default), and peak RSS when every answer is
# one 50 MB JSON document (the target: a few times the body size, since all
# three answers are held and two are parsed at once).
#
#   bench/parity/run.sh [ENTRIES] [BODY_MB]
#
# The targets are a small Node server (server.js here) run three times:
# baseline, secondary and candidate. The server's own time is part of the
# figure; crabport's CPU share is reported beside it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/bench/parity"
entries="${1:-10000}"
body_mb="${2:-50}"

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin crabport
bin="${CARGO_TARGET_DIR:-$root/target}/release/crabport"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/server.js" "$work/"
echo "$(nproc) cores; node $(node --version)"

# A HAR as Chrome exports it: pseudo-headers, cookies, a mix of routes.
node -e '
const n = Number(process.argv[1]);
const entries = [];
for (let i = 0; i < n; i++) {
  const post = i % 10 === 9;
  const url = post ? "http://localhost:3000/orders" : `http://localhost:3000/users/${i % 500}?page=${i % 7}`;
  entries.push({
    startedDateTime: new Date(1700000000000 + i).toISOString(), time: 1,
    request: {
      method: post ? "POST" : "GET", url, httpVersion: "HTTP/1.1",
      headers: [{ name: ":authority", value: "localhost:3000" }, { name: "accept", value: "application/json" },
                { name: "cookie", value: "sid=abc" }, { name: "user-agent", value: "Mozilla/5.0" }],
      queryString: [], cookies: [], headersSize: -1, bodySize: post ? 40 : 0,
      ...(post ? { postData: { mimeType: "application/json", text: JSON.stringify({ item: i, qty: i % 5 }) } } : {}),
    },
    response: { status: 200, statusText: "OK", httpVersion: "HTTP/1.1", headers: [], cookies: [],
                content: { size: 0, mimeType: "application/json" }, redirectURL: "", headersSize: -1, bodySize: -1 },
    cache: {}, timings: { send: 0, wait: 1, receive: 0 },
  });
}
require("fs").writeFileSync(process.argv[2], JSON.stringify({ log: { version: "1.2", creator: { name: "bench", version: "1" }, entries } }, null, 1));
' "$entries" "$work/large.har"
echo "HAR: $entries entries, $(du -h "$work/large.har" | cut -f1)"

run() { # label candidate-variant args… → one line of figures
  local label="$1" variant="$2"
  shift 2
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$bin" parity "$work" --baseline "node $work/server.js" --candidate "node $work/server.js $variant" \
    --format json -q "$@" > "$work/report.json" || true
  read -r wall user sys kb < <(tail -1 "$work/time") # after "Command exited with …" on exit 1
  node -e '
const r = require(process.argv[1]);
const [label, wall, user, sys, kb] = process.argv.slice(2);
const t = r.total;
console.log(`${label}: ${t.requests} requests in ${wall} s = ${(t.requests / wall).toFixed(0)} compared/s; crabport CPU ${(Number(user) + Number(sys)).toFixed(2)} s; peak RSS ${(kb / 1024).toFixed(0)} MB; identical ${t.identical}, noise ${t.noise}, different ${t.different}, failed ${t.failed}`);
' "$work/report.json" "$label" "$wall" "$user" "$sys" "$kb"
}

run "large HAR" same --har "$work/large.har"

printf '{"v":1,"method":"GET","target":"/big","headers":[]}\n{"v":1,"method":"GET","target":"/big","headers":[]}\n' > "$work/big.jsonl"
export BIG_MB="$body_mb"
run "${body_mb} MB JSON body ×2, same bytes" same --requests "$work/big.jsonl" --max-body "$((body_mb * 2))MiB"
run "${body_mb} MB JSON body ×2, one field differs (both parsed)" changed --requests "$work/big.jsonl" --max-body "$((body_mb * 2))MiB"
echo "(peak RSS includes the three answers crabport holds per request: $((body_mb * 3)) MB)"
