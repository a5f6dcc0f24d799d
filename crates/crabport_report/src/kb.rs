//! `crabport kb check`: one line per problem, compiler style, then the count.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crabport_audit::kb_check::KbCheckReport;
use crabport_audit::report::CrateState;
use crabport_core::escape;

use crate::Styles;
use crate::style::paint;

pub fn json(report: &KbCheckReport) -> serde_json::Result<String> {
    serde_json::to_string_pretty(report).map(|mut s| {
        s.push('\n');
        s
    })
}

pub fn terminal(report: &KbCheckReport) -> String {
    let st = Styles::default();
    let mut out = String::new();
    for p in &report.problems {
        let style = if p.state == CrateState::Unavailable {
            st.warn
        } else {
            st.bad
        };
        let _ = writeln!(
            out,
            "{}: {}: {} → {}: {}",
            paint(st.name, &escape::terminal(&p.place)),
            paint(style, p.state.code()),
            escape::terminal(&p.subject),
            escape::terminal(&p.krate),
            escape::terminal(&p.message)
        );
    }
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &report.problems {
        *by_state.entry(p.state.code()).or_default() += 1;
    }
    let i = &report.index;
    let _ = write!(
        out,
        "{}checked {} crates ({} references in {} entries and policy rules) against {} (fetched {}, revalidated {}, cached {}, cached after an error {}, unavailable {}): ",
        if report.problems.is_empty() { "" } else { "\n" },
        report.crates,
        report.references,
        report.entries,
        escape::terminal(&i.url),
        i.fetched,
        i.revalidated,
        i.cached,
        i.cached_after_error,
        i.unavailable,
    );
    if by_state.is_empty() {
        let _ = writeln!(out, "{}", paint(st.good, "no problems"));
    } else {
        let counts: Vec<String> = by_state
            .iter()
            .map(|(state, n)| format!("{state} {n}"))
            .collect();
        let _ = writeln!(
            out,
            "{} ({})",
            paint(st.bad, &format!("{} problem(s)", report.problems.len())),
            counts.join(", ")
        );
    }
    out
}
