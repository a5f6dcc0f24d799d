//! The YAML subset yarn berry writes its lockfile in (`stringifySyml` in
//! `@yarnpkg/parsers`): block mappings and sequences indented by two spaces,
//! plain or JSON-quoted scalars, `#` comments, and YAML's explicit `? key`
//! form. Unlike a YAML parser it has no 1,024-character limit on plain keys:
//! yarn 3 writes long keys (many descriptors of one package) plainly, and
//! yarn itself reads them.
//!
//! Anything outside the subset (flow collections, block scalars, anchors,
//! tags) is an error with its line and column; the caller then tries a full
//! YAML parser, as yarn falls back to js-yaml.

use crabport_core::Position;

/// A parsed value. Scalars stay strings: yarn reads the lockfile with the
/// failsafe schema, so `version: 1.10` is the string `1.10`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Scalar(String),
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
}

impl Node {
    pub(super) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Self::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn entries(&self) -> &[(String, Node)] {
        match self {
            Self::Map(entries) => entries,
            _ => &[],
        }
    }
}

/// A parse error: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SymlError {
    pub position: Position,
    pub message: String,
}

struct Line<'a> {
    number: usize,
    indent: usize,
    /// The line without its indentation and trailing whitespace.
    text: &'a str,
}

/// Parses a whole document; an empty one is an empty mapping.
pub(super) fn parse(source: &str) -> Result<Node, SymlError> {
    let mut lines = Vec::new();
    for (index, raw) in source.lines().enumerate() {
        let number = index + 1;
        let trimmed = raw.trim_end();
        let body = trimmed.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = trimmed.len() - body.len();
        if body.starts_with('\t') {
            return Err(error(number, indent + 1, "tabs cannot indent YAML"));
        }
        lines.push(Line {
            number,
            indent,
            text: body,
        });
    }
    let mut parser = Parser {
        lines,
        next: 0,
        depth: 0,
    };
    let Some(first) = parser.lines.first() else {
        return Ok(Node::Map(Vec::new()));
    };
    if first.indent != 0 {
        return Err(error(
            first.number,
            first.indent + 1,
            "unexpected indentation",
        ));
    }
    let node = parser.block(0)?;
    if let Some(line) = parser.lines.get(parser.next) {
        return Err(error(
            line.number,
            line.indent + 1,
            "unexpected indentation",
        ));
    }
    Ok(node)
}

fn error(line: usize, column: usize, message: impl Into<String>) -> SymlError {
    SymlError {
        position: Position { line, column },
        message: message.into(),
    }
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    next: usize,
    /// Blocks open now: bounded so that a hostile file cannot exhaust the stack.
    depth: usize,
}

/// A lockfile nests four levels (entry, `dependenciesMeta`, a name, a flag).
const MAX_DEPTH: usize = 64;

impl<'a> Parser<'a> {
    /// The mapping or sequence whose lines start at column `indent`.
    fn block(&mut self, indent: usize) -> Result<Node, SymlError> {
        if self.depth >= MAX_DEPTH {
            let (line, column) = self
                .lines
                .get(self.next)
                .map_or((0, 0), |l| (l.number, l.indent + 1));
            return Err(error(
                line,
                column,
                format!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        let node = match self.lines.get(self.next) {
            Some(line) if is_item(line.text) => self.sequence(indent),
            _ => self.mapping(indent),
        };
        self.depth -= 1;
        node
    }

    fn mapping(&mut self, indent: usize) -> Result<Node, SymlError> {
        let mut entries = Vec::new();
        while let Some(line) = self.lines.get(self.next) {
            if line.indent < indent {
                break;
            }
            let (number, col) = (line.number, line.indent + 1);
            if line.indent > indent {
                return Err(error(number, col, "unexpected indentation"));
            }
            if is_item(line.text) {
                return Err(error(
                    number,
                    col,
                    "a sequence item where a key was expected",
                ));
            }
            let text = line.text;
            self.next += 1;
            let (key, value) = if let Some(explicit) = text.strip_prefix("? ") {
                // `? key` then `:` on the next line at the same indentation.
                let (key, rest) = scalar(explicit, number, col + 2)?;
                if !rest.is_empty() {
                    return Err(error(number, col + 2, "unexpected text after the key"));
                }
                let colon = self
                    .lines
                    .get(self.next)
                    .filter(|l| l.indent == indent && l.text.starts_with(':'))
                    .ok_or_else(|| error(number, col, "expected `:` on the line after `? key`"))?;
                let (value_text, value_col) = (&colon.text[1..], col + 1);
                let colon_number = colon.number;
                self.next += 1;
                (
                    key,
                    self.value(value_text, colon_number, value_col, indent)?,
                )
            } else {
                let (key, rest) = scalar_key(text, number, col)?;
                let after = rest.strip_prefix(':').ok_or_else(|| {
                    error(
                        number,
                        col + text.len() - rest.len(),
                        "expected `:` after the key",
                    )
                })?;
                let value_col = col + text.len() - after.len();
                (key, self.value(after, number, value_col, indent)?)
            };
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }

    fn sequence(&mut self, indent: usize) -> Result<Node, SymlError> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get_mut(self.next) {
            // A key at the sequence's own indentation belongs to the parent mapping.
            if line.indent < indent || (line.indent == indent && !is_item(line.text)) {
                break;
            }
            let (number, col) = (line.number, line.indent + 1);
            if line.indent > indent {
                return Err(error(number, col, "expected a sequence item `- `"));
            }
            let text = line.text;
            let rest = text[1..].trim_start_matches(' ');
            if rest.is_empty() {
                self.next += 1;
                items.push(self.nested(indent)?);
                continue;
            }
            let item_indent = line.indent + (text.len() - rest.len());
            if looks_like_mapping(rest) {
                // `- key: value`: the item is a mapping starting on this line.
                line.indent = item_indent;
                line.text = rest;
                items.push(self.mapping(item_indent)?);
            } else {
                self.next += 1;
                let (value, trailing) = scalar(rest, number, item_indent + 1)?;
                if !trailing.is_empty() {
                    return Err(error(
                        number,
                        item_indent + 1,
                        "unexpected text after the value",
                    ));
                }
                items.push(Node::Scalar(value));
            }
        }
        Ok(Node::List(items))
    }

    /// What follows `key:`: an inline scalar, or a block on the next lines.
    fn value(
        &mut self,
        after_colon: &str,
        number: usize,
        col: usize,
        indent: usize,
    ) -> Result<Node, SymlError> {
        let inline = after_colon.trim_start_matches(' ');
        if inline.is_empty() || inline.starts_with('#') {
            return self.nested(indent);
        }
        if !after_colon.starts_with(' ') {
            return Err(error(number, col, "expected a space after `:`"));
        }
        let col = col + after_colon.len() - inline.len();
        let (value, rest) = scalar(inline, number, col)?;
        if !rest.is_empty() {
            return Err(error(
                number,
                col + inline.len() - rest.len(),
                "unexpected text after the value",
            ));
        }
        Ok(value_node(inline, value))
    }

    /// The block on the next lines, indented deeper than `indent`; an empty
    /// value when there is none.
    fn nested(&mut self, indent: usize) -> Result<Node, SymlError> {
        match self.lines.get(self.next) {
            // A sequence may sit at its key's own indentation (`key:\n- a`).
            Some(line) if line.indent > indent || (line.indent == indent && is_item(line.text)) => {
                let child = line.indent;
                self.block(child)
            }
            _ => Ok(Node::Scalar(String::new())),
        }
    }
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// `key: value` or `"key": value` (as opposed to a scalar list item).
fn looks_like_mapping(text: &str) -> bool {
    match scalar_key(text, 0, 0) {
        Ok((_, rest)) => rest.starts_with(':'),
        Err(_) => false,
    }
}

/// Flow `[]` and `{}` (empty only) are the one flow form yarn writes.
fn value_node(text: &str, value: String) -> Node {
    match text {
        "[]" => Node::List(Vec::new()),
        "{}" => Node::Map(Vec::new()),
        _ => Node::Scalar(value),
    }
}

/// A key: quoted, or plain up to the first `:` (plain scalars yarn writes
/// never contain one). Returns the key and the text from the `:` on.
fn scalar_key(text: &str, number: usize, col: usize) -> Result<(String, &str), SymlError> {
    if text.starts_with(['"', '\'']) {
        let (key, rest) = quoted(text, number, col)?;
        return Ok((key, rest.trim_start_matches(' ')));
    }
    let end = text
        .find(':')
        .ok_or_else(|| error(number, col + text.len(), "expected `key: value`"))?;
    Ok((text[..end].trim_end().to_owned(), &text[end..]))
}

/// A value scalar and what follows it (empty, or a comment, on success).
fn scalar(text: &str, number: usize, col: usize) -> Result<(String, &str), SymlError> {
    if text.starts_with(['"', '\'']) {
        let (value, rest) = quoted(text, number, col)?;
        let rest = rest.trim_start_matches(' ');
        return Ok((value, if rest.starts_with('#') { "" } else { rest }));
    }
    if let Some(c) = text.chars().next()
        && matches!(c, '&' | '*' | '!' | '|' | '>' | '%' | '@' | '`')
    {
        return Err(error(
            number,
            col,
            format!("`{c}` (anchors, tags, block scalars) is outside the YAML yarn writes"),
        ));
    }
    if text.starts_with(['[', '{']) && !matches!(text, "[]" | "{}") {
        return Err(error(
            number,
            col,
            "flow collections are outside the YAML yarn writes",
        ));
    }
    // A plain scalar ends at ` #` (a comment).
    let end = text.find(" #").unwrap_or(text.len());
    Ok((text[..end].trim_end().to_owned(), ""))
}

/// A `"JSON string"` or `'single-quoted'` scalar and the text after it.
fn quoted(text: &str, number: usize, col: usize) -> Result<(String, &str), SymlError> {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b'\'') {
        let mut out = String::new();
        let mut rest = &text[1..];
        loop {
            let end = rest
                .find('\'')
                .ok_or_else(|| error(number, col, "unterminated quoted string"))?;
            out.push_str(&rest[..end]);
            rest = &rest[end + 1..];
            match rest.strip_prefix('\'') {
                Some(after) => {
                    out.push('\'');
                    rest = after;
                }
                None => return Ok((out, rest)),
            }
        }
    }
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => {
                let literal = &text[..=i];
                let value: String = serde_json::from_str(literal).map_err(|e| {
                    error(
                        number,
                        col + e.column().saturating_sub(1),
                        format!("bad string: {e}"),
                    )
                })?;
                return Ok((value, &text[i + 1..]));
            }
            _ => i += 1,
        }
    }
    Err(error(number, col, "unterminated quoted string"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Node)]) -> Node {
        Node::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn s(v: &str) -> Node {
        Node::Scalar(v.to_owned())
    }

    #[test]
    fn lockfile_shapes() {
        let text = "# comment\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"a@npm:^1, a@npm:^1.1\":\n  version: 1.1.0\n  resolution: \"a@npm:1.1.0\"\n  dependencies:\n    b: \"npm:^2\"\n  bin:\n    a: ./cli.js # trailing\n  languageName: node\n";
        let doc = parse(text).unwrap();
        assert_eq!(
            doc,
            map(&[
                (
                    "__metadata",
                    map(&[("version", s("8")), ("cacheKey", s("10c0"))])
                ),
                (
                    "a@npm:^1, a@npm:^1.1",
                    map(&[
                        ("version", s("1.1.0")),
                        ("resolution", s("a@npm:1.1.0")),
                        ("dependencies", map(&[("b", s("npm:^2"))])),
                        ("bin", map(&[("a", s("./cli.js"))])),
                        ("languageName", s("node")),
                    ])
                ),
            ])
        );
    }

    #[test]
    fn explicit_keys_sequences_and_escapes() {
        let text = "? \"long\\\"key\"\n:\n  version: 1\n  list:\n    - x\n    - 'y''s'\n  empty: []\nplain: value with: colon\n";
        let doc = parse(text).unwrap();
        let entry = doc.get("long\"key").unwrap();
        assert_eq!(entry.get("version"), Some(&s("1")));
        assert_eq!(entry.get("list"), Some(&Node::List(vec![s("x"), s("y's")])));
        assert_eq!(entry.get("empty"), Some(&Node::List(Vec::new())));
        assert_eq!(doc.get("plain"), Some(&s("value with: colon")));
    }

    #[test]
    fn errors_have_line_and_column() {
        let err = parse("a:\n  b: \"open\n").unwrap_err();
        assert_eq!(err.position, Position { line: 2, column: 6 });
        let err = parse("a:\n  b: 1\n    c: 2\n").unwrap_err();
        assert_eq!(err.position, Position { line: 3, column: 5 });
        let err = parse("a: {b: 1}\n").unwrap_err();
        assert_eq!(err.position, Position { line: 1, column: 4 });
        let err = parse("? \"k\"\nnot-a-colon: 1\n").unwrap_err();
        assert_eq!(err.position.line, 1);
        let deep: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let err = parse(&deep).unwrap_err();
        assert_eq!(err.position.line, 65, "{}", err.message);
        let err = parse("just text\n").unwrap_err();
        assert_eq!(
            err.position,
            Position {
                line: 1,
                column: 10
            }
        );
    }
}
