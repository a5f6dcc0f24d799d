#!/usr/bin/env bash
# examples/hot-function: computeInvoice in JavaScript against its napi-rs
# addon, per call, across input sizes (line items per invoice), in the same
# node process: 5 rounds of at least 0.3 s each, mean ns per call and the
# spread of the rounds. Conversion at the boundary is inside the native
# figure (it is what a caller pays); it is not yet measured apart (that is
# `crabport extract --verify`'s empty-function baseline, still to come).
#
#   bench/extract/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples/hot-function/." "$work/"
rm -rf "$work/node_modules" "$work/dist" "$work/native/compute-invoice/target"
cd "$work"
npm ci --no-audit --no-fund --loglevel=error > /dev/null
node node_modules/typescript/bin/tsc
(cd native/compute-invoice && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/extract-bench" \
  cargo build --release --locked --quiet \
  && cp "${CARGO_TARGET_DIR:-$root/target}/extract-bench/release/libcompute_invoice.so" compute-invoice.node)
echo "$(nproc) cores; node $(node --version)"
node -e '
const js = require("./dist/invoice.js").computeInvoice;
const native = require("./native/compute-invoice/compute-invoice.node").computeInvoice;
const invoice = (n) => Array.from({ length: n }, (_, i) => ({ sku: "sku-" + i, unitPriceCents: 100 + (i * 7919) % 100000,
  quantity: 1 + (i % 9), discountBasisPoints: i % 3 ? undefined : 1250, taxBasisPoints: i % 4 ? undefined : 500 }));
function rounds(f, items) {
  const per = [];
  for (let r = 0; r < 5; r++) {
    let calls = 0; const start = process.hrtime.bigint(); let now = start;
    while (now - start < 300000000n) { for (let i = 0; i < 100; i++) f(items, 725); calls += 100; now = process.hrtime.bigint(); }
    per.push(Number(now - start) / calls);
  }
  const mean = per.reduce((a, b) => a + b) / per.length;
  return { mean, min: Math.min(...per), max: Math.max(...per) };
}
for (const n of [1, 20, 1000]) {
  const items = invoice(n);
  if (JSON.stringify(js(items, 725)) !== JSON.stringify(native(items, 725))) throw new Error("the two differ at " + n);
  rounds(js, items); rounds(native, items); // warm-up
  const a = rounds(js, items), b = rounds(native, items);
  const f = (x) => x.mean.toFixed(0).padStart(8) + " ns (" + x.min.toFixed(0) + "–" + x.max.toFixed(0) + ")";
  console.log(String(n).padStart(5) + " items   js " + f(a) + "   native " + f(b) + "   native/js " + (b.mean / a.mean).toFixed(2) + "×");
}
'
