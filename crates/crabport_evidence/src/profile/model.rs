//! The `.cpuprofile` format as read, and the checked profile built from it.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use super::BuiltinCategory;

/// The JSON as `node --cpu-prof` writes it; unknown fields are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawProfile {
    nodes: Vec<RawNode>,
    /// Microseconds on a monotonic clock, as are the deltas.
    start_time: f64,
    end_time: f64,
    samples: Vec<u64>,
    time_deltas: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNode {
    id: u64,
    call_frame: RawCallFrame,
    #[serde(default)]
    children: Vec<u64>,
    /// Trace-event profiles link child to parent instead of listing children.
    parent: Option<u64>,
    #[serde(default)]
    position_ticks: Vec<RawTick>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCallFrame {
    #[serde(default)]
    function_name: String,
    #[serde(default)]
    url: String,
    /// 0-based; -1 for native frames.
    #[serde(default = "minus_one")]
    line_number: i64,
}

fn minus_one() -> i64 {
    -1
}

#[derive(Deserialize)]
struct RawTick {
    /// 1-based source line.
    line: u32,
    ticks: u64,
}

/// What a sample in this node means for the idle/busy split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `(idle)`: waiting in the event loop.
    Idle,
    /// `(garbage collector)`.
    Gc,
    /// `(program)` and `(root)`: native work outside any JS frame.
    Program,
    /// A JS function, a native callback or a compiled regex.
    Code,
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    /// `(anonymous)` when the profile has no name.
    pub name: String,
    pub url: String,
    /// 1-based line the function starts on.
    pub line: Option<u32>,
    pub kind: Kind,
    pub builtin: Option<BuiltinCategory>,
    /// Self-time samples per 1-based source line: (line, ticks).
    pub position_ticks: Vec<(u32, u64)>,
    /// Ticks on lines that call `JSON.parse`/`stringify` (set from sources).
    pub json_ticks: u64,
}

impl Node {
    pub fn total_ticks(&self) -> u64 {
        self.position_ticks.iter().map(|&(_, ticks)| ticks).sum()
    }
}

/// A checked CPU profile: every sample names a node and has a duration.
#[derive(Debug, Clone)]
pub struct CpuProfile {
    pub(super) nodes: Vec<Node>,
    /// Per sample, in time order: the node index and how long the sample
    /// lasted in microseconds (until the next sample; the last one until
    /// `endTime`).
    pub(super) samples: Vec<(usize, f64)>,
    /// Per node, its caller's index (`None` for the root).
    pub(super) parents: Vec<Option<usize>>,
    start_time: f64,
    end_time: f64,
    pub(super) unchecked_sources: BTreeSet<String>,
}

impl CpuProfile {
    /// `startTime` as recorded, in microseconds.
    pub fn start_time_us(&self) -> f64 {
        self.start_time
    }

    /// `endTime` as recorded, in microseconds.
    pub fn end_time_us(&self) -> f64 {
        self.end_time
    }

    pub fn sample_count(&self) -> usize {
        self.samples.len()
    }

    /// Wall time the samples cover, from the first sample to `endTime`.
    pub fn duration_ms(&self) -> f64 {
        self.samples.iter().map(|&(_, us)| us).sum::<f64>() / 1000.0
    }

    /// Source files whose hot lines could not be checked for JSON calls.
    pub fn unchecked_sources(&self) -> impl Iterator<Item = &str> {
        self.unchecked_sources.iter().map(String::as_str)
    }

    /// Self time per node, in microseconds.
    pub(super) fn self_times_us(&self) -> Vec<f64> {
        let mut times = vec![0.0; self.nodes.len()];
        for &(node, us) in &self.samples {
            times[node] += us;
        }
        times
    }

    /// Checks the raw profile; the error names the offending field.
    pub(super) fn from_raw(raw: RawProfile) -> Result<Self, String> {
        if raw.end_time < raw.start_time {
            return Err(format!(
                "endTime ({}) is before startTime ({})",
                raw.end_time, raw.start_time
            ));
        }
        let mut index = HashMap::with_capacity(raw.nodes.len());
        for (i, node) in raw.nodes.iter().enumerate() {
            if index.insert(node.id, i).is_some() {
                return Err(format!("nodes[{i}]: id {} appears twice", node.id));
            }
        }
        // `field` is only formatted for the error.
        let lookup = |id: u64, field: std::fmt::Arguments<'_>| {
            index
                .get(&id)
                .copied()
                .ok_or_else(|| format!("{field}: node id {id} is not in \"nodes\""))
        };

        let mut parents = vec![None; raw.nodes.len()];
        for (i, node) in raw.nodes.iter().enumerate() {
            for (c, &child) in node.children.iter().enumerate() {
                parents[lookup(child, format_args!("nodes[{i}].children[{c}]"))?] = Some(i);
            }
            if let Some(parent) = node.parent {
                parents[i] = Some(lookup(parent, format_args!("nodes[{i}].parent"))?);
            }
        }

        if raw.samples.len() != raw.time_deltas.len() {
            return Err(format!(
                "\"samples\" has {} entries but \"timeDeltas\" has {}; each sample needs a delta",
                raw.samples.len(),
                raw.time_deltas.len()
            ));
        }
        if raw.samples.is_empty() {
            return Err("no samples: the profile records no time".to_owned());
        }
        let mut timed = Vec::with_capacity(raw.samples.len());
        let mut at = raw.start_time;
        for (i, (&id, &delta)) in raw.samples.iter().zip(&raw.time_deltas).enumerate() {
            at += delta;
            if !at.is_finite() {
                return Err(format!("timeDeltas[{i}]: the sample time overflows"));
            }
            if at < raw.start_time {
                return Err(format!(
                    "timeDeltas[{i}]: negative deltas put this sample at {at}, before startTime ({})",
                    raw.start_time
                ));
            }
            timed.push((lookup(id, format_args!("samples[{i}]"))?, at));
        }
        // V8 occasionally records a sample slightly out of order (a small
        // negative delta); DevTools sorts by timestamp, and so do we, rather
        // than reject an otherwise sound profile.
        if !timed.is_sorted_by(|a, b| a.1 <= b.1) {
            timed.sort_by(|a, b| a.1.total_cmp(&b.1));
        }
        let mut samples = Vec::with_capacity(timed.len());
        for (i, &(node, at)) in timed.iter().enumerate() {
            let until = timed.get(i + 1).map_or(raw.end_time, |&(_, next)| next);
            // A last sample stamped after endTime lasts no time, not negative time.
            samples.push((node, (until - at).max(0.0)));
        }
        if samples.iter().all(|&(_, us)| us == 0.0) {
            return Err(format!(
                "the samples cover no time (the last sample is at {}, endTime is {})",
                timed.last().map_or(raw.start_time, |&(_, at)| at),
                raw.end_time
            ));
        }

        let mut nodes: Vec<Node> = raw.nodes.into_iter().map(Node::from_raw).collect();
        inherit_builtins(&mut nodes, &parents);
        Ok(Self {
            nodes,
            samples,
            parents,
            start_time: raw.start_time,
            end_time: raw.end_time,
            unchecked_sources: BTreeSet::new(),
        })
    }
}

impl Node {
    fn from_raw(raw: RawNode) -> Self {
        let RawCallFrame {
            function_name,
            url,
            line_number,
        } = raw.call_frame;
        let kind = match (function_name.as_str(), url.is_empty()) {
            ("(idle)", true) => Kind::Idle,
            ("(garbage collector)", true) => Kind::Gc,
            ("(program)" | "(root)", true) => Kind::Program,
            _ => Kind::Code,
        };
        let builtin = (kind == Kind::Code)
            .then(|| frame_builtin(&function_name, &url))
            .flatten();
        let name = if function_name.is_empty() {
            "(anonymous)".to_owned()
        } else {
            function_name
        };
        let line = u32::try_from(line_number)
            .ok()
            .and_then(|l| l.checked_add(1));
        Self {
            name,
            url,
            line,
            kind,
            builtin,
            position_ticks: raw
                .position_ticks
                .into_iter()
                .map(|t| (t.line, t.ticks))
                .collect(),
            json_ticks: 0,
        }
    }

    /// A native frame: no script, so no URL (and not a regex, which has its own).
    fn is_native(&self) -> bool {
        self.kind == Kind::Code && self.url.is_empty() && self.builtin.is_none()
    }
}

/// The built-in family a frame belongs to by its own name and URL.
fn frame_builtin(name: &str, url: &str) -> Option<BuiltinCategory> {
    if url.is_empty() && name.starts_with("RegExp: ") {
        Some(BuiltinCategory::Regex)
    } else if url == "node:crypto" || url.starts_with("node:internal/crypto/") {
        Some(BuiltinCategory::Crypto)
    } else if url == "node:zlib" {
        Some(BuiltinCategory::Compression)
    } else {
        None
    }
}

/// A native frame (a C++ binding such as a hash's `update`) does the work of
/// the JS frame that called it, so it joins the nearest caller's family.
fn inherit_builtins(nodes: &mut [Node], parents: &[Option<usize>]) {
    for i in 0..nodes.len() {
        if !nodes[i].is_native() {
            continue;
        }
        let mut at = parents[i];
        // Bounded: a malformed profile may link nodes in a cycle.
        for _ in 0..nodes.len() {
            let Some(p) = at else { break };
            if !nodes[p].is_native() {
                nodes[i].builtin = nodes[p].builtin;
                break;
            }
            at = parents[p];
        }
    }
}
