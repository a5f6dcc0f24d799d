//! From answers to a verdict, with no I/O: each request's three answers go
//! in as they arrive; noise learnt from the two baselines applies to every
//! request of the route, earlier ones included, so classification waits for
//! the end. Only differences are kept, never bodies, so memory grows with
//! what differs, not with what was replayed.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::compare::{self, CompareOptions, Difference, Kind, Part, PointerPattern};
use crate::exchange::Request;
use crate::replay::{Failure, Outcome};
use crate::report::{
    DifferenceGroup, FailedRequest, Method, NoiseField, NoiseSource, ParityReport, RequestRef,
    RouteReport, SCHEMA_VERSION, Tally,
};

/// An explicit ignore rule (`[[parity.ignore]]` in crabport.toml).
#[derive(Debug, Clone)]
pub struct Ignore {
    pub target: IgnoreTarget,
    /// Only on this route (`GET /users/:id`); every route when `None`.
    pub route: Option<String>,
    /// Where the rule is written (`crabport.toml:14`), for the evidence.
    pub origin: String,
}

#[derive(Debug, Clone)]
pub enum IgnoreTarget {
    /// Body fields under this pattern.
    Pointer(PointerPattern),
    /// A response header (lower-case).
    Header(String),
}

impl Ignore {
    /// Whether this rule ignores `d` on `route`.
    pub fn covers(&self, route: &str, d: &Difference) -> bool {
        if self.route.as_deref().is_some_and(|r| r != route) {
            return false;
        }
        match (&self.target, d.part) {
            (IgnoreTarget::Pointer(p), Part::Body) => p.matches_prefix_of(&d.pointer),
            (IgnoreTarget::Header(name), Part::Header) => {
                d.pointer.strip_prefix('/') == Some(name.as_str())
            }
            _ => false,
        }
    }

    fn part(&self) -> Part {
        match self.target {
            IgnoreTarget::Pointer(_) => Part::Body,
            IgnoreTarget::Header(_) => Part::Header,
        }
    }

    fn pointer(&self) -> String {
        match &self.target {
            IgnoreTarget::Pointer(p) => p.as_str().to_owned(),
            IgnoreTarget::Header(h) => format!("/{h}"),
        }
    }
}

/// Noise is matched by where it is and whether the field was there at all:
/// a request id whose value differs between the baselines is noise when
/// the candidate's value differs too, not when the candidate drops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Class {
    Presence,
    Content,
}

fn class(kind: Kind) -> Class {
    match kind {
        Kind::Missing | Kind::Extra => Class::Presence,
        _ => Class::Content,
    }
}

/// Noise learnt while serving (`crabport proxy`), for one route: where two
/// answers of the same side to the same request differed. Unlike
/// [`Analysis`] it classifies as it goes: a field is noise from the first
/// request whose two answers differed there, which for request ids and
/// timestamps is the request itself.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct LearnedNoise {
    fields: Vec<LearnedField>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LearnedField {
    pub part: Part,
    /// The pointer pattern (array indices as `*`).
    #[serde(rename = "pointer")]
    pub pattern: String,
    #[serde(skip)]
    class: Class,
    /// Requests whose two answers differed here.
    pub seen: u64,
    /// The first two values seen.
    pub first: Option<String>,
    pub second: Option<String>,
}

impl LearnedNoise {
    /// At most this many fields per route: a route whose answers differ
    /// everywhere is not a route whose noise can be learnt.
    const LIMIT: usize = 64;

    /// The differences between two answers of the same side to one request.
    pub fn learn(&mut self, differences: &[Difference]) {
        let mut counted: Vec<usize> = Vec::new();
        for d in differences {
            let class = class(d.kind);
            let at = self
                .fields
                .iter()
                .position(|f| f.part == d.part && f.class == class && f.pattern == d.pattern);
            let at = match at {
                Some(at) => at,
                None if self.fields.len() < Self::LIMIT => {
                    self.fields.push(LearnedField {
                        part: d.part,
                        pattern: d.pattern.clone(),
                        class,
                        seen: 0,
                        first: d.baseline.clone(),
                        second: d.candidate.clone(),
                    });
                    self.fields.len() - 1
                }
                None => continue,
            };
            if !counted.contains(&at) {
                self.fields[at].seen += 1;
                counted.push(at);
            }
        }
    }

    /// Whether `d` (primary vs shadow) is where the primary disagrees with
    /// itself, in the same way.
    pub fn covers(&self, d: &Difference) -> bool {
        let class = class(d.kind);
        self.fields
            .iter()
            .any(|f| f.part == d.part && f.class == class && f.pattern == d.pattern)
    }

    pub fn fields(&self) -> &[LearnedField] {
        &self.fields
    }
}

type NoiseKey = (String, Part, String, Class);
type GroupKey = (String, Part, String, Kind);

struct NoiseSeen {
    /// Requests of the route where the baselines differed here.
    seen: usize,
    example: (Option<String>, Option<String>),
    absorbed: usize,
}

struct Group {
    count: usize,
    requests: usize,
    /// (request index, size) of the smallest request so far, and its difference.
    reproducer: (usize, usize, Difference),
}

enum Verdict {
    Failed,
    /// Group ids of its candidate differences (after explicit ignores),
    /// and whether an explicit ignore absorbed any.
    Compared {
        groups: Vec<usize>,
        ignored: bool,
    },
}

struct Seen {
    route: usize,
    verdict: Verdict,
}

/// Collects the comparisons of one parity run.
pub struct Analysis<'a> {
    compare: &'a CompareOptions,
    ignores: &'a [Ignore],
    routes: Vec<String>,
    route_index: HashMap<String, usize>,
    /// Per route: requests compared against the secondary.
    secondary_compared: Vec<usize>,
    noise: BTreeMap<NoiseKey, NoiseSeen>,
    /// Per ignore rule: candidate differences it absorbed.
    ignore_absorbed: Vec<usize>,
    group_index: HashMap<GroupKey, usize>,
    groups: Vec<(GroupKey, Group)>,
    requests: Vec<Seen>,
    failed: Vec<FailedRequest>,
}

impl<'a> Analysis<'a> {
    pub fn new(compare: &'a CompareOptions, ignores: &'a [Ignore]) -> Self {
        Self {
            compare,
            ignores,
            routes: Vec::new(),
            route_index: HashMap::new(),
            secondary_compared: Vec::new(),
            noise: BTreeMap::new(),
            ignore_absorbed: vec![0; ignores.len()],
            group_index: HashMap::new(),
            groups: Vec::new(),
            requests: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// The answers to request number `index` (its position in the replay).
    pub fn observe(
        &mut self,
        index: usize,
        request: &Request,
        route: &str,
        baseline: &Outcome,
        secondary: Option<&Outcome>,
        candidate: &Outcome,
    ) {
        let route_id = self.route_id(route);
        let fail = |target: &str, failure: &Failure, failed: &mut Vec<FailedRequest>| {
            failed.push(FailedRequest {
                route: route.to_owned(),
                request: request_ref(index, request),
                target: target.to_owned(),
                kind: failure.kind,
                detail: failure.detail.clone(),
            });
        };
        if let Some(Outcome::Failed(f)) = secondary {
            fail("secondary", f, &mut self.failed);
        }
        let (base, cand) = match (baseline, candidate) {
            (Outcome::Answered(b), Outcome::Answered(c)) => (b, c),
            (b, c) => {
                for (name, outcome) in [("baseline", b), ("candidate", c)] {
                    if let Outcome::Failed(f) = outcome {
                        fail(name, f, &mut self.failed);
                    }
                }
                self.requests.push(Seen {
                    route: route_id,
                    verdict: Verdict::Failed,
                });
                return;
            }
        };
        if let Some(Outcome::Answered(second)) = secondary {
            self.secondary_compared[route_id] += 1;
            let mut seen_here: Vec<NoiseKey> = Vec::new();
            for d in compare::compare(base, second, self.compare) {
                let key = (route.to_owned(), d.part, d.pattern.clone(), class(d.kind));
                let entry = self.noise.entry(key.clone()).or_insert_with(|| NoiseSeen {
                    seen: 0,
                    example: (d.baseline.clone(), d.candidate.clone()),
                    absorbed: 0,
                });
                if !seen_here.contains(&key) {
                    entry.seen += 1;
                    seen_here.push(key);
                }
            }
        }
        let size = request.target.len() + request.body.len();
        let mut groups = Vec::new();
        let mut ignored = false;
        for d in compare::compare(base, cand, self.compare) {
            if let Some(rule) = self.ignores.iter().position(|i| i.covers(route, &d)) {
                self.ignore_absorbed[rule] += 1;
                ignored = true;
                continue;
            }
            let key = (route.to_owned(), d.part, d.pattern.clone(), d.kind);
            let id = match self.group_index.get(&key) {
                Some(&id) => id,
                None => {
                    let id = self.groups.len();
                    self.group_index.insert(key.clone(), id);
                    self.groups.push((
                        key,
                        Group {
                            count: 0,
                            requests: 0,
                            reproducer: (index, size, d.clone()),
                        },
                    ));
                    id
                }
            };
            let group = &mut self.groups[id].1;
            group.count += 1;
            if !groups.contains(&id) {
                group.requests += 1;
                groups.push(id);
                // Strictly smaller: among equals the earliest request stays.
                if size < group.reproducer.1 {
                    group.reproducer = (index, size, d);
                }
            }
        }
        self.requests.push(Seen {
            route: route_id,
            verdict: Verdict::Compared { groups, ignored },
        });
    }

    fn route_id(&mut self, route: &str) -> usize {
        if let Some(&id) = self.route_index.get(route) {
            return id;
        }
        let id = self.routes.len();
        self.routes.push(route.to_owned());
        self.route_index.insert(route.to_owned(), id);
        self.secondary_compared.push(0);
        id
    }

    /// Classifies every request now that all noise is known. `requests` is
    /// the replayed list, for the reproducers.
    pub fn finish(
        mut self,
        requests: &[Request],
        method: Method,
        warnings: Vec<String>,
    ) -> ParityReport {
        // Which groups are noise: the two baselines differed at the same
        // place, in the same way, on the same route.
        let group_is_noise: Vec<bool> = self
            .groups
            .iter()
            .map(|((route, part, pattern, kind), group)| {
                let key = (route.clone(), *part, pattern.clone(), class(*kind));
                match self.noise.get_mut(&key) {
                    Some(seen) => {
                        seen.absorbed += group.count;
                        true
                    }
                    None => false,
                }
            })
            .collect();

        let mut tallies = vec![Tally::default(); self.routes.len()];
        for seen in &self.requests {
            let tally = &mut tallies[seen.route];
            tally.requests += 1;
            match &seen.verdict {
                Verdict::Failed => tally.failed += 1,
                Verdict::Compared { groups, ignored } => {
                    if groups.iter().any(|&g| !group_is_noise[g]) {
                        tally.different += 1;
                    } else if groups.is_empty() && !ignored {
                        tally.identical += 1;
                    } else {
                        tally.noise += 1;
                    }
                }
            }
        }

        let min_parity = method.min_parity;
        let mut total = Tally::default();
        let routes: Vec<RouteReport> = self
            .routes
            .iter()
            .zip(&tallies)
            .map(|(route, t)| {
                total.requests += t.requests;
                total.identical += t.identical;
                total.noise += t.noise;
                total.different += t.different;
                total.failed += t.failed;
                let parity = t.parity();
                RouteReport {
                    route: route.clone(),
                    requests: t.requests,
                    identical: t.identical,
                    noise: t.noise,
                    different: t.different,
                    failed: t.failed,
                    parity,
                    passed: parity >= min_parity,
                }
            })
            .collect();

        let route_order = &self.route_index;
        let mut differences: Vec<DifferenceGroup> = self
            .groups
            .into_iter()
            .zip(&group_is_noise)
            .filter(|(_, noise)| !**noise)
            .map(|(((route, part, pattern, kind), group), _)| {
                let (index, _, d) = group.reproducer;
                DifferenceGroup {
                    route,
                    request: request_ref(index, &requests[index]),
                    part,
                    pointer: d.pointer,
                    pattern,
                    kind,
                    description: kind.describe(),
                    baseline: d.baseline,
                    candidate: d.candidate,
                    count: group.count,
                    requests: group.requests,
                }
            })
            .collect();
        // Routes in order of appearance, then the reproducer's order, then
        // the part of the answer.
        differences.sort_by(|a, b| {
            (route_order[&a.route], a.request.index, a.part).cmp(&(
                route_order[&b.route],
                b.request.index,
                b.part,
            ))
        });

        let mut noise: Vec<NoiseField> = self
            .noise
            .into_iter()
            .map(|((route, part, pattern, _), seen)| {
                let of = self.secondary_compared[route_order[&route]];
                NoiseField {
                    evidence: evidence(seen.seen, of, &seen.example),
                    route: Some(route),
                    part,
                    pointer: pattern,
                    source: NoiseSource::Secondary,
                    seen: seen.seen,
                    of,
                    absorbed: seen.absorbed,
                }
            })
            .collect();
        noise.sort_by(|a, b| {
            let order = |n: &NoiseField| n.route.as_ref().map(|r| route_order[r]);
            (order(a), a.part, &a.pointer).cmp(&(order(b), b.part, &b.pointer))
        });
        noise.extend(
            self.ignores
                .iter()
                .zip(&self.ignore_absorbed)
                .map(|(rule, &absorbed)| NoiseField {
                    route: rule.route.clone(),
                    part: rule.part(),
                    pointer: rule.pointer(),
                    source: NoiseSource::Config,
                    evidence: format!("ignored by the rule at {}", rule.origin),
                    seen: 0,
                    of: 0,
                    absorbed,
                }),
        );

        ParityReport {
            schema_version: SCHEMA_VERSION,
            tool: "crabport",
            tool_version: env!("CARGO_PKG_VERSION"),
            passed: routes.iter().all(|r| r.passed),
            method,
            total,
            routes,
            differences,
            noise,
            failed: self.failed,
            warnings,
        }
    }
}

fn evidence(seen: usize, of: usize, example: &(Option<String>, Option<String>)) -> String {
    let show = |v: &Option<String>| v.as_deref().unwrap_or("(absent)").to_owned();
    format!(
        "baseline and secondary differed on {seen} of {of} requests (e.g. {} vs {})",
        show(&example.0),
        show(&example.1)
    )
}

const BODY_PREVIEW: usize = 2048;

fn request_ref(index: usize, request: &Request) -> RequestRef {
    RequestRef {
        index,
        method: request.method.clone(),
        target: request.target.clone(),
        file: request.origin.file.clone(),
        line: request.origin.line,
        body: (!request.body.is_empty()).then(|| {
            let cut = request.body.len().min(BODY_PREVIEW);
            let mut text = String::from_utf8_lossy(&request.body[..cut]).into_owned();
            if cut < request.body.len() {
                text.push_str(&format!("… ({} more bytes)", request.body.len() - cut));
            }
            text
        }),
    }
}
