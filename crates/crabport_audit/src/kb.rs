//! The npm → crate knowledge base: `knowledge/*.toml`, embedded at build time.
//!
//! Files are parsed raw, then validated with their source positions, so
//! every problem (a bad status, a gap without a kind, a duplicate entry)
//! points at `file:line:column`, and a duplicate names both places.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crabport_core::{LineIndex, Position};

use crate::policy::{Exclusive, Job, Policy, Stack, StackCrate};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/knowledge_files.rs"));
}

/// What the knowledge base says of an npm package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Equivalent,
    Partial,
    Std,
    NotNeeded,
    Gap,
}

impl Status {
    pub const ALL: [Self; 5] = [
        Self::Equivalent,
        Self::Partial,
        Self::Std,
        Self::NotNeeded,
        Self::Gap,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Equivalent => "equivalent",
            Self::Partial => "partial",
            Self::Std => "std",
            Self::NotNeeded => "not-needed",
            Self::Gap => "gap",
        }
    }
}

/// Why a gap stays in Node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GapKind {
    VendorSdk,
    Dynamic,
    Browser,
    NoCrate,
}

impl GapKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::VendorSdk => "vendor-sdk",
            Self::Dynamic => "dynamic",
            Self::Browser => "browser",
            Self::NoCrate => "no-crate",
        }
    }
}

/// A crate to depend on, as an entry names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrateSpec {
    pub name: String,
    pub features: Vec<String>,
    pub default_features: bool,
    /// Feature-complete and rarely released: an old newest release is not abandonment.
    pub stable: bool,
}

impl<'de> Deserialize<'de> for CrateSpec {
    /// A bare crate name, or `{ name, features, default_features, stable }`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = CrateSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a crate name or a table { name, features, default_features, stable }")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<CrateSpec, E> {
                Ok(CrateSpec {
                    name: name.to_owned(),
                    features: Vec::new(),
                    default_features: true,
                    stable: false,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CrateSpec, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Table {
                    name: String,
                    #[serde(default)]
                    features: Vec<String>,
                    #[serde(default = "yes")]
                    default_features: bool,
                    #[serde(default)]
                    stable: bool,
                }
                fn yes() -> bool {
                    true
                }
                let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(CrateSpec {
                    name: t.name,
                    features: t.features,
                    default_features: t.default_features,
                    stable: t.stable,
                })
            }
        }
        deserializer.deserialize_any(SpecVisitor)
    }
}

/// Where an entry is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "knowledge/{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One knowledge-base entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Exact npm name or a `*` pattern.
    pub npm: String,
    pub status: Status,
    pub gap_kind: Option<GapKind>,
    pub crates: Vec<CrateSpec>,
    pub alternatives: Vec<CrateSpec>,
    pub native: bool,
    pub note: String,
    pub origin: Origin,
}

impl Entry {
    pub fn is_pattern(&self) -> bool {
        self.npm.contains('*')
    }

    /// Every crate the entry names, recommended first.
    pub fn all_crates(&self) -> impl Iterator<Item = &CrateSpec> {
        self.crates.iter().chain(&self.alternatives)
    }
}

/// A vendor's npm scope, for hints about packages the base does not know.
#[derive(Debug, Clone, Serialize)]
pub struct VendorScope {
    pub scope: String,
    pub vendor: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    package: Vec<Spanned<RawEntry>>,
    #[serde(default)]
    vendor: Vec<RawVendor>,
    /// Policy for the merged `[dependencies]` block (`policy.toml`).
    #[serde(default)]
    job: Vec<Spanned<RawJob>>,
    #[serde(default)]
    stack: Vec<Spanned<RawStack>>,
    #[serde(default)]
    exclusive: Vec<Spanned<RawExclusive>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    title: String,
    crates: Vec<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStack {
    title: String,
    options: Vec<String>,
    reason: String,
    #[serde(rename = "crate")]
    crates: Vec<Spanned<StackCrate>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExclusive {
    #[serde(rename = "crate")]
    krate: String,
    features: Vec<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVendor {
    scope: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    npm: Spanned<String>,
    status: Status,
    gap_kind: Option<Spanned<GapKind>>,
    #[serde(default)]
    crates: Vec<CrateSpec>,
    #[serde(default)]
    alternatives: Vec<CrateSpec>,
    #[serde(default)]
    native: bool,
    note: String,
}

/// A problem in a knowledge-base file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("knowledge/{file}:{position}: {message}")]
pub struct KbError {
    pub file: String,
    pub position: Position,
    pub message: String,
}

/// The loaded knowledge base.
#[derive(Debug, Default)]
pub struct KnowledgeBase {
    entries: Vec<Entry>,
    exact: HashMap<String, usize>,
    /// Pattern entries, most specific first.
    patterns: Vec<usize>,
    vendors: Vec<VendorScope>,
    policy: Policy,
}

/// How an npm name matched.
#[derive(Debug, Clone, Copy)]
pub enum Match<'kb> {
    Exact(&'kb Entry),
    Pattern(&'kb Entry),
}

impl<'kb> Match<'kb> {
    pub fn entry(self) -> &'kb Entry {
        match self {
            Self::Exact(e) | Self::Pattern(e) => e,
        }
    }
}

impl KnowledgeBase {
    /// The knowledge base compiled into this binary.
    ///
    /// # Errors
    /// Every problem found, each with its position.
    pub fn embedded() -> Result<Self, Vec<KbError>> {
        Self::from_files(embedded::FILES.iter().copied())
    }

    /// Parses and validates `(file name, text)` pairs.
    ///
    /// # Errors
    /// Every problem found, each with its position.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Vec<KbError>> {
        let mut kb = Self::default();
        let mut errors = Vec::new();
        for (file, text) in files {
            let lines = LineIndex::new(text);
            let at = |offset: usize, message: String| KbError {
                file: file.to_owned(),
                position: lines.position(offset),
                message,
            };
            let raw: RawFile = match toml::from_str(text) {
                Ok(raw) => raw,
                Err(e) => {
                    let offset = e.span().map_or(0, |s| s.start);
                    errors.push(at(offset, e.message().trim().to_owned()));
                    continue;
                }
            };
            kb.vendors
                .extend(raw.vendor.into_iter().map(|v| VendorScope {
                    scope: v.scope,
                    vendor: v.name,
                }));
            let origin_at = |offset: usize| Origin {
                file: file.to_owned(),
                line: lines.position(offset).line,
                column: 1,
            };
            for spanned in raw.job {
                let start = spanned.span().start;
                let job = spanned.into_inner();
                if job.crates.len() < 2 || job.reason.trim().is_empty() {
                    errors.push(at(
                        start,
                        format!("job {:?}: needs two or more crates and a reason", job.title),
                    ));
                }
                kb.policy.jobs.push(Job {
                    title: job.title,
                    crates: job.crates,
                    reason: job.reason.trim().to_owned(),
                    origin: origin_at(start),
                });
            }
            for spanned in raw.stack {
                let start = spanned.span().start;
                let stack = spanned.into_inner();
                let mut problem = |message: String| {
                    errors.push(at(start, format!("stack {:?}: {message}", stack.title)));
                };
                if stack.options.len() < 2 || stack.reason.trim().is_empty() {
                    problem("needs two or more options and a reason".into());
                }
                for c in stack.crates.iter().map(Spanned::get_ref) {
                    let unknown = c
                        .features
                        .keys()
                        .chain(c.select.keys())
                        .chain(&c.defaults)
                        .find(|o| !stack.options.contains(o));
                    if let Some(option) = unknown {
                        problem(format!(
                            "crate {:?} names option {option:?}, not one of {:?}",
                            c.name, stack.options
                        ));
                    }
                    if c.features.values().any(Vec::is_empty) {
                        problem(format!("crate {:?}: every option needs a feature", c.name));
                    }
                }
                let crates = stack
                    .crates
                    .into_iter()
                    .map(|c| {
                        let start = c.span().start;
                        StackCrate {
                            origin: origin_at(start),
                            ..c.into_inner()
                        }
                    })
                    .collect();
                kb.policy.stacks.push(Stack {
                    title: stack.title,
                    options: stack.options,
                    crates,
                    reason: stack.reason.trim().to_owned(),
                    origin: origin_at(start),
                });
            }
            for spanned in raw.exclusive {
                let start = spanned.span().start;
                let rule = spanned.into_inner();
                if rule.features.len() < 2 || rule.reason.trim().is_empty() {
                    errors.push(at(
                        start,
                        format!(
                            "exclusive features of {:?}: needs two or more features and a reason",
                            rule.krate
                        ),
                    ));
                }
                kb.policy.exclusives.push(Exclusive {
                    krate: rule.krate,
                    features: rule.features,
                    reason: rule.reason.trim().to_owned(),
                    origin: origin_at(start),
                });
            }
            for spanned in raw.package {
                let entry_start = spanned.span().start;
                let raw = spanned.into_inner();
                let npm_start = raw.npm.span().start;
                let npm = raw.npm.into_inner();
                let mut problem =
                    |message: String| errors.push(at(npm_start, format!("`{npm}`: {message}")));
                if npm.trim().is_empty() || npm.trim() != npm {
                    problem("the npm name must be non-empty with no surrounding spaces".into());
                }
                match (raw.status, &raw.gap_kind) {
                    (Status::Gap, None) => problem(
                        "status \"gap\" needs a gap_kind (vendor-sdk, dynamic, browser, no-crate)"
                            .into(),
                    ),
                    (status, Some(_)) if status != Status::Gap => {
                        problem(format!(
                            "gap_kind is only for status \"gap\", not {:?}",
                            status.code()
                        ));
                    }
                    _ => {}
                }
                match raw.status {
                    Status::Equivalent | Status::Partial if raw.crates.is_empty() => {
                        problem(format!(
                            "status {:?} needs at least one crate",
                            raw.status.code()
                        ));
                    }
                    Status::NotNeeded | Status::Gap if !raw.crates.is_empty() => problem(format!(
                        "status {:?} recommends no crate: move them to `alternatives`",
                        raw.status.code()
                    )),
                    _ => {}
                }
                if raw.note.trim().is_empty() {
                    problem("needs a note for the porting team".into());
                }
                let position = lines.position(entry_start.max(npm_start));
                let origin = Origin {
                    file: file.to_owned(),
                    line: position.line,
                    column: 1,
                };
                let index = kb.entries.len();
                let key = npm.to_ascii_lowercase();
                if key.contains('*') {
                    if let Some(&other) = kb
                        .patterns
                        .iter()
                        .find(|&&i| kb.entries[i].npm.eq_ignore_ascii_case(&npm))
                    {
                        problem(format!(
                            "duplicate entry: also at {}",
                            kb.entries[other].origin
                        ));
                    }
                    kb.patterns.push(index);
                } else if let Some(&other) = kb.exact.get(&key) {
                    problem(format!(
                        "duplicate entry: also at {}",
                        kb.entries[other].origin
                    ));
                } else {
                    kb.exact.insert(key, index);
                }
                kb.entries.push(Entry {
                    npm,
                    status: raw.status,
                    gap_kind: raw.gap_kind.map(Spanned::into_inner),
                    crates: raw.crates,
                    alternatives: raw.alternatives,
                    native: raw.native,
                    note: raw.note.trim().to_owned(),
                    origin,
                });
            }
        }
        // Most specific pattern first: the most literal characters.
        let entries = &kb.entries;
        kb.patterns.sort_by_key(|&i| {
            std::cmp::Reverse(entries[i].npm.chars().filter(|&c| c != '*').count())
        });
        if errors.is_empty() {
            Ok(kb)
        } else {
            Err(errors)
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The choices the merged `[dependencies]` block may make.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The entry for an npm package: exact name first, else the most specific pattern.
    pub fn lookup(&self, npm: &str) -> Option<Match<'_>> {
        let key = npm.to_ascii_lowercase();
        if let Some(&i) = self.exact.get(&key) {
            return Some(Match::Exact(&self.entries[i]));
        }
        self.patterns
            .iter()
            .map(|&i| &self.entries[i])
            .find(|e| wildcard_match(&e.npm.to_ascii_lowercase(), &key))
            .map(Match::Pattern)
    }

    /// The vendor owning the npm scope of `npm`, if the base lists it.
    pub fn vendor_of(&self, npm: &str) -> Option<&VendorScope> {
        let scope = npm.strip_prefix('@')?.split('/').next()?;
        self.vendors
            .iter()
            .find(|v| v.scope.trim_start_matches('@').eq_ignore_ascii_case(scope))
    }
}

/// `*` matches any run of characters (including `/`); everything else is literal.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return text.is_empty();
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<KnowledgeBase, Vec<KbError>> {
        KnowledgeBase::from_files([("test.toml", text)])
    }

    #[test]
    fn exact_beats_pattern_and_specific_beats_general() {
        let kb = load(
            r#"
[[package]]
npm = "@aws-sdk/*"
status = "partial"
crates = ["aws-config"]
note = "general"

[[package]]
npm = "@aws-sdk/client-*"
status = "equivalent"
crates = ["aws-config"]
note = "clients"

[[package]]
npm = "@aws-sdk/client-s3"
status = "equivalent"
crates = [{ name = "aws-sdk-s3", features = ["rt-tokio"] }]
note = "s3"
"#,
        )
        .unwrap();
        assert!(matches!(kb.lookup("@aws-sdk/client-s3"), Some(Match::Exact(e)) if e.note == "s3"));
        assert!(
            matches!(kb.lookup("@AWS-SDK/client-sqs"), Some(Match::Pattern(e)) if e.note == "clients")
        );
        assert!(
            matches!(kb.lookup("@aws-sdk/lib-storage"), Some(Match::Pattern(e)) if e.note == "general")
        );
        assert!(kb.lookup("aws-sdk").is_none());
        let s3 = kb.lookup("@aws-sdk/client-s3").unwrap().entry();
        assert_eq!(s3.crates[0].features, ["rt-tokio"]);
        assert_eq!(s3.origin.line, 15);
    }

    #[test]
    fn duplicates_name_both_places() {
        let errors = KnowledgeBase::from_files([
            (
                "a.toml",
                "[[package]]\nnpm = \"x\"\nstatus = \"std\"\nnote = \"n\"\n",
            ),
            (
                "b.toml",
                "\n[[package]]\nnpm = \"X\"\nstatus = \"std\"\nnote = \"n\"\n",
            ),
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        let text = errors[0].to_string();
        assert!(text.starts_with("knowledge/b.toml:3:"), "{text}");
        assert!(text.contains("also at knowledge/a.toml:"), "{text}");
    }

    #[test]
    fn semantic_errors_are_positioned() {
        let errors =
            load("[[package]]\nnpm = \"x\"\nstatus = \"gap\"\nnote = \"n\"\n").unwrap_err();
        assert_eq!(errors[0].position.line, 2);
        assert!(errors[0].message.contains("needs a gap_kind"));

        let errors =
            load("[[package]]\nnpm = \"x\"\nstatus = \"equivalent\"\nnote = \"n\"\n").unwrap_err();
        assert!(errors[0].message.contains("at least one crate"));

        let errors = load("[[package]]\nnpm = \"x\"\nstatus = \"gap\"\ngap_kind = \"dynamic\"\ncrates = [\"a\"]\nnote = \"n\"\n").unwrap_err();
        assert!(errors[0].message.contains("alternatives"));
    }

    #[test]
    fn syntax_and_schema_errors_are_positioned() {
        let errors =
            load("[[package]]\nnpm = \"x\"\nstatus = \"maybe\"\nnote = \"n\"\n").unwrap_err();
        assert_eq!(errors[0].position.line, 3);
        let errors = load("[[package]]\nnpm = \"x\"\nstatus = \"std\"\nnote = \"n\"\ncolour = 1\n")
            .unwrap_err();
        assert!(
            errors[0].message.contains("colour"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn vendor_scopes_hint_by_scope() {
        let kb = load("[[vendor]]\nscope = \"@azure\"\nname = \"Microsoft Azure\"\n").unwrap();
        assert_eq!(
            kb.vendor_of("@azure/new-thing").unwrap().vendor,
            "Microsoft Azure"
        );
        assert!(kb.vendor_of("azure").is_none());
        assert!(kb.vendor_of("@azurex/thing").is_none());
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("@types/*", "@types/node"));
        assert!(wildcard_match("lodash.*", "lodash.merge"));
        assert!(!wildcard_match("lodash.*", "lodash"));
        assert!(wildcard_match("*-loader", "babel-loader"));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
    }
}
