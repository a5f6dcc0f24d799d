//! Markdown for a PR comment or `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use crabport_audit::AuditReport;
use crabport_audit::report::PackageReport;
use crabport_core::escape;
use crabport_project::DependencyKind;

use super::{
    crate_label, crate_problems, first_sentence, internal_names, status_label, stays_in_node,
    unknowns,
};

pub fn markdown(report: &AuditReport) -> String {
    let sum = &report.summary;
    let mut out = String::from("## crabport audit\n\n");
    let _ = writeln!(
        out,
        "**{}** production dependencies in {} package(s): **{}** have a maintained crate, **{}** stay in Node or need a redesign, **{}** unknown, **{}** native addon(s) in the tree.\n",
        sum.total,
        report.workspaces.len(),
        sum.with_maintained_crate,
        sum.gap,
        sum.unknown,
        sum.native_addons
    );
    out.push_str("| equivalent | partial | std | not needed | gap | unknown |\n|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        sum.equivalent, sum.partial, sum.std, sum.not_needed, sum.gap, sum.unknown
    );

    let internal = internal_names(report);
    if !internal.is_empty() {
        let names: Vec<String> = internal
            .iter()
            .map(|n| format!("`{}`", crate::markdown_code(n)))
            .collect();
        let _ = writeln!(
            out,
            "**{}** internal package(s) (workspace:, link:; the project's own code, not audited): {}.\n",
            internal.len(),
            names.join(", ")
        );
    }

    let gaps = stays_in_node(report);
    if !gaps.is_empty() {
        out.push_str("### Stays in Node\n\n| npm package | why | what to do |\n|---|---|---|\n");
        for p in gaps {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                crate::markdown_code(&p.npm),
                p.gap_kind.map_or("", |k| k.code()),
                escape::markdown(first_sentence(p.note.as_deref().unwrap_or_default()))
            );
        }
        out.push('\n');
    }
    let problems = crate_problems(report);
    if !problems.is_empty() {
        out.push_str("### Crate problems\n\n");
        for (p, c) in problems {
            let _ = writeln!(
                out,
                "- `{}` → `{}`: **{}** — {}",
                crate::markdown_code(&p.npm),
                crate::markdown_code(&c.name),
                c.state.code(),
                escape::markdown(c.detail.as_deref().unwrap_or_default())
            );
        }
        out.push('\n');
    }
    if !report.native_addons.is_empty() {
        out.push_str("### Native addons in the tree\n\n");
        for a in &report.native_addons {
            let _ = writeln!(
                out,
                "- `{}@{}` ({}) — {}; required by {}",
                crate::markdown_code(&a.npm),
                crate::markdown_code(&a.version),
                a.confidence,
                escape::markdown(&a.evidence.join("; ")),
                escape::markdown(&a.required_by.join(", "))
            );
        }
        out.push('\n');
    }
    let decisions = &report.cargo_plan.decisions;
    if !decisions.is_empty() {
        out.push_str("### Choices in the merged `[dependencies]`\n\n");
        for d in decisions {
            let _ = writeln!(
                out,
                "- **{}**: `{}`, not {} — {}",
                escape::markdown(&d.subject),
                crate::markdown_code(&d.chosen),
                d.dropped
                    .iter()
                    .map(|x| format!("`{}`", crate::markdown_code(x)))
                    .collect::<Vec<_>>()
                    .join(", "),
                escape::markdown(&d.reason)
            );
        }
        out.push('\n');
    }
    let unknown = unknowns(report);
    if !unknown.is_empty() {
        out.push_str("### Unknown (not in the knowledge base)\n\n");
        for p in unknown {
            let hints: Vec<String> = p
                .hints
                .iter()
                .map(|h| format!("unverified: {}", escape::markdown(&h.message)))
                .collect();
            let _ = writeln!(
                out,
                "- `{}` {}",
                crate::markdown_code(&p.npm),
                hints.join("; ")
            );
        }
        out.push('\n');
    }

    for ws in &report.workspaces {
        let rows: Vec<&PackageReport> = report
            .packages
            .iter()
            .filter(|p| p.workspace == ws.name)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<details><summary><code>{}</code> ({}) — {} dependencies</summary>\n",
            escape::html(&ws.name),
            escape::html(&ws.path),
            rows.len()
        );
        out.push_str("| npm package | version | kind | status | Rust crate | note |\n|---|---|---|---|---|---|\n");
        for p in rows {
            let crates: Vec<String> = p
                .crates
                .iter()
                .map(|c| format!("`{}`", crate::markdown_code(&crate_label(c))))
                .collect();
            let note = p
                .note
                .clone()
                .or_else(|| {
                    p.hints
                        .first()
                        .map(|h| format!("unverified hint: {}", h.message))
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{}`{} | {} | {} | {} | {} | {} |",
                crate::markdown_code(&p.npm),
                if p.native { " ⚙" } else { "" },
                escape::markdown(p.npm_version.as_deref().unwrap_or(&p.npm_spec)),
                kind(p.dependency_kind),
                status_label(p),
                if crates.is_empty() {
                    "—".to_owned()
                } else {
                    crates.join("<br>")
                },
                escape::markdown(&note)
            );
        }
        out.push_str("\n</details>\n\n");
    }
    for w in &report.warnings {
        let _ = writeln!(out, "> **warning:** {}", escape::markdown(w));
    }
    out
}

fn kind(k: DependencyKind) -> &'static str {
    k.as_str()
}
