#!/usr/bin/env bash
# crabport proxy's overhead against nginx as a plain reverse proxy, to the
# same upstream (the example's Rust port, GET /health), under the same load
# from crabport bench (open loop, RATE requests/s, 4 connections): latency
# added over going direct, and the proxy's own CPU per request (from
# /proc/PID/stat). nginx runs one worker with upstream keep-alive; crabport
# proxy runs with shadow mode off (one worker thread, the default, then two),
# then with every route shadowed (the copy goes to a second instance of the
# upstream).
#
#   bench/proxy/run.sh [RATE] [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rate="${1:-2000}"
secs="${2:-10}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p crabport -p metrics-service
bin="$target_dir/release/crabport"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$1/health" && return; sleep 0.1; done; echo "nothing on $1" >&2; exit 2; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

up="$(free_port)"; up2="$(free_port)"
PORT="$up" "$target_dir/release/metrics-service" > /dev/null 2>&1 & pids+=($!)
PORT="$up2" "$target_dir/release/metrics-service" > /dev/null 2>&1 & pids+=($!)
wait_up "$up"; wait_up "$up2"

ng="$(free_port)"
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
error_log $work/nginx/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  upstream up { server 127.0.0.1:$up; keepalive 16; }
  server {
    listen 127.0.0.1:$ng;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & pids+=($!)

cp="$(free_port)"
"$bin" proxy "$work" -q --listen "127.0.0.1:$cp" --baseline "http://127.0.0.1:$up" --candidate "http://127.0.0.1:$up" > /dev/null 2>&1 & pids+=($!)
cp2="$(free_port)"
"$bin" proxy "$work" -q --workers 2 --listen "127.0.0.1:$cp2" --baseline "http://127.0.0.1:$up" --candidate "http://127.0.0.1:$up" > /dev/null 2>&1 & pids+=($!)
cps="$(free_port)"
"$bin" proxy "$work" -q --shadow-all --listen "127.0.0.1:$cps" --baseline "http://127.0.0.1:$up" --candidate "http://127.0.0.1:$up2" > /dev/null 2>&1 & pids+=($!)
wait_up "$ng"; wait_up "$cp"; wait_up "$cp2"; wait_up "$cps"
ng_pid="$(pgrep -f "nginx: worker process" | head -1)"
cp_pid="${pids[3]}"
cp2_pid="${pids[4]}"
cps_pid="${pids[5]}"
echo "$(nproc) cores; upstream: the example's Rust port; $rate req/s for ${secs}s, 4 connections"

measure() { # label port pid(or -) → one line
  local label="$1" port="$2" pid="$3" before after
  [[ "$pid" != - ]] && before="$(cpu_ticks "$pid")"
  "$bin" bench "$work" -q --baseline "http://127.0.0.1:$port" --url /health --rate "$rate" -c 4 \
    --rounds 1 --duration "${secs}s" --warmup 2s --format json > "$work/$label.json" || true
  [[ "$pid" != - ]] && after="$(cpu_ticks "$pid")"
  node -e '
const r = require(process.argv[1]).targets[0];
const [label, ticks, hz] = process.argv.slice(2);
const cpu = ticks === "-" ? "" : `; proxy CPU ${(Number(ticks) / Number(hz) * 1e6 / r.requests).toFixed(1)} µs/request`;
console.log(`${label.padEnd(26)} p50 ${r.latency_ms.p50.toFixed(3)} ms  p99 ${r.latency_ms.p99.toFixed(3)} ms  errors ${r.errors}  (${r.requests} requests)${cpu}`);
' "$work/$label.json" "$label" "$([[ "$pid" != - ]] && echo $((after - before)) || echo -)" "$(getconf CLK_TCK)"
}
measure direct "$up" -
measure nginx "$ng" "$ng_pid"
measure crabport-proxy "$cp" "$cp_pid"
measure crabport-proxy-2-workers "$cp2" "$cp2_pid"
measure crabport-proxy-shadow "$cps" "$cps_pid"
