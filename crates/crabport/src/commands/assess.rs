//! `crabport assess`: flags and crabport.toml → the pipeline (evidence once)
//! → a verdict per service → render.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{anyhow, bail};

use crabport_audit::AuditOptions;
use crabport_core::InputError;
use crabport_decide::Declared;
use crabport_pipeline::{GatherOptions, PipelineError, Service, Workspace};

use crate::ExitStatus;
use crate::cli::{AssessArgs, IndexArgs, OutputFormat};
use crate::commands::audit::open_index;
use crate::commands::scan::scan_options;
use crate::config::Config;
use crate::output::{print_report, progress, terminal_width, warn};

pub fn run(args: &AssessArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let (workspace, config, services) = open(&args.path, &args.service)?;
    let evidence = gather(&workspace, &config, services, &args.index, quiet, false)?;
    let thresholds = &config.assess;
    let report = crabport_pipeline::assess(&evidence, thresholds);
    if args.format != OutputFormat::Terminal {
        for w in &report.warnings {
            warn(quiet, &crabport_core::escape::terminal(w));
        }
    }
    let text = match args.format {
        OutputFormat::Terminal => crabport_report::assess::terminal(&report, terminal_width()),
        OutputFormat::Json => crabport_report::assess::json(&report)?,
        OutputFormat::Markdown => crabport_report::assess::markdown(&report),
    };
    print_report(&text)?;
    Ok(ExitStatus::Success)
}

/// The evidence about `services`, gathered once with a progress bar;
/// `for_plan` adds routes, the import graph and per-file churn.
pub fn gather(
    workspace: &Workspace,
    config: &Config,
    services: Vec<Service>,
    index: &IndexArgs,
    quiet: bool,
    for_plan: bool,
) -> anyhow::Result<crabport_pipeline::Evidence> {
    let thresholds = &config.assess;
    let now = crabport_core::clock::now().map_err(|e| anyhow!(e))?;
    let scan = scan_options(config, &[], false)?;
    let bar = progress(0, quiet, "gathering evidence");
    let evidence = crabport_pipeline::gather(
        workspace,
        services,
        &GatherOptions {
            now,
            thresholds,
            scan: &scan,
            audit: &audit_options(index, config, now),
            open_index: &index_opener(index, config),
            routes: for_plan,
            file_commits_days: for_plan.then_some(thresholds.churn_window_days),
            on_file: &|| bar.inc(1),
        },
    )?;
    bar.finish_and_clear();
    Ok(evidence)
}

/// The project at `path`, its crabport.toml (validated) and the services to
/// look at (`--service` filters them): what assess and plan start from.
pub fn open(path: &Path, only: &[String]) -> anyhow::Result<(Workspace, Config, Vec<Service>)> {
    if !path.is_dir() {
        bail!("{}: no such directory", path.display());
    }
    // Errors name the files as the user spelt them; containment checks and
    // git see canonical paths, so a verdict never depends on that spelling.
    let config = Config::load(path)?;
    let workspace = Workspace::open(path)?;
    let mut services = services(&workspace, &config)?;
    for wanted in only {
        if !services.iter().any(|s| &s.name == wanted) {
            let known: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            bail!(
                "--service {wanted:?}: no such service (services: {})",
                known.join(", ")
            );
        }
    }
    if !only.is_empty() {
        services.retain(|s| only.contains(&s.name));
    }
    config
        .assess
        .validate()
        .map_err(|e| config.error_at_key("assess", e.key, &e))?;
    Ok((workspace, config, services))
}

fn audit_options(index: &IndexArgs, config: &Config, now: jiff::Timestamp) -> AuditOptions {
    AuditOptions {
        include_dev: false,
        stale_after_months: config.audit.stale_after_months(index.stale_after),
        now,
    }
}

fn index_opener<'a>(
    index: &'a IndexArgs,
    config: &'a Config,
) -> impl Fn() -> Result<crabport_audit::index::CratesIndex, PipelineError> + Sync + 'a {
    move || open_index(index, &config.audit).map_err(|e| PipelineError::Index(e.into()))
}

/// The services of crabport.toml, or each workspace package (or the root package).
fn services(workspace: &Workspace, config: &Config) -> anyhow::Result<Vec<Service>> {
    let root = &workspace.root;
    if config.services.is_empty() {
        return Ok(workspace.package_services()?);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in &config.services {
        let name = s.name.get_ref().trim();
        if name.is_empty() {
            return Err(config
                .error_at(s.name.span(), "a service needs a name")
                .into());
        }
        if !seen.insert(name.to_owned()) {
            return Err(config
                .error_at(s.name.span(), format!("service {name:?} is declared twice"))
                .into());
        }
        let written = root.join(s.path.get_ref());
        let Some(dir) = written.canonicalize().ok().filter(|d| d.is_dir()) else {
            return Err(config
                .error_at(
                    s.path.span(),
                    format!(
                        "service {name:?}: path {:?} is not a directory ({})",
                        s.path.get_ref(),
                        written.display()
                    ),
                )
                .into());
        };
        // `../../etc`, `/etc` and symlinks out of the project alike.
        if !dir.starts_with(root) {
            return Err(config
                .error_at(
                    s.path.span(),
                    format!(
                        "service {name:?}: path {:?} is outside the project ({}): a service must be a directory inside it",
                        s.path.get_ref(),
                        root.display()
                    ),
                )
                .into());
        }
        let mut profiles = Vec::new();
        for p in s.profiles(config)? {
            let path = root.join(&p);
            if !path.is_file() {
                let span = s.profile.as_ref().map_or(0..0, toml::Spanned::span);
                return Err(config
                    .error_at(
                        span,
                        format!(
                            "service {name:?}: profile {p:?} not found ({})",
                            path.display()
                        ),
                    )
                    .into());
            }
            profiles.push(path);
        }
        let incidents = s
            .incidents
            .iter()
            .map(|i| i.get_ref().to_incident(config))
            .collect::<Result<Vec<_>, InputError>>()?;
        out.push(Service {
            name: name.to_owned(),
            display: workspace.relative(&dir),
            dir,
            profiles,
            declared: Declared {
                hot_path: s.hot_path,
                goal: s.goal(config)?,
                sidecar_ok: s.sidecar_ok,
                incidents,
            },
        });
    }
    Ok(out)
}
