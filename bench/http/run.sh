#!/usr/bin/env bash
# Load generator efficiency: crabport's generator vs wrk, oha and autocannon
# against the same fast loopback server (crates/crabport_http/examples/fast_server.rs),
# server pinned to core 0, generator to core 1, same connection count.
#
#   bench/http/run.sh [CONNECTIONS] [SECONDS] [ROUNDS]
#
# Per tool and round: requests/s, CPU µs per request (user+sys from
# /usr/bin/time over the requests the tool counted) and peak RSS. Rounds
# interleave the tools so a noisy neighbour hurts all of them alike; the
# summary is the median per tool.
#
# wrk is /usr/bin/wrk (Debian package). oha and autocannon are installed on
# first use into $BENCH_TOOLS (default /tmp/crabport-bench-tools): `cargo
# install oha` and `npm i autocannon`. A tool that is missing or fails to
# install is skipped with a note.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
conns="${1:-50}"
secs="${2:-10}"
rounds="${3:-3}"
port="${PORT:-8787}"
tools="${BENCH_TOOLS:-/tmp/crabport-bench-tools}"
url="http://127.0.0.1:$port/"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p crabport_http --examples
bin="$target_dir/release/examples"
mkdir -p "$tools"
work="$(mktemp -d)"

oha="$(command -v oha || true)"
if [[ -z "$oha" ]]; then
  oha="$tools/oha/bin/oha"
  if [[ ! -x "$oha" ]]; then
    echo "installing oha into $tools/oha (a few minutes)…" >&2
    CARGO_TARGET_DIR="$tools/oha-build" cargo install oha --locked --quiet --root "$tools/oha" >&2 || echo "oha did not build; skipped" >&2
  fi
fi
autocannon="$tools/autocannon/node_modules/.bin/autocannon"
if [[ ! -x "$autocannon" ]] && command -v npm > /dev/null; then
  mkdir -p "$tools/autocannon"
  (cd "$tools/autocannon" && npm i --silent --no-audit --no-fund autocannon > /dev/null) || echo "autocannon did not install; skipped" >&2
fi

taskset -c 0 "$bin/fast_server" "127.0.0.1:$port" > "$work/server.log" &
server=$!
trap 'kill "$server" 2> /dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q listening "$work/server.log" && break; sleep 0.1; done
grep -q listening "$work/server.log" || { echo "fast_server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

# Each tool's command line, and how to find the number of requests it reports in its output.
cmd_crabport=("$bin/loadgen" "$url" --connections "$conns" --duration "$secs")
requests_crabport() { sed -n 's/^requests=\([0-9]*\) .*/\1/p' "$work/out"; }
cmd_wrk=(/usr/bin/wrk -t1 -c"$conns" -d"${secs}s" "$url")
requests_wrk() { awk '/requests in/ { print $1 }' "$work/out"; }
cmd_oha=("$oha" -z "${secs}s" -c "$conns" --no-tui --output-format json "$url")
requests_oha() { python3 -c 'import json, sys; print(sum(json.load(open(sys.argv[1]))["statusCodeDistribution"].values()))' "$work/out"; }
cmd_autocannon=("$autocannon" -c "$conns" -d "$secs" --json "$url")
requests_autocannon() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["requests"]["total"])' "$work/out"; }

names=(crabport wrk)
[[ -x "$oha" ]] && names+=(oha)
[[ -x "$autocannon" ]] && names+=(autocannon)

echo "$(date -u +%F) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$conns connections, ${secs} s per run, $rounds rounds; server on core 0, generator on core 1"
printf '%-11s %5s %10s %10s %12s %9s\n' tool round requests 'req/s' 'CPU µs/req' 'RSS MB'
for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    declare -n cmd="cmd_$name"
    taskset -c 1 /usr/bin/time -f '%U %S %M' -o "$work/time" "${cmd[@]}" > "$work/out" 2> "$work/err"
    requests=$("requests_$name")
    read -r user sys rss_kb < "$work/time"
    awk -v n="$name" -v r="$round" -v q="$requests" -v u="$user" -v s="$sys" -v m="$rss_kb" -v d="$secs" \
      'BEGIN { printf "%-11s %5d %10d %10.0f %12.2f %9.1f\n", n, r, q, q / d, (u + s) * 1e6 / q, m / 1024 }' | tee -a "$work/rows"
    if [[ "$name" == crabport ]]; then
      sed -n 's/.*cpu_us_per_request=\([0-9.]*\) generator_bound=\([a-z]*\).*/  (crabport own measure: \1 µs\/req over the generator thread; generator_bound=\2)/p' "$work/out"
    fi
  done
done

echo
echo "median of $rounds rounds:"
printf '%-11s %10s %12s %9s\n' tool 'req/s' 'CPU µs/req' 'RSS MB'
for name in "${names[@]}"; do
  awk -v n="$name" '$1 == n { q[++k] = $4; c[k] = $5; m[k] = $6 }
    function med(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return a[int((k + 1) / 2)] }
    END { printf "%-11s %10.0f %12.2f %9.1f\n", n, med(q, k), med(c, k), med(m, k) }' "$work/rows"
done
