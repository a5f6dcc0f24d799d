//! `crabport explain <code>`: the documentation behind every code crabport prints.

use std::fmt::Write as _;

use crabport_core::CodeDoc;
use crabport_report::table::wrap;

use crate::ExitStatus;
use crate::cli::ExplainArgs;
use crate::output::print_report;

/// Every documented code besides the scan rules: scan's own, audit's, assess's.
fn codes() -> impl Iterator<Item = &'static CodeDoc> {
    crabport_scan::codes::CODES
        .iter()
        .chain(crabport_audit::codes::CODES)
        .chain(crabport_decide::codes::CODES)
}

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let Some(code) = &args.code else {
        let mut out =
            String::from("Codes crabport prints (crabport explain <code> for details):\n\n");
        let rules: Vec<_> = crabport_scan::rules::all().collect();
        let width = codes()
            .map(|c| c.code.len())
            .chain(rules.iter().map(|r| r.code().len()))
            .max()
            .unwrap_or(0);
        for rule in &rules {
            let _ = writeln!(
                out,
                "  {:<width$}  {:<11}  {}",
                rule.code(),
                "scan-rule",
                rule.doc().summary
            );
        }
        for c in codes() {
            let _ = writeln!(out, "  {:<width$}  {:<11}  {}", c.code, c.kind, c.summary);
        }
        print_report(&out)?;
        return Ok(ExitStatus::Success);
    };
    let normalized = code.trim().to_ascii_lowercase().replace('_', "-");
    if let Some(rule) = crabport_scan::rules::find(&normalized) {
        print_report(&rule_doc(rule.doc(), rule.default_severity()))?;
        return Ok(ExitStatus::Success);
    }
    let Some(doc) = codes().find(|c| c.code == normalized) else {
        anyhow::bail!("unknown code {code:?}; `crabport explain` lists every code");
    };
    let mut out = format!("{} ({})\n\n{}\n\n", doc.code, doc.kind, doc.summary);
    for line in wrap(doc.body, 88) {
        out.push_str(&line);
        out.push('\n');
    }
    print_report(&out)?;
    Ok(ExitStatus::Success)
}

/// A scan rule's documentation: the same text the rule file holds.
fn rule_doc(
    doc: &crabport_scan::rule::RuleDoc,
    severity: crabport_core::finding::Severity,
) -> String {
    let mut out = format!(
        "{} (scan rule, {})\n\n{}\n\n",
        doc.code,
        severity.code(),
        doc.summary
    );
    out.push_str("Why it hurts in Rust\n");
    for line in wrap(doc.why, 88) {
        let _ = writeln!(out, "  {line}");
    }
    let _ = write!(out, "\nJavaScript / TypeScript\n{}", indent(doc.js_example));
    if let Some(naive) = doc.naive_rust {
        let _ = write!(
            out,
            "\nThe naive Rust port (fails with error[{}])\n{}",
            naive.error,
            indent(naive.code)
        );
    }
    let _ = write!(out, "\nIdiomatic Rust\n{}", indent(doc.idiomatic_rust));
    if let Some(output) = doc.idiomatic_output {
        let _ = write!(out, "\nOutput\n{}", indent(output));
    }
    out
}

fn indent(code: &str) -> String {
    code.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("    {l}\n")
            }
        })
        .collect()
}
