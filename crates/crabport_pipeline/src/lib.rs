//! crabport's pipeline: discover the project once → gather the evidence once
//! → decide. `assess` and `plan` read the same [`Evidence`]; the binary only
//! turns flags and crabport.toml into [`GatherOptions`] and renders.
//!
//! Stages and their crates: discovery (`crabport_project`), dependencies
//! (`crabport_audit`), code (`crabport_scan`), routes and the import graph
//! (`crabport_routes`), CPU profiles and git history (`crabport_evidence`),
//! the verdict (`crabport_decide`), the route plan (`crabport_plan`).

mod assess;
mod audit;
mod plan;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crabport_audit::index::CratesIndex;
use crabport_audit::{AuditOptions, AuditReport};
use crabport_core::InputError;
use crabport_decide::{Declared, Thresholds};
use crabport_evidence::history::{self, History, ServiceHistory};
use crabport_evidence::profile::{self, CpuProfile, ProfileAnalysis};
use crabport_project::Project;
use crabport_scan::{ScanOptions, ScanReport};

pub use assess::{assess, decision_evidence, dependency_evidence};
pub use plan::plan_input;

/// The project crabport was pointed at, discovered once.
#[derive(Debug)]
pub struct Workspace {
    /// Canonical.
    pub root: PathBuf,
    /// The root's package.json, workspace members and lockfile; `None` when
    /// the root has no package.json (services may still have their own).
    pub project: Option<Project>,
}

impl Workspace {
    /// # Errors
    /// The root is not a directory, or its package.json or lockfile is
    /// malformed (with file and position).
    pub fn open(root: &Path) -> Result<Self, PipelineError> {
        let root = root
            .canonicalize()
            .ok()
            .filter(|r| r.is_dir())
            .ok_or_else(|| PipelineError::NotADirectory(root.to_owned()))?;
        let project = if root.join("package.json").is_file() {
            Some(Project::discover(&root)?)
        } else {
            None
        };
        Ok(Self { root, project })
    }

    /// The services when none are declared: each workspace package, or the
    /// root package of a single-package project.
    ///
    /// # Errors
    /// The root has no package.json.
    pub fn package_services(&self) -> Result<Vec<Service>, PipelineError> {
        let Some(project) = &self.project else {
            // The same message discovery gives.
            return Err(Project::discover(&self.root)
                .err()
                .map_or(PipelineError::NoServices, PipelineError::Input));
        };
        let members: Vec<_> = if project.members.len() > 1 {
            project.members.iter().skip(1).collect()
        } else {
            project.members.iter().collect()
        };
        Ok(members
            .into_iter()
            .map(|m| Service {
                name: m.display_name().to_owned(),
                dir: self.root.join(&m.dir),
                display: m.dir.clone(),
                profiles: Vec::new(),
                declared: Declared::default(),
            })
            .collect())
    }

    /// `path` relative to the root, `/`-separated; `.` for the root itself.
    pub fn relative(&self, path: &Path) -> String {
        relative(&self.root, path)
    }
}

/// A service to gather evidence about, with its paths resolved.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// Absolute, inside the workspace root.
    pub dir: PathBuf,
    /// `dir` relative to the workspace root, `/`-separated.
    pub display: String,
    /// Absolute paths of its `.cpuprofile` files.
    pub profiles: Vec<PathBuf>,
    pub declared: Declared,
}

/// What to gather, and how.
pub struct GatherOptions<'a> {
    pub now: jiff::Timestamp,
    pub thresholds: &'a Thresholds,
    pub scan: &'a ScanOptions,
    pub audit: &'a AuditOptions,
    /// Opens the crates.io index; called once, only when a service has a
    /// package.json.
    pub open_index: &'a (dyn Fn() -> Result<CratesIndex, PipelineError> + Sync),
    /// Also read each service's routes and module graph (plan).
    pub routes: bool,
    /// Also list per-file commits over this many days (plan's churn).
    pub file_commits_days: Option<u32>,
    /// Called after each file scanned, for progress.
    pub on_file: &'a (dyn Fn() + Sync),
}

/// Everything known about the services, gathered once.
#[derive(Debug)]
pub struct Evidence {
    pub root: PathBuf,
    pub now: jiff::Timestamp,
    pub services: Vec<ServiceEvidence>,
    /// The repository's history, read once for every service, or why not.
    pub history: Result<History, String>,
    pub warnings: Vec<String>,
}

/// One service's evidence.
#[derive(Debug)]
pub struct ServiceEvidence {
    pub service: Service,
    /// The profiles as read (display path, profile), for per-route shares.
    pub profiles: Vec<(PathBuf, CpuProfile)>,
    /// The profiles combined; `None` when none is declared.
    pub profile: Option<ProfileAnalysis>,
    pub scan: ScanReport,
    /// `None` for a service without a package.json is `Some(Err(why))`.
    pub audit: Result<AuditReport, String>,
    pub history: Option<ServiceHistory>,
    /// With [`GatherOptions::routes`].
    pub routes: Option<Result<crabport_routes::Analysis, String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{}: no such directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("no services: declare [[service]] entries in crabport.toml or add a package.json")]
    NoServices,
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Profile(#[from] profile::ProfileError),
    #[error("{service}: {source}")]
    Scan {
        service: String,
        source: crabport_scan::ScanError,
    },
    #[error("cannot open the crates.io index: {0}")]
    Index(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the built-in knowledge base is invalid; run `crabport audit` for details")]
    KnowledgeBase,
    #[error("the {0} panicked")]
    Panicked(&'static str),
}

/// Gathers every service's evidence: history (one walk for all services)
/// and the index lookups (one set for all services) run beside the
/// per-service profile, scan and route work.
///
/// # Errors
/// A profile that cannot be read, a bad exclude glob, the index or the
/// knowledge base cannot be opened. Missing evidence (no history, no
/// package.json) is not an error: it is recorded for the verdict to state.
pub fn gather(
    workspace: &Workspace,
    services: Vec<Service>,
    options: &GatherOptions<'_>,
) -> Result<Evidence, PipelineError> {
    let root = &workspace.root;
    let profile_thresholds = options.thresholds.profile();
    let (history, audits, per_service) = std::thread::scope(|scope| {
        let history = scope.spawn(|| {
            let paths: Vec<history::ServicePaths> = services
                .iter()
                .map(|s| history::ServicePaths {
                    name: s.name.clone(),
                    paths: vec![s.dir.clone()],
                })
                .collect();
            let windows: BTreeSet<u32> = [options.thresholds.churn_window_days, 90, 365].into();
            history::analyze(
                root,
                &paths,
                &history::HistoryOptions {
                    now: options.now,
                    windows_days: windows.into_iter().collect(),
                    hottest_files: 10,
                    file_commits_days: options.file_commits_days,
                },
            )
        });
        let audits = scope.spawn(|| audit::audit_services(workspace, &services, options));
        let per_service: Vec<_> = services
            .par_iter()
            .map(|s| {
                let profiles = load_profiles(root, &s.profiles);
                let (scan, routes) = if options.routes {
                    scan_and_routes(s, options)
                } else {
                    let scan = crabport_scan::scan(
                        &s.dir,
                        std::slice::from_ref(&s.dir),
                        options.scan,
                        options.on_file,
                    );
                    (scan, None)
                };
                (profiles, scan, routes)
            })
            .collect();
        (
            history
                .join()
                .map_err(|_| PipelineError::Panicked("history reader")),
            audits.join().map_err(|_| PipelineError::Panicked("audit")),
            per_service,
        )
    });
    let mut audits = audits??;
    let mut warnings = Vec::new();
    let mut histories: HashMap<String, ServiceHistory> = HashMap::new();
    let history = match history? {
        Ok(mut h) => {
            if h.shallow {
                warnings.push(format!(
                    "{} is a shallow clone: code age and older history are cut off (git fetch --unshallow)",
                    h.repository.display()
                ));
            }
            histories.extend(
                std::mem::take(&mut h.services)
                    .into_iter()
                    .map(|s| (s.name.clone(), s)),
            );
            Ok(h)
        }
        Err(e) => Err(e.to_string()),
    };
    let mut gathered = Vec::with_capacity(services.len());
    for (service, (profiles, scan, routes)) in services.into_iter().zip(per_service) {
        let profiles = profiles?;
        let profile =
            (!profiles.is_empty()).then(|| profile::analyze(&profiles, &profile_thresholds));
        let scan = scan.map_err(|source| PipelineError::Scan {
            service: service.display.clone(),
            source,
        })?;
        let audit = audits
            .remove(&service.name)
            .unwrap_or_else(|| Err(format!("no package.json in {}", service.display)));
        gathered.push(ServiceEvidence {
            history: histories.remove(&service.name),
            profiles,
            profile,
            scan,
            audit,
            routes,
            service,
        });
    }
    Ok(Evidence {
        root: root.clone(),
        now: options.now,
        services: gathered,
        history,
        warnings,
    })
}

/// The scan and the route inventory from one parse of each file: the
/// scan hands every parse to the route extractor.
fn scan_and_routes(
    service: &Service,
    options: &GatherOptions<'_>,
) -> (
    Result<ScanReport, crabport_scan::ScanError>,
    Option<Result<crabport_routes::Analysis, String>>,
) {
    use crabport_routes::extract::{self, FileFacts};
    let root = &service.dir;
    let visit = |path: &Path,
                 source: &str,
                 parsed: Option<(&oxc_ast::ast::Program<'_>, &oxc_semantic::Semantic<'_>)>|
     -> Box<dyn std::any::Any + Send> {
        Box::new(match parsed {
            Some((program, semantic)) => {
                extract::extract_parsed(root, path, source, program, semantic)
            }
            // Not parsed by the scan: the extractor reads it and says why.
            None => extract::extract_file(root, path),
        })
    };
    match crabport_scan::scan_visiting(
        root,
        std::slice::from_ref(root),
        options.scan,
        options.on_file,
        Some(&visit),
    ) {
        Ok((report, visited)) => {
            let (files, facts): (Vec<PathBuf>, Vec<FileFacts>) = visited
                .into_iter()
                .filter_map(|(path, facts)| Some((path, *facts.downcast::<FileFacts>().ok()?)))
                .unzip();
            let analysis = crabport_routes::analyse_facts(root, &files, &facts);
            (Ok(report), Some(Ok(analysis)))
        }
        Err(e) => (Err(e.clone()), Some(Err(e.to_string()))),
    }
}

/// A service's profiles as read, each with its path relative to the root.
fn load_profiles(
    root: &Path,
    paths: &[PathBuf],
) -> Result<Vec<(PathBuf, CpuProfile)>, profile::ProfileError> {
    paths
        .iter()
        .map(|p| Ok((PathBuf::from(relative(root, p)), profile::load(p)?)))
        .collect()
}

/// `path` relative to `root`, `/`-separated; `.` for the root itself.
pub fn relative(root: &Path, path: &Path) -> String {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
    let (root, path) = (canonical(root), canonical(path));
    match path.strip_prefix(&root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}
