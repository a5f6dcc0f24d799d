//! Reading a repository's history with gix: one rev walk, then one tree diff
//! per commit restricted to the services' directories, plus blob diffs for
//! the commits whose line counts are wanted.

use std::collections::HashMap;
use std::ops::ControlFlow;

use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice, ByteVec};
use gix::diff::blob::ResourceKind;
use gix::diff::blob::platform::prepare_diff::Operation;
use gix::diff::tree::recorder::Location;
use gix::diff::tree_with_rewrites::Change;
use gix::error::ResultExt;
use gix::objs::tree::{EntryKind, EntryMode};
use gix::objs::{FindExt, TreeRefIter};
use rayon::prelude::*;

/// One identity after `.mailmap` resolution.
pub(super) struct Author {
    pub name: String,
    pub email: String,
    /// Commit time of the commit the displayed name and email came from.
    seen_at: i64,
}

/// A non-merge commit whose changes are known.
pub(super) struct Commit {
    pub id: ObjectId,
    /// Committer time, seconds since the Unix epoch.
    pub time: i64,
    /// Index into [`Walk::authors`].
    pub author: usize,
    /// The full message, kept only for commits whose details were asked for.
    pub message: Option<BString>,
    /// Files changed under the diff roots.
    pub files: Vec<FileChange>,
}

pub(super) struct FileChange {
    /// Repository-relative, `/`-separated.
    pub path: BString,
    /// For a rename: where the file came from.
    pub source_path: Option<BString>,
    /// `None` for binary files and for commits outside the detail range.
    pub lines: Option<Lines>,
}

#[derive(Clone, Copy, Default)]
pub(super) struct Lines {
    pub added: u32,
    pub removed: u32,
}

pub(super) struct Walk {
    pub commits: Vec<Commit>,
    pub authors: Vec<Author>,
    /// Every commit reached from HEAD, merges included.
    pub walked: usize,
}

/// The commits whose time lies in `(since, until]`.
#[derive(Clone, Copy)]
pub(super) struct TimeRange {
    since: i64,
    until: i64,
}

impl TimeRange {
    /// The `days` days up to and including `now` (seconds since the epoch).
    pub fn days_before(now: i64, days: u32) -> Self {
        TimeRange {
            since: now.saturating_sub(i64::from(days) * 86_400),
            until: now,
        }
    }

    pub fn contains(self, time: i64) -> bool {
        self.since < time && time <= self.until
    }
}

/// A commit as read by the walk, before its diff.
struct Pending {
    id: ObjectId,
    tree: ObjectId,
    parent: Option<ObjectId>,
    time: i64,
    author: usize,
    message: Option<BString>,
}

/// Walks every commit reachable from `head` once and diffs each non-merge
/// commit against its parent, looking only below `roots` (repository-relative
/// directories, `""` for the whole tree, none nested in another). Commits in
/// `detail` also get renames, line counts and their message.
pub(super) fn walk(
    repo: &gix::Repository,
    head: ObjectId,
    roots: &[BString],
    detail: TimeRange,
) -> gix::Result<Walk> {
    let mailmap = repo.open_mailmap();
    let mut authors: Vec<Author> = Vec::new();
    let mut author_index: HashMap<String, usize> = HashMap::new();
    let mut trees: gix::hashtable::HashMap<ObjectId, ObjectId> = Default::default();
    let mut pending = Vec::new();
    let mut walked = 0;
    let mut buf = Vec::new();

    for info in repo.rev_walk([head]).all()? {
        let info = info?;
        walked += 1;
        let commit = repo.objects.find_commit(&info.id, &mut buf)?;
        let tree = commit.tree();
        // Merges stay in the map: their children diff against them.
        trees.insert(info.id, tree);
        let mut parents = commit.parents();
        let parent = parents.next();
        if parents.next().is_some() {
            continue;
        }
        // Like git, a date that cannot be read (or represented) counts as the
        // epoch rather than failing the whole history.
        let time = Some(commit.committer()?.seconds())
            .filter(|s| jiff::Timestamp::from_second(*s).is_ok())
            .unwrap_or(0);
        let signature = mailmap.resolve_cow(commit.author()?);
        let name = signature.name.to_str_lossy().trim().to_owned();
        let email = signature.email.to_str_lossy().trim().to_owned();
        // One person, one key: the mailmap-resolved email, case-folded. A
        // commit without an email falls back to its name.
        let key = if email.is_empty() {
            format!("name:{}", name.to_lowercase())
        } else {
            email.to_lowercase()
        };
        let author = *author_index.entry(key).or_insert_with(|| {
            authors.push(Author {
                name: name.clone(),
                email: email.clone(),
                seen_at: time,
            });
            authors.len() - 1
        });
        // Show the identity as it was spelled most recently.
        let shown = &mut authors[author];
        if time > shown.seen_at {
            *shown = Author {
                name,
                email,
                seen_at: time,
            };
        }
        pending.push(Pending {
            id: info.id,
            tree,
            parent,
            time,
            author,
            message: detail.contains(time).then(|| commit.message.to_owned()),
        });
    }

    let commits = diff_all(repo, &pending, &trees, roots)?;
    Ok(Walk {
        commits,
        authors,
        walked,
    })
}

/// Diffs every pending commit, in parallel chunks that each own a
/// thread-local repository handle and blob-diff cache.
fn diff_all(
    repo: &gix::Repository,
    pending: &[Pending],
    trees: &gix::hashtable::HashMap<ObjectId, ObjectId>,
    roots: &[BString],
) -> gix::Result<Vec<Commit>> {
    let shared = repo.clone().into_sync();
    let chunk = pending
        .len()
        .div_ceil(rayon::current_num_threads() * 4)
        .max(64);
    let chunks: Vec<Vec<Commit>> = pending
        .par_chunks(chunk)
        .map(|chunk| {
            let mut repo = shared.to_thread_local();
            repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
            let mut differ = Differ::new(&repo, roots)?;
            let mut out = Vec::with_capacity(chunk.len());
            for commit in chunk {
                let parent_tree = match commit.parent {
                    // A root commit: everything in it was added.
                    None => None,
                    Some(parent) => match trees.get(&parent) {
                        Some(tree) => Some(*tree),
                        // The parent was cut off by a shallow clone: what this
                        // commit changed is unknown, so it is left out.
                        None => continue,
                    },
                };
                // The message was kept exactly for the commits in the detail range.
                let with_details = commit.message.is_some();
                let files = differ.changes(parent_tree, commit.tree, with_details)?;
                if files.is_empty() {
                    continue;
                }
                out.push(Commit {
                    id: commit.id,
                    time: commit.time,
                    author: commit.author,
                    message: commit.message.clone(),
                    files,
                });
            }
            Ok(out)
        })
        .collect::<gix::Result<_>>()?;
    Ok(chunks.into_iter().flatten().collect())
}

/// Consecutive commits share most trees; 64 MiB keeps them hot without
/// growing with the repository.
pub(super) const OBJECT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// A tree entry: enough to diff it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    mode: EntryMode,
    id: ObjectId,
}

struct Differ<'r> {
    repo: &'r gix::Repository,
    roots: Vec<(BString, Vec<BString>)>,
    blobs: gix::diff::blob::Platform,
    state: gix::diff::tree::State,
    old_buf: Vec<u8>,
    new_buf: Vec<u8>,
    lookup_buf: Vec<u8>,
}

impl<'r> Differ<'r> {
    fn new(repo: &'r gix::Repository, roots: &[BString]) -> gix::Result<Self> {
        let roots = roots
            .iter()
            .map(|root| {
                let components = root
                    .split(|b| *b == b'/')
                    .filter(|c| !c.is_empty())
                    .map(BString::from)
                    .collect();
                (root.clone(), components)
            })
            .collect();
        Ok(Differ {
            repo,
            roots,
            blobs: repo.diff_resource_cache_for_tree_diff()?,
            state: Default::default(),
            old_buf: Vec::new(),
            new_buf: Vec::new(),
            lookup_buf: Vec::new(),
        })
    }

    /// The files changed between two root trees (`None`: nothing) below any
    /// diff root. With `with_details`, renames are detected and lines counted.
    fn changes(
        &mut self,
        old_tree: Option<ObjectId>,
        new_tree: ObjectId,
        with_details: bool,
    ) -> gix::Result<Vec<FileChange>> {
        let mut out = Vec::new();
        if old_tree == Some(new_tree) {
            return Ok(out);
        }
        for index in 0..self.roots.len() {
            let old = match old_tree {
                Some(tree) => self.entry_at(tree, index)?,
                None => None,
            };
            let new = self.entry_at(new_tree, index)?;
            if old == new {
                continue;
            }
            let root = self.roots[index].0.clone();
            let file = |e: Option<Entry>| e.filter(|e| e.mode.is_blob_or_symlink());
            let dir = |e: Option<Entry>| e.filter(|e| e.mode.is_tree()).map(|e| e.id);
            // A root that is (or was) a file rather than a directory.
            if file(old).is_some() || file(new).is_some() {
                let lines = self.lines(root.as_ref(), file(old), file(new), with_details)?;
                out.push(FileChange {
                    path: root.clone(),
                    source_path: None,
                    lines,
                });
            }
            if dir(old) != dir(new) {
                self.tree_changes(root.as_ref(), dir(old), dir(new), with_details, &mut out)?;
            }
        }
        Ok(out)
    }

    fn tree_changes(
        &mut self,
        root: &BStr,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
        with_details: bool,
        out: &mut Vec<FileChange>,
    ) -> gix::Result<()> {
        let kind = self.repo.object_hash();
        let objects = &self.repo.objects;
        let lhs = match old {
            Some(id) => objects.find_tree_iter(&id, &mut self.old_buf)?,
            None => TreeRefIter::from_bytes(&[], kind),
        };
        let rhs = match new {
            Some(id) => objects.find_tree_iter(&id, &mut self.new_buf)?,
            None => TreeRefIter::from_bytes(&[], kind),
        };
        let mut changes = Vec::new();
        gix::diff::tree_with_rewrites(
            lhs,
            rhs,
            &mut self.blobs,
            &mut self.state,
            objects,
            |change| -> gix::Result<_> {
                changes.push(change.into_owned());
                Ok(ControlFlow::Continue(()))
            },
            gix::diff::tree_with_rewrites::Options {
                location: Some(Location::Path),
                // Rename detection costs blob reads, so only where lines count.
                rewrites: with_details.then(Default::default),
            },
        )
        .or_error()?;
        self.blobs.clear_resource_cache_keep_allocation();

        let full = |location: &BStr| -> BString {
            if root.is_empty() {
                location.to_owned()
            } else {
                let mut path = root.to_owned();
                path.push_byte(b'/');
                path.push_str(location);
                path
            }
        };
        for change in changes {
            let (path, old, new) = match change {
                Change::Addition {
                    location,
                    entry_mode,
                    id,
                    ..
                } => (
                    location,
                    None,
                    Some(Entry {
                        mode: entry_mode,
                        id,
                    }),
                ),
                Change::Deletion {
                    location,
                    entry_mode,
                    id,
                    ..
                } => (
                    location,
                    Some(Entry {
                        mode: entry_mode,
                        id,
                    }),
                    None,
                ),
                Change::Modification {
                    location,
                    previous_entry_mode,
                    previous_id,
                    entry_mode,
                    id,
                } => (
                    location,
                    Some(Entry {
                        mode: previous_entry_mode,
                        id: previous_id,
                    }),
                    Some(Entry {
                        mode: entry_mode,
                        id,
                    }),
                ),
                Change::Rewrite {
                    source_location,
                    entry_mode,
                    location,
                    diff,
                    ..
                } => {
                    if entry_mode.is_blob_or_symlink() {
                        // The similarity check already diffed the two blobs;
                        // an exact rename carries no diff and no churn.
                        let lines = diff.map_or_else(Lines::default, |d| Lines {
                            added: d.insertions,
                            removed: d.removals,
                        });
                        out.push(FileChange {
                            path: full(location.as_ref()),
                            source_path: Some(full(source_location.as_ref())),
                            lines: Some(lines),
                        });
                    }
                    continue;
                }
            };
            let file = |e: Option<Entry>| e.filter(|e| e.mode.is_blob_or_symlink());
            let (old, new) = (file(old), file(new));
            if old.is_none() && new.is_none() {
                continue; // trees and submodules
            }
            let path = full(path.as_ref());
            let lines = self.lines(path.as_ref(), old, new, with_details)?;
            out.push(FileChange {
                path,
                source_path: None,
                lines,
            });
        }
        Ok(())
    }

    /// Lines added and removed between two versions of a file; `None` when
    /// either side is binary or details were not asked for.
    fn lines(
        &mut self,
        path: &BStr,
        old: Option<Entry>,
        new: Option<Entry>,
        with_details: bool,
    ) -> gix::Result<Option<Lines>> {
        let mode = match new.or(old) {
            Some(entry) if with_details => entry.mode.kind(),
            _ => return Ok(None),
        };
        let null = self.repo.object_hash().null();
        let objects = &self.repo.objects;
        for (side, kind) in [
            (old, ResourceKind::OldOrSource),
            (new, ResourceKind::NewOrDestination),
        ] {
            let (id, mode) = side.map_or((null, mode), |e| (e.id, e.mode.kind()));
            self.blobs
                .set_resource(id, mode, path, kind, objects)
                .or_error()?;
        }
        let prepared = self.blobs.prepare_diff().or_error()?;
        let lines = match prepared.operation {
            Operation::InternalDiff { algorithm } => {
                let input = prepared.interned_input();
                let diff = gix::diff::blob::Diff::compute(algorithm, &input);
                Some(Lines {
                    added: diff.count_additions(),
                    removed: diff.count_removals(),
                })
            }
            Operation::ExternalCommand { .. } | Operation::SourceOrDestinationIsBinary => None,
        };
        self.blobs.clear_resource_cache_keep_allocation();
        Ok(lines)
    }

    /// The entry at diff root `index` inside `tree`, if it exists.
    fn entry_at(&mut self, tree: ObjectId, index: usize) -> gix::Result<Option<Entry>> {
        let mut entry = Entry {
            mode: EntryKind::Tree.into(),
            id: tree,
        };
        for component in &self.roots[index].1 {
            if !entry.mode.is_tree() {
                return Ok(None);
            }
            let mut found = None;
            for e in self
                .repo
                .objects
                .find_tree_iter(&entry.id, &mut self.lookup_buf)?
            {
                let e = e.or_error()?;
                if e.filename == component.as_bstr() {
                    found = Some(Entry {
                        mode: e.mode,
                        id: e.oid.to_owned(),
                    });
                    break;
                }
            }
            match found {
                Some(found) => entry = found,
                None => return Ok(None),
            }
        }
        Ok(Some(entry))
    }
}
