//! Renderers of an [`AuditReport`].

mod cargo_toml;
mod markdown;
mod terminal;

pub use cargo_toml::cargo_toml;
pub use markdown::markdown;
pub use terminal::terminal;

use crabport_audit::AuditReport;
use crabport_audit::report::{CrateReport, CrateState, PackageReport, PackageStatus};

/// The stable JSON document (see docs/audit-json.md).
///
/// # Errors
/// Only if serialisation fails, which plain data does not.
pub fn json(report: &AuditReport) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}

/// `name@version +feature,feature` (or `name (missing)` when unresolved).
fn crate_label(c: &CrateReport) -> String {
    let mut label = match &c.version {
        Some(v) => format!("{}@{v}", c.name),
        None => c.name.clone(),
    };
    if !c.features.is_empty() {
        label.push_str(" +");
        label.push_str(&c.features.join(","));
    }
    if c.state != CrateState::Ok {
        label.push_str(&format!(" ({})", c.state.code()));
    }
    label
}

/// `gap (vendor-sdk)`, `equivalent`, …
fn status_label(p: &PackageReport) -> String {
    match p.gap_kind {
        Some(kind) => format!("{} ({})", p.status.code(), kind.code()),
        None => p.status.code().to_owned(),
    }
}

/// The first sentence-ish part of a note, for one-line summaries.
fn first_sentence(note: &str) -> &str {
    let end = note
        .char_indices()
        .find(|&(i, c)| c == '.' && note[i + 1..].starts_with(' '))
        .map_or(note.len(), |(i, _)| i + 1);
    &note[..end]
}

/// Production packages with `status`, distinct by name, in report order.
fn distinct_with_status(report: &AuditReport, status: PackageStatus) -> Vec<&PackageReport> {
    let mut seen = std::collections::BTreeSet::new();
    report
        .production()
        .filter(|p| p.status == status)
        .filter(|p| seen.insert(p.npm.as_str()))
        .collect()
}

/// Packages that stay in Node (gaps).
fn stays_in_node(report: &AuditReport) -> Vec<&PackageReport> {
    distinct_with_status(report, PackageStatus::Gap)
}

/// Packages the knowledge base does not know.
fn unknowns(report: &AuditReport) -> Vec<&PackageReport> {
    distinct_with_status(report, PackageStatus::Unknown)
}

/// Names of the project's own packages that are depended on, distinct, in report order.
fn internal_names(report: &AuditReport) -> Vec<&str> {
    let mut seen = std::collections::BTreeSet::new();
    report
        .internal_packages
        .iter()
        .map(|p| p.name.as_str())
        .filter(|n| seen.insert(*n))
        .collect()
}

/// Recommended crates that are not `ok`, with the package that suggests them.
fn crate_problems(report: &AuditReport) -> Vec<(&PackageReport, &CrateReport)> {
    let mut seen = std::collections::BTreeSet::new();
    report
        .production()
        .flat_map(|p| p.crates.iter().map(move |c| (p, c)))
        .filter(|(_, c)| c.state != CrateState::Ok)
        .filter(|(p, c)| seen.insert((p.npm.as_str(), c.name.as_str())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sentence_stops_at_a_full_stop() {
        assert_eq!(
            first_sentence("Use axum. Middleware is tower."),
            "Use axum."
        );
        assert_eq!(first_sentence("v1.2 differs"), "v1.2 differs");
    }
}
