#!/usr/bin/env bash
# Re-records the crates.io index cache the gating tests read offline
# (crates/crabport/tests/fixtures/index-cache): every crate the knowledge
# base names (`crabport kb check`), plus what the example and the fixtures
# audit. Run it after changing the knowledge base, then review the snapshot
# changes (cargo insta review). The tests pin their clock to the day written
# in RECORDED_AT, so they judge staleness as of the recording, never as of
# the day they run.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=crates/crabport/tests/fixtures/index-cache
rm -rf "$cache"
cargo build --quiet --bin crabport
now="$(date -u +%Y-%m-%dT00:00:00Z)"
export CRABPORT_NOW="$now"
# kb check exits 1 when it finds problems; the recording is still complete.
./target/debug/crabport kb check --cache-dir "$cache" --cache-ttl 0s -q > /dev/null || true
for project in examples/metrics-service crates/crabport_project/tests/fixtures/lockfiles/*/ crates/crabport/tests/fixtures/cargo-toml/*/; do
  [ -f "$project/package.json" ] || continue
  ./target/debug/crabport audit "$project" --include-dev --cache-dir "$cache" --cache-ttl 0s -q --format json > /dev/null
done
rm -f "$cache"/registry/index/*/.crabport-lock
# Keep only each crate's newest normal release (all an audit reads), and of
# its dependencies only the optional ones (their names are implicit
# features): full histories would make the fixture megabytes.
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
    trimmed = []
    for v, j in keep:
        release = json.loads(j)
        release["deps"] = [d for d in release.get("deps", []) if d.get("optional")]
        trimmed.append((v, json.dumps(release, separators=(",", ":")).encode()))
    path.write_bytes(header + revision + b"\0" + b"".join(v + b"\0" + j + b"\0" for v, j in trimmed))
PY
echo "$now" > "$cache/RECORDED_AT"
du -sh "$cache"
