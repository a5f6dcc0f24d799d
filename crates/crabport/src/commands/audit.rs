//! `crabport audit`: discover → resolve crates on the index → decide → render.

use std::collections::HashMap;

use anyhow::{Context as _, anyhow};

use crabport_audit::index::{CratesIndex, IndexOptions, Lookup};
use crabport_audit::kb::KnowledgeBase;
use crabport_audit::report::IndexInfo;
use crabport_audit::report::{CrateState, PackageStatus};
use crabport_audit::{AuditOptions, AuditReport};
use crabport_project::Project;
use crabport_report::audit as render;

use crate::ExitStatus;
use crate::cli::{AuditArgs, FailOn, IndexArgs, OutputFormat};
use crate::config::{AuditConfig, Config, parse_duration};
use crate::output::{print_report, progress, terminal_width, warn};

pub fn run(args: &AuditArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let config = Config::load(&args.path)?.audit;
    let project = Project::discover(&args.path)?;
    let kb = KnowledgeBase::embedded().map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow!(
            "the built-in knowledge base is invalid:\n{}",
            list.join("\n")
        )
    })?;
    let now = crabport_core::clock::now().map_err(|e| anyhow!(e))?;

    let options = AuditOptions {
        include_dev: args.include_dev || config.include_dev.unwrap_or(false),
        stale_after_months: config.stale_after_months(args.index.stale_after),
        now,
    };

    let names = crabport_audit::crates_to_resolve(&project, &kb, &options);
    let index = open_index(&args.index, &config)?;
    let (lookups, info) = resolve(&index, names, args.index.offline, quiet);

    let mut npm_facts = HashMap::new();
    let mut npm_warning = None;
    if (args.npm_hints || config.npm_hints.unwrap_or(false)) && !args.index.offline {
        let unknown = crabport_audit::unknown_packages(&project, &kb, &options);
        if !unknown.is_empty() {
            let registry = crabport_audit::npm::registry_url(&args.path);
            let options = index.options();
            let fetched = crabport_audit::npm::fetch_all(
                &registry,
                &unknown,
                options.timeout,
                options.concurrency,
            );
            let failures: Vec<String> = fetched
                .values()
                .filter_map(|r| r.as_ref().err().cloned())
                .collect();
            if let Some(first) = failures.first() {
                npm_warning = Some(format!(
                    "--npm-hints: {} of {} unknown package(s) could not be read from {registry} (first: {first})",
                    failures.len(),
                    unknown.len()
                ));
            }
            npm_facts = fetched
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.ok()?)))
                .collect();
        }
    }
    let mut report = crabport_audit::audit(&project, &kb, &lookups, &npm_facts, info, &options);
    report.warnings.extend(npm_warning);

    if args.format != OutputFormat::Terminal || args.cargo_toml {
        // The terminal report carries its warnings in its summary; others get them on stderr.
        for w in &report.warnings {
            warn(quiet, &crabport_core::escape::terminal(w));
        }
    }
    let text = if args.cargo_toml {
        render::cargo_toml(&report)
    } else {
        match args.format {
            OutputFormat::Terminal => render::terminal(&report, terminal_width()),
            OutputFormat::Json => render::json(&report)?,
            OutputFormat::Markdown => render::markdown(&report),
        }
    };
    print_report(&text)?;

    let mut fail_on = args.fail_on.clone();
    if fail_on.is_empty() {
        fail_on = config.fail_on;
    }
    Ok(if fails(&report, &fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Every crate of `names` looked up on the index, with a progress bar on a
/// terminal, and how the index was consulted.
pub fn resolve(
    index: &CratesIndex,
    names: Vec<String>,
    offline: bool,
    quiet: bool,
) -> (HashMap<String, Lookup>, IndexInfo) {
    let bar = progress(names.len(), quiet, "resolving crates");
    let results = index.lookup_all(&names, &|name| {
        bar.set_message(name.to_owned());
        bar.inc(1);
    });
    bar.finish_and_clear();
    let lookups: HashMap<String, Lookup> = names.into_iter().zip(results).collect();
    let info = crabport_audit::index_info(index.url(), offline, &lookups);
    (lookups, info)
}

/// The crates.io index as flags and `[audit]` ask for; flags win.
pub fn open_index(args: &IndexArgs, config: &AuditConfig) -> anyhow::Result<CratesIndex> {
    let mut options = IndexOptions {
        offline: args.offline,
        ..IndexOptions::default()
    };
    if let Some(dir) = &args.cache_dir {
        options.cache_dir.clone_from(dir);
    }
    if let Some(ttl) = args.cache_ttl.as_deref().or(config.cache_ttl.as_deref()) {
        options.ttl = parse_duration(ttl).map_err(|e| anyhow!("--cache-ttl: {e}"))?;
    }
    if let Some(timeout) = args.timeout.as_deref().or(config.timeout.as_deref()) {
        options.timeout = parse_duration(timeout).map_err(|e| anyhow!("--timeout: {e}"))?;
    }
    if let Some(n) = args.concurrency.or(config.concurrency) {
        options.concurrency = n.max(1);
    }
    CratesIndex::open(options).context("cannot open the crates.io index")
}

fn fails(report: &AuditReport, fail_on: &[FailOn]) -> bool {
    report.production().any(|p| {
        fail_on.iter().any(|f| match f {
            FailOn::Gap => p.status == PackageStatus::Gap,
            FailOn::Unknown => p.status == PackageStatus::Unknown,
            FailOn::CrateProblem => p.crates.iter().any(|c| c.state != CrateState::Ok),
        })
    })
}
