//! The verdicts, from gathered evidence.

use std::collections::BTreeSet;

use crabport_audit::AuditReport;
use crabport_audit::kb::GapKind;
use crabport_audit::report::PackageStatus;
use crabport_decide::{
    AssessReport, CodeEvidence, DependencyEvidence, GapPackage, MissingEvidence, ServiceAssessment,
    Thresholds,
};

use crate::{Evidence, ServiceEvidence};

/// Every service's verdict. Evidence that is missing is stated in the
/// verdict with what it limits.
pub fn assess(evidence: &Evidence, thresholds: &Thresholds) -> AssessReport {
    let services = evidence
        .services
        .iter()
        .map(|s| {
            let decided = decision_evidence(evidence, s);
            ServiceAssessment {
                name: s.service.name.clone(),
                path: s.service.display.clone(),
                assessment: crabport_decide::decide(&decided, thresholds, evidence.now),
                evidence: decided,
            }
        })
        .collect();
    AssessReport {
        schema_version: crabport_decide::SCHEMA_VERSION,
        tool: "crabport",
        tool_version: env!("CARGO_PKG_VERSION"),
        assessed_at: evidence.now.to_string(),
        thresholds: thresholds.clone(),
        services,
        warnings: evidence.warnings.clone(),
    }
}

/// What the decision engine reads about one service.
pub fn decision_evidence(
    evidence: &Evidence,
    service: &ServiceEvidence,
) -> crabport_decide::ServiceEvidence {
    let mut missing = Vec::new();
    if service.profile.is_none() {
        missing.push(MissingEvidence {
            evidence: "profile",
            reason: "no `profile` declared for this service in crabport.toml".to_owned(),
            limits: "CPU-bound or I/O-bound cannot be told, so no performance reason can stand"
                .to_owned(),
        });
    }
    if let Err(reason) = &evidence.history {
        missing.push(MissingEvidence {
            evidence: "history",
            reason: reason.clone(),
            limits: "churn, team size and code age are unknown, so the churn rule cannot apply"
                .to_owned(),
        });
    }
    let dependencies = match &service.audit {
        Ok(report) => Some(dependency_evidence(report)),
        Err(reason) => {
            missing.push(MissingEvidence {
                evidence: "dependencies",
                reason: reason.clone(),
                limits: "Node-only SDKs and crate gaps are unknown".to_owned(),
            });
            None
        }
    };
    let scan = &service.scan;
    let code = CodeEvidence {
        files: scan.summary.files,
        lines: scan.summary.lines,
        findings: scan.findings.len(),
        friction_per_kloc: crabport_plan::friction(
            scan.findings.iter().map(|f| f.severity.weight()).sum(),
            scan.summary.lines,
        ),
        hazards: scan
            .summary
            .by_rule
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect(),
    };
    crabport_decide::ServiceEvidence {
        name: service.service.name.clone(),
        path: service.service.display.clone(),
        declared: service.service.declared.clone(),
        profile: service.profile.clone(),
        history: service.history.clone(),
        dependencies,
        code: Some(code),
        missing,
    }
}

/// The production dependencies as the decision reads them: Node-only SDKs,
/// other gaps, unknown packages, native addons.
pub fn dependency_evidence(report: &AuditReport) -> DependencyEvidence {
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
