//! `crabport.routes.toml`: the committed route table. Per route, the state
//! the team has advanced it to, where the router sends it, and its wave.
//! `crabport plan --write` creates and updates it (states are kept, new
//! routes start as `node`); `crabport plan --check` fails when the code has
//! moved away from it; `--emit` turns it into router configuration.
//!
//! ```toml
//! version = 1
//!
//! [[route]]
//! method = "GET"
//! path = "/api/reports/:id/render"
//! state = "canary"        # node → ported → parity → canary → rust → node-removed
//! target = "node"         # where the router sends it; follows from state
//! canary_percent = 10     # with state = "canary": the share sent to Rust
//! wave = 1
//! handler = "src/handlers/render-report.js:92"
//! fingerprint = "3f2a…"   # of the handler's module when the table was written
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crabport_core::{InputError, LineIndex};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::emit::{TableRoute, Target};
use crate::plan::PlannedRoute;

pub const FILE_NAME: &str = "crabport.routes.toml";
const VERSION: u32 = 1;
/// The canary share when a `canary` route names none.
pub const DEFAULT_CANARY_PERCENT: u8 = 10;

/// Where a route is in its move to Rust; the team advances it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Served by Node; not ported.
    Node,
    /// A Rust handler exists; Node still serves.
    Ported,
    /// Response parity passed; Node still serves.
    Parity,
    /// Part of the traffic goes to Rust (`canary_percent`).
    Canary,
    /// Rust serves it; the Node handler is still there to roll back to.
    Rust,
    /// Rust serves it and the Node handler is gone.
    NodeRemoved,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Node,
        State::Ported,
        State::Parity,
        State::Canary,
        State::Rust,
        State::NodeRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Node => "node",
            Self::Ported => "ported",
            Self::Parity => "parity",
            Self::Canary => "canary",
            Self::Rust => "rust",
            Self::NodeRemoved => "node-removed",
        }
    }

    /// Where the router sends the route's requests (a canary: mostly Node).
    pub fn target(self) -> Target {
        match self {
            Self::Node | Self::Ported | Self::Parity | Self::Canary => Target::Node,
            Self::Rust | Self::NodeRemoved => Target::Rust,
        }
    }

    /// From `parity` on, the port was checked against the handler as it
    /// was: a changed handler needs checking again.
    pub fn pins_handler(self) -> bool {
        self >= Self::Parity
    }
}

/// One `[[route]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableEntry {
    pub method: String,
    pub path: String,
    pub state: State,
    pub canary_percent: Option<u8>,
    pub wave: Option<u32>,
    pub handler: Option<String>,
    pub fingerprint: Option<String>,
    /// 1-based line of the entry, for messages.
    #[serde(skip)]
    pub line: u32,
}

/// The route table as read.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    pub path: PathBuf,
    pub entries: Vec<TableEntry>,
    index: BTreeMap<(String, String), usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    version: Spanned<u32>,
    #[serde(default, rename = "route")]
    routes: Vec<Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    method: String,
    path: String,
    state: State,
    target: Option<Target>,
    canary_percent: Option<Spanned<u8>>,
    wave: Option<u32>,
    handler: Option<String>,
    fingerprint: Option<String>,
}

impl RouteTable {
    /// Reads `dir/crabport.routes.toml`; `None` when there is none.
    ///
    /// # Errors
    /// Unreadable or malformed, with line and column: unknown keys, a
    /// state or target that does not exist, a target that contradicts the
    /// state, a route listed twice, a canary share outside 1–99.
    pub fn load(dir: &Path) -> Result<Option<Self>, InputError> {
        let path = dir.join(FILE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&path, &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(InputError::io(&path, &e)),
        }
    }

    /// # Errors
    /// As [`RouteTable::load`].
    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        let lines = LineIndex::new(text);
        let at =
            |offset: usize, message: String| InputError::at(path, lines.position(offset), message);
        let raw: RawTable = toml::from_str(text).map_err(|e| {
            at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            )
        })?;
        if *raw.version.get_ref() != VERSION {
            return Err(at(
                raw.version.span().start,
                format!(
                    "version {} is not one this crabport reads (it writes version {VERSION})",
                    raw.version.get_ref()
                ),
            ));
        }
        let mut table = Self {
            path: path.to_owned(),
            ..Self::default()
        };
        for spanned in raw.routes {
            let start = spanned.span().start;
            let line = lines.position(start).line;
            let r = spanned.into_inner();
            if let Some(target) = r.target
                && target != r.state.target()
            {
                return Err(at(
                    start,
                    format!(
                        "{} {}: target {:?} contradicts state {:?}, whose requests go to {}",
                        r.method,
                        r.path,
                        target.as_str(),
                        r.state.as_str(),
                        r.state.target().as_str()
                    ),
                ));
            }
            if let Some(p) = &r.canary_percent {
                if !(1..=99).contains(p.get_ref()) {
                    return Err(at(
                        p.span().start,
                        format!("canary_percent = {} must be 1 to 99", p.get_ref()),
                    ));
                }
                if r.state != State::Canary {
                    return Err(at(
                        p.span().start,
                        format!(
                            "canary_percent is for state \"canary\"; this route is {:?}",
                            r.state.as_str()
                        ),
                    ));
                }
            }
            let key = (r.method.clone(), r.path.clone());
            if let Some(&first) = table.index.get(&key) {
                return Err(at(
                    start,
                    format!(
                        "{} {} is listed twice (first at line {})",
                        r.method, r.path, table.entries[first].line
                    ),
                ));
            }
            table.index.insert(key, table.entries.len());
            table.entries.push(TableEntry {
                method: r.method,
                path: r.path,
                state: r.state,
                canary_percent: r.canary_percent.map(Spanned::into_inner),
                wave: r.wave,
                handler: r.handler,
                fingerprint: r.fingerprint,
                line: u32::try_from(line).unwrap_or(u32::MAX),
            });
        }
        Ok(table)
    }

    pub fn get(&self, method: &str, path: &str) -> Option<&TableEntry> {
        self.index
            .get(&(method.to_owned(), path.to_owned()))
            .map(|&i| &self.entries[i])
    }

    /// What the router configurations are made from.
    pub fn router_routes(&self) -> Vec<TableRoute> {
        self.entries
            .iter()
            .map(|e| TableRoute {
                method: e.method.clone(),
                path: e.path.clone(),
                target: e.state.target(),
                canary_percent: (e.state == State::Canary)
                    .then(|| e.canary_percent.unwrap_or(DEFAULT_CANARY_PERCENT)),
                wave: e.wave,
            })
            .collect()
    }
}

/// The table for `routes`: states (and canary shares) from `previous`,
/// waves and handlers from the plan. A route at `parity` or later keeps the
/// fingerprint its parity was checked against (edit it by hand after
/// checking again); the others get the handler module's current one.
/// `node-removed` routes stay listed though their Node handler is gone, so
/// the router keeps sending them to Rust.
pub fn write(routes: &[PlannedRoute], previous: Option<&RouteTable>) -> String {
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut out = String::from(
        "# The strangler-fig route table, written by `crabport plan --write`.\n\
         # Advance `state` as each route moves: node → ported → parity → canary → rust → node-removed.\n\
         # `crabport plan --check` fails when the code moves away from this file;\n\
         # `crabport plan --emit nginx|envoy|traefik` turns it into router configuration.\n\n",
    );
    out.push_str(&format!("version = {VERSION}\n"));
    let removed = previous.into_iter().flat_map(|t| &t.entries).filter(|e| {
        e.state == State::NodeRemoved
            && !routes
                .iter()
                .any(|r| r.method == e.method && r.path == e.path)
    });
    for e in removed {
        out.push_str("\n[[route]]\n");
        out.push_str(&format!("method = {}\n", q(&e.method)));
        out.push_str(&format!("path = {}\n", q(&e.path)));
        out.push_str(&format!("state = {}\n", q(State::NodeRemoved.as_str())));
        out.push_str(&format!("target = {}\n", q(Target::Rust.as_str())));
        if let Some(w) = e.wave {
            out.push_str(&format!("wave = {w}\n"));
        }
        if let Some(h) = &e.handler {
            out.push_str(&format!("handler = {}\n", q(h)));
        }
        if let Some(f) = &e.fingerprint {
            out.push_str(&format!("fingerprint = {}\n", q(f)));
        }
    }
    for r in routes {
        let old = previous.and_then(|t| t.get(&r.method, &r.path));
        let state = old.map_or(State::Node, |e| e.state);
        out.push_str("\n[[route]]\n");
        out.push_str(&format!("method = {}\n", q(&r.method)));
        out.push_str(&format!("path = {}\n", q(&r.path)));
        out.push_str(&format!("state = {}\n", q(state.as_str())));
        out.push_str(&format!("target = {}\n", q(state.target().as_str())));
        if state == State::Canary {
            let p = old
                .and_then(|e| e.canary_percent)
                .unwrap_or(DEFAULT_CANARY_PERCENT);
            out.push_str(&format!("canary_percent = {p}\n"));
        }
        out.push_str(&format!("wave = {}\n", r.wave));
        out.push_str(&format!(
            "handler = {}\n",
            q(&format!("{}:{}", r.handler.file, r.handler.line))
        ));
        // A pinned route keeps the fingerprint parity was checked against.
        let fingerprint = old
            .filter(|e| e.state.pins_handler())
            .and_then(|e| e.fingerprint.clone())
            .unwrap_or_else(|| r.fingerprint.clone());
        out.push_str(&format!("fingerprint = {}\n", q(&fingerprint)));
    }
    out
}

/// A difference between the code and the route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub kind: DriftKind,
    pub method: String,
    pub path: String,
    /// The table's line, when the route is in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// In the code, not in the table: nobody placed it.
    NewRoute,
    /// In the table, gone from the code.
    RemovedRoute,
    /// At `parity` or later, and the handler's module changed since.
    HandlerChanged,
}

pub(crate) fn drift(table: &RouteTable, routes: &[PlannedRoute]) -> Vec<Drift> {
    let mut out = Vec::new();
    let file = FILE_NAME;
    for r in routes {
        match table.get(&r.method, &r.path) {
            None => out.push(Drift {
                kind: DriftKind::NewRoute,
                method: r.method.clone(),
                path: r.path.clone(),
                line: None,
                message: format!(
                    "{} {} ({}:{}) is not in {file}: place it (`crabport plan --write` adds it as `node`)",
                    r.method, r.path, r.handler.file, r.handler.line
                ),
            }),
            Some(e) if e.state.pins_handler() && e.fingerprint.as_deref() != Some(&r.fingerprint) => {
                out.push(Drift {
                    kind: DriftKind::HandlerChanged,
                    method: r.method.clone(),
                    path: r.path.clone(),
                    line: Some(e.line),
                    message: format!(
                        "{file}:{}: {} {} is `{}` but its handler's module {} changed since: check parity again, then update its fingerprint to {}",
                        e.line,
                        r.method,
                        r.path,
                        e.state.as_str(),
                        r.handler.file,
                        r.fingerprint
                    ),
                });
            }
            Some(_) => {}
        }
    }
    // A `node-removed` route is expected to be gone from the Node code.
    for e in table
        .entries
        .iter()
        .filter(|e| e.state != State::NodeRemoved)
    {
        if !routes
            .iter()
            .any(|r| r.method == e.method && r.path == e.path)
        {
            out.push(Drift {
                kind: DriftKind::RemovedRoute,
                method: e.method.clone(),
                path: e.path.clone(),
                line: Some(e.line),
                message: format!(
                    "{file}:{}: {} {} is no longer in the code",
                    e.line, e.method, e.path
                ),
            });
        }
    }
    out
}

/// Gives a `canary` route `percent` of its traffic on Rust, in the file
/// itself (comments and layout kept); at 100 the route is cut over: `state
/// = "rust"`, its target with it, no share. The new text is checked as
/// [`RouteTable::parse`] checks it and replaces the file atomically, so a
/// proxy watching it never reads half a table.
///
/// # Errors
/// The file cannot be read, parsed or written; the route is not in it or is
/// not a canary; `percent` is 0 or over 100.
pub fn set_canary_share(
    dir: &Path,
    method: &str,
    route_path: &str,
    percent: u8,
) -> Result<RouteTable, InputError> {
    let path = dir.join(FILE_NAME);
    let text = std::fs::read_to_string(&path).map_err(|e| InputError::io(&path, &e))?;
    let current = RouteTable::parse(&path, &text)?;
    let fail = |message: String| InputError::new(&path, message);
    let Some(entry) = current.get(method, route_path) else {
        return Err(fail(format!("{method} {route_path} is not in the table")));
    };
    if entry.state != State::Canary {
        return Err(fail(format!(
            "{method} {route_path} is {:?}, not a canary",
            entry.state.as_str()
        )));
    }
    if !(1..=100).contains(&percent) {
        return Err(fail(format!(
            "a canary share of {percent}% is not 1 to 100"
        )));
    }
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| fail(e.message().to_owned()))?;
    let route = doc
        .get_mut("route")
        .and_then(toml_edit::Item::as_array_of_tables_mut)
        .and_then(|routes| {
            routes.iter_mut().find(|r| {
                r.get("method").and_then(toml_edit::Item::as_str) == Some(method)
                    && r.get("path").and_then(toml_edit::Item::as_str) == Some(route_path)
            })
        })
        .ok_or_else(|| fail(format!("{method} {route_path} is not a [[route]] table")))?;
    if percent == 100 {
        route["state"] = toml_edit::value(State::Rust.as_str());
        if route.contains_key("target") {
            route["target"] = toml_edit::value(State::Rust.target().as_str());
        }
        route.remove("canary_percent");
    } else {
        route["canary_percent"] = toml_edit::value(i64::from(percent));
    }
    let text = doc.to_string();
    let table = RouteTable::parse(&path, &text)?;
    let partial = path.with_extension("toml.partial");
    std::fs::write(&partial, &text)
        .and_then(|()| std::fs::rename(&partial, &path))
        .map_err(|e| InputError::io(&path, &e))?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"version = 1

# the report route is the first to move
[[route]]
method = "GET"
path = "/reports/:id"
state = "canary"   # promoted by crabport proxy --promote
target = "node"
canary_percent = 10

[[route]]
method = "GET"
path = "/health"
state = "node"
"#;

    fn dir_with(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
        dir
    }

    #[test]
    fn a_share_is_changed_in_place_with_comments_kept() {
        let dir = dir_with(TABLE);
        let table = set_canary_share(dir.path(), "GET", "/reports/:id", 25).unwrap();
        assert_eq!(
            table.get("GET", "/reports/:id").unwrap().canary_percent,
            Some(25)
        );
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(
            text,
            TABLE.replace("canary_percent = 10", "canary_percent = 25")
        );
    }

    #[test]
    fn a_full_share_cuts_the_route_over() {
        let dir = dir_with(TABLE);
        let table = set_canary_share(dir.path(), "GET", "/reports/:id", 100).unwrap();
        let entry = table.get("GET", "/reports/:id").unwrap();
        assert_eq!((entry.state, entry.canary_percent), (State::Rust, None));
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(
            text.contains("# the report route is the first to move"),
            "{text}"
        );
        assert!(text.contains("state = \"rust\""), "{text}");
        assert!(text.contains("target = \"rust\""), "{text}");
        assert!(!text.contains("canary_percent"), "{text}");
        assert!(!dir.path().join("crabport.routes.toml.partial").exists());
    }

    #[test]
    fn only_canaries_take_a_share() {
        let dir = dir_with(TABLE);
        let err = set_canary_share(dir.path(), "GET", "/health", 50).unwrap_err();
        assert!(err.to_string().contains("\"node\", not a canary"), "{err}");
        let err = set_canary_share(dir.path(), "GET", "/nowhere", 50).unwrap_err();
        assert!(err.to_string().contains("not in the table"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap(),
            TABLE
        );
    }
}
