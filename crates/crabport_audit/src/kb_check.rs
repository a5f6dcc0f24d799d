//! `crabport kb check`: every crate and feature the knowledge base names,
//! against the index — the maintenance view of what audit users see as
//! `stale`, `missing` and `missing-feature` at run time. Pure: the lookups
//! were made before.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;
use serde::Serialize;

use crate::audit::{resolve_crate, stale_before};
use crate::index::Lookup;
use crate::kb::{CrateSpec, KnowledgeBase, Origin};
use crate::report::{CrateState, IndexInfo};

/// Bump when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KbCheckReport {
    pub schema_version: u32,
    /// When staleness was judged (RFC 3339).
    pub checked_at: String,
    pub stale_after_months: u32,
    pub index: IndexInfo,
    /// Entries and policy rules read.
    pub entries: usize,
    /// Distinct crates looked up.
    pub crates: usize,
    /// Crate references (an entry naming a crate, a policy rule naming a feature) checked.
    pub references: usize,
    /// Sorted by place.
    pub problems: Vec<KbProblem>,
}

impl KbCheckReport {
    /// Problems of the knowledge base itself, not of the network.
    pub fn offenders(&self) -> impl Iterator<Item = &KbProblem> {
        self.problems
            .iter()
            .filter(|p| p.state != CrateState::Unavailable)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KbProblem {
    /// `knowledge/<file>:<line>:<column>` of the entry or rule.
    pub place: String,
    /// The npm name or pattern, or the policy rule's subject.
    pub subject: String,
    #[serde(rename = "crate")]
    pub krate: String,
    /// `stale`, `missing`, `missing-feature` or `unavailable`.
    pub state: CrateState,
    pub version: Option<String>,
    pub pubtime: Option<String>,
    pub message: String,
}

/// A crate reference to check, and where it is written.
struct Reference<'kb> {
    origin: &'kb Origin,
    subject: String,
    spec: CrateSpec,
}

/// Every crate the knowledge base names: entries' crates and alternatives,
/// and the crates and features of the policy rules.
pub fn crate_names(kb: &KnowledgeBase) -> Vec<String> {
    references(kb)
        .into_iter()
        .map(|r| r.spec.name)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn spec(name: &str, features: Vec<String>) -> CrateSpec {
    CrateSpec {
        name: name.to_owned(),
        features,
        default_features: true,
        // A rule names a crate some entry recommends; its age is that entry's concern.
        stable: true,
    }
}

fn references(kb: &KnowledgeBase) -> Vec<Reference<'_>> {
    let mut out = Vec::new();
    for entry in kb.entries() {
        for c in entry.all_crates() {
            out.push(Reference {
                origin: &entry.origin,
                subject: entry.npm.clone(),
                spec: c.clone(),
            });
        }
    }
    let policy = kb.policy();
    for job in &policy.jobs {
        for name in &job.crates {
            out.push(Reference {
                origin: &job.origin,
                subject: format!("job {:?}", job.title),
                spec: spec(name, Vec::new()),
            });
        }
    }
    for stack in &policy.stacks {
        for c in &stack.crates {
            let features: BTreeSet<String> = c
                .features
                .values()
                .chain(c.select.values())
                .flatten()
                .cloned()
                .collect();
            out.push(Reference {
                origin: &c.origin,
                subject: format!("stack {:?}", stack.title),
                spec: spec(&c.name, features.into_iter().collect()),
            });
        }
    }
    for rule in &policy.exclusives {
        out.push(Reference {
            origin: &rule.origin,
            subject: format!("exclusive features of {}", rule.krate),
            spec: spec(&rule.krate, rule.features.clone()),
        });
    }
    out
}

pub fn check(
    kb: &KnowledgeBase,
    lookups: &HashMap<String, Lookup>,
    index: IndexInfo,
    now: Timestamp,
    stale_after_months: u32,
) -> KbCheckReport {
    let before = stale_before(now, stale_after_months);
    let references = references(kb);
    let mut problems: Vec<KbProblem> = references
        .iter()
        .filter_map(|r| {
            let report = resolve_crate(
                &r.spec,
                lookups.get(&r.spec.name),
                before,
                stale_after_months,
            );
            let message = match report.state {
                CrateState::Ok => return None,
                CrateState::Stale => format!(
                    "{}; replace it, or mark it `stable = true` with the reason in the note",
                    report.detail.as_deref().unwrap_or("stale")
                ),
                _ => report.detail.clone().unwrap_or_default(),
            };
            Some(KbProblem {
                place: r.origin.to_string(),
                subject: r.subject.clone(),
                krate: r.spec.name.clone(),
                state: report.state,
                version: report.version,
                pubtime: report.pubtime,
                message,
            })
        })
        .collect();
    problems.sort_by(|a, b| (place_key(&a.place), &a.krate).cmp(&(place_key(&b.place), &b.krate)));
    let policy = kb.policy();
    KbCheckReport {
        schema_version: SCHEMA_VERSION,
        checked_at: now.to_string(),
        stale_after_months,
        index,
        entries: kb.entries().len()
            + policy.jobs.len()
            + policy.stacks.len()
            + policy.exclusives.len(),
        crates: references
            .iter()
            .map(|r| r.spec.name.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        references: references.len(),
        problems,
    }
}

/// `knowledge/a.toml:12:1` sorted by file, then line as a number.
fn place_key(place: &str) -> (&str, usize) {
    let mut parts = place.rsplitn(3, ':');
    let _column = parts.next();
    let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
    (parts.next().unwrap_or(place), line)
}
