//! Time accounting over one or more checked profiles.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use super::model::{CpuProfile, Kind};
use super::sources::display_url;
use super::{
    BuiltinCategory, BuiltinShare, Classification, HotFunction, ProfileAnalysis, Thresholds,
};

/// A function across call paths and profiles: name, URL, line.
type FunctionKey<'a> = (&'a str, &'a str, Option<u32>);

/// How many functions [`ProfileAnalysis::hot_functions`] lists.
const HOT_FUNCTIONS: usize = 10;

/// Combines `profiles` (display path, profile): time is summed per category
/// and per function (by name, file and line) across them, and every share is
/// of the total wall time all the samples cover.
pub fn analyze(profiles: &[(PathBuf, CpuProfile)], thresholds: &Thresholds) -> ProfileAnalysis {
    let mut idle_us = 0.0;
    let mut gc_us = 0.0;
    let mut program_us = 0.0;
    let mut samples = 0u64;
    let mut functions: HashMap<FunctionKey<'_>, (f64, Option<BuiltinCategory>)> = HashMap::new();
    let mut builtins: BTreeMap<BuiltinCategory, f64> = BTreeMap::new();
    let mut unchecked = BTreeSet::new();

    for (_, profile) in profiles {
        samples += profile.samples.len() as u64;
        unchecked.extend(profile.unchecked_sources());
        for (node, self_us) in profile.nodes.iter().zip(profile.self_times_us()) {
            if self_us == 0.0 {
                continue;
            }
            match node.kind {
                Kind::Idle => idle_us += self_us,
                Kind::Gc => gc_us += self_us,
                Kind::Program => program_us += self_us,
                Kind::Code => {
                    program_us += self_us;
                    let entry = functions
                        .entry((&node.name, &node.url, node.line))
                        .or_insert((0.0, node.builtin));
                    entry.0 += self_us;
                    // Natives merged by name may sit under different callers.
                    entry.1 = entry.1.or(node.builtin);
                    // Ticks are counts, not durations: JSON gets the node's
                    // time in proportion to its ticks on JSON lines.
                    let total_ticks = node.total_ticks();
                    let json_us = if total_ticks == 0 {
                        0.0
                    } else {
                        self_us * node.json_ticks as f64 / total_ticks as f64
                    };
                    if json_us > 0.0 {
                        *builtins.entry(BuiltinCategory::Json).or_default() += json_us;
                    }
                    if let Some(category) = node.builtin {
                        *builtins.entry(category).or_default() += self_us - json_us;
                    }
                }
            }
        }
    }

    let total_us = idle_us + gc_us + program_us;
    let share = |us: f64| if total_us > 0.0 { us / total_us } else { 0.0 };

    let mut hot_functions: Vec<HotFunction> = functions
        .into_iter()
        .map(|((name, url, line), (self_us, builtin))| HotFunction {
            name: name.to_owned(),
            file: display_url(url),
            line,
            self_ms: self_us / 1000.0,
            self_share: share(self_us),
            builtin,
        })
        .collect();
    hot_functions.sort_by(|a, b| {
        b.self_ms
            .total_cmp(&a.self_ms)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
    });
    hot_functions.truncate(HOT_FUNCTIONS);

    let mut builtins: Vec<BuiltinShare> = builtins
        .into_iter()
        .filter(|&(_, us)| us > 0.0)
        .map(|(category, us)| BuiltinShare {
            category,
            self_ms: us / 1000.0,
            share: share(us),
        })
        .collect();
    builtins.sort_by(|a, b| b.self_ms.total_cmp(&a.self_ms));

    let idle_share = share(idle_us);
    let busy_share = share(program_us + gc_us);
    ProfileAnalysis {
        profiles: profiles
            .iter()
            .map(|(path, _)| path.display().to_string())
            .collect(),
        duration_ms: total_us / 1000.0,
        samples,
        idle_share,
        program_share: share(program_us),
        gc_share: share(gc_us),
        busy_share,
        hot_functions,
        builtins,
        classification: if total_us <= 0.0 {
            Classification::Mixed
        } else {
            thresholds.classify(busy_share, idle_share)
        },
        thresholds: *thresholds,
        unchecked_sources: unchecked.into_iter().map(str::to_owned).collect(),
    }
}
