//! `crabport proxy`: per route, where requests went, what failed, and how
//! the shadow copies compared.

use std::fmt::Write as _;

use crabport_core::escape;
use crabport_proxy::promote::Action;
use crabport_proxy::{RouteStats, Summary};

use crate::Styles;
use crate::style::paint;
use crate::table::{self, Cell, Row};

/// Stable JSON: the [`Summary`] as it is.
///
/// # Errors
/// Serialisation errors (none in practice).
pub fn json(summary: &Summary) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(summary)?;
    text.push('\n');
    Ok(text)
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.2} ms"))
}

fn shadow_cell(r: &RouteStats) -> String {
    let s = &r.shadow;
    match s.parity {
        None if s.dropped == 0 => "–".to_owned(),
        None => format!("{} dropped", s.dropped),
        Some(p) => {
            let mut text = format!("{:.1}% of {}", p * 100.0, s.compared + s.failed);
            if s.dropped > 0 {
                let _ = write!(text, ", {} dropped", s.dropped);
            }
            text
        }
    }
}

const COLUMNS: [&str; 9] = [
    "route",
    "requests",
    "node",
    "rust",
    "errors",
    "fallbacks",
    "p99 node",
    "p99 rust",
    "shadow parity",
];

/// One line for a live status: totals over every route.
pub fn status_line(routes: &[RouteStats]) -> String {
    let sum = |f: fn(&RouteStats) -> u64| routes.iter().map(f).sum::<u64>();
    let compared = sum(|r| r.shadow.compared + r.shadow.failed);
    let at_parity = sum(|r| r.shadow.identical + r.shadow.noise);
    let mut text = format!(
        "{} requests: {} node, {} rust, {} errors, {} fallbacks",
        sum(|r| r.requests),
        sum(|r| r.node),
        sum(|r| r.rust),
        sum(|r| r.errors),
        sum(|r| r.fallbacks)
    );
    if compared > 0 {
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let share = at_parity as f64 / compared as f64 * 100.0;
        let _ = write!(text, "; shadow parity {share:.1}% of {compared}");
    }
    text
}

/// The table printed on exit, then each shadow difference seen.
pub fn terminal(summary: &Summary, width: usize) -> String {
    let st = Styles::default();
    let t = |s: &str| escape::terminal(s).into_owned();
    let mut out = format!(
        "{}\n\n",
        paint(
            st.heading,
            &format!(
                "crabport proxy on {}: {}",
                summary.listen,
                status_line(&summary.routes)
            )
        )
    );
    let rows: Vec<Row> = summary
        .routes
        .iter()
        .map(|r| Row {
            cells: vec![
                Cell::new(t(&r.route)),
                Cell::new(r.requests.to_string()),
                Cell::new(r.node.to_string()),
                Cell::new(r.rust.to_string()),
                Cell::new(r.errors.to_string()).styled(if r.errors > 0 { st.bad } else { st.dim }),
                Cell::new(r.fallbacks.to_string()).styled(if r.fallbacks > 0 {
                    st.warn
                } else {
                    st.dim
                }),
                Cell::new(ms(r.p99_ms.node)),
                Cell::new(ms(r.p99_ms.rust)),
                Cell::new(shadow_cell(r)).styled(match r.shadow.parity {
                    Some(p) if p < 1.0 => st.bad,
                    Some(_) => st.good,
                    None => st.dim,
                }),
            ],
            detail: None,
        })
        .collect();
    if rows.is_empty() {
        out.push_str("no requests\n");
    } else {
        out.push_str(&table::render(&COLUMNS, &rows, 0, width, st.heading));
    }
    for r in &summary.routes {
        for d in &r.shadow.differences {
            let _ = writeln!(
                out,
                "  {}  {} {}  primary {} / shadow {}  {}",
                t(&r.route),
                paint(st.info, &format!("{} {}", d.part.as_str(), t(&d.pointer))),
                paint(st.bad, d.kind.as_str()),
                t(d.primary.as_deref().unwrap_or("(absent)")),
                t(d.shadow.as_deref().unwrap_or("(absent)")),
                paint(st.dim, &t(&d.target))
            );
        }
    }
    for r in &summary.routes {
        for n in r.shadow.noise_fields.fields() {
            let _ = writeln!(
                out,
                "  {}  {} {}  noise: the primary answered {} then {} ({} requests)",
                t(&r.route),
                paint(st.info, &format!("{} {}", n.part.as_str(), t(&n.pattern))),
                paint(st.dim, "ignored"),
                t(n.first.as_deref().unwrap_or("(absent)")),
                t(n.second.as_deref().unwrap_or("(absent)")),
                n.seen
            );
        }
    }
    if !summary.promotions.is_empty() {
        out.push_str(
            "
promotions:
",
        );
        for e in &summary.promotions {
            let what = match e.action {
                Action::Raise if e.to == 100 => {
                    paint(st.good, &format!("{}% → served by Rust", e.from))
                }
                Action::Raise => paint(st.good, &format!("{}% → {}%", e.from, e.to)),
                Action::Hold => paint(st.bad, &format!("held at {}%", e.from)),
            };
            let _ = writeln!(
                out,
                "  {:>7.0} s  {}  {what}  {}",
                e.after_s,
                t(&e.route),
                t(&e.reason)
            );
        }
    }
    if summary.recorded > 0 {
        let _ = writeln!(out, "\n{} requests recorded", summary.recorded);
    }
    out
}
