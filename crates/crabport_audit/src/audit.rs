//! From a discovered project, the knowledge base and index answers to an
//! [`AuditReport`]. Pure: every I/O happened before (discovery, index).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::{Timestamp, ToSpan};

use crabport_project::{Dependency, DependencyKind, DependencySource, Member, PkgId, Project};

use crate::index::{Lookup, Source};
use crate::kb::{CrateSpec, KnowledgeBase, Match, Status};
use crate::npm::NpmFacts;
use crate::report::{
    AuditReport, CrateReport, CrateState, GapKindCounts, Hint, IndexInfo, InternalPackage,
    KnowledgeRef, LockfileInfo, NativeAddon, PackageReport, PackageStatus, SCHEMA_VERSION, Summary,
    WorkspaceReport,
};

/// Knobs of an audit.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub include_dev: bool,
    /// A newest release older than this many months is `stale` (unless marked stable).
    pub stale_after_months: u32,
    pub now: Timestamp,
}

/// npm packages that build or load native code; depending on one is evidence.
pub(crate) const NATIVE_BUILD_HELPERS: &[&str] = &[
    "node-gyp-build",
    "node-gyp",
    "bindings",
    "nan",
    "node-addon-api",
    "prebuild-install",
    "@mapbox/node-pre-gyp",
    "node-pre-gyp",
    "napi-build-utils",
    "cmake-js",
    "@neon-rs/load",
    "node-gyp-build-optional-packages",
];

/// The dependencies an audit looks at, per member, in report order: the
/// sections it covers, without the project's own packages.
fn audited_dependencies<'p>(
    project: &'p Project,
    member: &'p Member,
    options: &AuditOptions,
) -> impl Iterator<Item = &'p Dependency> {
    in_audited_sections(member, options).filter(move |d| !project.is_internal(d))
}

/// Dependencies from the sections an audit covers (prod, optional; peer for
/// a library; dev with `--include-dev`).
fn in_audited_sections<'p>(
    member: &'p Member,
    options: &AuditOptions,
) -> impl Iterator<Item = &'p Dependency> {
    let is_library = member.manifest.is_library;
    let include_dev = options.include_dev;
    member
        .manifest
        .dependencies
        .iter()
        .filter(move |d| match d.kind {
            DependencyKind::Prod | DependencyKind::Optional => true,
            DependencyKind::Peer => is_library,
            DependencyKind::Dev => include_dev,
        })
}

/// `workspace:`/`link:` dependencies and workspace siblings: not audited, but listed.
fn internal_packages(project: &Project, options: &AuditOptions) -> Vec<InternalPackage> {
    project
        .members
        .iter()
        .flat_map(|member| {
            in_audited_sections(member, options)
                .filter(|d| project.is_internal(d))
                .map(move |d| InternalPackage {
                    name: d.name.clone(),
                    spec: d.spec.clone(),
                    workspace: member.display_name().to_owned(),
                    dependency_kind: d.kind,
                })
        })
        .collect()
}

/// One warning per workspace package whose audited dependencies the lockfile
/// does not resolve: package.json changed after the last install. Peer
/// dependencies are left out: yarn and npm 6 never install them.
fn out_of_sync_warnings(project: &Project, options: &AuditOptions) -> Vec<String> {
    let Some(lock) = &project.lockfile else {
        return Vec::new();
    };
    let lockfile = lock.path.file_name().map_or_else(
        || lock.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    project
        .members
        .iter()
        .filter_map(|member| {
            let missing: Vec<&str> = audited_dependencies(project, member, options)
                .filter(|d| d.kind != DependencyKind::Peer && project.resolved(member, d).is_none())
                .map(|d| d.name.as_str())
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "{lockfile} does not list {} of {} ({}): {}; package.json and the lockfile are out of sync (run the package manager's install), so their versions are unknown",
                    if missing.len() == 1 {
                        "1 dependency".to_owned()
                    } else {
                        format!("{} dependencies", missing.len())
                    },
                    member.display_name(),
                    member.dir,
                    missing.join(", ")
                )
            })
        })
        .collect()
}

/// Every crate name the audit will ask the index about: the knowledge base's
/// suggestions, and same-named crates of unknown packages (for hints).
pub fn crates_to_resolve(
    project: &Project,
    kb: &KnowledgeBase,
    options: &AuditOptions,
) -> Vec<String> {
    let mut names = BTreeSet::new();
    for member in &project.members {
        for dep in audited_dependencies(project, member, options) {
            match kb.lookup(&dep.package) {
                Some(m) => names.extend(m.entry().all_crates().map(|c| c.name.clone())),
                None => names.extend(same_name_candidate(&dep.package)),
            }
        }
    }
    names.into_iter().collect()
}

/// Unknown registry packages and their resolved versions: what `--npm-hints`
/// asks the npm registry about.
pub fn unknown_packages(
    project: &Project,
    kb: &KnowledgeBase,
    options: &AuditOptions,
) -> Vec<(String, Option<String>)> {
    let mut out = BTreeMap::new();
    for member in &project.members {
        for dep in audited_dependencies(project, member, options) {
            if dep.source() == DependencySource::Registry && kb.lookup(&dep.package).is_none() {
                let version = project
                    .resolved(member, dep)
                    .map(|(_, p)| p.version.clone());
                out.entry(dep.package.clone()).or_insert(version);
            }
        }
    }
    out.into_iter().collect()
}

/// A crate that might share an unknown npm package's name (unscoped names
/// that are valid crate names only).
fn same_name_candidate(npm: &str) -> Option<String> {
    let valid = !npm.starts_with('@')
        && npm.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && npm.len() <= 64
        && npm
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then(|| npm.to_owned())
}

/// Builds the report.
pub fn audit(
    project: &Project,
    kb: &KnowledgeBase,
    lookups: &HashMap<String, Lookup>,
    npm: &HashMap<String, NpmFacts>,
    index: IndexInfo,
    options: &AuditOptions,
) -> AuditReport {
    let stale_before = stale_before(options.now, options.stale_after_months);
    let resolve = |spec: &CrateSpec| {
        resolve_crate(
            spec,
            lookups.get(&spec.name),
            stale_before,
            options.stale_after_months,
        )
    };

    let mut packages = Vec::new();
    let mut workspaces = Vec::new();
    for member in &project.members {
        let start = packages.len();
        for dep in audited_dependencies(project, member, options) {
            // A lockfile entry without a version (a pnpm `file:` directory whose
            // package.json is gone) resolves, but tells no version.
            let resolved = project
                .resolved(member, dep)
                .map(|(_, p)| p.version.clone())
                .filter(|v| !v.is_empty());
            packages.push(package_report(
                member, dep, resolved, kb, lookups, npm, &resolve,
            ));
        }
        let member_packages = &packages[start..];
        // The root of a workspace often declares nothing but tooling; leave it out then.
        if member.dir == "." && member_packages.is_empty() && project.members.len() > 1 {
            continue;
        }
        workspaces.push(WorkspaceReport {
            name: member.display_name().to_owned(),
            path: member.dir.clone(),
            version: member.manifest.version.clone(),
            is_library: member.manifest.is_library,
            summary: summarize(
                member_packages
                    .iter()
                    .filter(|p| p.dependency_kind != DependencyKind::Dev),
                0,
            ),
        });
    }

    let native_addons = native_addons(project, kb, options, &packages);
    for ws in &mut workspaces {
        ws.summary.native_addons = native_addons
            .iter()
            .filter(|a| a.workspaces.contains(&ws.name))
            .count();
    }
    for addon in &native_addons {
        for p in packages.iter_mut().filter(|p| p.npm == addon.npm) {
            p.native = true;
        }
    }
    let summary = summarize(
        packages
            .iter()
            .filter(|p| p.dependency_kind != DependencyKind::Dev),
        native_addons.len(),
    );
    let dev_summary = options.include_dev.then(|| {
        summarize(
            packages
                .iter()
                .filter(|p| p.dependency_kind == DependencyKind::Dev),
            0,
        )
    });

    let mut warnings = project.warnings.clone();
    warnings.extend(out_of_sync_warnings(project, options));
    if project.lockfile.is_none() {
        warnings.push(
            "no lockfile: npm versions are the ranges in package.json, and native addons deeper in the tree cannot be seen"
                .into(),
        );
    }
    if index.cached_after_error > 0 {
        warnings.push(format!(
            "the crates.io index could not be reached; {} crate(s) were answered from the cache",
            index.cached_after_error
        ));
    }
    if index.unavailable > 0 {
        warnings.push(format!(
            "{} crate(s) could not be resolved (index unreachable and not cached): their state is `unavailable`, not missing",
            index.unavailable
        ));
    }

    let defaults_of = |name: &str| match lookups.get(name) {
        Some(Lookup::Found { facts, .. }) => {
            facts.newest.as_ref().map(|v| v.default_features.clone())
        }
        _ => None,
    };
    let cargo_plan = crate::policy::plan(
        packages
            .iter()
            .filter(|p| p.dependency_kind != DependencyKind::Dev),
        kb.policy(),
        &defaults_of,
    );

    AuditReport {
        schema_version: SCHEMA_VERSION,
        tool: "crabport",
        tool_version: env!("CARGO_PKG_VERSION"),
        checked_at: options.now.to_string(),
        stale_after_months: options.stale_after_months,
        lockfile: project.lockfile.as_ref().map(|l| LockfileInfo {
            path: relative_display(&project.root, &l.path),
            format: l.format,
        }),
        index,
        workspaces,
        packages,
        native_addons,
        summary,
        dev_summary,
        cargo_plan,
        warnings,
        internal_packages: internal_packages(project, options),
    }
}

fn package_report(
    member: &Member,
    dep: &Dependency,
    npm_version: Option<String>,
    kb: &KnowledgeBase,
    lookups: &HashMap<String, Lookup>,
    npm: &HashMap<String, NpmFacts>,
    resolve: &dyn Fn(&CrateSpec) -> CrateReport,
) -> PackageReport {
    let base = PackageReport {
        workspace: member.display_name().to_owned(),
        npm: dep.package.clone(),
        npm_version,
        npm_spec: dep.spec.clone(),
        dependency_kind: dep.kind,
        status: PackageStatus::Unknown,
        gap_kind: None,
        crates: Vec::new(),
        alternatives: Vec::new(),
        note: None,
        knowledge: None,
        native: false,
        hints: Vec::new(),
    };
    if matches!(
        dep.source(),
        DependencySource::Local | DependencySource::Remote
    ) {
        return PackageReport {
            hints: vec![Hint {
                kind: "not-from-registry",
                message: format!(
                    "installed from {:?}, not from the npm registry: your own code or a fork, to port or keep like the rest of your code",
                    dep.spec
                ),
                verified: false,
            }],
            ..base
        };
    }
    match kb.lookup(&dep.package) {
        Some(m) => {
            let entry = m.entry();
            PackageReport {
                status: entry.status.into(),
                gap_kind: entry.gap_kind,
                crates: entry.crates.iter().map(resolve).collect(),
                alternatives: entry.alternatives.iter().map(resolve).collect(),
                note: Some(entry.note.clone()),
                knowledge: Some(KnowledgeRef {
                    entry: entry.npm.clone(),
                    source: entry.origin.to_string(),
                }),
                native: entry.native,
                ..base
            }
        }
        None => PackageReport {
            hints: unknown_hints(&dep.package, kb, lookups, npm.get(&dep.package)),
            ..base
        },
    }
}

fn unknown_hints(
    npm: &str,
    kb: &KnowledgeBase,
    lookups: &HashMap<String, Lookup>,
    metadata: Option<&NpmFacts>,
) -> Vec<Hint> {
    let mut hints = Vec::new();
    if let Some(facts) = metadata {
        let from_npm = [
            (
                "native-addon",
                facts
                    .native
                    .as_ref()
                    .map(|e| format!("npm metadata: {e}; a Rust port replaces it too")),
            ),
            (
                "browser-package",
                facts.browser.as_ref().map(|e| {
                    format!("npm metadata: {e}; it belongs in the front end, not the server port")
                }),
            ),
            (
                "deprecated",
                facts
                    .deprecated
                    .as_ref()
                    .map(|m| format!("npm marks this package deprecated: {m}")),
            ),
        ];
        for (kind, message) in from_npm {
            if let Some(message) = message {
                hints.push(Hint {
                    kind,
                    message,
                    verified: false,
                });
            }
        }
    }
    if let Some(facts) = metadata {
        hints.extend(candidate_crates(npm, kb, &facts.keywords));
    }
    if let Some(vendor) = kb.vendor_of(npm) {
        hints.push(Hint {
            kind: "vendor-scope",
            message: format!(
                "{} is {}'s npm scope: likely a vendor SDK; check for an official Rust SDK, else its REST API with reqwest or a Node sidecar",
                vendor.scope, vendor.vendor
            ),
            verified: false,
        });
    }
    if let Some(Lookup::Found { facts, .. }) =
        same_name_candidate(npm).and_then(|n| lookups.get(&n))
    {
        let released = facts
            .newest
            .as_ref()
            .map(|v| {
                let when = v
                    .pubtime
                    .map(|t| format!(", published {}", date_of(t)))
                    .unwrap_or_default();
                format!(" ({}{when})", v.version)
            })
            .unwrap_or_default();
        hints.push(Hint {
            kind: "same-name-crate",
            message: format!(
                "a crate named `{}` exists on crates.io{released}; same names are often unrelated projects: read it before relying on it",
                facts.name
            ),
            verified: false,
        });
    }
    hints
}

/// At most this many `candidate-crate` hints per package.
const MAX_CANDIDATES: usize = 3;

/// Crates proposed for an unknown package from its npm keywords: a keyword
/// that is itself a package the knowledge base maps to crates (`redis`,
/// `express`, `jsonwebtoken` …) suggests the package works in that domain.
/// A guess from author-written tags, so always unverified.
fn candidate_crates(npm: &str, kb: &KnowledgeBase, keywords: &[String]) -> Vec<Hint> {
    keywords
        .iter()
        .filter(|k| !k.eq_ignore_ascii_case(npm))
        .filter_map(|k| match kb.lookup(k)? {
            Match::Exact(entry)
                if matches!(entry.status, Status::Equivalent | Status::Partial)
                    && !entry.crates.is_empty() =>
            {
                Some((k, entry))
            }
            _ => None,
        })
        .take(MAX_CANDIDATES)
        .map(|(keyword, entry)| {
            let crates: Vec<&str> = entry.crates.iter().map(|c| c.name.as_str()).collect();
            Hint {
                kind: "candidate-crate",
                message: format!(
                    "npm keywords include `{keyword}`, which the knowledge base maps to {} ({}); a package tagged so may do a similar job: read its README before relying on it",
                    crates.join(" + "),
                    entry.origin
                ),
                verified: false,
            }
        })
        .collect()
}

fn date_of(t: Timestamp) -> String {
    t.to_string().chars().take(10).collect()
}

/// `months` before `now`: a newest release older than this is stale.
pub(crate) fn stale_before(now: Timestamp, months: u32) -> Timestamp {
    now.checked_sub((i64::from(months) * 730).hours())
        .unwrap_or(now)
}

/// A crate spec as the index answers it: the audit's and `kb check`'s one
/// definition of ok, stale, missing and missing-feature.
pub(crate) fn resolve_crate(
    spec: &CrateSpec,
    lookup: Option<&Lookup>,
    stale_before: Timestamp,
    stale_after_months: u32,
) -> CrateReport {
    let mut report = CrateReport {
        name: spec.name.clone(),
        version: None,
        features: spec.features.clone(),
        default_features: spec.default_features,
        pubtime: None,
        maintained: None,
        state: CrateState::Unavailable,
        stable: spec.stable,
        missing_features: Vec::new(),
        rust_version: None,
        detail: None,
    };
    match lookup {
        None => {
            report.detail = Some("not looked up".into());
        }
        Some(Lookup::Unavailable { error }) => {
            report.detail = Some(error.clone());
        }
        Some(Lookup::Missing { .. }) => {
            report.state = CrateState::Missing;
            report.maintained = Some(false);
            report.detail = Some("no such crate on the index".into());
        }
        Some(Lookup::Found { facts, .. }) => match &facts.newest {
            None => {
                report.state = CrateState::Missing;
                report.maintained = Some(false);
                report.detail = Some("every release is yanked or a pre-release".into());
            }
            Some(newest) => {
                report.version = Some(newest.version.clone());
                report.pubtime = newest.pubtime.map(|t| t.to_string());
                report.rust_version = newest.rust_version.clone();
                report.missing_features = spec
                    .features
                    .iter()
                    .filter(|f| !newest.features.contains(*f))
                    .cloned()
                    .collect();
                let stale = !spec.stable && newest.pubtime.is_some_and(|t| t < stale_before);
                if !report.missing_features.is_empty() {
                    report.state = CrateState::MissingFeature;
                    report.maintained = Some(false);
                    report.detail = Some(format!(
                        "{} {} has no feature {}",
                        spec.name,
                        newest.version,
                        report.missing_features.join(", ")
                    ));
                } else if stale {
                    report.state = CrateState::Stale;
                    report.maintained = Some(false);
                    report.detail = Some(format!(
                        "newest release {} is older than {} months",
                        newest.pubtime.map(date_of).unwrap_or_default(),
                        stale_after_months
                    ));
                } else {
                    report.state = CrateState::Ok;
                    // Without a publish time the index cannot tell how old it is.
                    report.maintained = if newest.pubtime.is_some() || spec.stable {
                        Some(true)
                    } else {
                        None
                    };
                }
            }
        },
    }
    report
}

fn summarize<'a>(
    packages: impl Iterator<Item = &'a PackageReport>,
    native_addons: usize,
) -> Summary {
    let mut seen = BTreeMap::new();
    for p in packages {
        seen.entry(p.npm.as_str()).or_insert(p);
    }
    let mut s = Summary {
        native_addons,
        ..Summary::default()
    };
    let mut kinds = GapKindCounts::default();
    for p in seen.values() {
        s.total += 1;
        match p.status {
            PackageStatus::Equivalent => s.equivalent += 1,
            PackageStatus::Partial => s.partial += 1,
            PackageStatus::Std => s.std += 1,
            PackageStatus::NotNeeded => s.not_needed += 1,
            PackageStatus::Gap => s.gap += 1,
            PackageStatus::Unknown => s.unknown += 1,
        }
        if let Some(kind) = p.gap_kind {
            use crate::kb::GapKind;
            match kind {
                GapKind::VendorSdk => kinds.vendor_sdk += 1,
                GapKind::Dynamic => kinds.dynamic += 1,
                GapKind::Browser => kinds.browser += 1,
                GapKind::NoCrate => kinds.no_crate += 1,
            }
        }
        if p.has_maintained_crate() {
            s.with_maintained_crate += 1;
        }
        if p.crates.iter().any(|c| c.state != CrateState::Ok) {
            s.crate_problems += 1;
        }
    }
    s.gap_kinds = kinds;
    s
}

/// Native addons in the production tree (and dev with `--include-dev`).
fn native_addons(
    project: &Project,
    kb: &KnowledgeBase,
    options: &AuditOptions,
    packages: &[PackageReport],
) -> Vec<NativeAddon> {
    let mut found: BTreeMap<(String, String), NativeAddon> = BTreeMap::new();
    let mut add = |npm: &str,
                   version: &str,
                   confidence: &'static str,
                   evidence: Vec<String>,
                   via: &str,
                   workspace: &str| {
        let addon = found
            .entry((npm.to_owned(), version.to_owned()))
            .or_insert_with(|| NativeAddon {
                npm: npm.to_owned(),
                version: version.to_owned(),
                confidence,
                evidence,
                required_by: Vec::new(),
                workspaces: Vec::new(),
            });
        if !addon.required_by.iter().any(|r| r == via) {
            addon.required_by.push(via.to_owned());
        }
        if !addon.workspaces.iter().any(|w| w == workspace) {
            addon.workspaces.push(workspace.to_owned());
        }
    };

    let Some(lock) = &project.lockfile else {
        // Without a lockfile only direct dependencies the base knows are native can be seen.
        for p in packages.iter().filter(|p| p.native) {
            add(
                &p.npm,
                p.npm_version.as_deref().unwrap_or(&p.npm_spec),
                "certain",
                vec!["known native addon (knowledge base)".into()],
                &p.npm,
                &p.workspace,
            );
        }
        return found.into_values().collect();
    };
    let graph = &lock.graph;
    let node_modules = lock.path.parent().map(|d| d.join("node_modules"));
    for member in &project.members {
        let roots: Vec<(PkgId, &str)> = audited_dependencies(project, member, options)
            .filter_map(|d| Some((project.resolved(member, d)?.0, d.package.as_str())))
            .collect();
        let root_name: HashMap<PkgId, &str> = roots.iter().copied().collect();
        for (id, root) in graph.closure(roots.iter().map(|(id, _)| *id)) {
            let pkg = &graph.packages[id];
            // Platform binaries are reported through the package that depends on
            // them (unless declared directly); build helpers are not addons themselves.
            if (pkg.platform_specific && !root_name.contains_key(&id))
                || NATIVE_BUILD_HELPERS.contains(&pkg.name.as_str())
            {
                continue;
            }
            let mut evidence = Vec::new();
            let mut confidence = "possible";
            if kb
                .lookup(&pkg.name)
                .is_some_and(|m| matches!(m, Match::Exact(e) if e.native))
            {
                evidence.push("known native addon (knowledge base)".to_owned());
                confidence = "certain";
            }
            let children: Vec<&str> = pkg
                .dependencies
                .iter()
                .map(|&d| graph.packages[d].name.as_str())
                .collect();
            if let Some(helper) = children.iter().find(|c| NATIVE_BUILD_HELPERS.contains(c)) {
                evidence.push(format!("depends on {helper}"));
                confidence = "certain";
            }
            if let Some(dir) = &node_modules
                && dir.join(&pkg.name).join("binding.gyp").is_file()
            {
                evidence.push("binding.gyp in node_modules".to_owned());
                confidence = "certain";
            }
            let platform: Vec<&str> = pkg
                .dependencies
                .iter()
                .map(|&d| &graph.packages[d])
                .filter(|c| c.platform_specific)
                .map(|c| c.name.as_str())
                .collect();
            if !platform.is_empty() {
                let shown: Vec<&str> = platform.iter().take(3).copied().collect();
                let more = platform.len().saturating_sub(shown.len());
                evidence.push(format!(
                    "prebuilt platform binaries: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ));
                if confidence == "possible" {
                    confidence = "likely";
                }
            }
            if pkg.has_install_script {
                evidence.push("runs an install script".to_owned());
            }
            // An install script alone is weak (postinstall banners, patching):
            // report it only when nothing else explains it.
            if evidence.is_empty() {
                continue;
            }
            let via = root_name.get(&root).copied().unwrap_or(pkg.name.as_str());
            add(
                &pkg.name,
                &pkg.version,
                confidence,
                evidence,
                via,
                member.display_name(),
            );
        }
    }
    found.into_values().collect()
}

/// The index counters from a set of lookups.
pub fn index_info(url: &str, offline: bool, lookups: &HashMap<String, Lookup>) -> IndexInfo {
    let mut info = IndexInfo {
        url: url.to_owned(),
        offline,
        ..IndexInfo::default()
    };
    let mut oldest = None::<u64>;
    for lookup in lookups.values() {
        let source = match lookup {
            Lookup::Found { source, .. } | Lookup::Missing { source } => source,
            Lookup::Unavailable { .. } => {
                info.unavailable += 1;
                continue;
            }
        };
        match source {
            Source::Network => info.fetched += 1,
            Source::Revalidated => info.revalidated += 1,
            Source::Cache { age } => {
                info.cached += 1;
                oldest = oldest.max(Some(age.as_secs()));
            }
            Source::CacheAfterError { age, .. } => {
                info.cached_after_error += 1;
                oldest = oldest.max(Some(age.as_secs()));
            }
        }
    }
    info.oldest_cache_age_seconds = oldest;
    info
}

fn relative_display(root: &std::path::Path, path: &std::path::Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let full = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    match full.strip_prefix(&root) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => pathdiff(&root, &full),
    }
}

/// `full` relative to `root` when `full` is outside it (`../package-lock.json`).
fn pathdiff(root: &std::path::Path, full: &std::path::Path) -> String {
    let mut up = 0;
    let mut base = root;
    loop {
        if let Ok(rel) = full.strip_prefix(base) {
            let mut out = "../".repeat(up);
            out.push_str(&rel.to_string_lossy());
            return out;
        }
        match base.parent() {
            Some(parent) => {
                base = parent;
                up += 1;
            }
            None => return full.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_keywords_naming_known_packages_propose_their_crates_unverified() {
        let kb = KnowledgeBase::from_files([(
            "t.toml",
            "[[package]]\nnpm = \"redis\"\nstatus = \"equivalent\"\ncrates = [\"redis\"]\nnote = \"n\"\n\n\
             [[package]]\nnpm = \"typescript\"\nstatus = \"not-needed\"\nnote = \"n\"\n\n\
             [[package]]\nnpm = \"express\"\nstatus = \"equivalent\"\ncrates = [\"axum\", \"tokio\"]\nnote = \"n\"\n",
        )])
        .unwrap();
        let keywords: Vec<String> = ["typescript", "zz-cache", "redis", "express"]
            .map(String::from)
            .to_vec();
        let hints = candidate_crates("zz-cache", &kb, &keywords);
        let messages: Vec<&str> = hints.iter().map(|h| h.message.as_str()).collect();
        assert_eq!(hints.len(), 2, "{messages:?}");
        assert!(
            hints
                .iter()
                .all(|h| h.kind == "candidate-crate" && !h.verified)
        );
        assert!(messages[0].contains("`redis`") && messages[0].contains("maps to redis ("));
        assert!(messages[1].contains("axum + tokio"), "{}", messages[1]);
        // A package's own name is no evidence, and the list is capped.
        assert!(candidate_crates("redis", &kb, &["redis".to_owned()]).is_empty());
        let many: Vec<String> = std::iter::repeat_n("redis".to_owned(), 10).collect();
        assert_eq!(candidate_crates("x", &kb, &many).len(), MAX_CANDIDATES);
    }
}
