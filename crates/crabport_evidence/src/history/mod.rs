//! Git history evidence: how often, how much and by whom each service's code
//! changes, and which commits name numeric or null-handling bugs. Read with
//! gix; nothing here runs `git`.
//!
//! ## What counts
//! - **Merge commits are skipped** everywhere (like `git log --no-merges`):
//!   the commits they bring in are walked on their own, so counting the merge
//!   too would count the same change twice.
//! - A commit belongs to a service when its diff against its first parent
//!   (the empty tree for a root commit) touches a file under one of the
//!   service's paths.
//! - Times are **committer** times, as `git log --since` uses: when a change
//!   landed, not when it was first written.
//! - Lines come from blob diffs and only for commits inside the longest
//!   window; binary files count as changed but add no lines. Renames are
//!   detected in those commits (an exact move adds no churn).
//! - In a shallow clone the oldest commit's changes are unknown and it is left
//!   out, so `first_commit` and `age_days` are lower bounds.

//!
//! The data types are always built; reading a repository (gix) needs the
//! `git` feature, so the pure decision engine can use the types without
//! building a git implementation.

#[cfg(feature = "git")]
mod git;
#[cfg(feature = "git")]
mod read;
mod signals;

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;
use serde::Serialize;

#[cfg(feature = "git")]
pub use read::analyze;
pub use signals::SignalKind;

/// A service and the directories that hold its code.
#[derive(Debug, Clone)]
pub struct ServicePaths {
    pub name: String,
    /// Absolute directories (or files) of the service. Relative paths are
    /// taken relative to the repository root; in a bare repository the root
    /// is the git directory.
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// The end of every window; pass `crabport_core::clock::now()`.
    pub now: Timestamp,
    /// Window lengths in days, e.g. `[90, 365]`.
    pub windows_days: Vec<u32>,
    /// How many files to list in [`ServiceHistory::hottest_files`].
    pub hottest_files: usize,
    /// Also list, per file, the commits of the last this many days that
    /// touched it ([`History::file_commits`]): what per-route churn is
    /// counted from.
    pub file_commits_days: Option<u32>,
}

impl HistoryOptions {
    /// The defaults crabport reports with: 90 and 365 days, 10 hottest files.
    pub fn new(now: Timestamp) -> Self {
        HistoryOptions {
            now,
            windows_days: vec![90, 365],
            hottest_files: 10,
            file_commits_days: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The work tree (the git directory for a bare repository).
    pub repository: PathBuf,
    /// HEAD's abbreviated commit id.
    pub head: String,
    pub shallow: bool,
    /// Every commit reachable from HEAD, merges included.
    pub commits_walked: usize,
    /// In the order the services were given.
    pub services: Vec<ServiceHistory>,
    /// With [`HistoryOptions::file_commits_days`]: repository-relative path
    /// → the commits in that window that changed it (numbered from 0, the
    /// same number for the same commit across files; a rename counts for
    /// both names). Files outside every service are not listed.
    #[serde(skip)]
    pub file_commits: BTreeMap<String, Vec<u32>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceHistory {
    pub name: String,
    pub first_commit: Option<Timestamp>,
    pub last_commit: Option<Timestamp>,
    /// Days from the first commit touching the service to `now`.
    pub age_days: Option<f64>,
    /// One per requested window, in the order requested.
    pub windows: Vec<Window>,
    /// In the longest window: paths relative to the repository root, most
    /// commits first, then most lines changed.
    pub hottest_files: Vec<FileChurn>,
    /// In the longest window, newest first.
    pub correctness_signals: Vec<CorrectnessSignal>,
    /// Commits per kind among `correctness_signals`.
    pub signal_counts: BTreeMap<SignalKind, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub days: u32,
    pub commits: usize,
    /// Commits per week over the part of the window the code existed (at
    /// least one week).
    pub commits_per_week: f64,
    pub lines_added: u64,
    pub lines_removed: u64,
    /// Most commits first.
    pub authors: Vec<AuthorStat>,
    pub distinct_authors: usize,
    /// The top author's share of the window's commits, 0 to 1.
    pub top_author_share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthorStat {
    pub name: String,
    pub email: String,
    pub commits: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileChurn {
    pub path: String,
    pub commits: usize,
    pub lines_changed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CorrectnessSignal {
    /// Abbreviated commit id.
    pub commit: String,
    pub date: Timestamp,
    /// The message's first line.
    pub summary: String,
    pub kinds: Vec<SignalKind>,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{path}: not inside a git repository", path = .path.display())]
    NotARepository { path: PathBuf },
    #[error("{path}: the git repository has no commits yet", path = .path.display())]
    NoCommits { path: PathBuf },
    #[error(
        "{path}: path of service {service:?} is outside the git repository at {repository}",
        path = .path.display(),
        repository = .repository.display()
    )]
    OutsideRepository {
        path: PathBuf,
        service: String,
        repository: PathBuf,
    },
    #[error("{path}: reading git history failed: {message}", path = .path.display())]
    Git { path: PathBuf, message: String },
}
