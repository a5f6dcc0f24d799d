//! Renderers of a [`ScanReport`].

use std::fmt::Write as _;

use serde::Serialize;

use crabport_core::escape;
use crabport_core::finding::{Finding, Severity};
use crabport_scan::{ScanReport, ScanSummary};

use crate::style::{Styles, paint};

mod sarif;
pub use sarif::sarif;

/// Bump when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonDocument<'a> {
    schema_version: u32,
    tool: &'static str,
    tool_version: &'static str,
    findings: &'a [Finding],
    summary: &'a ScanSummary,
}

/// The stable JSON document.
///
/// # Errors
/// Only if serialisation fails, which plain data does not.
pub fn json(report: &ScanReport) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(&JsonDocument {
        schema_version: SCHEMA_VERSION,
        tool: "crabport",
        tool_version: env!("CARGO_PKG_VERSION"),
        findings: &report.findings,
        summary: &report.summary,
    })?;
    text.push('\n');
    Ok(text)
}

/// Findings with code frames, then the summary.
pub fn terminal(report: &ScanReport) -> String {
    let s = Styles::default();
    let mut out = String::new();
    for f in &report.findings {
        frame(f, &s, &mut out);
    }
    summary(report, &s, &mut out);
    out
}

fn frame(f: &Finding, s: &Styles, out: &mut String) {
    let style = match f.severity {
        Severity::Error => s.bad,
        Severity::Warning => s.warn,
        Severity::Info => s.info,
    };
    let _ = writeln!(
        out,
        "{}{} {}",
        paint(style, &format!("{}[{}]", f.severity.code(), f.rule)),
        paint(s.heading, ":"),
        paint(s.heading, &escape::terminal(&f.message))
    );
    let gutter = f.line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(
        out,
        "{pad}{} {}:{}:{}",
        paint(s.info, "-->"),
        escape::terminal(&f.file),
        f.line,
        f.column
    );
    let _ = writeln!(out, "{pad} {}", paint(s.info, "|"));
    let line = escape::terminal(&f.snippet).replace('\t', "    ");
    let _ = writeln!(
        out,
        "{} {} {line}",
        paint(s.info, &f.line.to_string()),
        paint(s.info, "|")
    );
    let line_chars = f.snippet.chars().count();
    let start = f.column.saturating_sub(1).min(line_chars);
    let end = if f.end_line == f.line {
        f.end_column.saturating_sub(1)
    } else {
        line_chars
    };
    let width = end.saturating_sub(start).max(1);
    let prefix: String = f
        .snippet
        .chars()
        .take(start)
        .map(|c| if c == '\t' { "    " } else { " " })
        .collect();
    let _ = writeln!(
        out,
        "{pad} {} {prefix}{}",
        paint(s.info, "|"),
        paint(style, &"^".repeat(width))
    );
    let _ = writeln!(
        out,
        "{pad} {} {}",
        paint(s.info, "="),
        escape::terminal(&format!("help: {}", f.help))
    );
    out.push('\n');
}

fn summary(report: &ScanReport, s: &Styles, out: &mut String) {
    let sum = &report.summary;
    let _ = writeln!(
        out,
        "{} {} in {} file{} ({} lines){}",
        paint(s.heading, "Summary:"),
        if report.findings.len() == 1 {
            "1 finding".to_owned()
        } else {
            format!("{} findings", report.findings.len())
        },
        sum.files,
        if sum.files == 1 { "" } else { "s" },
        sum.lines,
        if sum.suppressed > 0 {
            format!(", {} suppressed", sum.suppressed)
        } else {
            String::new()
        }
    );
    let width = sum.by_rule.keys().map(|r| r.len()).max().unwrap_or(0);
    for (rule, count) in &sum.by_rule {
        let _ = writeln!(out, "  {rule:<width$}  {count}");
    }
    if sum.skipped_minified > 0 {
        let _ = writeln!(
            out,
            "  {}",
            paint(
                s.dim,
                &format!("{} minified file(s) skipped", sum.skipped_minified)
            )
        );
    }
    let dirs = worst_directories(sum);
    if !dirs.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint(
                s.heading,
                "Ownership friction (weighted findings per 1,000 lines):"
            )
        );
        let width = dirs
            .iter()
            .map(|d| d.directory.chars().count())
            .max()
            .unwrap_or(0);
        for d in dirs {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>7.1}  {}",
                escape::terminal(&d.directory),
                d.friction,
                paint(
                    s.dim,
                    &format!(
                        "{} lines, {} findings; worst: {}",
                        d.lines,
                        d.findings,
                        escape::terminal(&d.worst_files.join(", "))
                    )
                )
            );
        }
    }
}

/// Markdown for a PR comment: totals, friction, then findings (first 200).
pub fn markdown(report: &ScanReport) -> String {
    let sum = &report.summary;
    let mut out = String::from("## crabport scan\n\n");
    let _ = writeln!(
        out,
        "**{}** finding(s) in {} file(s), {} lines.\n",
        report.findings.len(),
        sum.files,
        sum.lines
    );
    if !sum.by_rule.is_empty() {
        out.push_str("| rule | findings |\n|---|---:|\n");
        for (rule, count) in &sum.by_rule {
            let _ = writeln!(out, "| `{rule}` | {count} |");
        }
        out.push('\n');
    }
    let dirs = worst_directories(sum);
    if !dirs.is_empty() {
        out.push_str("### Ownership friction (weighted findings per 1,000 lines)\n\n| directory | friction | lines | findings | worst files |\n|---|---:|---:|---:|---|\n");
        for d in dirs {
            let worst: Vec<String> = d
                .worst_files
                .iter()
                .map(|f| format!("`{}`", crate::markdown_code(f)))
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {:.1} | {} | {} | {} |",
                crate::markdown_code(&d.directory),
                d.friction,
                d.lines,
                d.findings,
                worst.join(", ")
            );
        }
        out.push('\n');
    }
    if !report.findings.is_empty() {
        out.push_str("<details><summary>Findings</summary>\n\n| severity | rule | location | message |\n|---|---|---|---|\n");
        for f in report.findings.iter().take(200) {
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}:{}:{}` | {} |",
                f.severity.code(),
                f.rule,
                crate::markdown_code(&f.file),
                f.line,
                f.column,
                escape::markdown(&f.message)
            );
        }
        if report.findings.len() > 200 {
            let _ = writeln!(
                out,
                "\n… and {} more (use `--format json`).",
                report.findings.len() - 200
            );
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// The directories a report lists: those with findings, worst ten.
fn worst_directories(sum: &ScanSummary) -> Vec<&crabport_scan::DirectoryFriction> {
    sum.friction
        .iter()
        .filter(|d| d.findings > 0)
        .take(10)
        .collect()
}
