//! Finding `JSON.parse`/`stringify` time from the callers' source lines.
//!
//! V8 gives these C++ built-ins no frame: a loop that parses JSON shows up as
//! self time of the function that calls `JSON.parse`. What the profile does
//! keep is that function's ticks per source line (`positionTicks`), so the
//! ticks on a line that calls `JSON.parse` or `JSON.stringify` are counted as
//! JSON time. A line that also does other work overstates it; a minified
//! line is skipped, since it could hold anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crabport_core::LineIndex;

use super::model::{CpuProfile, Kind, Node};

/// Larger files are not application sources worth reading.
const MAX_SOURCE_BYTES: u64 = 32 << 20;
/// Longer lines are minified: their ticks cannot be pinned to one call.
const MAX_LINE_BYTES: usize = 400;

/// Reads a source file, or nothing for a missing, non-regular or huge file.
pub(super) fn read_from_disk(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SOURCE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

impl CpuProfile {
    /// Counts the ticks on source lines that call `JSON.parse` or
    /// `JSON.stringify` as JSON time. `read_source` gets the local path of
    /// each script the profile names (`file://` URLs and absolute paths) and
    /// returns its text, or `None` when it cannot; such files, and files that
    /// no longer match the profile, are listed in
    /// [`unchecked_sources`](Self::unchecked_sources).
    pub fn attribute_json_lines(&mut self, mut read_source: impl FnMut(&Path) -> Option<String>) {
        self.unchecked_sources.clear();
        let mut by_url: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if node.kind == Kind::Code && !node.position_ticks.is_empty() {
                by_url.entry(node.url.as_str()).or_default().push(i);
            }
        }
        let mut json_ticks = Vec::new();
        for (url, nodes) in by_url {
            let Some(path) = local_path(url) else {
                continue;
            };
            let Some(text) = read_source(&path) else {
                self.unchecked_sources.insert(path.display().to_string());
                continue;
            };
            let lines = LineIndex::new(&text);
            for i in nodes {
                match json_ticks_in(&self.nodes[i], &lines) {
                    Some(ticks) => json_ticks.push((i, ticks)),
                    None => {
                        json_ticks.push((i, 0));
                        self.unchecked_sources.insert(path.display().to_string());
                    }
                }
            }
        }
        for node in &mut self.nodes {
            node.json_ticks = 0;
        }
        for (i, ticks) in json_ticks {
            self.nodes[i].json_ticks = ticks;
        }
    }
}

/// Ticks of `node` on JSON-calling lines, or `None` when the source does
/// not match the profile or a hot line is minified.
fn json_ticks_in(node: &Node, lines: &LineIndex<'_>) -> Option<u64> {
    if !declares(node, lines) {
        return None;
    }
    let mut json = 0;
    for &(line, ticks) in &node.position_ticks {
        let line = usize::try_from(line).ok()?;
        if line == 0 || line > lines.line_count() {
            return None;
        }
        let text = lines.line_text(line);
        if text.len() > MAX_LINE_BYTES {
            return None;
        }
        if text.contains("JSON.parse") || text.contains("JSON.stringify") {
            json += ticks;
        }
    }
    Some(json)
}

/// Whether the function's first line still names it: a file edited since
/// it was profiled would have its ticks land on the wrong lines.
fn declares(node: &Node, lines: &LineIndex<'_>) -> bool {
    let Some(line) = node.line.and_then(|l| usize::try_from(l).ok()) else {
        return false;
    };
    if line > lines.line_count() {
        return false;
    }
    if node.name == "(anonymous)" {
        return true;
    }
    // `Module.load` is declared as `load`, `get size` as `size`.
    let short = node.name.rsplit(['.', ' ']).next().unwrap_or(&node.name);
    lines.line_text(line).contains(short)
}

/// The local file a script URL names: `file://` URLs (percent-decoded) and
/// absolute paths, which older Node versions wrote for CommonJS modules.
pub(super) fn local_path(url: &str) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        let decoded = percent_decode(rest)?;
        // `file:///C:/app/x.js` is the Windows path `C:/app/x.js`.
        let path = match decoded.as_bytes() {
            [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => decoded[1..].to_owned(),
            _ => decoded,
        };
        return Some(PathBuf::from(path));
    }
    Path::new(url).is_absolute().then(|| PathBuf::from(url))
}

/// How a frame's URL is shown: a path for local files, anything else as is.
pub(super) fn display_url(url: &str) -> Option<String> {
    if url.is_empty() {
        return None;
    }
    Some(local_path(url).map_or_else(|| url.to_owned(), |p| p.display().to_string()))
}

/// `%20` → space; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_become_paths() {
        assert_eq!(
            local_path("file:///srv/my%20app/server.js"),
            Some(PathBuf::from("/srv/my app/server.js"))
        );
        assert_eq!(
            local_path("file:///C:/app/x.js"),
            Some(PathBuf::from("C:/app/x.js"))
        );
        assert_eq!(
            local_path("/srv/app.js"),
            Some(PathBuf::from("/srv/app.js"))
        );
        assert_eq!(local_path("node:internal/crypto/hash"), None);
        assert_eq!(local_path("file:///bad%zz"), None);
    }

    #[test]
    fn display_keeps_node_urls_and_drops_empty_ones() {
        assert_eq!(
            display_url("node:internal/crypto/hash").as_deref(),
            Some("node:internal/crypto/hash")
        );
        assert_eq!(display_url("file:///a/b.js").as_deref(), Some("/a/b.js"));
        assert_eq!(display_url(""), None);
    }
}
