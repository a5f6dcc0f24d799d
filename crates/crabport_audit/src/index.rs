//! The crates.io sparse index, read the way `cargo add --dry-run` reads it.
//!
//! tame-index (what cargo-deny uses) finds the index URL from cargo's own
//! configuration — so source replacement to a company mirror is honoured —
//! builds the requests and reads/writes cache entries in cargo's format;
//! ureq does the HTTP. The cache lives in crabport's own directory so no
//! cargo lock is ever contended. An entry younger than the TTL is used as is;
//! an older one is revalidated with its ETag/Last-Modified; when the
//! registry cannot be reached, the cache answers with a warning, and a
//! crate with no cache entry is `Unavailable` — never reported as missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use tame_index::flock::{FileLock, LockOptions};
use tame_index::index::SparseIndex;
use tame_index::index::cache::ValidCacheEntry;
use tame_index::{IndexKrate, IndexLocation, IndexPath, IndexUrl, KrateName};

/// How to reach the index.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Where cache entries live (`<dir>/registry/index/<index dir>/.cache`).
    pub cache_dir: PathBuf,
    /// A cache entry younger than this is used without asking the registry.
    pub ttl: Duration,
    /// Never touch the network.
    pub offline: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Per request, connect to last byte.
    pub timeout: Duration,
}

impl IndexOptions {
    /// `$CRABPORT_CACHE_DIR`, else `$XDG_CACHE_HOME/crabport`, else `~/.cache/crabport`.
    pub fn default_cache_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("CRABPORT_CACHE_DIR") {
            return PathBuf::from(dir);
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            return PathBuf::from(dir).join("crabport");
        }
        std::env::var_os("HOME")
            .map_or_else(std::env::temp_dir, PathBuf::from)
            .join(".cache")
            .join("crabport")
    }
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            cache_dir: Self::default_cache_dir(),
            ttl: Duration::from_secs(24 * 3600),
            offline: false,
            concurrency: 16,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Facts about a version that an audit needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFacts {
    pub version: String,
    pub pubtime: Option<Timestamp>,
    /// Declared features plus the implicit ones of optional dependencies.
    pub features: BTreeSet<String>,
    /// What the `default` feature turns on.
    pub default_features: Vec<String>,
    pub rust_version: Option<String>,
}

/// A crate as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateFacts {
    pub name: String,
    /// The newest release that is neither yanked nor a pre-release; `None`
    /// when every release is yanked or pre-release.
    pub newest: Option<VersionFacts>,
}

/// Where an answer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Fetched in full just now.
    Network,
    /// The registry confirmed the cache entry is current (304).
    Revalidated,
    /// Cache entry within its TTL, or `--offline`.
    Cache { age: Duration },
    /// The registry could not be reached; the cache entry answered.
    CacheAfterError { age: Duration, error: String },
}

/// The answer for one crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found {
        facts: CrateFacts,
        source: Source,
    },
    /// The index has no such crate (404/410/451).
    Missing {
        source: Source,
    },
    /// Not known: registry unreachable and nothing cached, or not a valid crate name.
    Unavailable {
        error: String,
    },
}

/// Could not set up the index at all.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot determine the crates.io index from cargo's configuration: {0}")]
    Config(#[source] tame_index::Error),
    #[error("crabport reads sparse indexes only; the crates.io source is configured as {0}")]
    NotSparse(String),
    #[error("cannot lock the index cache at {path}: {source}")]
    Lock {
        path: PathBuf,
        #[source]
        source: tame_index::Error,
    },
}

/// A handle on the index and its cache.
pub struct CratesIndex {
    sparse: SparseIndex,
    lock: FileLock,
    agent: ureq::Agent,
    options: IndexOptions,
    url: String,
    missing_dir: PathBuf,
}

impl CratesIndex {
    /// Opens the crates.io index (or its configured replacement).
    ///
    /// # Errors
    /// When cargo's configuration cannot be read, the source is not sparse,
    /// or the cache cannot be locked.
    pub fn open(options: IndexOptions) -> Result<Self, IndexError> {
        // The cargo version only picks the cache directory's hash scheme; pin the
        // modern one instead of spawning `cargo -V`.
        let url = IndexUrl::crates_io(None, None, Some("1.95.0")).map_err(IndexError::Config)?;
        if !url.is_sparse() {
            return Err(IndexError::NotSparse(url.as_str().to_owned()));
        }
        let display_url = url.as_str().trim_start_matches("sparse+").to_owned();
        let cache_root =
            tame_index::PathBuf::from_path_buf(options.cache_dir.clone()).map_err(|p| {
                IndexError::NotSparse(format!("a non-UTF-8 cache directory {}", p.display()))
            })?;
        let location = IndexLocation {
            url,
            root: IndexPath::UserSpecified(cache_root),
            cargo_version: Some(semver::Version::new(1, 95, 0)),
        };
        let sparse = SparseIndex::new(location).map_err(IndexError::Config)?;
        let index_dir = PathBuf::from(
            sparse
                .cache()
                .cache_path(KrateName::crates_io("a").map_err(IndexError::Config)?)
                .as_str(),
        )
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| options.cache_dir.clone());
        let lock_path = tame_index::PathBuf::from_path_buf(index_dir.join(".crabport-lock"))
            .map_err(|p| {
                IndexError::NotSparse(format!("a non-UTF-8 cache directory {}", p.display()))
            })?;
        let lock = if options.offline {
            // Reading only; a read-only cache (CI fixture) must work too.
            FileLock::unlocked()
        } else {
            LockOptions::new(&lock_path)
                .exclusive(true)
                .lock(|_| Some(Duration::from_secs(60)))
                .map_err(|source| IndexError::Lock {
                    path: index_dir.clone(),
                    source,
                })?
        };
        let agent = crate::net::agent(options.timeout, options.concurrency);
        Ok(Self {
            sparse,
            lock,
            agent,
            missing_dir: index_dir.join(".crabport-missing"),
            options,
            url: display_url,
        })
    }

    /// The index URL in use.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn options(&self) -> &IndexOptions {
        &self.options
    }

    /// Looks up every name, `concurrency` at a time; `on_done` is called once
    /// per finished name (for a progress bar). Results are in input order.
    pub fn lookup_all(&self, names: &[String], on_done: &(dyn Fn(&str) + Sync)) -> Vec<Lookup> {
        crate::net::parallel_map(names, self.options.concurrency, &|name: &String| {
            let lookup = self.lookup(name);
            on_done(name);
            lookup
        })
        .into_iter()
        .map(|r| {
            r.unwrap_or(Lookup::Unavailable {
                error: "lookup did not complete".into(),
            })
        })
        .collect()
    }

    /// Looks up one crate.
    pub fn lookup(&self, name: &str) -> Lookup {
        let krate = match KrateName::crates_io(name) {
            Ok(k) => k,
            Err(e) => {
                return Lookup::Unavailable {
                    error: format!("not a valid crate name: {e}"),
                };
            }
        };
        let cache_path = PathBuf::from(self.sparse.cache().cache_path(krate).as_str());
        let missing_marker = self.missing_dir.join(name.to_ascii_lowercase());
        let cached_age = age_of(&cache_path);
        let missing_age = age_of(&missing_marker);

        if self.options.offline {
            return match (cached_age, missing_age) {
                (Some(age), _) => self.read_cache(krate, Source::Cache { age }),
                (None, Some(age)) => Lookup::Missing {
                    source: Source::Cache { age },
                },
                (None, None) => Lookup::Unavailable {
                    error: "not in the offline cache".into(),
                },
            };
        }
        if let Some(age) = cached_age.filter(|&a| a < self.options.ttl) {
            return self.read_cache(krate, Source::Cache { age });
        }
        if let Some(age) = missing_age.filter(|&a| a < self.options.ttl) {
            return Lookup::Missing {
                source: Source::Cache { age },
            };
        }

        // Like cargo's net.retry: transient network errors get two more tries.
        let mut attempt = 0;
        let fetched = loop {
            match self.fetch(krate) {
                Err(e) if attempt < 2 => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(200 * attempt));
                    let _ = e;
                }
                other => break other,
            }
        };
        match fetched {
            Ok(Fetched::Body(body)) => {
                let _ = std::fs::remove_file(&missing_marker);
                match IndexKrate::from_slice(&body) {
                    Ok(k) => Lookup::Found {
                        facts: facts(&k),
                        source: Source::Network,
                    },
                    Err(e) => Lookup::Unavailable {
                        error: format!("the index entry for {name} did not parse: {e}"),
                    },
                }
            }
            Ok(Fetched::NotModified) => {
                // Restart the TTL: the entry was just confirmed current.
                if let Ok(file) = std::fs::File::options().write(true).open(&cache_path) {
                    let _ = file.set_modified(SystemTime::now());
                }
                self.read_cache(krate, Source::Revalidated)
            }
            Ok(Fetched::Missing) => {
                if let Some(parent) = missing_marker.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = std::fs::write(&missing_marker, b"");
                Lookup::Missing {
                    source: Source::Network,
                }
            }
            Err(error) => match cached_age {
                Some(age) => self.read_cache(krate, Source::CacheAfterError { age, error }),
                None => match missing_age {
                    Some(age) => Lookup::Missing {
                        source: Source::CacheAfterError { age, error },
                    },
                    None => Lookup::Unavailable { error },
                },
            },
        }
    }

    /// Reads a cache entry, deserialising only the newest normal release
    /// (a popular crate's entry holds hundreds of versions; an audit needs one).
    fn read_cache(&self, krate: KrateName<'_>, source: Source) -> Lookup {
        let path = self.sparse.cache().cache_path(krate);
        let bytes = match std::fs::read(path.as_std_path()) {
            Ok(bytes) => bytes,
            Err(e) => {
                return Lookup::Unavailable {
                    error: format!("unreadable cache entry {path}: {e}"),
                };
            }
        };
        let entry = match ValidCacheEntry::read(&bytes) {
            Ok(entry) => entry,
            Err(e) => {
                return Lookup::Unavailable {
                    error: format!("unreadable cache entry {path}: {e}"),
                };
            }
        };
        let mut parts = tame_index::utils::split(entry.version_entries, 0);
        let mut candidates: Vec<(semver::Version, &[u8])> = Vec::new();
        let mut name = None;
        while let (Some(version), Some(json)) = (parts.next(), parts.next()) {
            if let Some(v) = std::str::from_utf8(version)
                .ok()
                .and_then(|v| v.parse::<semver::Version>().ok())
            {
                candidates.push((v, json));
            }
        }
        candidates.sort_by(|a, b| b.0.cmp(&a.0));
        let mut newest = None;
        for (version, json) in &candidates {
            let Ok(parsed) = serde_json::from_slice::<tame_index::IndexVersion>(json) else {
                continue;
            };
            name.get_or_insert_with(|| parsed.name.to_string());
            if version.pre.is_empty() && !parsed.is_yanked() {
                newest = Some(version_facts(&parsed));
                break;
            }
        }
        let Some(name) = name else {
            return Lookup::Unavailable {
                error: format!("empty cache entry {path}"),
            };
        };
        Lookup::Found {
            facts: CrateFacts { name, newest },
            source,
        }
    }

    fn fetch(&self, krate: KrateName<'_>) -> Result<Fetched, String> {
        let request = self
            .sparse
            .make_remote_request(krate, None, &self.lock)
            .map_err(|e| e.to_string())?;
        let request: http::Request<()> = request.into();
        let response = self
            .agent
            .run(request)
            .map_err(|e| format!("{}: {e}", self.url))?;
        let (parts, mut body) = response.into_parts();
        let status = parts.status;
        if status == http::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if matches!(status.as_u16(), 404 | 410 | 451) {
            return Ok(Fetched::Missing);
        }
        if !status.is_success() {
            return Err(format!("{} answered {status}", self.url));
        }
        let bytes = body
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| format!("{}: {e}", self.url))?;
        let response = http::Response::from_parts(parts, bytes);
        // Writes the cache entry with the response's ETag/Last-Modified.
        self.sparse
            .parse_remote_response(krate, &response, true, &self.lock)
            .map_err(|e| e.to_string())?;
        Ok(Fetched::Body(response.into_body()))
    }
}

enum Fetched {
    Body(Vec<u8>),
    NotModified,
    Missing,
}

fn age_of(path: &Path) -> Option<Duration> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(
        SystemTime::now()
            .duration_since(modified)
            .unwrap_or_default(),
    )
}

/// The newest normal release and its features.
pub fn facts(krate: &IndexKrate) -> CrateFacts {
    CrateFacts {
        name: krate.name().to_owned(),
        newest: krate.highest_normal_version().map(version_facts),
    }
}

/// A release's facts; its features include the implicit feature of every
/// optional dependency not hidden behind `dep:`.
fn version_facts(v: &tame_index::IndexVersion) -> VersionFacts {
    {
        let mut features: BTreeSet<String> = v.features().map(|(k, _)| k.clone()).collect();
        let hidden: BTreeSet<&str> = v
            .features()
            .flat_map(|(_, enables)| enables.iter())
            .filter_map(|f| f.strip_prefix("dep:"))
            .collect();
        for dep in v.dependencies().iter().filter(|d| d.is_optional()) {
            if !hidden.contains(dep.name.as_str()) {
                features.insert(dep.name.to_string());
            }
        }
        let default_features = v
            .features()
            .find(|(k, _)| k.as_str() == "default")
            .map(|(_, enables)| enables.clone())
            .unwrap_or_default();
        VersionFacts {
            version: v.version.to_string(),
            pubtime: v.pubtime.as_deref().and_then(|t| t.parse().ok()),
            features,
            default_features,
            rust_version: v.rust_version.as_ref().map(ToString::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = concat!(
        r#"{"name":"demo","vers":"1.0.0","deps":[{"name":"tokio","req":"^1","features":[],"optional":true,"default_features":true,"target":null,"kind":"normal"},{"name":"serde","req":"^1","features":[],"optional":true,"default_features":true,"target":null,"kind":"normal"}],"cksum":"0000000000000000000000000000000000000000000000000000000000000000","features":{"full":["dep:serde"]},"yanked":false,"pubtime":"2025-01-02T03:04:05Z"}"#,
        "\n",
        r#"{"name":"demo","vers":"2.0.0-rc.1","deps":[],"cksum":"0000000000000000000000000000000000000000000000000000000000000000","features":{},"yanked":false}"#,
        "\n",
        r#"{"name":"demo","vers":"1.1.0","deps":[],"cksum":"0000000000000000000000000000000000000000000000000000000000000000","features":{},"yanked":true}"#,
        "\n"
    );

    #[test]
    fn newest_skips_yanked_and_prerelease_and_finds_implicit_features() {
        let krate = IndexKrate::from_slice(LINES.as_bytes()).unwrap();
        let facts = facts(&krate);
        let newest = facts.newest.unwrap();
        assert_eq!(newest.version, "1.0.0");
        assert_eq!(newest.pubtime.unwrap().to_string(), "2025-01-02T03:04:05Z");
        // `tokio` is an implicit feature; `serde` is hidden behind `dep:`.
        assert_eq!(
            newest.features.iter().collect::<Vec<_>>(),
            ["full", "tokio"]
        );
    }

    #[test]
    fn offline_without_cache_is_unavailable_not_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let index = CratesIndex::open(IndexOptions {
            cache_dir: tmp.path().to_owned(),
            offline: true,
            ..IndexOptions::default()
        })
        .unwrap();
        assert!(matches!(index.lookup("serde"), Lookup::Unavailable { .. }));
        assert!(matches!(
            index.lookup("not a crate!"),
            Lookup::Unavailable { .. }
        ));
    }
}
