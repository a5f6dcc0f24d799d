#!/usr/bin/env bash
# Re-records the crates.io index cache that the CLI tests run against offline
# (crates/crabport/tests/fixtures/index-cache). Run it after changing the
# knowledge-base entries the example or the lockfile fixtures use, then
# update CRABPORT_NOW in crates/crabport/tests/cli.rs to today and review the
# snapshot changes (cargo insta review).
set -euo pipefail
cd "$(dirname "$0")/.."
cache=crates/crabport/tests/fixtures/index-cache
rm -rf "$cache"
cargo build --quiet --bin crabport
for project in examples/metrics-service crates/crabport_project/tests/fixtures/lockfiles/*/; do
  ./target/debug/crabport audit "$project" --include-dev --cache-dir "$cache" --cache-ttl 0s -q --format json > /dev/null
done
rm -f "$cache"/registry/index/*/.crabport-lock
# Keep only each crate's newest normal release: that is all an audit reads,
# and full histories would make the fixture megabytes.
python3 - "$cache" <<'PY'
import json, pathlib, re, sys
def key(v):
    core = re.split(r"[-+]", v, maxsplit=1)[0]
    return tuple(int(x) for x in core.split("."))
for path in pathlib.Path(sys.argv[1]).glob("registry/index/*/.cache/**/*"):
    if not path.is_file():
        continue
    data = path.read_bytes()
    header, rest = data[:5], data[5:]
    revision, _, entries = rest.partition(b"\0")
    parts = entries.split(b"\0")
    pairs = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    normal = [(v, j) for v, j in pairs if b"-" not in v.split(b"+")[0] and not json.loads(j).get("yanked")]
    keep = [max(normal, key=lambda p: key(p[0].decode()))] if normal else pairs[-1:]
    path.write_bytes(header + revision + b"\0" + b"".join(v + b"\0" + j + b"\0" for v, j in keep))
PY
du -sh "$cache"
