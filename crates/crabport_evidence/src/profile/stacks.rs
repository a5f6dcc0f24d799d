//! Which share of the busy time passes through given functions: a route's
//! handler is on the stack of every sample taken while serving it.

use std::collections::HashMap;

use super::model::{CpuProfile, Kind};
use super::sources::local_path;

/// A function to look for on the samples' stacks: the file by its path
/// relative to the project (`src/routes/users.js`, matched against the end of
/// the script URL's path, so a profile recorded in another checkout still
/// maps), and the 1-based line its definition starts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FunctionSite {
    pub file: String,
    pub line: u32,
}

/// [`busy_shares_through`]'s answer.
#[derive(Debug, Clone, Default)]
pub struct StackShares {
    /// Per site, in the order given: the share of busy time (every sample
    /// but `(idle)`) whose stack passes through the function, 0 to 1.
    pub shares: Vec<f64>,
    /// Per site: whether any frame of the profiles is that function.
    pub seen: Vec<bool>,
    /// Busy time of all the profiles together.
    pub busy_ms: f64,
}

/// For each of `sites`, the share of the profiles' busy time spent with that
/// function on the stack. A sample counts once per site however deep the
/// recursion; shares of different sites overlap when one calls the other.
pub fn busy_shares_through(profiles: &[&CpuProfile], sites: &[FunctionSite]) -> StackShares {
    let mut by_line: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, site) in sites.iter().enumerate() {
        by_line.entry(site.line).or_default().push(i);
    }
    let mut through_us = vec![0.0; sites.len()];
    let mut seen = vec![false; sites.len()];
    let mut busy_us = 0.0;
    for profile in profiles {
        let own: Vec<Vec<usize>> = profile
            .nodes
            .iter()
            .map(|node| {
                let (Some(line), Some(path)) = (node.line, local_path(&node.url)) else {
                    return Vec::new();
                };
                let path = path.to_string_lossy().replace('\\', "/");
                by_line.get(&line).map_or_else(Vec::new, |candidates| {
                    candidates
                        .iter()
                        .copied()
                        .filter(|&i| ends_with_file(&path, &sites[i].file))
                        .collect()
                })
            })
            .collect();
        for &site in own.iter().flatten() {
            seen[site] = true;
        }
        let on_stack = stack_sites(&profile.parents, &own);
        for &(node, us) in &profile.samples {
            if profile.nodes[node].kind == Kind::Idle {
                continue;
            }
            busy_us += us;
            for &site in &on_stack[node] {
                through_us[site] += us;
            }
        }
    }
    StackShares {
        shares: through_us
            .iter()
            .map(|&us| if busy_us > 0.0 { us / busy_us } else { 0.0 })
            .collect(),
        seen,
        busy_ms: busy_us / 1000.0,
    }
}

/// `path` is `file` or ends with `/file`.
fn ends_with_file(path: &str, file: &str) -> bool {
    path.strip_suffix(file)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('/'))
}

/// Per node, the sites of it and of every caller up to the root, each once.
fn stack_sites(parents: &[Option<usize>], own: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut memo: Vec<Option<Vec<usize>>> = vec![None; parents.len()];
    for start in 0..parents.len() {
        // The chain up to the first node already known, then back down.
        let mut chain = Vec::new();
        let mut at = Some(start);
        while let Some(node) = at {
            if memo[node].is_some() || chain.len() > parents.len() {
                break;
            }
            chain.push(node);
            at = parents[node];
        }
        let mut inherited = at.and_then(|n| memo[n].clone()).unwrap_or_default();
        for &node in chain.iter().rev() {
            for &site in &own[node] {
                if !inherited.contains(&site) {
                    inherited.push(site);
                }
            }
            memo[node] = Some(inherited.clone());
        }
    }
    memo.into_iter().map(Option::unwrap_or_default).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_stack_and_skip_idle() {
        // root → handler (line 10) → helper (line 20); root → other; idle.
        let text = serde_json::json!({
            "nodes": [
                { "id": 1, "callFrame": { "functionName": "(root)", "url": "", "lineNumber": -1 }, "children": [2, 4, 5] },
                { "id": 2, "callFrame": { "functionName": "handler", "url": "file:///srv/app/src/routes.js", "lineNumber": 9 }, "children": [3] },
                { "id": 3, "callFrame": { "functionName": "helper", "url": "file:///srv/app/src/lib.js", "lineNumber": 19 } },
                { "id": 4, "callFrame": { "functionName": "other", "url": "file:///srv/app/src/routes.js", "lineNumber": 29 } },
                { "id": 5, "callFrame": { "functionName": "(idle)", "url": "", "lineNumber": -1 } }
            ],
            "startTime": 0, "endTime": 1000,
            "samples": [2, 3, 3, 4, 5, 5, 5, 5, 5, 5],
            "timeDeltas": [0, 100, 100, 100, 100, 100, 100, 100, 100, 100]
        })
        .to_string();
        let profile = crate::profile::parse(std::path::Path::new("p.cpuprofile"), &text).unwrap();
        let sites = [
            FunctionSite {
                file: "src/routes.js".into(),
                line: 10,
            },
            FunctionSite {
                file: "src/routes.js".into(),
                line: 30,
            },
            FunctionSite {
                file: "routes.js".into(),
                line: 99,
            },
            // Same line, another file.
            FunctionSite {
                file: "app/src/lib.js".into(),
                line: 10,
            },
        ];
        let got = busy_shares_through(&[&profile], &sites);
        assert_eq!(got.busy_ms, 0.4);
        assert_eq!(got.shares, [0.75, 0.25, 0.0, 0.0]);
        assert_eq!(got.seen, [true, true, false, false]);
        assert!(!ends_with_file("/srv/xsrc/routes.js", "src/routes.js"));
    }
}
