//! `crabport extract`: generated crates built with cargo and loaded by the
//! real node, on every supported type mapping and on the worked example;
//! unsupported signatures and bad input refused with positions.
//!
//! The crates build against committed lockfiles (`--locked`), so registry
//! releases after the recording change nothing.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value;

use super::{crabport, recorded_cache, workspace_root};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extract")
}

/// `crabport extract` in `dir` against the recorded index; the flags come
/// first so `args` may end with `-- COMMAND`.
fn extract(dir: &Path, args: &[&str]) -> std::process::Output {
    crabport()
        .current_dir(dir)
        .args(["extract", "--offline", "--cache-dir"])
        .arg(recorded_cache())
        .args(args)
        .output()
        .unwrap()
}

/// The JSON report of a run that succeeded.
fn report_of(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Copies a service without what its builds leave behind.
fn copy_service(from: &Path, to: &Path) {
    super::assess::copy_tree_except(from, to, &|name| {
        ["node_modules", "dist", "target"].contains(&name) || name.ends_with(".node")
    });
}

fn run(cmd: &mut Process) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `cargo build --release --locked`, then the cdylib copied to
/// `<name>.node` beside Cargo.toml, where the loader looks for it.
fn build_addon(crate_dir: &Path, name: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("extract-addons");
    run(Process::new(env!("CARGO"))
        .args(["build", "--release", "--locked", "--quiet"])
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", &target));
    let addon = crate_dir.join(format!("{name}.node"));
    std::fs::copy(
        target.join(format!("release/lib{}.so", name.replace('-', "_"))),
        &addon,
    )
    .unwrap();
    addon
}

fn node(dir: &Path, script: &str, native: Option<&str>) -> String {
    let mut cmd = Process::new("node");
    cmd.arg("-e").arg(script).current_dir(dir);
    match native {
        Some(v) => cmd.env("CRABPORT_NATIVE", v),
        None => cmd.env_remove("CRABPORT_NATIVE"),
    };
    run(&mut cmd).trim().to_owned()
}

const MEASURE_BODY: &str = r#"#[napi(js_name = "measure")]
#[allow(clippy::too_many_arguments)]
pub fn measure(shape: Shape, scale: f64, offset: i32, count: u32, id: i64, raw: Buffer, bytes: Buffer, tags: Vec<String>, note: Option<String>, strict: Option<bool>) -> napi::Result<u32> {
    let weights: f64 = shape.weights.iter().sum();
    let label = shape.origin.label.map_or(0, |l| l.len());
    let total = shape.points.len() as f64 * scale + f64::from(offset) + f64::from(count) + id as f64
        + raw.len() as f64 + bytes.len() as f64 + tags.len() as f64
        + f64::from(u8::from(note.is_some())) + f64::from(u8::from(strict == Some(true)))
        + weights + label as f64 + f64::from(u8::from(shape.closed)) + shape.name.len() as f64
        + shape.origin.x;
    Ok(total as u32)
}
"#;

#[test]
fn every_supported_type_mapping_crosses_the_boundary_in_node() {
    let dir = tempfile::tempdir().unwrap();
    copy_service(&fixtures().join("types"), dir.path());
    let out = extract(dir.path(), &["src/shapes.ts:measure", "--format", "json"]);
    let report = report_of(&out);
    assert_eq!(report["crate_dir"], "native/measure");
    assert_eq!(report["loader"], "src/shapes.native.ts");
    assert_eq!(
        report["rust_signature"],
        "fn measure(shape: Shape, scale: f64, offset: i32, count: u32, id: i64, raw: Buffer, bytes: Buffer, tags: Vec<String>, note: Option<String>, strict: Option<bool>) -> u32"
    );
    assert_eq!(report["unsupported"], serde_json::json!([]));
    let crate_dir = dir.path().join("native/measure");
    let lib = std::fs::read_to_string(crate_dir.join("src/lib.rs")).unwrap();
    for expected in [
        "#[napi(object)]\npub struct Point {",
        "    #[napi(js_name = \"label\")]\n    pub label: Option<String>,",
        "    pub points: Vec<Point>,\n",
        "    pub weights: Vec<f64>,\n",
        "crabport: not ported yet",
    ] {
        assert!(lib.contains(expected), "{expected:?} in\n{lib}");
    }
    let config = std::fs::read_to_string(dir.path().join("crabport.toml")).unwrap();
    assert!(
        config.contains("[[extract]]\nfunction = \"measure\"\nfile = \"src/shapes.ts\"\ncrate_dir = \"native/measure\"\nloader = \"src/shapes.native.ts\"\n"),
        "{config}"
    );

    // The generated (unwritten) body builds as it is; then the test writes one.
    let at = lib.find("#[napi(js_name = \"measure\")]").unwrap();
    std::fs::write(
        crate_dir.join("src/lib.rs"),
        format!("{}{MEASURE_BODY}", &lib[..at]),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("types/measure.Cargo.lock"),
        crate_dir.join("Cargo.lock"),
    )
    .unwrap();
    build_addon(&crate_dir, "measure");
    let script = r#"
const m = require("./native/measure/measure.node");
const shape = { name: "tri", closed: true, points: [{ x: 1 }, { x: 2, label: "b" }, { x: 3 }], origin: { x: 10, label: "o" }, weights: [0.5, 0.5] };
const out = [m.measure(shape, 2, -1, 3, 4, Buffer.from("ab"), new Uint8Array([1, 2, 3]), ["t"], undefined)];
for (const bad of [
  [shape, "2", -1, 3, 4, Buffer.from("ab"), new Uint8Array(3), [], "n", true],
  [{ ...shape, points: [{}] }, 2, -1, 3, 4, Buffer.from("ab"), new Uint8Array(3), [], "n", true],
]) {
  try { m.measure(...bad); out.push("accepted"); } catch (e) { out.push(e.message); }
}
console.log(JSON.stringify(out));
"#;
    let out: Value = serde_json::from_str(&node(dir.path(), script, None)).unwrap();
    // 3 points × 2 − 1 + 3 + 4 + 2 + 3 bytes + 1 tag + weights 1 + label 1 + closed 1 + "tri" 3 + x 10
    assert_eq!(out[0], 34, "{out}");
    assert!(out[1].as_str().unwrap().contains("f64"), "{out}");
    assert!(
        out[2].as_str().unwrap().contains("Missing field `x`"),
        "{out}"
    );
}

#[test]
fn unsupported_signatures_and_bad_input_are_refused_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    copy_service(&fixtures().join("types"), dir.path());
    let out = extract(dir.path(), &["src/shapes.ts:broken"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "src/shapes.ts:38:34: `() => void` does not cross to Rust: a callback",
        "src/shapes.ts:38:53: `any` does not cross",
        "src/shapes.ts:38:66: `string | number` does not cross to Rust: a union",
        "src/shapes.ts:38:90: `{ x: number }` does not cross to Rust: name the object type",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in\n{stderr}");
    }
    assert!(
        !dir.path().join("native").exists(),
        "nothing is written for a refused signature"
    );
    let out = extract(dir.path(), &["src/shapes.ts:broken", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["crate_dir"], Value::Null);
    assert_eq!(
        report["unsupported"].as_array().unwrap().len(),
        4,
        "{report}"
    );
    // Where `any` starts: `export function broken(callback: () => void, value: `
    // is 52 characters.
    assert_eq!(report["unsupported"][1]["line"], 38);
    assert_eq!(report["unsupported"][1]["column"], 53);

    let out = extract(dir.path(), &["src/shapes.ts:nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no function `nowhere`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.path().join("src/broken.ts"),
        "export function f(a: number {\n",
    )
    .unwrap();
    let out = extract(dir.path(), &["src/broken.ts:f"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("src/broken.ts:1:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = extract(dir.path(), &["src/missing.ts:f"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("src/missing.ts"));
}

#[test]
fn the_example_extracts_builds_and_the_loader_falls_back_to_javascript() {
    let example = workspace_root().join("examples/hot-function");
    let dir = tempfile::tempdir().unwrap();
    copy_service(&example, dir.path());
    // Extracted again: the written body is kept, the rest is as committed.
    let out = extract(
        dir.path(),
        &[
            "src/invoice.ts:computeInvoice",
            "--force",
            "--format",
            "json",
        ],
    );
    let report = report_of(&out);
    assert_eq!(
        report["kept"],
        serde_json::json!(["native/compute-invoice/src/lib.rs"])
    );
    for file in [
        "native/compute-invoice/Cargo.toml",
        "src/invoice.native.ts",
        "crabport.toml",
    ] {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(file)).unwrap(),
            std::fs::read_to_string(example.join(file)).unwrap(),
            "{file} is what crabport extract writes"
        );
    }

    run(Process::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir.path()));
    run(Process::new("node")
        .arg("node_modules/typescript/bin/tsc")
        .current_dir(dir.path()));
    let crate_dir = dir.path().join("native/compute-invoice");
    let addon = build_addon(&crate_dir, "compute-invoice");

    // Both implementations on the same generated invoices.
    let script = r#"
const loaded = require("./dist/invoice.native.js");
const original = require("./dist/invoice.js");
let seed = 7;
const next = (n) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
const invoices = [];
for (let i = 0; i < 200; i++) {
  const items = [];
  for (let j = next(20); j >= 0; j--) {
    items.push({ sku: "s" + j, unitPriceCents: next(100000), quantity: 1 + next(9),
      discountBasisPoints: next(3) ? undefined : next(5000), taxBasisPoints: next(4) ? undefined : next(2500) });
  }
  invoices.push([items, next(3000)]);
}
const same = invoices.every(([items, tax]) =>
  JSON.stringify(loaded.computeInvoice(items, tax)) === JSON.stringify(original.computeInvoice(items, tax)));
console.log(JSON.stringify({ native: loaded.crabportNative, same }));
"#;
    assert_eq!(
        node(dir.path(), script, None),
        r#"{"native":true,"same":true}"#
    );
    assert_eq!(
        node(dir.path(), script, Some("0")),
        r#"{"native":false,"same":true}"#
    );

    // Real calls recorded while the service runs (here: the script above),
    // bounded; replayed through the addon they give the recorded results.
    let out = extract(
        dir.path(),
        &[
            "src/invoice.ts:computeInvoice",
            "--record",
            "--record-max",
            "50",
            "--format",
            "json",
            "--",
            "node",
            "-e",
            script,
        ],
    );
    let report = report_of(&out);
    assert_eq!(report["recorded"], 50, "{report}");
    assert_eq!(report["calls_file"], "native/compute-invoice/calls.jsonl");
    // 200 invoices, each priced by both implementations; the native one
    // is not recorded (CRABPORT_NATIVE=0 while recording).
    assert_eq!(report["skipped"]["over_count"], 350, "{report}");
    let replay = r#"
const native = require("./native/compute-invoice/compute-invoice.node");
const lines = require("fs").readFileSync("native/compute-invoice/calls.jsonl", "utf8").trim().split("\n").map(JSON.parse);
const calls = lines.filter((l) => l.args);
const same = calls.every((c) => JSON.stringify(native.computeInvoice(...c.args)) === JSON.stringify(c.result));
console.log(JSON.stringify({ calls: calls.length, same, summary: lines.at(-1).summary.recorded }));
"#;
    assert_eq!(
        node(dir.path(), replay, None),
        r#"{"calls":50,"same":true,"summary":50}"#
    );

    std::fs::remove_file(&addon).unwrap();
    assert_eq!(
        node(dir.path(), script, None),
        r#"{"native":false,"same":true}"#,
        "no addon built: the JavaScript"
    );

    // The same service as ES modules: the loader imports with createRequire.
    let package = std::fs::read_to_string(dir.path().join("package.json")).unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        package.replacen(
            "\"private\": true,",
            "\"private\": true,\n  \"type\": \"module\",",
            1,
        ),
    )
    .unwrap();
    let tsconfig = std::fs::read_to_string(dir.path().join("tsconfig.json")).unwrap();
    std::fs::write(
        dir.path().join("tsconfig.json"),
        tsconfig.replace("\"module\": \"commonjs\"", "\"module\": \"NodeNext\""),
    )
    .unwrap();
    let out = extract(dir.path(), &["src/invoice.ts:computeInvoice", "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loader = std::fs::read_to_string(dir.path().join("src/invoice.native.ts")).unwrap();
    assert!(
        loader.contains("createRequire(import.meta.url)"),
        "{loader}"
    );
    std::fs::remove_dir_all(dir.path().join("dist")).unwrap();
    run(Process::new("node")
        .arg("node_modules/typescript/bin/tsc")
        .current_dir(dir.path()));
    build_addon(&crate_dir, "compute-invoice");
    let esm = r#"
const loaded = await import("./dist/invoice.native.js");
const original = await import("./dist/invoice.js");
const items = [{ sku: "a", unitPriceCents: 1999, quantity: 3, discountBasisPoints: 1250 }];
console.log(JSON.stringify({ native: loaded.crabportNative,
  same: JSON.stringify(loaded.computeInvoice(items, 725)) === JSON.stringify(original.computeInvoice(items, 725)) }));
"#;
    let mut cmd = Process::new("node");
    cmd.args(["--input-type=module", "-e", esm])
        .current_dir(dir.path());
    assert_eq!(run(&mut cmd).trim(), r#"{"native":true,"same":true}"#);
}
