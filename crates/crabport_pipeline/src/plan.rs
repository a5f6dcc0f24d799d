//! Per-route evidence: each route joined with what the service's evidence
//! says about the modules its handler reaches.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crabport_audit::kb::GapKind;
use crabport_audit::report::{PackageReport, PackageStatus};
use crabport_evidence::profile::{self, FunctionSite};
use crabport_plan::plan::{
    Blocker, HandlerRef, ModuleFacts, PlanInput, RouteFacts, ServiceFacts, UnresolvedRoute,
};

use crate::{Evidence, ServiceEvidence};

/// What plan places `service`'s routes from. Missing evidence becomes a
/// limit of the plan, never an error.
pub fn plan_input(
    evidence: &Evidence,
    service: &ServiceEvidence,
    thresholds: &crabport_decide::Thresholds,
) -> PlanInput {
    let mut limits = Vec::new();
    let decided = crate::decision_evidence(evidence, service);
    let assessment = crabport_decide::decide(&decided, thresholds, evidence.now);
    let facts = ServiceFacts {
        name: service.service.name.clone(),
        classification: service.profile.as_ref().map(|p| {
            match p.classification {
                profile::Classification::CpuBound => "cpu-bound",
                profile::Classification::IoBound => "io-bound",
                profile::Classification::Mixed => "mixed",
            }
            .to_owned()
        }),
        busy_share: service.profile.as_ref().map(|p| p.busy_share),
        goal: assessment
            .goal
            .as_ref()
            .filter(|g| g.measurable)
            .map(|g| g.text.clone()),
        sidecar_ok: service.service.declared.sidecar_ok == Some(true),
        churn_window_days: thresholds.churn_window_days,
    };
    let mut input = PlanInput {
        service: facts,
        warnings: evidence.warnings.clone(),
        ..PlanInput::default()
    };
    let analysis = match &service.routes {
        Some(Ok(a)) => a,
        Some(Err(e)) => {
            input
                .limits
                .push(format!("the routes could not be read: {e}"));
            return input;
        }
        None => return input,
    };
    let graph = &analysis.graph;
    let inventory = &analysis.inventory;

    let mut by_file: HashMap<&str, (usize, u32)> = HashMap::new();
    for f in &service.scan.findings {
        let entry = by_file.entry(f.file.as_str()).or_default();
        entry.0 += 1;
        entry.1 += f.severity.weight();
    }
    input.modules = graph
        .modules
        .iter()
        .map(|m| {
            let (findings, weight) = by_file.get(m.file.as_str()).copied().unwrap_or_default();
            (
                m.file.clone(),
                ModuleFacts {
                    lines: m.lines,
                    findings,
                    weight,
                },
            )
        })
        .collect();

    let packages: HashMap<&str, &PackageReport> = match &service.audit {
        Ok(report) => report.production().map(|p| (p.npm.as_str(), p)).collect(),
        Err(reason) => {
            limits.push(format!(
                "dependencies unknown ({reason}): no route can be shown blocked by a Node-only SDK"
            ));
            HashMap::new()
        }
    };

    // Hot shares: one pass over the profiles for every handler.
    let sites: Vec<FunctionSite> = inventory
        .routes
        .iter()
        .map(|r| FunctionSite {
            file: r.handler.location.file.clone(),
            line: r.handler.location.line,
        })
        .collect();
    let profiles: Vec<&profile::CpuProfile> = service.profiles.iter().map(|(_, p)| p).collect();
    let shares = (!profiles.is_empty()).then(|| profile::busy_shares_through(&profiles, &sites));
    let profile_maps = shares.as_ref().is_some_and(|s| s.seen.iter().any(|&b| b));
    match &shares {
        None => limits.push(
            "no profile declared: hot_share is unknown, so no route can be shown to carry the problem (the first wave)"
                .to_owned(),
        ),
        Some(_) if !profile_maps => limits.push(
            "no frame of the profile is in a route handler (a profile of compiled output? source maps are not followed): hot_share is unknown"
                .to_owned(),
        ),
        Some(_) => {}
    }

    // Churn: commits per file, under the service's directory in the repository.
    let churn_files = evidence.history.as_ref().ok().map(|h| {
        let prefix = crate::relative(&h.repository, &service.service.dir);
        (prefix, &h.file_commits)
    });
    if let Err(reason) = &evidence.history {
        limits.push(format!("no history ({reason}): churn per route is unknown"));
    }

    let mut placed = BTreeSet::new();
    for (i, route) in inventory.routes.iter().enumerate() {
        // One route per method and path: the router sends them to one place.
        if !placed.insert((route.method.as_str(), route.path.as_str())) {
            limits.push(format!(
                "{} {} is declared again at {}:{}: the plan keeps the first declaration",
                route.method, route.path, route.declared_at.file, route.declared_at.line
            ));
            continue;
        }
        let handler_file = route.handler.location.file.as_str();
        let closure: BTreeSet<String> = if graph.module(handler_file).is_some() {
            graph.reachable(handler_file)
        } else {
            [handler_file.to_owned()].into()
        };
        let (mut blocked_by, mut gaps, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
        let mut importers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for m in closure.iter().filter_map(|f| graph.module(f)) {
            for e in m.imports.iter().filter(|e| !e.type_only) {
                if let Some(p) = &e.package {
                    importers.entry(p).or_default().insert(&m.file);
                }
            }
        }
        for (npm, by) in importers {
            let Some(report) = packages.get(npm) else {
                continue;
            };
            match report.status {
                PackageStatus::Gap if report.gap_kind == Some(GapKind::VendorSdk) => {
                    blocked_by.push(Blocker {
                        npm: npm.to_owned(),
                        gap_kind: GapKind::VendorSdk.code().to_owned(),
                        imported_by: by.into_iter().map(str::to_owned).collect(),
                        unblock: unblock(report),
                    });
                }
                PackageStatus::Gap => gaps.push(npm.to_owned()),
                PackageStatus::Unknown => unknown.push(npm.to_owned()),
                _ => {}
            }
        }
        let churn = churn_files.as_ref().map(|(prefix, commits)| {
            let mut seen = BTreeSet::new();
            for file in &closure {
                let path = if prefix == "." {
                    file.clone()
                } else {
                    format!("{prefix}/{file}")
                };
                seen.extend(commits.get(&path).into_iter().flatten().copied());
            }
            seen.len()
        });
        input.routes.push(RouteFacts {
            method: route.method.clone(),
            path: route.path.clone(),
            framework: route.framework.as_str().to_owned(),
            handler: HandlerRef {
                file: route.handler.location.file.clone(),
                line: route.handler.location.line,
                column: route.handler.location.column,
                name: route.handler.name.clone(),
                resolved: route.handler.resolved,
            },
            closure: closure.into_iter().collect(),
            blocked_by,
            gaps,
            unknown,
            hot_share: shares
                .as_ref()
                .filter(|_| profile_maps)
                .map(|s| s.shares[i]),
            churn,
            fingerprint: graph
                .module(handler_file)
                .map(|m| m.fingerprint.clone())
                .unwrap_or_default(),
        });
    }
    input.unresolved = inventory
        .unresolved
        .iter()
        .map(|u| UnresolvedRoute {
            file: u.location.file.clone(),
            line: u.location.line,
            column: u.location.column,
            reason: u.reason.clone(),
        })
        .chain(inventory.file_errors.iter().map(|e| UnresolvedRoute {
            file: e.location.file.clone(),
            line: e.location.line,
            column: e.location.column,
            reason: format!("not read: {}", e.message),
        }))
        .collect();
    // Closures are per module: handlers that share a module share its imports.
    let mut per_module: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &inventory.routes {
        *per_module
            .entry(r.handler.location.file.as_str())
            .or_default() += 1;
    }
    for (file, routes) in per_module.into_iter().filter(|&(_, n)| n >= 3) {
        let reached = graph.reachable(file).len();
        if reached > 1 {
            limits.push(format!(
                "{routes} routes have their handlers in {file}: a route's closure is its handler's module and what that imports ({reached} modules), so these routes share one closure; handlers in modules of their own give a finer plan"
            ));
        }
    }
    if inventory.routes.is_empty() {
        limits.push(format!(
            "no route found statically in {} file(s): nothing to place",
            inventory.files_parsed
        ));
    }
    limits.extend(inventory.notes.iter().cloned());
    input.limits.extend(limits);
    input
}

/// What unblocks a route held by a Node-only SDK.
fn unblock(report: &PackageReport) -> String {
    let crates: Vec<&str> = report
        .alternatives
        .iter()
        .chain(&report.crates)
        .map(|c| c.name.as_str())
        .collect();
    let client = if crates.is_empty() {
        "a REST client of your own".to_owned()
    } else {
        format!("a REST client ({})", crates.join(", "))
    };
    format!(
        "call the vendor's HTTP API from Rust with {client}, or keep the call in a Node sidecar; then declare sidecar_ok = true for the service"
    )
}
