//! `crabport assess`: a verdict per service with the reasons behind it.

use std::fmt::Write as _;

use crabport_core::escape;
use crabport_decide::{AssessReport, ServiceAssessment, Stance, Verdict};

use crate::Styles;
use crate::style::paint;
use crate::table::{self, Cell, Row};

/// Stable JSON (docs/assess-json.md).
///
/// # Errors
/// Serialisation errors (none in practice).
pub fn json(report: &AssessReport) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::MigrateNow => "MIGRATE NOW",
        Verdict::MigrateLater => "MIGRATE LATER",
        Verdict::DoNotMigrate => "DO NOT MIGRATE",
    }
}

fn verdict_style(st: &Styles, v: Verdict) -> anstyle::Style {
    match v {
        Verdict::MigrateNow => st.good,
        Verdict::MigrateLater => st.warn,
        Verdict::DoNotMigrate => st.bad,
    }
}

fn stance_mark(s: Stance) -> &'static str {
    match s {
        Stance::For => "+",
        Stance::Against => "-",
        Stance::Neutral => "·",
    }
}

/// "2 migrate-now, 1 migrate-later, 1 do-not-migrate"
fn verdict_counts(report: &AssessReport) -> String {
    let count = |verdict: Verdict| {
        report
            .services
            .iter()
            .filter(|s| s.assessment.verdict == verdict)
            .count()
    };
    format!(
        "{} migrate-now, {} migrate-later, {} do-not-migrate",
        count(Verdict::MigrateNow),
        count(Verdict::MigrateLater),
        count(Verdict::DoNotMigrate)
    )
}

fn effort_range(s: &ServiceAssessment) -> String {
    let e = &s.assessment.effort;
    format!("{}–{} weeks", trim(e.weeks_low), trim(e.weeks_high))
}

pub(crate) fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The human report: one block per service, then a summary table.
pub fn terminal(report: &AssessReport, width: usize) -> String {
    let st = Styles::default();
    let mut out = String::new();
    let wrap_at = width.max(60);
    for s in &report.services {
        let a = &s.assessment;
        let style = verdict_style(&st, a.verdict);
        let _ = writeln!(
            out,
            "{} {}",
            paint(st.heading, &escape::terminal(&s.name)),
            paint(st.dim, &format!("({})", escape::terminal(&s.path)))
        );
        let _ = writeln!(
            out,
            "  {} {}",
            paint(style, verdict_label(a.verdict)),
            paint(st.dim, &format!("· {}", a.primary_reason.code()))
        );
        for r in &a.reasons {
            let mark = match r.stance {
                Stance::For => paint(st.good, stance_mark(r.stance)),
                Stance::Against => paint(st.bad, stance_mark(r.stance)),
                Stance::Neutral => paint(st.dim, stance_mark(r.stance)),
            };
            write_wrapped(
                &mut out,
                &format!("  {mark} "),
                4,
                &escape::terminal(&r.message),
                wrap_at,
            );
        }
        section(&mut out, &st, "would change it", &a.would_change, wrap_at);
        section(
            &mut out,
            &st,
            "measure before and after",
            &a.measure,
            wrap_at,
        );
        let _ = writeln!(
            out,
            "  {} {}",
            paint(st.heading, "effort:"),
            effort_range(s)
        );
        for b in &a.effort.basis {
            write_wrapped(&mut out, "    ", 4, &escape::terminal(b), wrap_at);
        }
        if !a.limits.is_empty() {
            section(&mut out, &st, "limits", &a.limits, wrap_at);
        }
        out.push('\n');
    }
    let rows: Vec<Row> = report
        .services
        .iter()
        .map(|s| Row {
            cells: vec![
                Cell::new(escape::terminal(&s.name)),
                Cell::new(s.assessment.verdict.code())
                    .styled(verdict_style(&st, s.assessment.verdict)),
                Cell::new(s.assessment.primary_reason.code()),
                Cell::new(effort_range(s)),
            ],
            detail: None,
        })
        .collect();
    out.push_str(&table::render(
        &["service", "verdict", "primary reason", "effort"],
        &rows,
        0,
        width,
        st.heading,
    ));
    let _ = writeln!(out, "\n{}", verdict_counts(report));
    let t = &report.thresholds;
    let _ = writeln!(
        out,
        "{}",
        paint(
            st.dim,
            &format!(
                "thresholds: CPU-bound busy ≥ {:.0}%, I/O-bound idle ≥ {:.0}%, memory GC ≥ {:.0}%, churn ≥ {} commits/week over {} days with ≤ {} authors, correctness ≥ {} incidents in {} days ([assess] in crabport.toml)",
                t.cpu_bound_min_busy * 100.0,
                t.io_bound_min_idle * 100.0,
                t.memory_min_gc_share * 100.0,
                t.churn_min_commits_per_week,
                t.churn_window_days,
                t.small_team_max_authors,
                t.correctness_min_incidents,
                t.incident_window_days
            )
        )
    );
    crate::style::write_warnings(&mut out, &st, &report.warnings);
    out
}

pub(crate) fn section(
    out: &mut String,
    st: &Styles,
    title: &str,
    items: &[String],
    wrap_at: usize,
) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {}", paint(st.heading, &format!("{title}:")));
    for item in items {
        write_wrapped(out, "    - ", 6, &escape::terminal(item), wrap_at);
    }
}

/// `prefix` (plain width `prefix_width`) then `text` wrapped to `width`,
/// continuation lines indented under the text.
pub(crate) fn write_wrapped(
    out: &mut String,
    prefix: &str,
    prefix_width: usize,
    text: &str,
    width: usize,
) {
    let indent = " ".repeat(prefix_width);
    for (i, line) in table::wrap(text, width.saturating_sub(prefix_width).max(20))
        .iter()
        .enumerate()
    {
        let lead = if i == 0 { prefix } else { &indent };
        let _ = writeln!(out, "{lead}{line}");
    }
}

/// A Markdown report for a pull request or a wiki page.
pub fn markdown(report: &AssessReport) -> String {
    let md = |t: &str| escape::markdown(t).into_owned();
    let mut out = String::from("# crabport assess\n\n");
    let _ = writeln!(out, "{}.\n", verdict_counts(report));
    out.push_str("| service | verdict | primary reason | effort |\n|---|---|---|---|\n");
    for s in &report.services {
        let _ = writeln!(
            out,
            "| {} | **{}** | `{}` | {} |",
            md(&s.name),
            s.assessment.verdict.code(),
            s.assessment.primary_reason.code(),
            effort_range(s)
        );
    }
    for s in &report.services {
        let a = &s.assessment;
        let _ = writeln!(
            out,
            "\n## {} — {}\n\n`{}` · primary reason `{}`\n",
            md(&s.name),
            a.verdict.code(),
            crate::markdown_code(&s.path),
            a.primary_reason.code()
        );
        for r in &a.reasons {
            let _ = writeln!(
                out,
                "- {} **{}** {}",
                match r.stance {
                    Stance::For => "➕",
                    Stance::Against => "➖",
                    Stance::Neutral => "•",
                },
                r.code.code(),
                md(&r.message)
            );
        }
        let lists = [
            ("Would change the verdict", &a.would_change),
            ("Measure before and after", &a.measure),
            ("Limits", &a.limits),
        ];
        for (title, items) in lists {
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n**{title}**\n");
            for item in items {
                let _ = writeln!(out, "- {}", md(item));
            }
        }
        let _ = writeln!(out, "\n**Effort:** {}\n", effort_range(s));
        for b in &a.effort.basis {
            let _ = writeln!(out, "- {}", md(b));
        }
    }
    if !report.warnings.is_empty() {
        out.push_str("\n## Warnings\n\n");
        for w in &report.warnings {
            let _ = writeln!(out, "- {}", md(w));
        }
    }
    out
}
