//! `crabport kb check`: the knowledge base against the crates.io index — the
//! maintenance report CI prints (not a gate: crates age as the calendar
//! moves; audit users see that at run time as `stale`).

use anyhow::{Context as _, anyhow};

use crabport_audit::kb::KnowledgeBase;

use crate::ExitStatus;
use crate::cli::{KbCheckArgs, KbFormat};
use crate::commands::audit::{open_index, resolve};
use crate::config::AuditConfig;
use crate::output::print_report;

pub fn check(args: &KbCheckArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let kb = match &args.knowledge {
        Some(dir) => load_dir(dir)?,
        None => KnowledgeBase::embedded().map_err(|errors| invalid(&errors))?,
    };
    let now = crabport_core::clock::now().map_err(|e| anyhow!(e))?;
    let names = crabport_audit::kb_check::crate_names(&kb);
    let index = open_index(&args.index, &AuditConfig::default())?;
    let (lookups, info) = resolve(&index, names, args.index.offline, quiet);
    let report = crabport_audit::kb_check::check(
        &kb,
        &lookups,
        info,
        now,
        args.index
            .stale_after
            .unwrap_or(crate::config::STALE_AFTER_MONTHS),
    );
    let text = match args.format {
        KbFormat::Terminal => crabport_report::kb::terminal(&report),
        KbFormat::Json => crabport_report::kb::json(&report)?,
    };
    print_report(&text)?;
    Ok(if report.problems.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// A working copy of `knowledge/`, validated like the built-in one.
fn load_dir(dir: &std::path::Path) -> anyhow::Result<KnowledgeBase> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            files.push((name, text));
        }
    }
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{}: no knowledge-base *.toml files here", dir.display());
    }
    KnowledgeBase::from_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|errors| invalid(&errors))
}

fn invalid(errors: &[crabport_audit::kb::KbError]) -> anyhow::Error {
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    anyhow!("the knowledge base is invalid:\n{}", list.join("\n"))
}
