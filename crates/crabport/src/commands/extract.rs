//! `crabport extract FILE:FUNCTION`: the function's types → its napi-rs
//! binding (refused, with positions, when a type does not convert) → the
//! crate under `native/<name>/`, a loader beside the original, and an
//! `[[extract]]` entry in the service's crabport.toml.
//!
//! Exit codes: 0 when written; 2 for bad input, including a signature with
//! constructs that do not convert.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use crabport_audit::index::Lookup;
use crabport_core::escape;
use crabport_extract::generate::{self, Finding, LoaderKind, Versions};
use crabport_extract::signature::{self, Derived, Signature, Unsupported};
use serde::Serialize;

use crate::ExitStatus;
use crate::cli::{ExtractArgs, ExtractFormat};
use crate::config::{AuditConfig, Config};
use crate::output::{print_report, warn};

/// The line in a generated body that says it is not written yet.
const UNWRITTEN: &str = "crabport: not ported yet";

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    function: &'a str,
    file: String,
    crate_dir: Option<String>,
    loader: Option<String>,
    rust_signature: String,
    /// Files written, relative to the service.
    written: Vec<String>,
    /// Files left as they were (a body already written).
    kept: Vec<String>,
    unsupported: &'a [Unsupported],
}

pub fn run(args: &ExtractArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let (file, function) = args
        .target
        .rsplit_once(':')
        .filter(|(f, name)| !f.is_empty() && !name.is_empty())
        .ok_or_else(|| {
            anyhow!(
                "{}: expected FILE:FUNCTION, like src/pricing.ts:computeTotal",
                args.target
            )
        })?;
    let file = PathBuf::from(file);
    let source = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let Derived {
        signature,
        unsupported,
    } = signature::derive(&file, &source, function)?;
    let file_abs = std::path::absolute(&file).with_context(|| format!("{}", file.display()))?;
    let service = service_dir(&file_abs);
    let shown = |p: &Path| relative(&service, p).display().to_string();
    let rust_signature = signature.rust_signature();
    let config = Config::load(&service)?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => signature
            .rust_name
            .trim_start_matches("r#")
            .replace('_', "-"),
    };
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || name.is_empty()
    {
        bail!("--name {name:?}: a crate name is letters, digits, - and _");
    }
    let crate_dir = match &args.out {
        Some(dir) => std::path::absolute(dir)?,
        None => service.join("native").join(&name),
    };
    if args.record {
        return record(args, &service, &file_abs, function, &crate_dir, quiet);
    }

    if !unsupported.is_empty() {
        let report = Report {
            schema_version: 1,
            function,
            file: shown(&file_abs),
            crate_dir: None,
            loader: None,
            rust_signature,
            written: Vec::new(),
            kept: Vec::new(),
            unsupported: &unsupported,
        };
        match args.format {
            ExtractFormat::Json => print_report(&json(&report)?)?,
            ExtractFormat::Terminal => {
                let mut text = String::new();
                for u in &unsupported {
                    text.push_str(&format!(
                        "{}:{}:{}: `{}` does not cross to Rust: {}\n",
                        escape::terminal(&file.display().to_string()),
                        u.line,
                        u.column,
                        escape::terminal(&u.construct),
                        u.advice
                    ));
                }
                text.push_str(&format!(
                    "crabport extract: {function} not extracted: {} construct(s) above have no napi-rs conversion, and crabport does not guess one\n",
                    unsupported.len()
                ));
                let _ = std::io::Write::write_all(&mut anstream::stderr(), text.as_bytes());
            }
        }
        return Ok(ExitStatus::Error);
    }

    let lib_path = crate_dir.join("src/lib.rs");
    let existing_lib = std::fs::read_to_string(&lib_path).ok();
    if crate_dir.join("Cargo.toml").exists() && !args.force {
        bail!(
            "{} exists: add --force to write the crate again (a src/lib.rs whose body is written is kept)",
            crate_dir.display()
        );
    }

    let loader_path = loader_path(&file_abs);
    // Checked before anything is written.
    let config_text = config_with_entry(
        &config,
        &service,
        function,
        &file_abs,
        &crate_dir,
        &loader_path,
    )?;
    let versions = resolve_versions(args, &config.audit)?;
    let findings = findings_in(&service, &file_abs, &signature);
    let original_shown = shown(&file_abs);
    let files = generate::crate_files(&name, &signature, &findings, &versions, &original_shown);

    let (kind, original_spec) = loader_kind(&file_abs, &service);
    let addon = relative(
        loader_path.parent().unwrap_or(Path::new(".")),
        &crate_dir.join(format!("{name}.node")),
    );
    let mut addon_spec = addon.display().to_string();
    if !addon_spec.starts_with('.') {
        addon_spec = format!("./{addon_spec}");
    }
    let loader_text = generate::loader(kind, function, &original_spec, &addon_spec);

    let mut written = Vec::new();
    let mut kept = Vec::new();
    let mut write = |path: &Path, text: &str| -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(shown(path));
        Ok(())
    };
    write(&crate_dir.join("Cargo.toml"), &files.cargo_toml)?;
    write(&crate_dir.join("build.rs"), &files.build_rs)?;
    write(&crate_dir.join(".gitignore"), "/target\n/*.node\n")?;
    match existing_lib {
        Some(text) if !text.contains(UNWRITTEN) => kept.push(shown(&lib_path)),
        _ => {
            write(&lib_path, &files.lib_rs)?;
            // Laid out as the developer's own code will be; without rustfmt
            // the text is valid as it is.
            let _ = std::process::Command::new("rustfmt")
                .args(["--edition", "2024"])
                .arg(&lib_path)
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
    write(&loader_path, &loader_text)?;
    if let Some(text) = config_text {
        let path = service.join("crabport.toml");
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }

    let report = Report {
        schema_version: 1,
        function,
        file: shown(&file_abs),
        crate_dir: Some(shown(&crate_dir)),
        loader: Some(shown(&loader_path)),
        rust_signature,
        written,
        kept,
        unsupported: &[],
    };
    match args.format {
        ExtractFormat::Json => print_report(&json(&report)?)?,
        ExtractFormat::Terminal => {
            let lib = name.replace('-', "_");
            let text = format!(
                "crabport extract: {function} → {}\n  {}\n  crate   {}\n  loader  {} (CRABPORT_NATIVE=0 for the JavaScript)\n  wrote   {}\n{}\nnext: write the body in {}/src/lib.rs, then\n  (cd {} && cargo build --release && cp target/release/lib{lib}.so {name}.node)\n",
                escape::terminal(&report.file),
                escape::terminal(&report.rust_signature),
                escape::terminal(report.crate_dir.as_deref().unwrap_or("")),
                escape::terminal(report.loader.as_deref().unwrap_or("")),
                report.written.len(),
                report
                    .kept
                    .iter()
                    .map(|k| format!("  kept    {} (its body is written)\n", escape::terminal(k)))
                    .collect::<String>(),
                escape::terminal(report.crate_dir.as_deref().unwrap_or("")),
                escape::terminal(report.crate_dir.as_deref().unwrap_or("")),
            );
            print_report(&text)?;
        }
    }
    if !report.kept.is_empty() {
        warn(
            quiet,
            "kept src/lib.rs: its body is written (delete it to generate it again)",
        );
    }
    Ok(ExitStatus::Success)
}

fn json(report: &Report<'_>) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}

/// The nearest directory at or above the file's with a package.json.
fn service_dir(file: &Path) -> PathBuf {
    let start = file.parent().unwrap_or(Path::new("."));
    start
        .ancestors()
        .find(|d| d.join("package.json").is_file())
        .unwrap_or(start)
        .to_path_buf()
}

/// `to` relative to the directory `from` (both absolute).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component<'_>> = from.components().collect();
    let to_parts: Vec<Component<'_>> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to_parts[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn loader_path(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("module");
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("js");
    file.with_file_name(format!("{stem}.native.{ext}"))
}

/// How the loader is written, and how it names the original: ES modules
/// (`.mts`, or `"type": "module"` for `.ts`) import it with the `.js` the
/// compiler writes.
fn loader_kind(file: &Path, service: &Path) -> (LoaderKind, String) {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("module");
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("ts");
    let module_package = std::fs::read_to_string(service.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|p| p["type"] == "module");
    match ext {
        "mts" => (LoaderKind::Esm, format!("./{stem}.mjs")),
        "cts" => (LoaderKind::CommonJs, format!("./{stem}.cjs")),
        _ if module_package => (LoaderKind::Esm, format!("./{stem}.js")),
        _ => (LoaderKind::CommonJs, format!("./{stem}")),
    }
}

fn resolve_versions(args: &ExtractArgs, audit: &AuditConfig) -> anyhow::Result<Versions> {
    let index = crate::commands::audit::open_index(&args.index, audit)?;
    let newest = |name: &str| -> anyhow::Result<String> {
        match index.lookup(name) {
            Lookup::Found { facts, .. } => facts.newest.map(|v| v.version).ok_or_else(|| {
                anyhow!(
                    "{name}: every release on {} is yanked or a pre-release",
                    index.url()
                )
            }),
            Lookup::Missing { .. } => bail!("{name} is not on {}", index.url()),
            Lookup::Unavailable { error } => {
                bail!("cannot resolve {name} from {}: {error}", index.url())
            }
        }
    };
    Ok(Versions {
        napi: newest("napi")?,
        napi_derive: newest("napi-derive")?,
        napi_build: newest("napi-build")?,
    })
}

/// What `crabport scan` finds inside the function.
fn findings_in(service: &Path, file: &Path, s: &Signature) -> Vec<Finding> {
    let options = crabport_scan::ScanOptions {
        include_tests: true,
        ..Default::default()
    };
    let Ok(report) = crabport_scan::scan(service, &[file.to_path_buf()], &options, &|| {}) else {
        return Vec::new();
    };
    report
        .findings
        .into_iter()
        .filter(|f| (s.lines.0..=s.lines.1).contains(&f.line))
        .map(|f| Finding {
            line: f.line,
            code: f.rule.to_owned(),
            message: f.message,
            idiom: f.help,
        })
        .collect()
}

/// The service's crabport.toml with an `[[extract]]` entry appended
/// (created when there is none); `None` when one names the function already,
/// an error when that one names another crate or loader.
fn config_with_entry(
    config: &Config,
    service: &Path,
    function: &str,
    file: &Path,
    crate_dir: &Path,
    loader: &Path,
) -> anyhow::Result<Option<String>> {
    let file_rel = relative(service, file).display().to_string();
    let crate_rel = relative(service, crate_dir).display().to_string();
    let loader_rel = relative(service, loader).display().to_string();
    if let Some(e) = config
        .extracts
        .iter()
        .find(|e| e.function == function && e.file == file_rel)
    {
        if e.crate_dir != crate_rel || e.loader != loader_rel {
            bail!(
                "{}: the [[extract]] entry for {function} names crate_dir {:?} and loader {:?}; this run would write {crate_rel:?} and {loader_rel:?}: update the entry",
                service.join("crabport.toml").display(),
                e.crate_dir,
                e.loader
            );
        }
        return Ok(None);
    }
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out = config
        .source
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "\n# Written by `crabport extract`.\n[[extract]]\nfunction = {}\nfile = {}\ncrate_dir = {}\nloader = {}\n",
        quoted(function),
        quoted(&file_rel),
        quoted(&crate_rel),
        quoted(&loader_rel),
    ));
    Ok(Some(out))
}

/// Writes the preload beside the crate and runs the command with it (or
/// says how to); then reports what was recorded.
fn record(
    args: &ExtractArgs,
    service: &Path,
    file: &Path,
    function: &str,
    crate_dir: &Path,
    quiet: bool,
) -> anyhow::Result<ExitStatus> {
    if !(0.0..=1.0).contains(&args.record_sample) || args.record_sample == 0.0 {
        bail!(
            "--record-sample {}: a share above 0, at most 1",
            args.record_sample
        );
    }
    let max_bytes = crate::config::parse_size(&args.record_max_bytes)
        .map_err(|e| anyhow!("--record-max-bytes: {e}"))?;
    std::fs::create_dir_all(crate_dir)
        .with_context(|| format!("cannot create {}", crate_dir.display()))?;
    let preload = crate_dir.join("record.cjs");
    std::fs::write(&preload, generate::RECORD_PRELOAD)
        .with_context(|| format!("cannot write {}", preload.display()))?;
    let calls = match &args.record_file {
        Some(f) => std::path::absolute(f)?,
        None => crate_dir.join("calls.jsonl"),
    };
    let module = match &args.record_module {
        Some(m) => m.clone(),
        None => relative(service, &file.with_extension(""))
            .display()
            .to_string(),
    };
    let env: Vec<(&str, String)> = vec![
        ("CRABPORT_RECORD_FUNCTION", function.to_owned()),
        ("CRABPORT_RECORD_MODULE", module),
        ("CRABPORT_RECORD_FILE", calls.display().to_string()),
        ("CRABPORT_RECORD_MAX", args.record_max.to_string()),
        ("CRABPORT_RECORD_MAX_BYTES", max_bytes.to_string()),
        ("CRABPORT_RECORD_SAMPLE", args.record_sample.to_string()),
        // The JavaScript is what is recorded.
        ("CRABPORT_NATIVE", "0".to_owned()),
    ];
    let node_options = format!(
        "{} --require {}",
        std::env::var("NODE_OPTIONS").unwrap_or_default(),
        preload.display()
    )
    .trim()
    .to_owned();
    let Some((program, rest)) = args.command.split_first() else {
        let assignments: String = env
            .iter()
            .map(|(k, v)| format!("{k}={} ", shell_quote(v)))
            .collect();
        print_report(&format!(
            "{assignments}NODE_OPTIONS={} <your command>\n",
            shell_quote(&node_options)
        ))?;
        return Ok(ExitStatus::Success);
    };
    let before = std::fs::metadata(&calls).map_or(0, |m| m.len());
    let status = std::process::Command::new(program)
        .args(rest)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("NODE_OPTIONS", &node_options)
        // Its output goes to stderr: stdout is crabport's report.
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    let summary = record_summary(&calls, before);
    let skipped_text: Vec<String> = [
        (summary.over_count, "over count"),
        (summary.over_size, "over size"),
        (summary.not_json, "not json"),
        (summary.not_sampled, "not sampled"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let (recorded, wrapped) = (summary.recorded, summary.wrapped);
    let report = serde_json::json!({
        "schema_version": 1,
        "function": function,
        "calls_file": relative(service, &calls).display().to_string(),
        "recorded": recorded,
        "skipped": {
            "over_count": summary.over_count,
            "over_size": summary.over_size,
            "not_json": summary.not_json,
            "not_sampled": summary.not_sampled,
        },
        "wrapped_modules": wrapped,
        "command_status": status.code(),
    });
    match args.format {
        ExtractFormat::Json => {
            print_report(&format!("{}\n", serde_json::to_string_pretty(&report)?))?
        }
        ExtractFormat::Terminal => print_report(&format!(
            "crabport extract --record: {recorded} calls of {function} recorded in {}{}\n",
            escape::terminal(&relative(service, &calls).display().to_string()),
            if skipped_text.is_empty() {
                String::new()
            } else {
                format!(" (left out: {})", skipped_text.join(", "))
            }
        ))?,
    }
    if wrapped == 0 {
        warn(
            quiet,
            &format!(
                "no loaded module exported {function} where --record looked ({}): set --record-module to the compiled module's path",
                escape::terminal(&env[1].1)
            ),
        );
        return Ok(ExitStatus::Failure);
    }
    if !status.success() {
        warn(quiet, &format!("{program} exited with {status}"));
    }
    Ok(ExitStatus::Success)
}

/// The last line each recording process writes at exit.
#[derive(Debug, Default, serde::Deserialize)]
struct RecordSummary {
    recorded: u64,
    over_size: u64,
    not_json: u64,
    over_count: u64,
    not_sampled: u64,
    wrapped: u64,
}

/// The summaries of the processes that wrote to `calls` after byte
/// `from`, added up (a test run can start several). Read line by line, and
/// only summary lines are parsed: a recording can be large.
fn record_summary(calls: &Path, from: u64) -> RecordSummary {
    use std::io::{BufRead as _, Seek as _};
    #[derive(serde::Deserialize)]
    struct Line {
        summary: RecordSummary,
    }
    let mut total = RecordSummary::default();
    let Ok(mut file) = std::fs::File::open(calls) else {
        return total;
    };
    if file.seek(std::io::SeekFrom::Start(from)).is_err() {
        return total;
    }
    for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
        if !line.starts_with("{\"v\":1,\"summary\"") {
            continue;
        }
        if let Ok(Line { summary: s }) = serde_json::from_str(&line) {
            total.recorded += s.recorded;
            total.over_size += s.over_size;
            total.not_json += s.not_json;
            total.over_count += s.over_count;
            total.not_sampled += s.not_sampled;
            total.wrapped += s.wrapped;
        }
    }
    total
}

fn shell_quote(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-=:,".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
