//! Two answers → their differences, as a JavaScript client would see them.
//!
//! JSON bodies are compared as values (key order ignored, strings decoded)
//! with numbers kept as written, so the classic JS → Rust drifts get names
//! of their own: `1` vs `1.0` is `number-format` (JSON.parse reads the same
//! value), digits beyond 2^53 are `unsafe-integer`, float round-trip noise
//! is `float-precision`, and only the rest is a wrong `value`.
//!
//! A document is parsed into a flat array of 12-byte nodes whose strings
//! and numbers point into the body, so two 50 MB documents take a few times
//! their size, not the tens of times a tree of `serde_json::Value` would.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};

use jiter::{Jiter, Peek};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::exchange::{Body, Response};

/// What to compare besides status and body.
#[derive(Debug, Clone, Default)]
pub struct CompareOptions {
    /// Response headers compared on top of [`DEFAULT_HEADERS`] (lower-case).
    pub headers: Vec<String>,
    /// Arrays compared as sets.
    pub unordered: Vec<Unordered>,
}

/// An array compared without regard to order; elements matched by the
/// value of member `key` when given, else by their whole value.
#[derive(Debug, Clone)]
pub struct Unordered {
    pub pointer: PointerPattern,
    pub key: Option<String>,
}

/// Always compared (set-cookie by cookie names only).
pub const DEFAULT_HEADERS: [&str; 4] = ["cache-control", "content-type", "location", "set-cookie"];

/// Deeper documents are compared as text: no stack is risked on them.
const MAX_DEPTH: usize = 512;
/// Values in differences are cut to about this many bytes.
const VALUE_LIMIT: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    Status,
    Header,
    Body,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Header => "header",
            Self::Body => "body",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Status,
    Header,
    Missing,
    Extra,
    Type,
    Value,
    NumberFormat,
    UnsafeInteger,
    FloatPrecision,
    ArrayLength,
    Order,
    NotJson,
    Body,
    BodyHash,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Header => "header",
            Kind::Missing => "missing",
            Kind::Extra => "extra",
            Kind::Type => "type",
            Kind::Value => "value",
            Kind::NumberFormat => "number-format",
            Kind::UnsafeInteger => "unsafe-integer",
            Kind::FloatPrecision => "float-precision",
            Kind::ArrayLength => "array-length",
            Kind::Order => "order",
            Kind::NotJson => "not-json",
            Kind::Body => "body",
            Kind::BodyHash => "body-hash",
        }
    }

    /// The kind in words, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Status => "a different status code",
            Kind::Header => "a compared header has another value",
            Kind::Missing => "present in the baseline's answer, absent from the candidate's",
            Kind::Extra => "absent from the baseline's answer, present in the candidate's",
            Kind::Type => "a different JSON type",
            Kind::Value => "a different value",
            Kind::NumberFormat => {
                "the same number written differently: JSON.parse reads the same value, byte comparisons and caches do not"
            }
            Kind::UnsafeInteger => {
                "an integer beyond 2^53 − 1 with other digits: a JavaScript client cannot tell the two apart"
            }
            Kind::FloatPrecision => {
                "numbers equal to about 15 significant digits: float rounding (f32, fewer printed digits)"
            }
            Kind::ArrayLength => "arrays of different lengths",
            Kind::Order => {
                "the same elements in another order (mark the array unordered if order does not matter)"
            }
            Kind::NotJson => {
                "the baseline answered JSON, the candidate something that does not parse"
            }
            Kind::Body => "a different body",
            Kind::BodyHash => "a body over --max-body with another length or SHA-256",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between the baseline's and the candidate's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub part: Part,
    /// RFC 6901 pointer in the body, `/name` for a header, empty for the
    /// status and whole bodies.
    pub pointer: String,
    /// The pointer with array indices as `*`.
    pub pattern: String,
    pub kind: Kind,
    /// JSON text as the baseline wrote it (cut); `None` when absent.
    pub baseline: Option<String>,
    pub candidate: Option<String>,
}

/// The headers [`compare`] looks at: the defaults and the asked-for ones.
pub fn compared_headers(options: &CompareOptions) -> Vec<String> {
    let mut all: Vec<String> = DEFAULT_HEADERS
        .iter()
        .map(|h| (*h).to_owned())
        .chain(
            options
                .headers
                .iter()
                .map(|h| h.trim().to_ascii_lowercase()),
        )
        .collect();
    all.sort();
    all.dedup();
    all
}

/// Every difference between two answers, status first, then headers in
/// name order, then the body.
pub fn compare(
    baseline: &Response,
    candidate: &Response,
    options: &CompareOptions,
) -> Vec<Difference> {
    let mut out = Vec::new();
    if baseline.status != candidate.status {
        out.push(Difference {
            part: Part::Status,
            pointer: String::new(),
            pattern: String::new(),
            kind: Kind::Status,
            baseline: Some(baseline.status.to_string()),
            candidate: Some(candidate.status.to_string()),
        });
    }
    for name in compared_headers(options) {
        compare_header(&name, baseline, candidate, &mut out);
    }
    compare_bodies(baseline, candidate, options, &mut out);
    out
}

fn compare_header(name: &str, b: &Response, c: &Response, out: &mut Vec<Difference>) {
    let value = |r: &Response| -> Option<String> {
        let values: Vec<&str> = r.header_values(name).collect();
        if values.is_empty() {
            return None;
        }
        Some(match name {
            "set-cookie" => {
                let mut names: Vec<&str> = values
                    .iter()
                    .map(|v| v.split(['=', ';']).next().unwrap_or("").trim())
                    .collect();
                names.sort_unstable();
                names.join(", ")
            }
            "content-type" => values
                .iter()
                .map(|v| media_type(v))
                .collect::<Vec<_>>()
                .join(", "),
            _ => values
                .iter()
                .map(|v| v.trim())
                .collect::<Vec<_>>()
                .join(", "),
        })
    };
    let (bv, cv) = (value(b), value(c));
    let kind = match (&bv, &cv) {
        (Some(x), Some(y)) if x == y => return,
        (None, None) => return,
        (Some(_), None) => Kind::Missing,
        (None, Some(_)) => Kind::Extra,
        (Some(_), Some(_)) => Kind::Header,
    };
    let pointer = format!("/{name}");
    out.push(Difference {
        part: Part::Header,
        pattern: pointer.clone(),
        pointer,
        kind,
        baseline: bv,
        candidate: cv,
    });
}

/// `Application/JSON; Charset="UTF-8"` → `application/json;charset=utf-8`.
fn media_type(value: &str) -> String {
    let mut parts = value.split(';');
    let mut out = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        let v = v.trim().trim_matches('"');
        out.push(';');
        out.push_str(&k);
        out.push('=');
        if k == "charset" {
            out.push_str(&v.to_ascii_lowercase());
        } else {
            out.push_str(v);
        }
    }
    out
}

fn is_json_type(response: &Response) -> Option<bool> {
    let ct = response.header_values("content-type").next()?;
    let media = media_type(ct);
    let media = media.split(';').next().unwrap_or("");
    Some(media == "application/json" || media.ends_with("+json"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn hashed(len: u64, sha: &str) -> String {
    format!("{len} bytes, sha256 {}", &sha[..sha.len().min(16)])
}

fn compare_bodies(b: &Response, c: &Response, options: &CompareOptions, out: &mut Vec<Difference>) {
    let whole = |kind, baseline: String, candidate: String| Difference {
        part: Part::Body,
        pointer: String::new(),
        pattern: String::new(),
        kind,
        baseline: Some(baseline),
        candidate: Some(candidate),
    };
    let (bb, cb) = match (&b.body, &c.body) {
        (Body::Full(x), Body::Full(y)) => (x, y),
        (bb, cb) => {
            let summary = |body: &Body| match body {
                Body::Full(bytes) => (bytes.len() as u64, sha256_hex(bytes)),
                Body::Hashed { len, sha256 } => (*len, sha256.clone()),
            };
            let (x, y) = (summary(bb), summary(cb));
            if x != y {
                out.push(whole(Kind::BodyHash, hashed(x.0, &x.1), hashed(y.0, &y.1)));
            }
            return;
        }
    };
    if bb == cb {
        return; // the common case: nothing to parse
    }
    let json = is_json_type(b).unwrap_or_else(|| {
        bb.iter()
            .find(|c| !c.is_ascii_whitespace())
            .is_some_and(|c| *c == b'{' || *c == b'[')
    });
    if json && let Some(base) = Doc::parse(bb) {
        match Doc::parse(cb) {
            Some(cand) => {
                let mut walk = Walk {
                    b: &base,
                    c: &cand,
                    options,
                    path: Vec::new(),
                    out,
                };
                walk.value(0, 0);
            }
            None => out.push(whole(Kind::NotJson, base.render(0), excerpt(cb, 0))),
        }
        return;
    }
    // Text or bytes: where they first differ.
    let at = bb.iter().zip(cb.iter()).take_while(|(x, y)| x == y).count();
    let text = std::str::from_utf8(bb).is_ok() && std::str::from_utf8(cb).is_ok();
    if text {
        out.push(whole(
            Kind::Body,
            format!("at byte {at}: {}", excerpt(bb, at)),
            format!("at byte {at}: {}", excerpt(cb, at)),
        ));
    } else {
        out.push(whole(
            Kind::Body,
            hashed(bb.len() as u64, &sha256_hex(bb)),
            hashed(cb.len() as u64, &sha256_hex(cb)),
        ));
    }
}

/// About 80 bytes of `bytes` around `at`, lossy, on char boundaries.
fn excerpt(bytes: &[u8], at: usize) -> String {
    let start = at.saturating_sub(30);
    let end = (at + 50).min(bytes.len());
    let mut text = String::from_utf8_lossy(&bytes[start..end]).into_owned();
    text = text.trim_start_matches('\u{fffd}').to_owned();
    if start > 0 {
        text.insert(0, '…');
    }
    if end < bytes.len() {
        text.push('…');
    }
    if bytes.is_empty() {
        text.push_str("(empty)");
    }
    text
}

// --- the document -------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Null,
    False,
    True,
    /// a, b: offset and length of its text in the body.
    Number,
    /// a, b: offset and length in the body (no escapes).
    Str,
    /// a, b: offset and length in the document's decoded strings.
    Decoded,
    /// a: element count, b: index of the node after the array.
    Array,
    /// a: member count, b: index after the object; members are a key
    /// (`Str` or `Decoded`) then its value.
    Object,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    tag: Tag,
    a: u32,
    b: u32,
}

/// A parsed JSON body: nodes in document order.
struct Doc<'s> {
    src: &'s [u8],
    nodes: Vec<Node>,
    decoded: String,
}

fn type_name(tag: Tag) -> &'static str {
    match tag {
        Tag::Null => "null",
        Tag::False | Tag::True => "boolean",
        Tag::Number => "number",
        Tag::Str | Tag::Decoded => "string",
        Tag::Array => "array",
        Tag::Object => "object",
    }
}

impl<'s> Doc<'s> {
    /// `None` when `src` is not one JSON value (or deeper than [`MAX_DEPTH`],
    /// or too large for 32-bit offsets).
    fn parse(src: &'s [u8]) -> Option<Self> {
        if u32::try_from(src.len()).is_err() || std::str::from_utf8(src).is_err() {
            return None;
        }
        let mut doc = Doc {
            src,
            nodes: Vec::with_capacity(src.len() / 8),
            decoded: String::new(),
        };
        let mut jiter = Jiter::new(src);
        let peek = jiter.peek().ok()?;
        doc.value(&mut jiter, peek, 0)?;
        jiter.finish().ok()?;
        Some(doc)
    }

    fn offset(&self, slice: &[u8]) -> u32 {
        // Slices jiter hands out point into `src`.
        (slice.as_ptr() as usize - self.src.as_ptr() as usize) as u32
    }

    /// A string whose raw content (between the quotes) is `raw`.
    fn string(&mut self, raw: &[u8]) -> Option<Node> {
        let (a, len) = (self.offset(raw), raw.len() as u32);
        if !raw.contains(&b'\\') {
            return Some(Node {
                tag: Tag::Str,
                a,
                b: len,
            });
        }
        let quoted = &self.src[a as usize - 1..(a + len) as usize + 1];
        let text: String = serde_json::from_slice(quoted).ok()?;
        let start = self.decoded.len() as u32;
        self.decoded.push_str(&text);
        Some(Node {
            tag: Tag::Decoded,
            a: start,
            b: text.len() as u32,
        })
    }

    fn value(&mut self, j: &mut Jiter<'s>, peek: Peek, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let node = match peek {
            Peek::Null => {
                j.known_null().ok()?;
                Node {
                    tag: Tag::Null,
                    a: 0,
                    b: 0,
                }
            }
            Peek::True | Peek::False => {
                let v = j.known_bool(peek).ok()?;
                Node {
                    tag: if v { Tag::True } else { Tag::False },
                    a: 0,
                    b: 0,
                }
            }
            Peek::String => {
                let raw = j.known_bytes().ok()?;
                let raw: &[u8] = in_source(self.src, raw);
                self.string(raw)?
            }
            Peek::Array => {
                let at = self.nodes.len();
                self.nodes.push(Node {
                    tag: Tag::Array,
                    a: 0,
                    b: 0,
                });
                let mut count = 0u32;
                let mut next = j.known_array().ok()?;
                while let Some(p) = next {
                    self.value(j, p, depth + 1)?;
                    count += 1;
                    next = j.array_step().ok()?;
                }
                self.nodes[at].a = count;
                self.nodes[at].b = self.nodes.len() as u32;
                return Some(());
            }
            Peek::Object => {
                let at = self.nodes.len();
                self.nodes.push(Node {
                    tag: Tag::Object,
                    a: 0,
                    b: 0,
                });
                let mut count = 0u32;
                let mut key = j.next_object_bytes().ok()?.map(|k| in_source(self.src, k));
                while let Some(k) = key {
                    let node = self.string(k)?;
                    self.nodes.push(node);
                    let p = j.peek().ok()?;
                    self.value(j, p, depth + 1)?;
                    count += 1;
                    key = j.next_key_bytes().ok()?.map(|k| in_source(self.src, k));
                }
                self.nodes[at].a = count;
                self.nodes[at].b = self.nodes.len() as u32;
                return Some(());
            }
            p if p.is_num() => {
                let raw = j.known_number_bytes(p).ok()?;
                let raw = in_source(self.src, raw);
                Node {
                    tag: Tag::Number,
                    a: self.offset(raw),
                    b: raw.len() as u32,
                }
            }
            _ => return None,
        };
        self.nodes.push(node);
        Some(())
    }

    fn text(&self, node: Node) -> &str {
        let (a, b) = (node.a as usize, (node.a + node.b) as usize);
        match node.tag {
            Tag::Decoded => &self.decoded[a..b],
            // Checked to be UTF-8 in `parse`.
            _ => std::str::from_utf8(&self.src[a..b]).unwrap_or(""),
        }
    }

    /// The index after the subtree at `i`.
    fn end(&self, i: usize) -> usize {
        match self.nodes[i].tag {
            Tag::Array | Tag::Object => self.nodes[i].b as usize,
            _ => i + 1,
        }
    }

    /// Element indices of the array at `i`.
    fn elements(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.nodes[i].a as usize);
        let mut at = i + 1;
        for _ in 0..self.nodes[i].a {
            out.push(at);
            at = self.end(at);
        }
        out
    }

    /// (key, value index) of the object at `i`, sorted by key; of repeated
    /// keys the last (JSON.parse keeps the last).
    fn members(&self, i: usize) -> Vec<(&str, usize)> {
        let mut out = Vec::with_capacity(self.nodes[i].a as usize);
        let mut at = i + 1;
        for _ in 0..self.nodes[i].a {
            out.push((self.text(self.nodes[at]), at + 1));
            at = self.end(at + 1);
        }
        out.reverse();
        out.sort_by(|x, y| x.0.cmp(y.0)); // stable: the last comes first
        out.dedup_by(|later, first| later.0 == first.0);
        out
    }

    /// Compact JSON text of the subtree at `i`, cut near [`VALUE_LIMIT`].
    fn render(&self, i: usize) -> String {
        let mut out = String::new();
        self.render_into(i, &mut out);
        if out.len() > VALUE_LIMIT {
            let mut cut = VALUE_LIMIT;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
        }
        out
    }

    fn render_into(&self, i: usize, out: &mut String) {
        if out.len() > VALUE_LIMIT {
            return;
        }
        let node = self.nodes[i];
        match node.tag {
            Tag::Null => out.push_str("null"),
            Tag::True => out.push_str("true"),
            Tag::False => out.push_str("false"),
            Tag::Number => out.push_str(self.text(node)),
            Tag::Str | Tag::Decoded => {
                out.push_str(&serde_json::to_string(self.text(node)).unwrap_or_default());
            }
            Tag::Array => {
                out.push('[');
                for (n, e) in self.elements(i).into_iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    self.render_into(e, out);
                    if out.len() > VALUE_LIMIT {
                        return;
                    }
                }
                out.push(']');
            }
            Tag::Object => {
                out.push('{');
                let mut at = i + 1;
                for n in 0..node.a {
                    if n > 0 {
                        out.push(',');
                    }
                    out.push_str(
                        &serde_json::to_string(self.text(self.nodes[at])).unwrap_or_default(),
                    );
                    out.push(':');
                    self.render_into(at + 1, out);
                    if out.len() > VALUE_LIMIT {
                        return;
                    }
                    at = self.end(at + 1);
                }
                out.push('}');
            }
        }
    }

    /// A hash of the value as JavaScript reads it: key order and number
    /// formatting do not change it.
    fn canonical_hash(&self, i: usize) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        self.hash_into(i, &mut h);
        h.finish()
    }

    fn hash_into(&self, i: usize, h: &mut impl Hasher) {
        let node = self.nodes[i];
        match node.tag {
            Tag::Null => 0u8.hash(h),
            Tag::False => 1u8.hash(h),
            Tag::True => 2u8.hash(h),
            Tag::Number => {
                3u8.hash(h);
                js_number(self.text(node)).to_bits().hash(h);
            }
            Tag::Str | Tag::Decoded => {
                4u8.hash(h);
                self.text(node).hash(h);
            }
            Tag::Array => {
                5u8.hash(h);
                for e in self.elements(i) {
                    self.hash_into(e, h);
                }
            }
            Tag::Object => {
                6u8.hash(h);
                for (k, v) in self.members(i) {
                    k.hash(h);
                    self.hash_into(v, h);
                }
            }
        }
    }
}

/// jiter's slices borrow the parser, but they are ranges of `src`: the same
/// bytes, re-borrowed for the document's lifetime.
fn in_source<'s>(src: &'s [u8], slice: &[u8]) -> &'s [u8] {
    let start = slice.as_ptr() as usize - src.as_ptr() as usize;
    &src[start..start + slice.len()]
}

/// The value `JSON.parse` gives (±Infinity beyond f64's range).
fn js_number(text: &str) -> f64 {
    text.parse::<f64>().unwrap_or(f64::NAN)
}

/// An integer as written: no fraction, no exponent.
fn is_integer_text(text: &str) -> bool {
    !text.contains(['.', 'e', 'E'])
}

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// How two numbers that are not written alike differ; `None`: they do not.
fn number_kind(b: &str, c: &str) -> Option<Kind> {
    if b == c {
        return None;
    }
    let (x, y) = (js_number(b), js_number(c));
    let integers = is_integer_text(b) && is_integer_text(c);
    let unsafe_range = x.abs() > MAX_SAFE_INTEGER || y.abs() > MAX_SAFE_INTEGER;
    if integers && unsafe_range {
        // Digits beyond what a double holds: compare them exactly.
        let digits = |t: &str| {
            let (sign, d) = t.strip_prefix('-').map_or(("", t), |d| ("-", d));
            format!("{sign}{}", d.trim_start_matches('0'))
        };
        return if digits(b) == digits(c) {
            Some(Kind::NumberFormat)
        } else {
            Some(Kind::UnsafeInteger)
        };
    }
    if x == y {
        return Some(Kind::NumberFormat);
    }
    if !x.is_finite() || !y.is_finite() {
        return Some(Kind::Value);
    }
    let scale = x.abs().max(y.abs());
    #[allow(clippy::cast_possible_truncation)] // the point: does f32 rounding explain it?
    let same_f32 = (x as f32) == (y as f32);
    let fractional = !integers;
    if fractional && ((x - y).abs() <= scale * 1e-12 || same_f32) {
        return Some(Kind::FloatPrecision);
    }
    Some(Kind::Value)
}

// --- the walk -------------------------------------------------------------

#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

struct Walk<'a, 'o> {
    b: &'a Doc<'a>,
    c: &'a Doc<'a>,
    options: &'o CompareOptions,
    path: Vec<Segment<'a>>,
    out: &'o mut Vec<Difference>,
}

impl<'a> Walk<'a, '_> {
    fn pointer(&self, pattern: bool) -> String {
        let mut out = String::new();
        for s in &self.path {
            out.push('/');
            match s {
                Segment::Key(k) => out.push_str(&escape_segment(k)),
                Segment::Index(_) if pattern => out.push('*'),
                Segment::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }

    fn emit(&mut self, kind: Kind, baseline: Option<String>, candidate: Option<String>) {
        self.out.push(Difference {
            part: Part::Body,
            pointer: self.pointer(false),
            pattern: self.pointer(true),
            kind,
            baseline,
            candidate,
        });
    }

    fn value(&mut self, bi: usize, ci: usize) {
        let (bn, cn) = (self.b.nodes[bi], self.c.nodes[ci]);
        let same_type = type_name(bn.tag) == type_name(cn.tag);
        if !same_type {
            self.emit(Kind::Type, Some(self.b.render(bi)), Some(self.c.render(ci)));
            return;
        }
        match bn.tag {
            Tag::Null => {}
            Tag::True | Tag::False => {
                if bn.tag != cn.tag {
                    self.emit(
                        Kind::Value,
                        Some(self.b.render(bi)),
                        Some(self.c.render(ci)),
                    );
                }
            }
            Tag::Number => {
                let (x, y) = (self.b.text(bn), self.c.text(cn));
                if let Some(kind) = number_kind(x, y) {
                    self.emit(kind, Some(x.to_owned()), Some(y.to_owned()));
                }
            }
            Tag::Str | Tag::Decoded => {
                if self.b.text(bn) != self.c.text(cn) {
                    self.emit(
                        Kind::Value,
                        Some(self.b.render(bi)),
                        Some(self.c.render(ci)),
                    );
                }
            }
            Tag::Object => self.object(bi, ci),
            Tag::Array => {
                let unordered = if self.options.unordered.is_empty() {
                    None
                } else {
                    let pointer = self.pointer(false);
                    self.options
                        .unordered
                        .iter()
                        .find(|u| u.pointer.matches(&pointer))
                        .map(|u| u.key.clone())
                };
                match unordered {
                    Some(key) => self.unordered_array(bi, ci, key.as_deref()),
                    None => self.array(bi, ci),
                }
            }
        }
    }

    fn object(&mut self, bi: usize, ci: usize) {
        let (bm, cm) = (self.b.members(bi), self.c.members(ci));
        let (mut x, mut y) = (0, 0);
        while x < bm.len() || y < cm.len() {
            let order = match (bm.get(x), cm.get(y)) {
                (Some(p), Some(q)) => p.0.cmp(q.0),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            match order {
                std::cmp::Ordering::Less => {
                    self.path.push(Segment::Key(bm[x].0));
                    self.emit(Kind::Missing, Some(self.b.render(bm[x].1)), None);
                    self.path.pop();
                    x += 1;
                }
                std::cmp::Ordering::Greater => {
                    self.path.push(Segment::Key(cm[y].0));
                    self.emit(Kind::Extra, None, Some(self.c.render(cm[y].1)));
                    self.path.pop();
                    y += 1;
                }
                std::cmp::Ordering::Equal => {
                    self.path.push(Segment::Key(bm[x].0));
                    self.value(bm[x].1, cm[y].1);
                    self.path.pop();
                    x += 1;
                    y += 1;
                }
            }
        }
    }

    fn array(&mut self, bi: usize, ci: usize) {
        let (be, ce) = (self.b.elements(bi), self.c.elements(ci));
        if be.len() != ce.len() {
            let items = |n: usize| format!("{n} item{}", if n == 1 { "" } else { "s" });
            self.emit(
                Kind::ArrayLength,
                Some(items(be.len())),
                Some(items(ce.len())),
            );
        }
        let mark = self.out.len();
        for (n, (&x, &y)) in be.iter().zip(&ce).enumerate() {
            self.path.push(Segment::Index(n));
            self.value(x, y);
            self.path.pop();
        }
        if self.out.len() == mark || be.len() != ce.len() || be.len() < 2 {
            return;
        }
        // The same elements in another order: one difference, not one per
        // element. Elements equal as JavaScript reads them, position by
        // position, differ by format, not by order.
        let mut left: Vec<u64> = be.iter().map(|&e| self.b.canonical_hash(e)).collect();
        let mut right: Vec<u64> = ce.iter().map(|&e| self.c.canonical_hash(e)).collect();
        if left == right {
            return;
        }
        left.sort_unstable();
        right.sort_unstable();
        if left == right {
            self.out.truncate(mark);
            self.emit(
                Kind::Order,
                Some(self.b.render(bi)),
                Some(self.c.render(ci)),
            );
        }
    }

    fn unordered_array(&mut self, bi: usize, ci: usize, key: Option<&str>) {
        let (be, ce) = (self.b.elements(bi), self.c.elements(ci));
        // Match by the key member's value where there is one, else by the
        // whole value.
        let identity = |doc: &Doc<'_>, e: usize| -> (bool, u64) {
            if let Some(key) = key
                && doc.nodes[e].tag == Tag::Object
                && let Some(&(_, v)) = doc.members(e).iter().find(|(k, _)| *k == key)
            {
                return (true, doc.canonical_hash(v));
            }
            (false, doc.canonical_hash(e))
        };
        let mut candidates: HashMap<(bool, u64), Vec<usize>> = HashMap::new();
        for (n, &e) in ce.iter().enumerate().rev() {
            candidates.entry(identity(self.c, e)).or_default().push(n);
        }
        let mut matched = vec![false; ce.len()];
        for (n, &e) in be.iter().enumerate() {
            self.path.push(Segment::Index(n));
            match candidates.get_mut(&identity(self.b, e)).and_then(Vec::pop) {
                Some(m) => {
                    matched[m] = true;
                    self.value(e, ce[m]);
                }
                None => self.emit(Kind::Missing, Some(self.b.render(e)), None),
            }
            self.path.pop();
        }
        for (m, &e) in ce.iter().enumerate() {
            if !matched[m] {
                self.path.push(Segment::Index(m));
                self.emit(Kind::Extra, None, Some(self.c.render(e)));
                self.path.pop();
            }
        }
    }
}

// --- pointers ---------------------------------------------------------------

/// RFC 6901: `~` → `~0`, `/` → `~1`.
pub fn escape_segment(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PatternSegment {
    Any,
    Literal(String),
}

/// A JSON pointer whose segments may be `*` (any one segment):
/// `/items/*/updatedAt`. The empty pattern is the whole document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PointerPattern {
    text: String,
    segments: Vec<PatternSegment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(String);

/// A pointer's segments, unescaped; `None` for a malformed one.
fn segments(pointer: &str) -> Option<Vec<Cow<'_, str>>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    rest.split('/')
        .map(|s| {
            if !s.contains('~') {
                return Some(Cow::Borrowed(s));
            }
            let mut out = String::with_capacity(s.len());
            let mut chars = s.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => return None,
                    }
                } else {
                    out.push(c);
                }
            }
            Some(Cow::Owned(out))
        })
        .collect()
}

impl PointerPattern {
    /// # Errors
    /// A pattern that does not start with `/` (unless empty), or a `~` not
    /// followed by `0` or `1`.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        if !text.is_empty() && !text.starts_with('/') {
            return Err(PatternError(format!(
                "a JSON pointer must start with `/` (or be empty for the whole body), not `{text}`"
            )));
        }
        let parts = segments(text).ok_or_else(|| {
            PatternError(format!(
                "`{text}`: in a JSON pointer `~` must be followed by 0 (for ~) or 1 (for /)"
            ))
        })?;
        let segments = text
            .split('/')
            .skip(1)
            .zip(parts)
            .map(|(raw, s)| {
                if raw == "*" {
                    PatternSegment::Any
                } else {
                    PatternSegment::Literal(s.into_owned())
                }
            })
            .collect();
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    fn matches_segments(&self, pointer: &str, whole: bool) -> bool {
        let Some(parts) = segments(pointer) else {
            return false;
        };
        if parts.len() < self.segments.len() || (whole && parts.len() != self.segments.len()) {
            return false;
        }
        self.segments.iter().zip(&parts).all(|(p, s)| match p {
            PatternSegment::Any => true,
            PatternSegment::Literal(l) => l == s,
        })
    }

    /// `pointer` is one the pattern names.
    pub fn matches(&self, pointer: &str) -> bool {
        self.matches_segments(pointer, true)
    }

    /// `pointer` is one the pattern names or inside one (ignoring `/meta`
    /// ignores `/meta/x`).
    pub fn matches_prefix_of(&self, pointer: &str) -> bool {
        self.matches_segments(pointer, false)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for PointerPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(body: &str) -> Response {
        Response {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: Body::Full(body.as_bytes().to_vec()),
        }
    }

    /// (pointer, kind, baseline, candidate) of every difference.
    fn diff(b: &str, c: &str) -> Vec<(String, Kind, Option<String>, Option<String>)> {
        diff_with(b, c, &CompareOptions::default())
    }

    fn diff_with(
        b: &str,
        c: &str,
        o: &CompareOptions,
    ) -> Vec<(String, Kind, Option<String>, Option<String>)> {
        compare(&json(b), &json(c), o)
            .into_iter()
            .map(|d| (d.pointer, d.kind, d.baseline, d.candidate))
            .collect()
    }

    fn one(
        pointer: &str,
        kind: Kind,
        b: &str,
        c: &str,
    ) -> Vec<(String, Kind, Option<String>, Option<String>)> {
        vec![(
            pointer.to_owned(),
            kind,
            Some(b.to_owned()),
            Some(c.to_owned()),
        )]
    }

    #[test]
    fn numbers_as_javascript_reads_them() {
        assert_eq!(
            diff(r#"{"a":1}"#, r#"{"a":1.0}"#),
            one("/a", Kind::NumberFormat, "1", "1.0")
        );
        assert_eq!(
            diff("[1e21]", "[1e+21]"),
            one("/0", Kind::NumberFormat, "1e21", "1e+21")
        );
        assert_eq!(
            diff("[100]", "[1E2]"),
            one("/0", Kind::NumberFormat, "100", "1E2")
        );
        assert_eq!(
            diff("[9007199254740993]", "[9007199254740992]"),
            one(
                "/0",
                Kind::UnsafeInteger,
                "9007199254740993",
                "9007199254740992"
            )
        );
        assert_eq!(
            diff("[0.1]", "[0.10000000000000002]"),
            one("/0", Kind::FloatPrecision, "0.1", "0.10000000000000002")
        );
        assert_eq!(
            diff("[0.3]", "[0.30000001192092896]"),
            one("/0", Kind::FloatPrecision, "0.3", "0.30000001192092896"),
            "an f32 round trip"
        );
        assert_eq!(diff("[1]", "[2]"), one("/0", Kind::Value, "1", "2"));
        assert_eq!(
            diff("[100000000]", "[100000001]"),
            one("/0", Kind::Value, "100000000", "100000001")
        );
        assert_eq!(diff(r#"["1"]"#, "[1]"), one("/0", Kind::Type, "\"1\"", "1"));
        assert!(
            diff("[1e400]", "[1e999]")[0].1 == Kind::NumberFormat,
            "both Infinity"
        );
    }

    #[test]
    fn objects_ignore_key_order_and_name_missing_and_extra_keys() {
        assert!(
            diff(
                r#"{"a":1,"b":[true,null]}"#,
                r#"{ "b" : [true, null], "a" : 1 }"#
            )
            .is_empty()
        );
        assert!(
            diff(r#"{"s":"\u00e9\/"}"#, r#"{"s":"é/"}"#).is_empty(),
            "strings compare decoded"
        );
        assert!(
            diff(r#"{"a":1,"a":2}"#, r#"{"a":2}"#).is_empty(),
            "the last duplicate wins"
        );
        assert_eq!(
            diff(r#"{"a/b":1,"m~n":{"x":2}}"#, r#"{"m~n":{},"z":"new"}"#),
            vec![
                (
                    "/a~1b".to_owned(),
                    Kind::Missing,
                    Some("1".to_owned()),
                    None
                ),
                (
                    "/m~0n/x".to_owned(),
                    Kind::Missing,
                    Some("2".to_owned()),
                    None
                ),
                (
                    "/z".to_owned(),
                    Kind::Extra,
                    None,
                    Some("\"new\"".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn patterns_replace_indices() {
        let d = compare(
            &json(r#"{"items":[{"u":1},{"u":2}]}"#),
            &json(r#"{"items":[{"u":1},{"u":3}]}"#),
            &CompareOptions::default(),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].pointer, "/items/1/u");
        assert_eq!(d[0].pattern, "/items/*/u");
    }

    #[test]
    fn arrays_in_order_unless_unordered() {
        assert_eq!(
            diff("[1,2,3]", "[3,2,1]"),
            one("", Kind::Order, "[1,2,3]", "[3,2,1]")
        );
        assert_eq!(
            diff("[1,2]", "[1.0,2]"),
            one("/0", Kind::NumberFormat, "1", "1.0"),
            "equal in place as JavaScript reads them: a format, not an order"
        );
        assert_eq!(
            diff("[1,2,3]", "[1,5]"),
            vec![
                (
                    "".to_owned(),
                    Kind::ArrayLength,
                    Some("3 items".to_owned()),
                    Some("2 items".to_owned())
                ),
                (
                    "/1".to_owned(),
                    Kind::Value,
                    Some("2".to_owned()),
                    Some("5".to_owned())
                ),
            ]
        );
        let by_id = CompareOptions {
            headers: Vec::new(),
            unordered: vec![Unordered {
                pointer: PointerPattern::parse("/items").unwrap(),
                key: Some("id".to_owned()),
            }],
        };
        assert_eq!(
            diff_with(
                r#"{"items":[{"id":1,"v":"a"},{"id":2,"v":"b"},{"id":3}]}"#,
                r#"{"items":[{"id":2,"v":"B"},{"id":1,"v":"a"},{"id":4}]}"#,
                &by_id
            ),
            vec![
                (
                    "/items/1/v".to_owned(),
                    Kind::Value,
                    Some("\"b\"".to_owned()),
                    Some("\"B\"".to_owned())
                ),
                (
                    "/items/2".to_owned(),
                    Kind::Missing,
                    Some(r#"{"id":3}"#.to_owned()),
                    None
                ),
                (
                    "/items/2".to_owned(),
                    Kind::Extra,
                    None,
                    Some(r#"{"id":4}"#.to_owned())
                ),
            ]
        );
        let as_set = CompareOptions {
            headers: Vec::new(),
            unordered: vec![Unordered {
                pointer: PointerPattern::parse("/*/tags").unwrap(),
                key: None,
            }],
        };
        assert!(
            diff_with(
                r#"[{"tags":["a","b"]}]"#,
                r#"[{"tags":["b","a"]}]"#,
                &as_set
            )
            .is_empty()
        );
        assert_eq!(
            diff_with(
                r#"[{"tags":["a","b"]}]"#,
                r#"[{"tags":["b","c"]}]"#,
                &as_set
            ),
            vec![
                (
                    "/0/tags/0".to_owned(),
                    Kind::Missing,
                    Some("\"a\"".to_owned()),
                    None
                ),
                (
                    "/0/tags/1".to_owned(),
                    Kind::Extra,
                    None,
                    Some("\"c\"".to_owned())
                ),
            ]
        );
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: Body::Full(body.to_vec()),
        }
    }

    #[test]
    fn status_and_chosen_headers() {
        let b = response(
            200,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("set-cookie", "sid=abc; Path=/"),
                ("set-cookie", "theme=dark"),
                ("x-request-id", "1"),
                ("etag", "W/\"1\""),
            ],
            b"{}",
        );
        let c = response(
            201,
            &[
                ("content-type", "Application/JSON;charset=\"UTF-8\""),
                ("set-cookie", "theme=light"),
                ("set-cookie", "sid=xyz; HttpOnly"),
                ("x-request-id", "2"),
                ("location", "/x"),
            ],
            b"{}",
        );
        let options = CompareOptions {
            headers: vec!["ETag".to_owned()],
            unordered: Vec::new(),
        };
        let found: Vec<(Part, String, Kind)> = compare(&b, &c, &options)
            .into_iter()
            .map(|d| (d.part, d.pointer, d.kind))
            .collect();
        assert_eq!(
            found,
            [
                (Part::Status, String::new(), Kind::Status),
                (Part::Header, "/etag".to_owned(), Kind::Missing),
                (Part::Header, "/location".to_owned(), Kind::Extra),
            ],
            "content-type equal once normalised, cookies by name, x-request-id not asked for"
        );
    }

    #[test]
    fn other_bodies_as_text_or_bytes() {
        let text = |s: &str| response(200, &[("content-type", "text/plain")], s.as_bytes());
        let d = compare(
            &text("hello world"),
            &text("hello there"),
            &CompareOptions::default(),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kind, Kind::Body);
        assert_eq!(d[0].baseline.as_deref(), Some("at byte 6: hello world"));
        assert_eq!(d[0].candidate.as_deref(), Some("at byte 6: hello there"));
        let bin = |b: &[u8]| response(200, &[], b);
        let d = compare(
            &bin(&[0xff, 1]),
            &bin(&[0xff, 2]),
            &CompareOptions::default(),
        );
        assert!(
            d[0].baseline
                .as_deref()
                .unwrap()
                .starts_with("2 bytes, sha256 ")
        );
    }

    #[test]
    fn hashed_bodies_compare_by_length_and_hash() {
        let full = json(r#"{"a":1}"#);
        let hashed = Response {
            body: Body::Hashed {
                len: 7,
                sha256: sha256_hex(br#"{"a":1}"#),
            },
            ..full.clone()
        };
        assert!(compare(&full, &hashed, &CompareOptions::default()).is_empty());
        let other = json(r#"{"a":2}"#);
        let d = compare(&hashed, &other, &CompareOptions::default());
        assert_eq!(d[0].kind, Kind::BodyHash);
    }

    #[test]
    fn not_json_and_deep_documents() {
        assert_eq!(diff(r#"{"a":1}"#, "oops")[0].1, Kind::NotJson);
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let deeper = "[".repeat(100_000) + "1" + &"]".repeat(100_000);
        let d = diff(&deep, &deeper);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].1, Kind::Body, "compared as text, without recursion");
    }

    #[test]
    fn pointer_patterns() {
        let p = PointerPattern::parse("/items/*/updatedAt").unwrap();
        assert!(p.matches("/items/3/updatedAt"));
        assert!(!p.matches("/items/3"));
        assert!(!p.matches("/items/3/updatedAt/x"));
        assert!(p.matches_prefix_of("/items/3/updatedAt/x"));
        assert!(!p.matches_prefix_of("/items"));
        let escaped = PointerPattern::parse("/a~1b/m~0n").unwrap();
        assert!(escaped.matches("/a~1b/m~0n"));
        assert!(!escaped.matches("/a/b/m~n"));
        assert!(
            PointerPattern::parse("")
                .unwrap()
                .matches_prefix_of("/anything")
        );
        let e = PointerPattern::parse("items/0").unwrap_err().to_string();
        assert!(e.contains("must start with `/`"), "{e}");
        assert!(PointerPattern::parse("/a~2").is_err());
        assert_eq!(escape_segment("a/b~c"), "a~1b~0c");
    }
}
