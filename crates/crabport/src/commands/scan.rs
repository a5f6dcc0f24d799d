//! `crabport scan`: walk → parse once per file → every rule → render.

use std::path::PathBuf;

use anyhow::{anyhow, bail};

use crabport_core::finding::Severity;
use crabport_scan::{ScanOptions, rules};

use crate::ExitStatus;
use crate::cli::{ScanArgs, ScanFormat, SeverityArg};
use crate::config::Config;
use crate::output::{print_report, progress};

fn severity(arg: SeverityArg) -> Severity {
    match arg {
        SeverityArg::Info => Severity::Info,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Error => Severity::Error,
    }
}

/// Scan options from `[scan]` plus flags.
///
/// # Errors
/// A rule name in `[scan]` that no rule or scan code has, at its line and
/// column, with the closest name when one is near.
pub fn scan_options(
    config: &Config,
    extra_exclude: &[String],
    include_tests: bool,
) -> anyhow::Result<ScanOptions> {
    let scan = &config.scan;
    for code in scan.disable.iter().chain(scan.severity.keys()) {
        if !crabport_scan::is_code(code.get_ref()) {
            let hint = rules::closest_of(code.get_ref(), crabport_scan::all_codes())
                .map(|c| format!(" (did you mean {c:?}?)"))
                .unwrap_or_default();
            return Err(config
                .error_at(
                    code.span(),
                    format!(
                        "[scan] names an unknown rule {:?}{hint}; `crabport explain` lists the rules",
                        code.get_ref()
                    ),
                )
                .into());
        }
    }
    let mut exclude = scan.exclude.clone();
    exclude.extend(extra_exclude.iter().cloned());
    Ok(ScanOptions {
        disabled: scan.disable.iter().map(|c| c.get_ref().clone()).collect(),
        severity: scan
            .severity
            .iter()
            .map(|(k, v)| (k.get_ref().clone(), severity(*v)))
            .collect(),
        exclude,
        include_tests: include_tests || scan.include_tests.unwrap_or(false),
    })
}

pub fn run(args: &ScanArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for path in &paths {
        if !path.exists() {
            bail!("{}: no such file or directory", path.display());
        }
    }
    // Paths in findings are relative to the first directory given (the project).
    let base = paths
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let config = Config::load(&base)?;
    let options = scan_options(&config, &args.exclude, args.include_tests)?;
    let bar = progress(0, quiet, "scanning files");
    let report =
        crabport_scan::scan(&base, &paths, &options, &|| bar.inc(1)).map_err(|e| anyhow!(e))?;
    bar.finish_and_clear();

    let text = match args.format {
        ScanFormat::Terminal => crabport_report::scan::terminal(&report),
        ScanFormat::Json => crabport_report::scan::json(&report)?,
        ScanFormat::Sarif => crabport_report::scan::sarif(&report)?,
        ScanFormat::Markdown => crabport_report::scan::markdown(&report),
    };
    print_report(&text)?;
    let threshold = args.fail_on.or(config.scan.fail_on).map(severity);
    Ok(match threshold {
        Some(t) if report.findings.iter().any(|f| f.severity >= t) => ExitStatus::Failure,
        _ => ExitStatus::Success,
    })
}
