//! The terminal report: a table per workspace package, then a summary.

use std::fmt::Write as _;

use crabport_audit::AuditReport;
use crabport_audit::report::{CrateState, PackageReport, PackageStatus, Summary};
use crabport_core::escape;
use crabport_project::DependencyKind;

use super::{
    crate_label, crate_problems, first_sentence, internal_names, status_label, stays_in_node,
    unknowns,
};
use crate::style::{Styles, paint};
use crate::table::{Cell, Row, render};

/// Renders the report for a terminal `width` columns wide.
pub fn terminal(report: &AuditReport, width: usize) -> String {
    let s = Styles::default();
    let mut out = String::new();
    for ws in &report.workspaces {
        let rows: Vec<&PackageReport> = report
            .packages
            .iter()
            .filter(|p| p.workspace == ws.name && p.dependency_kind != DependencyKind::Dev)
            .collect();
        let _ = writeln!(
            out,
            "{} {}  {}",
            paint(s.heading, &escape::terminal(&ws.name)),
            paint(s.dim, &format!("({})", escape::terminal(&ws.path))),
            paint(
                s.dim,
                &plural(
                    rows.len(),
                    "production dependency",
                    "production dependencies"
                )
            ),
        );
        if !rows.is_empty() {
            out.push_str(&table(&rows, width, &s));
        }
        let dev: Vec<&PackageReport> = report
            .packages
            .iter()
            .filter(|p| p.workspace == ws.name && p.dependency_kind == DependencyKind::Dev)
            .collect();
        if !dev.is_empty() {
            let _ = writeln!(
                out,
                "\n  {}",
                paint(s.heading, "dev dependencies (--include-dev)")
            );
            out.push_str(&table(&dev, width, &s));
        }
        out.push('\n');
    }
    summary(report, &s, width, &mut out);
    out
}

fn table(rows: &[&PackageReport], width: usize, s: &Styles) -> String {
    let rows: Vec<Row> = rows
        .iter()
        .map(|p| {
            let status_style = match p.status {
                PackageStatus::Equivalent => s.good,
                PackageStatus::Partial | PackageStatus::Unknown => s.warn,
                PackageStatus::Std | PackageStatus::NotNeeded => s.info,
                PackageStatus::Gap => s.bad,
            };
            let mut crates: Vec<String> = p.crates.iter().map(crate_label).collect();
            let crate_style = if p.crates.iter().any(|c| c.state != CrateState::Ok) {
                s.warn
            } else {
                anstyle::Style::new()
            };
            if crates.is_empty() {
                crates = match p.alternatives.first() {
                    Some(alt) if p.status == PackageStatus::Gap => {
                        vec![format!("alt: {}", crate_label(alt))]
                    }
                    _ => vec!["—".to_owned()],
                };
            }
            // The first sentence keeps the table scannable; JSON and Markdown carry the whole note.
            let note = match (&p.note, p.hints.first()) {
                (Some(note), _) => first_sentence(note).to_owned(),
                (None, Some(hint)) => format!("unverified hint: {}", hint.message),
                (None, None) => "not in the knowledge base".to_owned(),
            };
            let mut name = escape::terminal(&p.npm).into_owned();
            match p.dependency_kind {
                DependencyKind::Optional => name.push_str(" (optional)"),
                DependencyKind::Peer => name.push_str(" (peer)"),
                DependencyKind::Prod | DependencyKind::Dev => {}
            }
            if p.native {
                name.push_str(" [native]");
            }
            Row {
                cells: vec![
                    Cell::new(name).styled(s.name),
                    Cell::new(
                        escape::terminal(p.npm_version.as_deref().unwrap_or(&p.npm_spec))
                            .into_owned(),
                    ),
                    Cell::new(status_label(p)).styled(status_style),
                    Cell::lines(
                        crates
                            .iter()
                            .map(|c| escape::terminal(c).into_owned())
                            .collect(),
                    )
                    .styled(crate_style),
                ],
                detail: Some(Cell::new(escape::terminal(&note).into_owned()).styled(s.dim)),
            }
        })
        .collect();
    render(
        &["npm package", "version", "status", "Rust crate"],
        &rows,
        2,
        width,
        s.dim,
    )
}

fn summary(report: &AuditReport, s: &Styles, width: usize, out: &mut String) {
    let sum = &report.summary;
    let _ = writeln!(out, "{}", paint(s.heading, "Summary"));
    let _ = writeln!(
        out,
        "  {} across {}",
        plural(
            sum.total,
            "production dependency",
            "production dependencies"
        ),
        plural(report.workspaces.len(), "package", "packages")
    );
    let _ = writeln!(
        out,
        "  {} {} have a maintained crate  {}",
        paint(s.good, "✓"),
        sum.with_maintained_crate,
        paint(
            s.dim,
            &format!(
                "(equivalent {}, partial {}, std {})",
                sum.equivalent, sum.partial, sum.std
            )
        )
    );
    if sum.not_needed > 0 {
        let _ = writeln!(
            out,
            "  {} {} not needed in Rust",
            paint(s.info, "·"),
            sum.not_needed
        );
    }
    gaps(report, sum, s, width, out);
    let problems = crate_problems(report);
    if !problems.is_empty() {
        let _ = writeln!(
            out,
            "  {} {} with a crate problem:",
            paint(s.warn, "!"),
            problems.len()
        );
        for (p, c) in problems {
            let _ = writeln!(
                out,
                "      {}  {} {}",
                escape::terminal(&p.npm),
                paint(s.warn, &format!("{} {}", c.name, c.state.code())),
                paint(
                    s.dim,
                    &escape::terminal(c.detail.as_deref().unwrap_or_default())
                )
            );
        }
    }
    native(report, s, out);
    internal(report, s, out);
    let decisions = &report.cargo_plan.decisions;
    if !decisions.is_empty() {
        let _ = writeln!(
            out,
            "  {} {} where the packages' needs conflict (--cargo-toml says why):",
            paint(s.info, "⚖"),
            plural(decisions.len(), "choice", "choices")
        );
        for d in decisions {
            let _ = writeln!(
                out,
                "      {}: {} {}",
                escape::terminal(&d.subject),
                escape::terminal(&d.chosen),
                paint(
                    s.dim,
                    &format!("not {}", escape::terminal(&d.dropped.join(", ")))
                )
            );
        }
    }
    let unknown = unknowns(report);
    if unknown.is_empty() {
        let _ = writeln!(out, "  {} unknown: none", paint(s.good, "✓"));
    } else {
        let _ = writeln!(
            out,
            "  {} {} unknown (not in the knowledge base):",
            paint(s.warn, "?"),
            unknown.len()
        );
        for p in unknown {
            let hint = p
                .hints
                .first()
                .map_or(String::new(), |h| format!("  unverified: {}", h.message));
            let _ = writeln!(
                out,
                "      {}{}",
                escape::terminal(&p.npm),
                paint(s.dim, &escape::terminal(&hint))
            );
        }
    }
    if let Some(dev) = &report.dev_summary {
        let _ = writeln!(
            out,
            "  {} dev: {} (equivalent {}, partial {}, std {}, not needed {}, gap {}, unknown {})",
            paint(s.dim, "·"),
            plural(dev.total, "dependency", "dependencies"),
            dev.equivalent,
            dev.partial,
            dev.std,
            dev.not_needed,
            dev.gap,
            dev.unknown
        );
    }
    index_line(report, s, out);
    crate::style::write_warnings(out, s, &report.warnings);
}

fn gaps(report: &AuditReport, sum: &Summary, s: &Styles, width: usize, out: &mut String) {
    let gaps = stays_in_node(report);
    if gaps.is_empty() {
        let _ = writeln!(out, "  {} nothing has to stay in Node", paint(s.good, "✓"));
        return;
    }
    let k = &sum.gap_kinds;
    let _ = writeln!(
        out,
        "  {} {} stay in Node or need a redesign  {}",
        paint(s.bad, "✗"),
        sum.gap,
        paint(
            s.dim,
            &format!(
                "(vendor-sdk {}, dynamic {}, browser {}, no-crate {})",
                k.vendor_sdk, k.dynamic, k.browser, k.no_crate
            )
        )
    );
    let name_width = gaps
        .iter()
        .map(|p| p.npm.chars().count())
        .max()
        .unwrap_or(0);
    let indent = 6 + name_width + 2 + 10 + 2;
    for p in gaps {
        let kind = p.gap_kind.map_or("", |k| k.code());
        let note =
            escape::terminal(first_sentence(p.note.as_deref().unwrap_or_default())).into_owned();
        let wrapped = crate::table::wrap(&note, width.saturating_sub(indent).max(30));
        for (i, line) in wrapped.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(
                    out,
                    "      {:<name_width$}  {kind:<10}  {}",
                    escape::terminal(&p.npm),
                    paint(s.dim, line)
                );
            } else {
                let _ = writeln!(out, "{}{}", " ".repeat(indent), paint(s.dim, line));
            }
        }
    }
}

fn native(report: &AuditReport, s: &Styles, out: &mut String) {
    if report.native_addons.is_empty() {
        let seen = if report.lockfile.is_some() {
            "in the tree"
        } else {
            "among direct dependencies (no lockfile)"
        };
        let _ = writeln!(out, "  {} native addons {seen}: none", paint(s.good, "✓"));
        return;
    }
    let _ = writeln!(
        out,
        "  {} {} in the tree (a Rust port replaces these too):",
        paint(s.warn, "⚙"),
        plural(report.native_addons.len(), "native addon", "native addons")
    );
    for addon in &report.native_addons {
        let via: Vec<&str> = addon
            .required_by
            .iter()
            .filter(|r| **r != addon.npm)
            .map(String::as_str)
            .collect();
        let via = if via.is_empty() {
            String::new()
        } else {
            format!(" via {}", via.join(", "))
        };
        let _ = writeln!(
            out,
            "      {}@{}{}  {}",
            escape::terminal(&addon.npm),
            escape::terminal(&addon.version),
            escape::terminal(&via),
            paint(
                s.dim,
                &format!(
                    "{}: {}",
                    addon.confidence,
                    escape::terminal(&addon.evidence.join("; "))
                )
            )
        );
    }
}

/// The project's own packages (`workspace:`, `link:`): listed, not audited.
fn internal(report: &AuditReport, s: &Styles, out: &mut String) {
    let names = internal_names(report);
    if names.is_empty() {
        return;
    }
    const SHOWN: usize = 8;
    let mut list = names
        .iter()
        .take(SHOWN)
        .map(|n| escape::terminal(n).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    let _ = writeln!(
        out,
        "  {} {} (workspace:, link:; the project's own code, not audited): {list}",
        paint(s.info, "·"),
        plural(names.len(), "internal package", "internal packages"),
    );
}

fn index_line(report: &AuditReport, s: &Styles, out: &mut String) {
    let i = &report.index;
    let mut parts = Vec::new();
    if i.fetched > 0 {
        parts.push(format!("{} fetched", i.fetched));
    }
    if i.revalidated > 0 {
        parts.push(format!("{} revalidated", i.revalidated));
    }
    if i.cached > 0 {
        let age = i
            .oldest_cache_age_seconds
            .map(human_age)
            .unwrap_or_default();
        parts.push(format!("{} from cache (oldest {age})", i.cached));
    }
    if i.cached_after_error > 0 {
        parts.push(format!(
            "{} from cache after a registry error",
            i.cached_after_error
        ));
    }
    if i.unavailable > 0 {
        parts.push(format!("{} unavailable", i.unavailable));
    }
    if parts.is_empty() {
        parts.push("no crates to resolve".to_owned());
    }
    let mode = if i.offline { " (offline)" } else { "" };
    let _ = writeln!(
        out,
        "  {}",
        paint(
            s.dim,
            &format!("crates.io index {}{mode}: {}", i.url, parts.join(", "))
        )
    );
}

/// `90 s`, `3 h`, `5 d`.
pub(crate) fn human_age(seconds: u64) -> String {
    match seconds {
        0..120 => format!("{seconds} s"),
        120..7200 => format!("{} min", seconds / 60),
        7200..172_800 => format!("{} h", seconds / 3600),
        _ => format!("{} d", seconds / 86_400),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
