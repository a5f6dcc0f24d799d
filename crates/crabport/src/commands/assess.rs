//! `crabport assess`: services → evidence (profile, history, audit, scan,
//! declared facts) → a verdict per service → render.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use rayon::prelude::*;

use crabport_audit::kb::{GapKind, KnowledgeBase};
use crabport_audit::report::PackageStatus;
use crabport_audit::{AuditOptions, AuditReport};
use crabport_core::InputError;
use crabport_decide::{
    AssessReport, CodeEvidence, Declared, DependencyEvidence, GapPackage, MissingEvidence,
    ServiceAssessment, ServiceEvidence,
};
use crabport_evidence::{history, profile};
use crabport_project::Project;

use crate::ExitStatus;
use crate::cli::{AssessArgs, OutputFormat};
use crate::commands::audit::open_index;
use crate::commands::scan::scan_options;
use crate::config::Config;
use crate::output::{print_report, progress, terminal_width, warn};

/// A service to assess, with its paths resolved.
struct Service {
    name: String,
    dir: PathBuf,
    /// `dir` relative to the project root, `/`-separated.
    display: String,
    profiles: Vec<PathBuf>,
    declared: Declared,
}

pub fn run(args: &AssessArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    if !args.path.is_dir() {
        bail!("{}: no such directory", args.path.display());
    }
    // Errors name the files as the user spelt them; containment checks and
    // git see canonical paths, so a verdict never depends on that spelling.
    let config = Config::load(&args.path)?;
    let root = &args
        .path
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", args.path.display()))?;
    let now = crabport_core::clock::now().map_err(|e| anyhow!(e))?;
    let mut services = services(root, &config)?;
    if !args.service.is_empty() {
        for wanted in &args.service {
            if !services.iter().any(|s| &s.name == wanted) {
                let known: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
                bail!(
                    "--service {wanted:?}: no such service (services: {})",
                    known.join(", ")
                );
            }
        }
        services.retain(|s| args.service.contains(&s.name));
    }
    let thresholds = &config.assess;
    thresholds
        .validate()
        .map_err(|e| anyhow!("{}: [assess]: {e}", config_path(&config, root).display()))?;
    let profile_thresholds = thresholds.profile();
    let scan = scan_options(&config, &[], false)?;
    let mut warnings = Vec::new();

    let bar = progress(0, quiet, "gathering evidence");
    // History walks the repository once for every service; it runs beside
    // the per-service profile and scan work and the index lookups.
    let (history, audits, per_service) = std::thread::scope(|scope| {
        let history = scope.spawn(|| {
            let paths: Vec<history::ServicePaths> = services
                .iter()
                .map(|s| history::ServicePaths {
                    name: s.name.clone(),
                    paths: vec![s.dir.clone()],
                })
                .collect();
            let windows: BTreeSet<u32> = [thresholds.churn_window_days, 90, 365].into();
            history::analyze(
                root,
                &paths,
                &history::HistoryOptions {
                    now,
                    windows_days: windows.into_iter().collect(),
                    hottest_files: 10,
                },
            )
        });
        let audits = scope.spawn(|| audit_services(&services, args, &config, now));
        let per_service: Vec<_> = services
            .par_iter()
            .map(|s| {
                let profile = load_profiles(root, &s.profiles, &profile_thresholds);
                let code =
                    crabport_scan::scan(&s.dir, std::slice::from_ref(&s.dir), &scan, &|| {
                        bar.inc(1);
                    });
                (profile, code)
            })
            .collect();
        (
            history
                .join()
                .map_err(|_| anyhow!("the history reader panicked")),
            audits.join().map_err(|_| anyhow!("the audit panicked")),
            per_service,
        )
    });
    bar.finish_and_clear();
    let mut audits = audits??;

    let mut histories: HashMap<String, history::ServiceHistory> = HashMap::new();
    let history_missing = match history? {
        Ok(h) => {
            if h.shallow {
                warnings.push(format!(
                    "{} is a shallow clone: code age and older history are cut off (git fetch --unshallow)",
                    h.repository.display()
                ));
            }
            histories.extend(h.services.into_iter().map(|s| (s.name.clone(), s)));
            None
        }
        Err(e) => Some(e.to_string()),
    };

    let mut report_services = Vec::new();
    for (service, (profile, code)) in services.into_iter().zip(per_service) {
        let mut missing = Vec::new();
        let profile = profile?;
        if profile.is_none() {
            missing.push(MissingEvidence {
                evidence: "profile",
                reason: "no `profile` declared for this service in crabport.toml".to_owned(),
                limits: "CPU-bound or I/O-bound cannot be told, so no performance reason can stand"
                    .to_owned(),
            });
        }
        let history = histories.remove(&service.name);
        if let Some(reason) = &history_missing {
            missing.push(MissingEvidence {
                evidence: "history",
                reason: reason.clone(),
                limits: "churn, team size and code age are unknown, so the churn rule cannot apply"
                    .to_owned(),
            });
        }
        let dependencies = match audits.remove(&service.name) {
            Some(Ok(report)) => Some(dependency_evidence(&report)),
            Some(Err(reason)) => {
                missing.push(MissingEvidence {
                    evidence: "dependencies",
                    reason,
                    limits: "Node-only SDKs and crate gaps are unknown".to_owned(),
                });
                None
            }
            None => None,
        };
        let code = code.map_err(|e| anyhow!("{}: {e}", service.display))?;
        let code = CodeEvidence {
            files: code.summary.files,
            lines: code.summary.lines,
            findings: code.findings.len(),
            friction_per_kloc: if code.summary.lines == 0 {
                0.0
            } else {
                let weight: u32 = code.findings.iter().map(|f| f.severity.weight()).sum();
                f64::from(weight) * 1000.0 / code.summary.lines as f64
            },
            hazards: code
                .summary
                .by_rule
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
        };
        let evidence = ServiceEvidence {
            name: service.name.clone(),
            path: service.display.clone(),
            declared: service.declared,
            profile,
            history,
            dependencies,
            code: Some(code),
            missing,
        };
        let assessment = crabport_decide::decide(&evidence, thresholds, now);
        report_services.push(ServiceAssessment {
            name: service.name,
            path: service.display,
            assessment,
            evidence,
        });
    }

    let report = AssessReport {
        schema_version: crabport_decide::SCHEMA_VERSION,
        tool: "crabport",
        tool_version: env!("CARGO_PKG_VERSION"),
        assessed_at: now.to_string(),
        thresholds: thresholds.clone(),
        services: report_services,
        warnings,
    };
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

/// The services of crabport.toml, or each workspace package (or the root package).
fn services(root: &Path, config: &Config) -> anyhow::Result<Vec<Service>> {
    if config.services.is_empty() {
        let project = Project::discover(root)?;
        let members: Vec<_> = if project.members.len() > 1 {
            project.members.iter().skip(1).collect()
        } else {
            project.members.iter().collect()
        };
        return Ok(members
            .into_iter()
            .map(|m| Service {
                name: m.display_name().to_owned(),
                dir: root.join(&m.dir),
                display: m.dir.clone(),
                profiles: Vec::new(),
                declared: Declared::default(),
            })
            .collect());
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
            display: relative(root, &dir),
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

fn config_path(config: &Config, root: &Path) -> PathBuf {
    config
        .source
        .as_ref()
        .map_or_else(|| root.join(crate::config::FILE_NAME), |s| s.path.clone())
}

/// `path` relative to `root`, `/`-separated; `.` for the root itself.
fn relative(root: &Path, path: &Path) -> String {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
    let (root, path) = (canonical(root), canonical(path));
    match path.strip_prefix(&root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

/// The profiles of one service combined; `None` when none is declared.
fn load_profiles(
    root: &Path,
    paths: &[PathBuf],
    thresholds: &profile::Thresholds,
) -> anyhow::Result<Option<profile::ProfileAnalysis>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let loaded = paths
        .iter()
        .map(|p| Ok((PathBuf::from(relative(root, p)), profile::load(p)?)))
        .collect::<Result<Vec<_>, profile::ProfileError>>()?;
    Ok(Some(profile::analyze(&loaded, thresholds)))
}

/// Audits every service's package.json against one set of index lookups.
/// A service without a package.json gets a reason instead of a report.
fn audit_services(
    services: &[Service],
    args: &AssessArgs,
    config: &Config,
    now: jiff::Timestamp,
) -> anyhow::Result<HashMap<String, Result<AuditReport, String>>> {
    let kb = KnowledgeBase::embedded().map_err(|_| {
        anyhow!("the built-in knowledge base is invalid; run `crabport audit` for details")
    })?;
    let options = AuditOptions {
        include_dev: false,
        stale_after_months: args
            .index
            .stale_after
            .or(config.audit.stale_after_months)
            .unwrap_or(24),
        now,
    };
    let mut projects = Vec::new();
    let mut out = HashMap::new();
    for s in services {
        if !s.dir.join("package.json").is_file() {
            out.insert(
                s.name.clone(),
                Err(format!("no package.json in {}", s.display)),
            );
            continue;
        }
        projects.push((s.name.clone(), Project::discover(&s.dir)?));
    }
    if projects.is_empty() {
        return Ok(out);
    }
    let names: BTreeSet<String> = projects
        .iter()
        .flat_map(|(_, p)| crabport_audit::crates_to_resolve(p, &kb, &options))
        .collect();
    let names: Vec<String> = names.into_iter().collect();
    let index = open_index(&args.index, &config.audit)?;
    let results = index.lookup_all(&names, &|_| {});
    let lookups: HashMap<String, _> = names.into_iter().zip(results).collect();
    let info = crabport_audit::index_info(index.url(), args.index.offline, &lookups);
    for (name, project) in projects {
        let report = crabport_audit::audit(
            &project,
            &kb,
            &lookups,
            &HashMap::new(),
            info.clone(),
            &options,
        );
        out.insert(name, Ok(report));
    }
    Ok(out)
}

fn dependency_evidence(report: &AuditReport) -> DependencyEvidence {
    let mut evidence = DependencyEvidence::default();
    let mut seen = BTreeSet::new();
    for p in report.production() {
        if !seen.insert(p.npm.as_str()) {
            continue;
        }
        evidence.production += 1;
        match p.status {
            PackageStatus::Gap => {
                let gap = GapPackage {
                    npm: p.npm.clone(),
                    gap_kind: p.gap_kind.map_or("no-crate", GapKind::code).to_owned(),
                    note: p.note.clone(),
                };
                if p.gap_kind == Some(GapKind::VendorSdk) {
                    evidence.node_only_sdks.push(gap);
                } else {
                    evidence.other_gaps.push(gap);
                }
            }
            PackageStatus::Unknown => evidence.unknown.push(p.npm.clone()),
            _ => {}
        }
    }
    evidence.native_addons = report.native_addons.iter().map(|a| a.npm.clone()).collect();
    evidence
}
