#![allow(clippy::unwrap_used, clippy::print_stderr)]
//! Git history evidence against real repositories made with the `git` CLI,
//! with fixed author and committer dates and a fixed `now`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crabport_evidence::history::{
    HistoryError, HistoryOptions, ServiceHistory, ServicePaths, SignalKind, analyze,
};
use jiff::Timestamp;
use tempfile::TempDir;

const NOW: &str = "2025-01-01T00:00:00Z";

struct Repo {
    dir: TempDir,
}

impl Repo {
    fn new() -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "-q", "-b", "main"], None);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str], date: Option<&str>) -> String {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            // `--author` overrides these for commits; merges use them.
            .env("GIT_AUTHOR_NAME", "CI")
            .env("GIT_AUTHOR_EMAIL", "ci@example.com")
            .env("GIT_COMMITTER_NAME", "CI")
            .env("GIT_COMMITTER_EMAIL", "ci@example.com");
        if let Some(date) = date {
            cmd.env("GIT_AUTHOR_DATE", date)
                .env("GIT_COMMITTER_DATE", date);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn write(&self, path: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    fn remove(&self, path: &str) -> &Self {
        std::fs::remove_file(self.path().join(path)).unwrap();
        self
    }

    /// Commits everything as `author` ("Name <email>") at `date` (RFC 3339).
    fn commit(&self, message: &str, date: &str, author: &str) -> &Self {
        self.git(&["add", "-A"], None);
        self.git(
            &[
                "commit",
                "-q",
                "--allow-empty",
                "--no-gpg-sign",
                "-m",
                message,
                "--author",
                author,
            ],
            Some(date),
        );
        self
    }

    fn service(&self, name: &str, dirs: &[&str]) -> ServicePaths {
        ServicePaths {
            name: name.to_owned(),
            paths: dirs.iter().map(|d| self.path().join(d)).collect(),
        }
    }

    fn analyze(&self, services: &[ServicePaths]) -> Vec<ServiceHistory> {
        analyze(self.path(), services, &options()).unwrap().services
    }
}

const ANN: &str = "Ann <ann@example.com>";
const BOB: &str = "Bob <bob@example.com>";

fn options() -> HistoryOptions {
    HistoryOptions::new(NOW.parse().unwrap())
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn windows_count_commits_by_committer_date() {
    let repo = Repo::new();
    repo.write("api/a.txt", "1\n")
        .commit("start", "2023-06-01T00:00:00Z", ANN)
        .write("api/a.txt", "2\n")
        .commit("mid-year", "2024-06-01T00:00:00Z", ANN)
        .write("api/a.txt", "3\n")
        .commit("autumn", "2024-11-01T00:00:00Z", ANN)
        .write("api/a.txt", "4\n")
        .commit("december", "2024-12-20T00:00:00Z", BOB);

    let history = analyze(repo.path(), &[repo.service("api", &["api"])], &options()).unwrap();
    assert!(!history.shallow);
    assert_eq!(history.commits_walked, 4);
    let api = &history.services[0];

    let days: Vec<u32> = api.windows.iter().map(|w| w.days).collect();
    assert_eq!(days, [90, 365]);
    assert_eq!(api.windows[0].commits, 2);
    assert!((api.windows[0].commits_per_week - 2.0 * 7.0 / 90.0).abs() < 1e-12);
    assert_eq!(api.windows[1].commits, 3);
    assert!((api.windows[1].commits_per_week - 3.0 * 7.0 / 365.0).abs() < 1e-12);

    assert_eq!(api.first_commit, Some(ts("2023-06-01T00:00:00Z")));
    assert_eq!(api.last_commit, Some(ts("2024-12-20T00:00:00Z")));
    // 2023-06-01 to 2025-01-01: 214 days of 2023 plus 366 of 2024.
    assert_eq!(api.age_days, Some(580.0));
}

#[test]
fn lines_added_and_removed_are_exact() {
    let repo = Repo::new();
    repo.write("api/a.txt", "one\ntwo\nthree\n")
        .write("api/b.txt", "x\ny\n")
        .commit("add", "2024-12-01T00:00:00Z", ANN) // +5
        .write("api/a.txt", "one\nTWO\nthree\nfour\n")
        .commit("edit", "2024-12-02T00:00:00Z", ANN) // +2 -1
        .remove("api/b.txt")
        .commit("delete", "2024-12-03T00:00:00Z", ANN) // -2
        .write("api/logo.png", b"\x89PNG\0\0\0binary\nstuff\n")
        .commit("binary", "2024-12-04T00:00:00Z", ANN); // no lines

    let api = &repo.analyze(&[repo.service("api", &["api"])])[0];
    let w = &api.windows[0];
    assert_eq!(w.commits, 4);
    assert_eq!((w.lines_added, w.lines_removed), (7, 3));

    let hottest: Vec<(&str, usize, u64)> = api
        .hottest_files
        .iter()
        .map(|f| (f.path.as_str(), f.commits, f.lines_changed))
        .collect();
    assert_eq!(
        hottest,
        [
            ("api/a.txt", 2, 6),
            ("api/b.txt", 2, 4),
            ("api/logo.png", 1, 0)
        ]
    );
}

#[test]
fn an_exact_rename_moves_no_lines() {
    let repo = Repo::new();
    repo.write("api/old.txt", "a\nb\nc\n")
        .commit("add", "2024-12-01T00:00:00Z", ANN)
        .remove("api/old.txt")
        .write("api/new.txt", "a\nb\nc\n")
        .commit("rename", "2024-12-02T00:00:00Z", ANN);

    let api = &repo.analyze(&[repo.service("api", &["api"])])[0];
    assert_eq!(api.windows[0].commits, 2);
    assert_eq!(
        (api.windows[0].lines_added, api.windows[0].lines_removed),
        (3, 0)
    );
}

#[test]
fn two_services_are_attributed_separately_and_files_outside_are_ignored() {
    let repo = Repo::new();
    repo.write("api/a.txt", "a\n")
        .commit("api only", "2024-12-01T00:00:00Z", ANN)
        .write("web/w.txt", "w\nw\n")
        .commit("web only", "2024-12-02T00:00:00Z", BOB)
        .write("api/a.txt", "a\nb\n")
        .write("web/w.txt", "w\n")
        .write("docs/readme.md", "lots\nof\ndocs\n")
        .commit("both and docs", "2024-12-03T00:00:00Z", ANN)
        .write("docs/readme.md", "nothing to see\n")
        .write("apiary/x.txt", "not the api\n")
        .commit(
            "docs and a look-alike directory",
            "2024-12-04T00:00:00Z",
            BOB,
        );

    let services = repo.analyze(&[
        repo.service("web", &["web"]),
        repo.service("api", &["api"]),
        repo.service("docs-less", &["nowhere"]),
    ]);
    let (web, api, none) = (&services[0], &services[1], &services[2]);
    assert_eq!((web.name.as_str(), api.name.as_str()), ("web", "api"));

    assert_eq!(api.windows[0].commits, 2);
    assert_eq!(
        (api.windows[0].lines_added, api.windows[0].lines_removed),
        (2, 0)
    );
    assert_eq!(api.last_commit, Some(ts("2024-12-03T00:00:00Z")));
    assert_eq!(api.windows[0].distinct_authors, 1);

    assert_eq!(web.windows[0].commits, 2);
    assert_eq!(
        (web.windows[0].lines_added, web.windows[0].lines_removed),
        (2, 1)
    );
    let web_authors: Vec<(&str, usize)> = web.windows[0]
        .authors
        .iter()
        .map(|a| (a.name.as_str(), a.commits))
        .collect();
    assert_eq!(web_authors, [("Ann", 1), ("Bob", 1)]);

    assert_eq!(none.windows[0].commits, 0);
    assert_eq!(none.first_commit, None);
    assert_eq!(none.age_days, None);
    assert!(none.hottest_files.is_empty());
}

#[test]
fn mailmap_merges_two_emails_of_one_author() {
    let repo = Repo::new();
    repo.write(
        ".mailmap",
        "Ann Example <ann@example.com>\nAnn Example <ann@example.com> <ANN@home.example>\n",
    )
    .write("api/a.txt", "1\n")
    .commit("work", "2024-12-01T00:00:00Z", "Ann <ann@example.com>")
    .write("api/a.txt", "2\n")
    .commit(
        "home",
        "2024-12-02T00:00:00Z",
        "ann at home <ann@home.example>",
    )
    .write("api/a.txt", "3\n")
    .commit("bob", "2024-12-03T00:00:00Z", BOB)
    .write("api/a.txt", "4\n")
    // No mailmap entry, but the same address in another case.
    .commit(
        "bob shouting",
        "2024-12-04T00:00:00Z",
        "Bob <BOB@EXAMPLE.COM>",
    )
    .write("api/a.txt", "5\n")
    .commit("ann again", "2024-12-05T00:00:00Z", "Ann <ann@example.com>");

    let api = &repo.analyze(&[repo.service("api", &["api"])])[0];
    let w = &api.windows[0];
    assert_eq!(w.distinct_authors, 2);
    let authors: Vec<(&str, &str, usize)> = w
        .authors
        .iter()
        .map(|a| (a.name.as_str(), a.email.as_str(), a.commits))
        .collect();
    assert_eq!(
        authors,
        [
            ("Ann Example", "ann@example.com", 3),
            ("Bob", "BOB@EXAMPLE.COM", 2)
        ]
    );
    assert!((w.top_author_share - 0.6).abs() < 1e-12);
}

#[test]
fn a_merge_commit_is_not_counted_twice() {
    let repo = Repo::new();
    repo.write("api/a.txt", "base\n")
        .commit("base", "2024-12-01T00:00:00Z", ANN);
    repo.git(&["checkout", "-q", "-b", "fix-null"], None);
    repo.write("api/b.txt", "b1\nb2\n")
        .commit("Fix null check", "2024-12-02T00:00:00Z", BOB);
    repo.git(&["checkout", "-q", "main"], None);
    repo.write("api/a.txt", "base\nmore\n")
        .commit("main work", "2024-12-03T00:00:00Z", ANN);
    repo.git(
        &[
            "merge",
            "-q",
            "--no-ff",
            "--no-gpg-sign",
            "-m",
            "Merge branch 'fix-null' (null handling)",
            "fix-null",
        ],
        Some("2024-12-04T00:00:00Z"),
    );

    let history = analyze(repo.path(), &[repo.service("api", &["api"])], &options()).unwrap();
    assert_eq!(history.commits_walked, 4);
    let api = &history.services[0];
    let w = &api.windows[0];
    assert_eq!(w.commits, 3);
    assert_eq!((w.lines_added, w.lines_removed), (4, 0));
    let summaries: Vec<&str> = api
        .correctness_signals
        .iter()
        .map(|s| s.summary.as_str())
        .collect();
    assert_eq!(summaries, ["Fix null check"]);
    assert_eq!(api.signal_counts.get(&SignalKind::NullUndefined), Some(&1));
}

#[test]
fn correctness_signals_match_whole_words_in_the_longest_window() {
    let repo = Repo::new();
    let messages = [
        ("Fix rounding of invoice totals", "2024-12-01T00:00:00Z"),
        ("Handle NaN in average\n\nbody text", "2024-12-02T00:00:00Z"),
        ("Use nanoseconds for timers", "2024-12-03T00:00:00Z"),
        ("Test JSON roundtrip", "2024-12-04T00:00:00Z"),
        (
            "Guard against TypeError\n\nCannot read properties of undefined (reading 'id')",
            "2024-12-05T00:00:00Z",
        ),
        (
            "Use decimals: floating-point precision",
            "2024-12-06T00:00:00Z",
        ),
        ("Make column nullable", "2024-12-07T00:00:00Z"),
        ("Old rounding fix", "2023-01-01T00:00:00Z"),
    ];
    for (i, (message, date)) in messages.iter().enumerate() {
        repo.write("api/a.txt", format!("{i}\n"))
            .commit(message, date, ANN);
    }
    repo.write("docs/x.md", "x\n")
        .commit("NaN in the docs only", "2024-12-08T00:00:00Z", ANN);

    let api = &repo.analyze(&[repo.service("api", &["api"])])[0];
    let found: Vec<(&str, &[SignalKind])> = api
        .correctness_signals
        .iter()
        .map(|s| (s.summary.as_str(), s.kinds.as_slice()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "Use decimals: floating-point precision",
                &[SignalKind::Precision][..]
            ),
            (
                "Guard against TypeError",
                &[SignalKind::NullUndefined, SignalKind::CannotReadProperty][..]
            ),
            ("Handle NaN in average", &[SignalKind::Nan][..]),
            (
                "Fix rounding of invoice totals",
                &[SignalKind::Rounding][..]
            ),
        ]
    );
    assert_eq!(api.correctness_signals[2].date, ts("2024-12-02T00:00:00Z"));
    assert_eq!(api.correctness_signals[2].commit.len(), 7);
    let counts: Vec<(SignalKind, usize)> =
        api.signal_counts.iter().map(|(k, n)| (*k, *n)).collect();
    assert_eq!(
        counts,
        [
            (SignalKind::Rounding, 1),
            (SignalKind::Nan, 1),
            (SignalKind::NullUndefined, 1),
            (SignalKind::CannotReadProperty, 1),
            (SignalKind::Precision, 1),
        ]
    );

    let json = serde_json::to_value(&api.correctness_signals[1]).unwrap();
    assert_eq!(
        json["kinds"],
        serde_json::json!(["null-undefined", "cannot-read-property"])
    );
}

#[test]
fn a_shallow_clone_leaves_out_the_commit_at_its_boundary() {
    let origin = Repo::new();
    for (i, date) in ["2024-10-01", "2024-11-01", "2024-12-01"]
        .iter()
        .enumerate()
    {
        origin.write("api/a.txt", format!("{i}\n")).commit(
            "change",
            &format!("{date}T00:00:00Z"),
            ANN,
        );
    }
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    origin.git(
        &[
            "clone",
            "-q",
            "--depth",
            "2",
            &url,
            clone.path().to_str().unwrap(),
        ],
        None,
    );

    let service = ServicePaths {
        name: "api".to_owned(),
        paths: vec![clone.path().join("api")],
    };
    let history = analyze(clone.path(), &[service], &options()).unwrap();
    assert!(history.shallow);
    assert_eq!(history.commits_walked, 2);
    // The boundary commit's parent is missing, so only the newest commit's
    // changes are known; diffing the boundary against nothing would claim it
    // added the whole tree.
    let api = &history.services[0];
    assert_eq!(api.windows[0].commits, 1);
    assert_eq!(
        (api.windows[0].lines_added, api.windows[0].lines_removed),
        (1, 1)
    );
    assert_eq!(api.first_commit, Some(ts("2024-12-01T00:00:00Z")));
}

#[test]
fn a_directory_outside_any_repository_is_not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let err = analyze(dir.path(), &[], &options()).unwrap_err();
    assert!(
        matches!(&err, HistoryError::NotARepository { path } if path == dir.path()),
        "{err:?}"
    );
    assert!(err.to_string().contains("not inside a git repository"));
}

#[test]
fn a_repository_without_commits_is_reported() {
    let repo = Repo::new();
    let err = analyze(repo.path(), &[], &options()).unwrap_err();
    assert!(matches!(err, HistoryError::NoCommits { .. }), "{err:?}");
}

#[test]
fn a_service_outside_the_repository_is_reported() {
    let repo = Repo::new();
    repo.write("api/a.txt", "a\n")
        .commit("add", "2024-12-01T00:00:00Z", ANN);
    let elsewhere = tempfile::tempdir().unwrap();
    let service = ServicePaths {
        name: "api".to_owned(),
        paths: vec![elsewhere.path().to_owned()],
    };
    let err = analyze(repo.path(), &[service], &options()).unwrap_err();
    assert!(
        matches!(&err, HistoryError::OutsideRepository { path, .. } if path == elsewhere.path()),
        "{err:?}"
    );
}

#[test]
fn discovery_starts_from_a_subdirectory() {
    let repo = Repo::new();
    repo.write("api/src/a.txt", "a\n")
        .commit("add", "2024-12-01T00:00:00Z", ANN);
    let history = analyze(
        &repo.path().join("api/src"),
        &[repo.service("api", &["api/src"])],
        &options(),
    )
    .unwrap();
    assert_eq!(
        history.repository,
        std::fs::canonicalize(repo.path()).unwrap()
    );
    assert_eq!(history.services[0].windows[1].commits, 1);
}

/// Times `analyze` on a large repository: `CRABPORT_HISTORY_REPO` (a clone of
/// github.com/outline/outline) with services `server`, `app` and `shared`. Run with
/// `CRABPORT_HISTORY_REPO=/path/to/outline cargo test --release -p crabport_evidence --test history -- --ignored --nocapture`.
#[test]
#[ignore = "needs a large repository on disk"]
fn time_analyze_on_a_large_repository() {
    let repo = PathBuf::from(std::env::var("CRABPORT_HISTORY_REPO").expect(
        "set CRABPORT_HISTORY_REPO to a clone of github.com/outline/outline (or another large repository)",
    ));
    assert!(repo.exists(), "{} does not exist", repo.display());
    let services: Vec<ServicePaths> = ["server", "app", "shared"]
        .into_iter()
        .map(|name| ServicePaths {
            name: name.to_owned(),
            paths: vec![repo.join(name)],
        })
        .collect();
    let now = crabport_core::clock::now().unwrap();
    let started = std::time::Instant::now();
    let history = analyze(&repo, &services, &HistoryOptions::new(now)).unwrap();
    let elapsed = started.elapsed();
    eprintln!(
        "analyze: {elapsed:.2?}, {} commits walked, head {}",
        history.commits_walked, history.head
    );
    for service in &history.services {
        let w = service.windows.last().unwrap();
        eprintln!(
            "  {}: {} commits/{}d, +{} -{}, {} authors, {} signals, age {:.0}d, hottest {:?}",
            service.name,
            w.commits,
            w.days,
            w.lines_added,
            w.lines_removed,
            w.distinct_authors,
            service.correctness_signals.len(),
            service.age_days.unwrap_or_default(),
            service.hottest_files.first().map(|f| &f.path),
        );
    }
}
