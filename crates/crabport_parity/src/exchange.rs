//! A request to replay, where it came from, and what a target answered.

use std::path::PathBuf;

use serde::Serialize;

/// One request, as it will be sent to every target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Upper-case HTTP method.
    pub method: String,
    /// Path and query, as sent (`/users/7?x=1`); always starts with `/`.
    pub target: String,
    /// In order; names as given. `host`, `content-length` and hop-by-hop
    /// headers are not kept: the replayer sets them.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Changes state on the server: a method other than GET, HEAD and
    /// OPTIONS, or marked so in the request file.
    pub mutates: bool,
    pub origin: Origin,
}

/// Where a request came from, so a reproducer can point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: PathBuf,
    /// 1-based line of the request in its file (a HAR entry's line).
    pub line: usize,
}

/// What a target answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// In order as received; names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

/// A response body: whole, or only its length and hash when it was over the
/// size limit (`--max-body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Full(Vec<u8>),
    Hashed { len: u64, sha256: String },
}

impl Response {
    /// Values of header `name` (lower-case), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
