//! The one set of `[dependencies]` a port builds with, from what every npm
//! package asks for. Merging is policy, not formatting: several packages may
//! ask for two crates that do one job (josekit and jsonwebtoken), for two TLS
//! stacks (lettre with native-tls beside rustls everywhere else), or for
//! features of one crate that exclude each other (jsonwebtoken's two crypto
//! backends). The knowledge base says which choices exist
//! (`knowledge/policy.toml`); this module makes them, one per job across the
//! whole block, and records each with its reason so every renderer can say
//! what was chosen and why.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::kb::Origin;
use crate::report::{CrateState, PackageReport, PackageStatus};

/// Crates that do the same job: a port needs one of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub title: String,
    /// In order of preference when as many packages need each.
    pub crates: Vec<String>,
    pub reason: String,
    pub origin: Origin,
}

/// A choice several crates make through their features (the TLS stack):
/// one option for the whole block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stack {
    pub title: String,
    /// In order of preference when as many crates use each.
    pub options: Vec<String>,
    pub crates: Vec<StackCrate>,
    pub reason: String,
    pub origin: Origin,
}

/// How one crate picks a [`Stack`] option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackCrate {
    pub name: String,
    /// Option → the features that select it.
    pub features: BTreeMap<String, Vec<String>>,
    /// Option → the features to add when the crate is switched to it;
    /// without an entry, the first of `features`.
    #[serde(default)]
    pub select: BTreeMap<String, Vec<String>>,
    /// The option the crate's default features select, if any.
    #[serde(default)]
    pub defaults: Option<String>,
    /// Where it is written; set by the loader.
    #[serde(skip)]
    pub origin: Origin,
}

/// Features of one crate of which at most one may be on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusive {
    pub krate: String,
    /// In order of preference when as many packages ask for each.
    pub features: Vec<String>,
    pub reason: String,
    pub origin: Origin,
}

/// Every choice the knowledge base lets the audit make.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub jobs: Vec<Job>,
    pub stacks: Vec<Stack>,
    pub exclusives: Vec<Exclusive>,
}

/// The dependency block a port starts from: plain data, rendered as
/// `--cargo-toml` and included in the JSON report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CargoPlan {
    /// One entry per crate, sorted by name.
    pub crates: Vec<PlannedCrate>,
    /// What the merge chose where the packages' needs conflicted.
    pub decisions: Vec<Decision>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedCrate {
    pub name: String,
    /// `null` when the index could not resolve it: the line is left for a person.
    pub version: Option<String>,
    /// Sorted.
    pub features: Vec<String>,
    pub default_features: bool,
    /// The npm packages it stands in for.
    pub replaces: Vec<String>,
    /// Why the crate needs a second look (stale, missing a feature …).
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    /// Two crates for one job: one kept.
    OneCratePerJob,
    /// Crates on different options of a stack (TLS): one option kept.
    OneStack,
    /// Mutually exclusive features of one crate: one kept.
    ExclusiveFeatures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub kind: DecisionKind,
    /// What was decided: the job, the stack, or `<crate> features`.
    pub subject: String,
    /// The crate, option or feature kept.
    pub chosen: String,
    /// What was left out.
    pub dropped: Vec<String>,
    /// The crates whose entry in the block changed.
    pub crates: Vec<String>,
    /// The npm packages that had asked for what was dropped.
    pub packages: Vec<String>,
    /// Why, in words: the knowledge base's reason and the count behind the choice.
    pub reason: String,
    /// Where the rule is written.
    pub source: String,
}

/// Said when counts are equal and the rule's order decided.
const TIE: &str = "; as many needed each, so the first in knowledge/policy.toml";

/// A crate while the block is being built.
struct Draft {
    version: Option<String>,
    features: Vec<String>,
    default_features: bool,
    replaces: Vec<String>,
    /// Feature → the npm packages that asked for it.
    asked: BTreeMap<String, BTreeSet<String>>,
    problem: Option<String>,
}

/// Builds the block from the production packages. `defaults_of` gives a
/// crate's default features on the index (to switch off a default that picks
/// the wrong stack); `None` when the index could not tell.
pub fn plan<'a>(
    packages: impl IntoIterator<Item = &'a PackageReport>,
    policy: &Policy,
    defaults_of: &dyn Fn(&str) -> Option<Vec<String>>,
) -> CargoPlan {
    let mut drafts: BTreeMap<String, Draft> = BTreeMap::new();
    for p in packages {
        if !matches!(
            p.status,
            PackageStatus::Equivalent | PackageStatus::Partial | PackageStatus::Std
        ) {
            continue;
        }
        for c in &p.crates {
            let d = drafts.entry(c.name.clone()).or_insert_with(|| Draft {
                version: None,
                features: Vec::new(),
                default_features: false,
                replaces: Vec::new(),
                asked: BTreeMap::new(),
                problem: None,
            });
            if d.version.is_none() {
                d.version.clone_from(&c.version);
            }
            for f in &c.features {
                if !d.features.contains(f) {
                    d.features.push(f.clone());
                }
                d.asked.entry(f.clone()).or_default().insert(p.npm.clone());
            }
            // Default features stay on unless every entry turns them off.
            d.default_features |= c.default_features;
            if !d.replaces.contains(&p.npm) {
                d.replaces.push(p.npm.clone());
            }
            if c.state != CrateState::Ok && d.problem.is_none() {
                d.problem = Some(match &c.detail {
                    Some(detail) => format!("{}: {detail}", c.state.code()),
                    None => c.state.code().to_owned(),
                });
            }
        }
    }

    let mut decisions = Vec::new();
    for job in &policy.jobs {
        one_crate_per_job(&mut drafts, job, &mut decisions);
    }
    for stack in &policy.stacks {
        one_stack(&mut drafts, stack, defaults_of, &mut decisions);
    }
    for exclusive in &policy.exclusives {
        exclusive_features(&mut drafts, exclusive, &mut decisions);
    }

    CargoPlan {
        crates: drafts
            .into_iter()
            .map(|(name, d)| {
                let mut features = d.features;
                features.sort_unstable();
                PlannedCrate {
                    name,
                    version: d.version,
                    features,
                    default_features: d.default_features,
                    replaces: d.replaces,
                    problem: d.problem,
                }
            })
            .collect(),
        decisions,
    }
}

fn one_crate_per_job(
    drafts: &mut BTreeMap<String, Draft>,
    job: &Job,
    decisions: &mut Vec<Decision>,
) {
    let present: Vec<(usize, &String)> = job
        .crates
        .iter()
        .enumerate()
        .filter(|(_, name)| drafts.contains_key(*name))
        .collect();
    if present.len() < 2 {
        return;
    }
    // The crate most packages need; on a tie, the knowledge base's order.
    let Some(&(_, winner)) = present
        .iter()
        .max_by_key(|(order, name)| (drafts[*name].replaces.len(), std::cmp::Reverse(*order)))
    else {
        return;
    };
    let winner = winner.clone();
    let count = |name: &str| drafts.get(name).map_or(0, |d| d.replaces.len());
    let tie = present
        .iter()
        .filter(|(_, name)| **name != winner)
        .any(|(_, name)| count(name) == count(&winner));
    let mut dropped = Vec::new();
    let mut packages = Vec::new();
    for (_, name) in present {
        if *name == winner {
            continue;
        }
        if let Some(loser) = drafts.remove(name) {
            packages.extend(loser.replaces.iter().cloned());
            if let Some(w) = drafts.get_mut(&winner) {
                for npm in loser.replaces {
                    if !w.replaces.contains(&npm) {
                        w.replaces.push(npm);
                    }
                }
            }
            dropped.push(name.clone());
        }
    }
    let kept_for = drafts.get(&winner).map_or(0, |w| w.replaces.len());
    decisions.push(Decision {
        kind: DecisionKind::OneCratePerJob,
        subject: job.title.clone(),
        chosen: winner.clone(),
        dropped,
        crates: vec![winner],
        packages,
        reason: format!(
            "{} (it now stands in for {kept_for} package(s){})",
            job.reason,
            if tie { TIE } else { "" }
        ),
        source: job.origin.to_string(),
    });
}

fn one_stack(
    drafts: &mut BTreeMap<String, Draft>,
    stack: &Stack,
    defaults_of: &dyn Fn(&str) -> Option<Vec<String>>,
    decisions: &mut Vec<Decision>,
) {
    // The options each crate of the block is on: named by a feature, or
    // picked by its default features.
    let on = |d: &Draft, rule: &StackCrate| -> BTreeSet<String> {
        let mut options: BTreeSet<String> = rule
            .features
            .iter()
            .filter(|(_, features)| features.iter().any(|f| d.features.contains(f)))
            .map(|(option, _)| option.clone())
            .collect();
        if options.is_empty() && d.default_features {
            options.extend(rule.defaults.clone());
        }
        options
    };
    let mut users: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for rule in &stack.crates {
        if let Some(d) = drafts.get(&rule.name) {
            for option in on(d, rule) {
                if let Some(o) = stack.options.iter().find(|o| **o == option) {
                    users.entry(o.as_str()).or_default().push(rule.name.clone());
                }
            }
        }
    }
    if users.len() < 2 {
        return;
    }
    let Some(chosen) = stack
        .options
        .iter()
        .enumerate()
        .filter(|(_, o)| users.contains_key(o.as_str()))
        .max_by_key(|(order, o)| (users[o.as_str()].len(), std::cmp::Reverse(*order)))
        .map(|(_, o)| o.clone())
    else {
        return;
    };
    let mut changed = Vec::new();
    let mut packages = BTreeSet::new();
    let mut caveats = Vec::new();
    for rule in &stack.crates {
        let Some(d) = drafts.get_mut(&rule.name) else {
            continue;
        };
        let options = on(d, rule);
        if options.iter().all(|o| *o == chosen) {
            continue;
        }
        let select: Vec<String> = match rule.select.get(&chosen) {
            Some(features) => features.clone(),
            None => rule
                .features
                .get(&chosen)
                .and_then(|f| f.first())
                .cloned()
                .into_iter()
                .collect(),
        };
        if select.is_empty() {
            caveats.push(format!(
                "{} has no {chosen} option and stays on {}",
                rule.name,
                options.into_iter().collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        let others: BTreeSet<&String> = rule
            .features
            .iter()
            .filter(|(o, _)| **o != chosen)
            .flat_map(|(_, f)| f)
            .collect();
        let mut asked_for_other: BTreeSet<String> = d
            .features
            .iter()
            .filter(|f| others.contains(f))
            .flat_map(|f| d.asked.get(f).into_iter().flatten().cloned())
            .collect();
        d.features.retain(|f| !others.contains(f));
        let picked_by_defaults =
            d.default_features && rule.defaults.as_ref().is_some_and(|o| *o != chosen);
        if picked_by_defaults {
            match defaults_of(&rule.name) {
                Some(defaults) => {
                    d.default_features = false;
                    for f in defaults.into_iter().filter(|f| !others.contains(f)) {
                        if !d.features.contains(&f) {
                            d.features.push(f);
                        }
                    }
                    if asked_for_other.is_empty() {
                        // Every package that took the defaults took that stack.
                        asked_for_other.extend(d.replaces.iter().cloned());
                    }
                }
                None => caveats.push(format!(
                    "{}'s default features pick {} and the index could not list them, so they stay on",
                    rule.name,
                    rule.defaults.as_deref().unwrap_or_default()
                )),
            }
        }
        let chosen_features = &rule.features[&chosen];
        if !d.features.iter().any(|f| chosen_features.contains(f)) {
            for f in select {
                if !d.features.contains(&f) {
                    d.features.push(f);
                }
            }
        }
        packages.extend(asked_for_other);
        changed.push(rule.name.clone());
    }
    let count = users.get(chosen.as_str()).map_or(0, Vec::len);
    let tie = users
        .iter()
        .any(|(o, crates)| *o != chosen && crates.len() == count);
    let total: BTreeSet<&String> = users.values().flatten().collect();
    let mut reason = format!(
        "{} ({count} of {} crates in the block were on {chosen}: {}{})",
        stack.reason,
        total.len(),
        users
            .get(chosen.as_str())
            .map(|c| c.join(", "))
            .unwrap_or_default(),
        if tie { TIE } else { "" }
    );
    for caveat in &caveats {
        reason.push_str("; ");
        reason.push_str(caveat);
    }
    decisions.push(Decision {
        kind: DecisionKind::OneStack,
        subject: stack.title.clone(),
        chosen: chosen.clone(),
        dropped: users
            .keys()
            .filter(|o| **o != chosen)
            .map(|o| (*o).to_owned())
            .collect(),
        crates: changed,
        packages: packages.into_iter().collect(),
        reason,
        source: stack.origin.to_string(),
    });
}

fn exclusive_features(
    drafts: &mut BTreeMap<String, Draft>,
    rule: &Exclusive,
    decisions: &mut Vec<Decision>,
) {
    let Some(d) = drafts.get_mut(&rule.krate) else {
        return;
    };
    let present: Vec<(usize, &String)> = rule
        .features
        .iter()
        .enumerate()
        .filter(|(_, f)| d.features.contains(f))
        .collect();
    if present.len() < 2 {
        return;
    }
    let asked = |f: &str| d.asked.get(f).map_or(0, BTreeSet::len);
    let Some(chosen) = present
        .iter()
        .max_by_key(|(order, f)| (asked(f), std::cmp::Reverse(*order)))
        .map(|(_, f)| (*f).clone())
    else {
        return;
    };
    let dropped: Vec<String> = present
        .iter()
        .map(|(_, f)| (*f).clone())
        .filter(|f| *f != chosen)
        .collect();
    let packages: BTreeSet<String> = dropped
        .iter()
        .flat_map(|f| d.asked.get(f).into_iter().flatten().cloned())
        .collect();
    let tie = dropped.iter().any(|f| asked(f) == asked(&chosen));
    let reason = format!(
        "{} ({} package(s) asked for {chosen}, {} for {}{})",
        rule.reason,
        asked(&chosen),
        dropped.iter().map(|f| asked(f)).sum::<usize>(),
        dropped.join(", "),
        if tie { TIE } else { "" }
    );
    d.features.retain(|f| !dropped.contains(f));
    decisions.push(Decision {
        kind: DecisionKind::ExclusiveFeatures,
        subject: format!("{} features", rule.krate),
        chosen,
        dropped,
        crates: vec![rule.krate.clone()],
        packages: packages.into_iter().collect(),
        reason,
        source: rule.origin.to_string(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::KnowledgeBase;
    use crate::report::CrateReport;
    use crabport_project::DependencyKind;

    fn package(npm: &str, crates: &[(&str, &[&str], bool)]) -> PackageReport {
        PackageReport {
            workspace: "app".into(),
            npm: npm.into(),
            npm_version: None,
            npm_spec: "^1".into(),
            dependency_kind: DependencyKind::Prod,
            status: PackageStatus::Equivalent,
            gap_kind: None,
            crates: crates
                .iter()
                .map(|(name, features, default_features)| CrateReport {
                    name: (*name).into(),
                    version: Some("1.0.0".into()),
                    features: features.iter().map(|f| (*f).to_owned()).collect(),
                    default_features: *default_features,
                    pubtime: None,
                    maintained: Some(true),
                    state: CrateState::Ok,
                    stable: false,
                    missing_features: Vec::new(),
                    rust_version: None,
                    detail: None,
                })
                .collect(),
            alternatives: Vec::new(),
            note: None,
            knowledge: None,
            native: false,
            hints: Vec::new(),
        }
    }

    fn real_policy() -> Policy {
        KnowledgeBase::embedded().unwrap().policy().clone()
    }

    fn lettre_defaults(name: &str) -> Option<Vec<String>> {
        (name == "lettre").then(|| {
            [
                "smtp-transport",
                "pool",
                "native-tls",
                "hostname",
                "builder",
            ]
            .map(String::from)
            .to_vec()
        })
    }

    fn planned<'p>(plan: &'p CargoPlan, name: &str) -> Option<&'p PlannedCrate> {
        plan.crates.iter().find(|c| c.name == name)
    }

    #[test]
    fn jsonwebtoken_gets_exactly_one_crypto_backend_and_says_which() {
        let packages = [
            package("jose", &[("jsonwebtoken", &["rust_crypto"], true)]),
            package("jsonwebtoken", &[("jsonwebtoken", &["rust_crypto"], true)]),
            package("aws-jwt-verify", &[("jsonwebtoken", &["aws_lc_rs"], true)]),
        ];
        let plan = plan(&packages, &real_policy(), &|_| None);
        assert_eq!(
            planned(&plan, "jsonwebtoken").unwrap().features,
            ["rust_crypto"]
        );
        let d = &plan.decisions[0];
        assert_eq!(d.kind, DecisionKind::ExclusiveFeatures);
        assert_eq!(
            (d.chosen.as_str(), d.dropped.as_slice()),
            ("rust_crypto", &["aws_lc_rs".to_owned()][..])
        );
        assert_eq!(d.packages, ["aws-jwt-verify"]);
        assert!(
            d.reason
                .contains("2 package(s) asked for rust_crypto, 1 for aws_lc_rs"),
            "{}",
            d.reason
        );
        assert!(
            d.source.starts_with("knowledge/policy.toml:"),
            "{}",
            d.source
        );
    }

    #[test]
    fn one_tls_stack_for_the_block_switches_lettre_to_rustls() {
        let packages = [
            package(
                "nodemailer",
                &[("lettre", &["tokio1", "tokio1-native-tls"], true)],
            ),
            package("axios", &[("reqwest", &["json"], true)]),
            package(
                "pg",
                &[("sqlx", &["runtime-tokio", "postgres", "tls-rustls"], true)],
            ),
        ];
        let plan = plan(&packages, &real_policy(), &lettre_defaults);
        let lettre = planned(&plan, "lettre").unwrap();
        assert!(
            !lettre.default_features,
            "lettre's defaults pick native-tls"
        );
        assert_eq!(
            lettre.features,
            [
                "aws-lc-rs",
                "builder",
                "hostname",
                "pool",
                "smtp-transport",
                "tokio1",
                "tokio1-rustls",
                "webpki-roots"
            ]
        );
        let d = plan
            .decisions
            .iter()
            .find(|d| d.kind == DecisionKind::OneStack)
            .unwrap();
        assert_eq!(d.chosen, "rustls");
        assert_eq!(d.dropped, ["native-tls"]);
        assert_eq!(d.crates, ["lettre"]);
        assert_eq!(d.packages, ["nodemailer"]);
        assert!(d.reason.contains("2 of 3 crates"), "{}", d.reason);
        // Untouched: reqwest's defaults are rustls already.
        assert!(planned(&plan, "reqwest").unwrap().default_features);
    }

    #[test]
    fn a_lone_native_tls_crate_is_left_as_the_knowledge_base_says() {
        let packages = [package(
            "nodemailer",
            &[("lettre", &["tokio1", "tokio1-native-tls"], true)],
        )];
        let plan = plan(&packages, &real_policy(), &lettre_defaults);
        assert!(plan.decisions.is_empty());
        assert_eq!(
            planned(&plan, "lettre").unwrap().features,
            ["tokio1", "tokio1-native-tls"]
        );
    }

    #[test]
    fn two_crates_for_one_job_become_the_one_most_packages_need() {
        let packages = [
            package("node-jose", &[("josekit", &[], true)]),
            package("jsonwebtoken", &[("jsonwebtoken", &["rust_crypto"], true)]),
            package("passport-jwt", &[("jsonwebtoken", &["rust_crypto"], true)]),
            package("@anthropic-ai/sdk", &[("genai", &[], true)]),
            package("langchain", &[("rig-core", &[], true)]),
        ];
        let plan = plan(&packages, &real_policy(), &|_| None);
        assert!(planned(&plan, "josekit").is_none());
        let jwt = planned(&plan, "jsonwebtoken").unwrap();
        assert_eq!(jwt.replaces, ["jsonwebtoken", "passport-jwt", "node-jose"]);
        // A tie goes to the knowledge base's order.
        assert!(planned(&plan, "rig-core").is_none());
        assert_eq!(
            planned(&plan, "genai").unwrap().replaces,
            ["@anthropic-ai/sdk", "langchain"]
        );
        let jobs: Vec<(&str, &str)> = plan
            .decisions
            .iter()
            .filter(|d| d.kind == DecisionKind::OneCratePerJob)
            .map(|d| (d.chosen.as_str(), d.dropped[0].as_str()))
            .collect();
        assert_eq!(jobs, [("jsonwebtoken", "josekit"), ("genai", "rig-core")]);
    }

    #[test]
    fn a_default_that_cannot_be_listed_stays_on_and_the_decision_says_so() {
        let packages = [
            package("nodemailer", &[("lettre", &["tokio1"], true)]),
            package("axios", &[("reqwest", &[], true)]),
        ];
        let plan = plan(&packages, &real_policy(), &|_| None);
        let d = &plan.decisions[0];
        assert!(d.reason.contains("could not list them"), "{}", d.reason);
        assert!(planned(&plan, "lettre").unwrap().default_features);
    }
}
