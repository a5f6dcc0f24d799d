#!/usr/bin/env bash
# Parity check between the Node service and its Rust port: the same requests,
# in the same order, to both; status, body and the headers that matter
# (content-type, content-length, etag, allow, x-request-id) must be equal.
# Also compares what each forwards to WEBHOOK_URL. Exits 1 on any difference.
#
#   scripts/parity.sh
#       builds both (npm ci/build, cargo build --release), starts them on free
#       ports with a local webhook receiver, runs the checks, stops them.
#   NODE_URL=http://127.0.0.1:3000 RUST_URL=http://127.0.0.1:3001 scripts/parity.sh
#       uses two services you started; start both fresh (and without
#       DATABASE_URL / SENDGRID_API_KEY), since /snapshot reflects every
#       earlier request.
#
# Needs bash, curl, node/npm, cargo, python3 (the webhook receiver).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"          # examples/metrics-service
root="$(cd "$here/../.." && pwd)"                  # the workspace
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_up() {
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$1/health" && return 0
    sleep 0.1
  done
  echo "service at $1 did not come up" >&2
  exit 2
}

hook_dir="$tmp/webhook"
mkdir -p "$hook_dir"
if [[ -z "${NODE_URL:-}" || -z "${RUST_URL:-}" ]]; then
  echo "building…" >&2
  (cd "$here" && { [[ -d node_modules ]] || npm ci --silent; } && npm run --silent build)
  (cd "$root" && cargo build --release --quiet -p metrics-service)
  rust_bin="${CARGO_TARGET_DIR:-$root/target}/release/metrics-service"

  hook_port="$(free_port)"
  python3 - "$hook_port" "$hook_dir" <<'PY' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with open(f"{out}/{self.path.strip('/')}.log", "ab") as f:
            f.write(self.headers.get("content-type", "").encode() + b" " + body + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook).serve_forever()
PY
  pids+=($!)

  node_port="$(free_port)"
  rust_port="$(free_port)"
  # Same environment for both; no database, no SendGrid key, a webhook each.
  (cd "$here" && exec env -u DATABASE_URL -u SENDGRID_API_KEY PORT="$node_port" \
    WEBHOOK_URL="http://127.0.0.1:$hook_port/node" node dist/server.js) >"$tmp/node.log" 2>&1 &
  pids+=($!)
  (cd "$tmp" && exec env -u DATABASE_URL -u SENDGRID_API_KEY PORT="$rust_port" \
    WEBHOOK_URL="http://127.0.0.1:$hook_port/rust" "$rust_bin") >"$tmp/rust.log" 2>&1 &
  pids+=($!)
  NODE_URL="http://127.0.0.1:$node_port"
  RUST_URL="http://127.0.0.1:$rust_port"
  wait_up "$NODE_URL"
  wait_up "$RUST_URL"
  started=1
else
  started=0
fi

uuid_v4='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
checks=0
failures=0

header() { # file name -> value (first occurrence, case-insensitive name)
  grep -i "^$2:" "$1" | head -1 | cut -d: -f2- | sed -e 's/^ *//' -e 's/\r$//' || true
}

# check NAME PATH [curl options…]: one request to each service, compared.
check() {
  local name="$1" path="$2"
  shift 2
  local side url
  for side in node rust; do
    if [[ $side == node ]]; then url="$NODE_URL"; else url="$RUST_URL"; fi
    : >"$tmp/$side.body" # curl leaves the file alone when there is no body (304)
    curl -sS --path-as-is -o "$tmp/$side.body" -D "$tmp/$side.head" -w '%{http_code}' \
      "$@" "$url$path" >"$tmp/$side.status" 2>"$tmp/$side.err" || true
  done
  checks=$((checks + 1))
  local problems=()
  [[ "$(cat "$tmp/node.status")" == "$(cat "$tmp/rust.status")" ]] ||
    problems+=("status $(cat "$tmp/node.status") vs $(cat "$tmp/rust.status")")
  # With --head, curl writes the header block where the body would go.
  [[ " $* " == *" --head "* ]] || cmp -s "$tmp/node.body" "$tmp/rust.body" ||
    problems+=("body:"$'\n'"  node: $(head -c 600 "$tmp/node.body")"$'\n'"  rust: $(head -c 600 "$tmp/rust.body")")
  local h
  for h in content-type content-length etag allow; do
    [[ "$(header "$tmp/node.head" $h)" == "$(header "$tmp/rust.head" $h)" ]] ||
      problems+=("$h: '$(header "$tmp/node.head" $h)' vs '$(header "$tmp/rust.head" $h)'")
  done
  if [[ " ${*,,} " =~ \ x-request-id[:\;] ]]; then
    [[ "$(header "$tmp/node.head" x-request-id)" == "$(header "$tmp/rust.head" x-request-id)" ]] ||
      problems+=("x-request-id: '$(header "$tmp/node.head" x-request-id)' vs '$(header "$tmp/rust.head" x-request-id)'")
  else
    for side in node rust; do
      [[ "$(header "$tmp/$side.head" x-request-id)" =~ $uuid_v4 ]] ||
        problems+=("$side x-request-id is not a uuid v4: '$(header "$tmp/$side.head" x-request-id)'")
    done
  fi
  if ((${#problems[@]})); then
    failures=$((failures + 1))
    printf 'DIFF  %s\n' "$name"
    printf '      %s\n' "${problems[@]}"
  else
    printf 'same  %-44s %s %s\n' "$name" "$(cat "$tmp/node.status")" "$(head -c 90 "$tmp/node.body" | tr '\r\n' '  ')"
  fi
}

json=(-H 'content-type: application/json')
post=(-X POST "${json[@]}")

# --- routes and routing --------------------------------------------------
check "GET /health" /health
check "GET /health (x-request-id echoed)" /health -H 'x-request-id: abc-123'
check "GET /health (two x-request-id joined)" /health -H 'x-request-id: a' -H 'x-request-id: b'
check "GET /health (empty x-request-id)" /health -H 'x-request-id;'
check "GET /users" /users
check "GET /orders" /orders
check "GET /USERS/ (case, trailing slash)" /USERS/
check "GET /users?x=1" '/users?x=1'
check "GET /users// (404)" /users//
check "GET //users (404)" //users
check "GET /users.json (404)" /users.json
check "GET / (404)" /
check "GET /nope (404)" /nope
check "GET /events (404)" /events
check "POST /users (404)" /users -X POST
check "OPTIONS /users (404)" /users -X OPTIONS
check "DELETE /snapshot (404)" /snapshot -X DELETE
check "HEAD /users" /users --head
check "HEAD /nope" /nope --head
check "HEAD /events (404)" /events --head
check "GET /report (no DATABASE_URL)" /report

# --- conditional GET (express's ETag / fresh) ------------------------------
check "GET /health If-None-Match match (304)" /health -H 'If-None-Match: W/"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg"'
check "GET /health If-None-Match strong form (304)" /health -H 'If-None-Match: "x", "f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg"'
check "GET /health If-None-Match * (304)" /health -H 'If-None-Match: *'
check "GET /health If-None-Match + no-cache" /health -H 'If-None-Match: *' -H 'Cache-Control: max-age=0, no-cache'
check "GET /health If-None-Match other" /health -H 'If-None-Match: W/"nope"'
check "POST /events If-None-Match * (no 304)" /events "${post[@]}" -H 'If-None-Match: *' \
  --data-binary '{"level":"info","message":"conditional"}' -H 'x-request-id: ev-0'

# --- POST /events: valid ----------------------------------------------------
check "POST /events info" /events "${post[@]}" --data-binary '{"level":"info","message":"hi"}' -H 'x-request-id: ev-1'
check "POST /events warn, extra keys" /events "${post[@]}" --data-binary '{"message":"disk 91%","level":"warn","extra":[1,{"a":null}]}' -H 'x-request-id: ev-2'
check "POST /events unicode" /events "${post[@]}" --data-binary '{"level":"info","message":"héllo 😀 \u2028 \"q\" \\ \t"}' -H 'x-request-id: ev-3'
check "POST /events escapes, lone surrogate" /events "${post[@]}" --data-binary '{"level":"warn","message":"\ud800\u0001\ud83d\ude00\u00e9\/"}' -H 'x-request-id: ev-4'
check "POST /events charset=UTF-8 quoted" /events -X POST -H 'content-type: application/json; charset="UTF-8"' --data-binary '{"level":"info","message":"q"}' -H 'x-request-id: ev-5'
check "POST /events APPLICATION/JSON" /events -X POST -H 'content-type: APPLICATION/JSON' --data-binary '{"level":"info","message":"upper"}' -H 'x-request-id: ev-6'
check "POST /events chunked" /events "${post[@]}" -H 'transfer-encoding: chunked' --data-binary '{"level":"warn","message":"chunked"}' -H 'x-request-id: ev-7'
printf '\xef\xbb\xbf{"level":"warn","message":"bom"}' >"$tmp/bom.json"
check "POST /events UTF-8 BOM" /events "${post[@]}" --data-binary "@$tmp/bom.json" -H 'x-request-id: ev-8'
printf '{"level":"warn","message":"bad \xff\xfe utf8 \xe2\x82"}' >"$tmp/latin.json"
check "POST /events invalid UTF-8" /events "${post[@]}" --data-binary "@$tmp/latin.json" -H 'x-request-id: ev-9'
check "POST /EVENTS/ (loose path)" /EVENTS/ "${post[@]}" --data-binary '{"level":"info","message":"loose"}' -H 'x-request-id: ev-10'
check "POST /events duplicate keys" /events "${post[@]}" --data-binary '{"level":"bad","message":"a","level":"info"}' -H 'x-request-id: ev-11'

# --- POST /events: zod issues ---------------------------------------------
check "POST /events {}" /events "${post[@]}" --data-binary '{}'
check "POST /events [1]" /events "${post[@]}" --data-binary '[1]'
check "POST /events no content-type" /events -X POST --data-binary 'x=1'
check "POST /events text/plain" /events -X POST -H 'content-type: text/plain' --data-binary '{"level":"info","message":"x"}'
check "POST /events +json type" /events -X POST -H 'content-type: application/vnd.api+json' --data-binary '{"level":"info","message":"x"}'
check "POST /events no body" /events -X POST
check "POST /events empty body" /events "${post[@]}" -H 'content-length: 0'
check "POST /events bad level, empty message" /events "${post[@]}" --data-binary '{"level":"error","message":""}'
check "POST /events numbers" /events "${post[@]}" --data-binary '{"level":5,"message":5}'
check "POST /events nulls" /events "${post[@]}" --data-binary '{"level":null,"message":null}'
check "POST /events message []" /events "${post[@]}" --data-binary '{"level":"info","message":[]}'
check "POST /events message [1]" /events "${post[@]}" --data-binary '{"level":"info","message":[1]}'
check "POST /events message {}" /events "${post[@]}" --data-binary '{"level":"info","message":{}}'
check "POST /events message {length:0}" /events "${post[@]}" --data-binary '{"level":"info","message":{"length":0}}'
check "POST /events message {length:\"0x1\"}" /events "${post[@]}" --data-binary '{"level":"info","message":{"length":"0x1"}}'
check "POST /events message true" /events "${post[@]}" --data-binary '{"level":"info","message":true}'
check "POST /events message 1e400" /events "${post[@]}" --data-binary '{"level":"info","message":-1e400}'
check "POST /events level [\"info\"]" /events "${post[@]}" --data-binary '{"level":["info"],"message":"x"}'

# --- express.json() errors (any route) --------------------------------------
check "POST /events '{'" /events "${post[@]}" --data-binary '{'
check "POST /events trailing comma" /events "${post[@]}" --data-binary '{"level":"info",}'
check "POST /events missing colon" /events "${post[@]}" --data-binary '{"level" "info"}'
check "POST /events second key no colon" /events "${post[@]}" --data-binary '{"a":1,"b"}'
check "POST /events bad escape" /events "${post[@]}" --data-binary '{"level":"\x"}'
check "POST /events bad unicode escape" /events "${post[@]}" --data-binary '{"level":"\u12G4"}'
check "POST /events control char" /events "${post[@]}" --data-binary $'{"level":"a\nb"}'
check "POST /events unterminated" /events "${post[@]}" --data-binary '{"level":"abc'
check "POST /events number 01" /events "${post[@]}" --data-binary '{"n":01}'
check "POST /events number -" /events "${post[@]}" --data-binary '{"n":-}'
check "POST /events number 1." /events "${post[@]}" --data-binary '{"n":1.}'
check "POST /events number 1e" /events "${post[@]}" --data-binary '{"n":1e}'
check "POST /events literal tru" /events "${post[@]}" --data-binary '{"n":tru}'
check "POST /events trailing garbage" /events "${post[@]}" --data-binary '{"a":1} x'
check "POST /events long, token in middle" /events "${post[@]}" --data-binary '{"level":"info","message":"abcdefghij", oops "more text here"}'
check "POST /events emoji token" /events "${post[@]}" --data-binary '{"level":😀}'
check "POST /events [object Object]" /events "${post[@]}" --data-binary '[object Object]'
check "POST /events strict: string" /events "${post[@]}" --data-binary '"hello"'
check "POST /events strict: true" /events "${post[@]}" --data-binary '  true'
check "POST /events strict: long" /events "${post[@]}" --data-binary '  nullnullnullnullnullnull'
check "POST /events strict: whitespace" /events "${post[@]}" --data-binary '   '
check "GET /users with a bad JSON body" /users -X GET "${json[@]}" --data-binary '{'
check "GET /nope with a bad JSON body" /nope -X GET "${json[@]}" --data-binary '[1,]'
check "POST /events charset latin1 (415)" /events -X POST -H 'content-type: application/json; charset=latin1' --data-binary '{}'
check "POST /events charset utf-9 (415)" /events -X POST -H 'content-type: application/json; charset=utf-9' --data-binary '{}'
check "POST /events content-encoding x-foo (415)" /events "${post[@]}" -H 'content-encoding: x-foo' --data-binary '{}'
check "POST /events content-encoding identity" /events "${post[@]}" -H 'content-encoding: Identity' --data-binary '{"level":"info","message":"identity"}' -H 'x-request-id: ev-12'
python3 -c 'import sys; sys.stdout.write("{\"level\":\"info\",\"message\":\"" + "x" * 102400 + "\"}")' >"$tmp/large.json"
check "POST /events over 100kb (413)" /events "${post[@]}" -H 'Expect:' --data-binary "@$tmp/large.json"
check "POST /events chunked over 100kb (413)" /events "${post[@]}" -H 'Expect:' -H 'transfer-encoding: chunked' --data-binary "@$tmp/large.json"
python3 -c 'import sys; sys.stdout.write("{\"level\":\"info\",\"message\":\"" + "y" * 102300 + "\"}")' >"$tmp/big.json"
check "POST /events just under 100kb" /events "${post[@]}" -H 'Expect:' --data-binary "@$tmp/big.json" -H 'x-request-id: ev-13'
python3 -c 'import sys; sys.stdout.write("[" * 20000 + "]" * 20000)' >"$tmp/deep.json"
check "POST /events deeply nested" /events "${post[@]}" --data-binary "@$tmp/deep.json"

# --- POST /alerts (class-validator) -----------------------------------------
check "POST /alerts valid" /alerts "${post[@]}" --data-binary '{"to":"a@b.co","subject":"disk"}'
check "POST /alerts valid, all fields" /alerts "${post[@]}" --data-binary '{"to":"ops@example.com","subject":"disk","body":"91%","severity":"critical"}'
check "POST /alerts {}" /alerts "${post[@]}" --data-binary '{}'
check "POST /alerts no body" /alerts -X POST
check "POST /alerts many errors" /alerts "${post[@]}" --data-binary '{"to":"a@b.co","subject":"","extra":1,"2":3,"1":0,"severity":"bad","body":5}'
check "POST /alerts wrong types" /alerts "${post[@]}" --data-binary '{"to":"nope","subject":5}'
check "POST /alerts subject 0" /alerts "${post[@]}" --data-binary '{"to":"nope","subject":0}'
check "POST /alerts subject []" /alerts "${post[@]}" --data-binary '{"subject":[]}'
check "POST /alerts subject {length:300}" /alerts "${post[@]}" --data-binary '{"to":"a@b.co","subject":{"length":300}}'
check "POST /alerts subject too long" /alerts "${post[@]}" --data-binary "{\"to\":\"a@b.co\",\"subject\":\"$(printf 'x%.0s' $(seq 1 201))\"}"
check "POST /alerts subject 150 emoji" /alerts "${post[@]}" --data-binary "{\"to\":\"a@b.co\",\"subject\":\"$(printf '😀%.0s' $(seq 1 150))\"}"
check "POST /alerts null body and severity" /alerts "${post[@]}" --data-binary '{"to":"a@b.co","subject":"x","body":null,"severity":null}'
check "POST /alerts array" /alerts "${post[@]}" --data-binary '[1,2]'
check "POST /alerts index keys order" /alerts "${post[@]}" --data-binary '{"4294967295":1,"4294967294":1,"01":1,"10":1,"9":1,"to":"a@b.co","subject":"x"}'
check "POST /alerts prototype-named keys" /alerts "${post[@]}" --data-binary '{"valueOf":1,"isPrototypeOf":1,"__defineGetter__":1,"toLocaleString":4,"to":"a@b.co","subject":"x"}'
check "POST /alerts constructor key" /alerts "${post[@]}" --data-binary '{"constructor":1,"to":"a@b.co","subject":"x"}'
check "POST /alerts __proto__ object" /alerts "${post[@]}" --data-binary '{"__proto__":{"a":1},"to":"a@b.co","subject":"x"}'
check "POST /alerts __proto__ 1" /alerts "${post[@]}" --data-binary '{"__proto__":1,"to":"a@b.co","subject":"x"}'
check "POST /alerts __proto__ null (500)" /alerts "${post[@]}" --data-binary '{"__proto__":null,"to":"a@b.co","subject":"x"}'
check "POST /alerts lone surrogate in to (500)" /alerts "${post[@]}" --data-binary '{"to":"\ud800@b.co","subject":"x"}'
check "POST /alerts unicode property name" /alerts "${post[@]}" --data-binary '{"ü\ud800":1,"to":"a@b.co","subject":"x"}'
for email in 'a@b' 'a@b.c' 'A@B.CO' 'a@b.c0' 'a@-b.co' 'a@b_c.co' '\"a b\"@b.co' 'a..b@b.co' '.a@b.co' 'a@@b.co' \
  'ü@bü.de' 'a@xn--bcher-kva.ch' ' a@b.co' 'a@localhost' '@b.co' 'a@[1.2.3.4]' 'a+b@b.co' 'a@b.co.' 'a@ａ.co' \
  '\"@b.co' "$(printf 'u%.0s' $(seq 1 65))@b.co" "a@$(printf 'd%.0s' $(seq 1 64)).co"; do
  check "POST /alerts to=$email" /alerts "${post[@]}" --data-binary "{\"to\":\"$email\",\"subject\":\"x\"}"
done

# --- the counter --------------------------------------------------------------
check "GET /snapshot" /snapshot
check "HEAD /snapshot" /snapshot --head
check "GET /Snapshot/" /Snapshot/

# --- what each forwarded to WEBHOOK_URL --------------------------------------
if ((started)); then
  sleep 1
  checks=$((checks + 1))
  if cmp -s <(sort "$hook_dir/node.log" 2>/dev/null) <(sort "$hook_dir/rust.log" 2>/dev/null) &&
    [[ -s "$hook_dir/node.log" ]]; then
    printf 'same  %-44s %s lines\n' "webhook payloads" "$(wc -l <"$hook_dir/node.log")"
  else
    failures=$((failures + 1))
    printf 'DIFF  webhook payloads\n'
    diff <(sort "$hook_dir/node.log" 2>/dev/null) <(sort "$hook_dir/rust.log" 2>/dev/null) | head -20 | sed 's/^/      /'
  fi
fi

echo "$((checks - failures)) passed, $failures failed"
((failures == 0))
