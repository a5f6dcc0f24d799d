//! Reading the history with gix: one walk for every service.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path};

use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice};
use gix::prelude::ObjectIdExt;
use jiff::Timestamp;

use super::git::{self, TimeRange};
use super::*;

const SECONDS_PER_DAY: i64 = 86_400;

/// Reads the history of the repository containing `start` (searching
/// upwards) once, and summarises it for each of `services`.
///
/// Merge commits are skipped, like `git log --no-merges`: the commits they
/// bring in are counted on their own. See the module docs for what counts.
///
/// # Errors
/// When `start` is not inside a git repository, the repository has no
/// commits, a service path lies outside it, or reading objects fails.
pub fn analyze(
    start: &Path,
    services: &[ServicePaths],
    opts: &HistoryOptions,
) -> Result<History, HistoryError> {
    let mut repo = gix::discover(start).map_err(|err| {
        let not_found = matches!(
            err.downcast_any_ref::<gix::discover::upwards::Error>(),
            Some(
                gix::discover::upwards::Error::NoGitRepository { .. }
                    | gix::discover::upwards::Error::NoGitRepositoryWithinCeiling { .. }
                    | gix::discover::upwards::Error::NoGitRepositoryWithinFs { .. }
            )
        );
        if not_found {
            HistoryError::NotARepository {
                path: start.to_owned(),
            }
        } else {
            git_error(start, &err)
        }
    })?;
    let given_root = repo.workdir().unwrap_or(repo.git_dir()).to_owned();
    let root = std::fs::canonicalize(&given_root).unwrap_or_else(|_| given_root.clone());
    let fail = |err: &gix::Error| git_error(&root, err);

    let prefixes = services
        .iter()
        .map(|service| {
            service
                .paths
                .iter()
                .map(|path| {
                    repo_relative(&root, &given_root, path).ok_or_else(|| {
                        HistoryError::OutsideRepository {
                            path: path.clone(),
                            service: service.name.clone(),
                            repository: root.clone(),
                        }
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let roots = diff_roots(prefixes.iter().flatten());

    let head = repo
        .head()
        .map_err(|e| fail(&e))?
        .id()
        .map(gix::Id::detach)
        .ok_or_else(|| HistoryError::NoCommits { path: root.clone() })?;
    let shallow = repo.is_shallow().map_err(|e| fail(&e))?;
    repo.object_cache_size_if_unset(git::OBJECT_CACHE_BYTES);

    let now = opts.now.as_second();
    let longest = opts.windows_days.iter().copied().max();
    let detail = TimeRange::days_before(now, longest.unwrap_or(0));
    let walk = git::walk(&repo, head, &roots, detail).map_err(|e| fail(&e))?;

    // Classified once, shared by every service the commit touches.
    let signals: Vec<Vec<SignalKind>> = walk
        .commits
        .iter()
        .map(|c| {
            c.message
                .as_ref()
                .map(|m| signals::classify(&m.to_str_lossy()))
                .unwrap_or_default()
        })
        .collect();
    let summaries = services
        .iter()
        .zip(&prefixes)
        .map(|(service, prefixes)| {
            summarize(
                &repo,
                &service.name,
                prefixes,
                &walk,
                &signals,
                detail,
                opts,
            )
        })
        .collect();
    let file_commits = opts
        .file_commits_days
        .map(|days| file_commits(&walk, TimeRange::days_before(now, days)))
        .unwrap_or_default();
    Ok(History {
        file_commits,
        repository: root,
        head: head.attach(&repo).shorten_or_id().to_string(),
        shallow,
        commits_walked: walk.walked,
        services: summaries,
    })
}

/// Per file, the numbers of the commits in `range` that changed it.
fn file_commits(walk: &git::Walk, range: TimeRange) -> BTreeMap<String, Vec<u32>> {
    let mut out: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let in_range = walk.commits.iter().filter(|c| range.contains(c.time));
    for (number, commit) in (0u32..).zip(in_range) {
        for change in &commit.files {
            for path in [Some(&change.path), change.source_path.as_ref()]
                .into_iter()
                .flatten()
            {
                let commits = out.entry(path.to_str_lossy().into_owned()).or_default();
                if commits.last() != Some(&number) {
                    commits.push(number);
                }
            }
        }
    }
    out
}

fn git_error(path: &Path, err: &gix::Error) -> HistoryError {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    HistoryError::Git {
        path: path.to_owned(),
        message,
    }
}

/// `path` as a `/`-separated path relative to the repository root (`""` for
/// the root itself), or `None` when it lies outside.
fn repo_relative(root: &Path, given_root: &Path, path: &Path) -> Option<BString> {
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        root.join(path)
    };
    // Compare canonical paths where they exist (symlinked temp dirs), the
    // spelling as given otherwise (a service directory deleted since).
    let canonical = std::fs::canonicalize(&absolute).ok();
    let relative = [
        (canonical.as_deref(), root),
        (Some(absolute.as_path()), given_root),
    ]
    .into_iter()
    .find_map(|(path, root)| path?.strip_prefix(root).ok())?;
    let mut out = BString::default();
    for component in relative.components() {
        match component {
            Component::Normal(part) => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(gix::path::os_str_into_bstr(part).ok()?);
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// The smallest set of directories covering every prefix: a path nested in
/// another is diffed as part of it, so no file's lines are counted twice.
fn diff_roots<'a>(prefixes: impl Iterator<Item = &'a BString>) -> Vec<BString> {
    let mut all: Vec<&BString> = prefixes.collect();
    all.sort();
    all.dedup();
    let mut roots: Vec<BString> = Vec::new();
    for prefix in all {
        // Sorted order puts a parent before its descendants.
        if !roots
            .iter()
            .any(|root| is_under(root.as_ref(), prefix.as_ref()))
        {
            roots.push(prefix.clone());
        }
    }
    roots
}

/// Whether `path` is `prefix` or lies below it.
fn is_under(prefix: &BStr, path: &BStr) -> bool {
    prefix.is_empty()
        || path
            .strip_prefix(prefix.as_bytes())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"/"))
}

/// Per-window running totals.
#[derive(Default)]
struct WindowTotals {
    commits: usize,
    added: u64,
    removed: u64,
    by_author: HashMap<usize, usize>,
}

fn summarize(
    repo: &gix::Repository,
    name: &str,
    prefixes: &[BString],
    walk: &git::Walk,
    signals: &[Vec<SignalKind>],
    longest: TimeRange,
    opts: &HistoryOptions,
) -> ServiceHistory {
    let now = opts.now.as_second();
    let under = |path: &BStr| prefixes.iter().any(|p| is_under(p.as_ref(), path));
    let ranges: Vec<TimeRange> = opts
        .windows_days
        .iter()
        .map(|days| TimeRange::days_before(now, *days))
        .collect();

    let mut first: Option<i64> = None;
    let mut last: Option<i64> = None;
    let mut totals: Vec<WindowTotals> = ranges.iter().map(|_| WindowTotals::default()).collect();
    let mut files: HashMap<&BStr, (usize, u64)> = HashMap::new();
    let mut found: Vec<(i64, ObjectId, &BString, &[SignalKind])> = Vec::new();

    for (commit, kinds) in walk.commits.iter().zip(signals) {
        let mut touched = commit
            .files
            .iter()
            .filter_map(|f| {
                // A file renamed out of the service still changed it.
                let path = [Some(&f.path), f.source_path.as_ref()]
                    .into_iter()
                    .flatten()
                    .find(|p| under(p.as_ref()))?;
                Some((path.as_ref(), f.lines.unwrap_or_default()))
            })
            .peekable();
        if touched.peek().is_none() {
            continue;
        }
        let touched: Vec<(&BStr, git::Lines)> = touched.collect();
        first = Some(first.map_or(commit.time, |t| t.min(commit.time)));
        last = Some(last.map_or(commit.time, |t| t.max(commit.time)));
        let added: u64 = touched.iter().map(|(_, l)| u64::from(l.added)).sum();
        let removed: u64 = touched.iter().map(|(_, l)| u64::from(l.removed)).sum();
        for (range, total) in ranges.iter().zip(&mut totals) {
            if range.contains(commit.time) {
                total.commits += 1;
                total.added += added;
                total.removed += removed;
                *total.by_author.entry(commit.author).or_default() += 1;
            }
        }
        if longest.contains(commit.time) {
            for (path, lines) in &touched {
                let entry = files.entry(path).or_default();
                entry.0 += 1;
                entry.1 += u64::from(lines.added) + u64::from(lines.removed);
            }
            if let (false, Some(message)) = (kinds.is_empty(), &commit.message) {
                found.push((commit.time, commit.id, message, kinds));
            }
        }
    }

    let age_days = first.map(|t| (now.saturating_sub(t) as f64 / SECONDS_PER_DAY as f64).max(0.0));
    let windows = opts
        .windows_days
        .iter()
        .zip(totals)
        .map(|(days, total)| window(*days, age_days, total, &walk.authors))
        .collect();

    let mut hottest: Vec<FileChurn> = files
        .into_iter()
        .map(|(path, (commits, lines_changed))| FileChurn {
            path: path.to_str_lossy().into_owned(),
            commits,
            lines_changed,
        })
        .collect();
    hottest.sort_by(|a, b| {
        (b.commits, b.lines_changed)
            .cmp(&(a.commits, a.lines_changed))
            .then_with(|| a.path.cmp(&b.path))
    });
    hottest.truncate(opts.hottest_files);

    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut signal_counts = BTreeMap::new();
    let correctness_signals = found
        .into_iter()
        .map(|(time, id, message, kinds)| {
            for kind in kinds {
                *signal_counts.entry(*kind).or_default() += 1;
            }
            CorrectnessSignal {
                commit: id.attach(repo).shorten_or_id().to_string(),
                date: timestamp(time),
                summary: message
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_str_lossy()
                    .trim()
                    .to_owned(),
                kinds: kinds.to_vec(),
            }
        })
        .collect();

    ServiceHistory {
        name: name.to_owned(),
        first_commit: first.map(timestamp),
        last_commit: last.map(timestamp),
        // A pinned `now` older than the history would make ages negative.
        age_days,
        windows,
        hottest_files: hottest,
        correctness_signals,
        signal_counts,
    }
}

fn window(
    days: u32,
    age_days: Option<f64>,
    total: WindowTotals,
    authors: &[git::Author],
) -> Window {
    let mut stats: Vec<AuthorStat> = total
        .by_author
        .into_iter()
        .map(|(index, commits)| AuthorStat {
            name: authors[index].name.clone(),
            email: authors[index].email.clone(),
            commits,
        })
        .collect();
    stats.sort_by(|a, b| {
        b.commits
            .cmp(&a.commits)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.email.cmp(&b.email))
    });
    let ratio = |part: usize, whole: f64| {
        if whole > 0.0 {
            part as f64 / whole
        } else {
            0.0
        }
    };
    Window {
        days,
        commits: total.commits,
        // Over the weeks the code existed in the window: six weeks of daily
        // commits are daily commits, not a quiet quarter. At least one week,
        // so a first day's burst is not a rate.
        commits_per_week: ratio(
            total.commits,
            (age_days.map_or(f64::from(days), |age| age.min(f64::from(days))) / 7.0).max(1.0),
        ),
        lines_added: total.added,
        lines_removed: total.removed,
        distinct_authors: stats.len(),
        top_author_share: ratio(stats.first().map_or(0, |a| a.commits), total.commits as f64),
        authors: stats,
    }
}

/// Commit times were checked to be in range when read.
fn timestamp(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::{diff_roots, is_under};
    use gix::bstr::BString;

    #[test]
    fn prefixes_match_whole_components() {
        assert!(is_under("server".into(), "server/a.ts".into()));
        assert!(is_under("server".into(), "server".into()));
        assert!(!is_under("server".into(), "server2/a.ts".into()));
        assert!(is_under("".into(), "anything".into()));
    }

    #[test]
    fn nested_prefixes_share_one_root() {
        let prefixes: Vec<BString> = ["app/ui", "app", "server", "app-web", "app2"]
            .into_iter()
            .map(BString::from)
            .collect();
        assert_eq!(
            diff_roots(prefixes.iter()),
            ["app", "app-web", "app2", "server"]
        );
    }
}
