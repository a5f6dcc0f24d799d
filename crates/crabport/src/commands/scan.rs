//! `crabport scan`: walk → parse once per file → every rule → render.

use std::path::PathBuf;

use anyhow::{anyhow, bail};

use crabport_core::finding::Severity;
use crabport_scan::{ScanOptions, rules};

use crate::ExitStatus;
use crate::cli::{ScanArgs, ScanFormat, SeverityArg};
use crate::config::{Config, ScanConfig};
use crate::output::{print_report, progress};

fn severity(arg: SeverityArg) -> Severity {
    match arg {
        SeverityArg::Info => Severity::Info,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Error => Severity::Error,
    }
}

/// Scan options from `[scan]` plus flags.
pub fn scan_options(
    config: &ScanConfig,
    extra_exclude: &[String],
    include_tests: bool,
) -> anyhow::Result<ScanOptions> {
    for code in config.disable.iter().chain(config.severity.keys()) {
        if rules::find(code).is_none() {
            bail!(
                "crabport.toml: [scan] names an unknown rule {code:?}; `crabport explain` lists the rules"
            );
        }
    }
    let mut exclude = config.exclude.clone();
    exclude.extend(extra_exclude.iter().cloned());
    Ok(ScanOptions {
        disabled: config.disable.clone(),
        severity: config
            .severity
            .iter()
            .map(|(k, v)| (k.clone(), severity(*v)))
            .collect(),
        exclude,
        include_tests: include_tests || config.include_tests.unwrap_or(false),
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
    let config = Config::load(&base)?.scan;
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
    let threshold = args.fail_on.or(config.fail_on).map(severity);
    Ok(match threshold {
        Some(t) if report.findings.iter().any(|f| f.severity >= t) => ExitStatus::Failure,
        _ => ExitStatus::Success,
    })
}
