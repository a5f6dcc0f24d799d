//! Errors about user input that point at a file and a position in it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Maps byte offsets of a text to line/column positions (columns count chars).
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { text, line_starts }
    }

    /// Number of lines (a trailing newline does not start another).
    pub fn line_count(&self) -> usize {
        // As `str::lines`: no lines in "", and a trailing newline ends the last one.
        let starts = self.line_starts.len();
        if self.text.is_empty() || self.text.ends_with('\n') {
            starts - 1
        } else {
            starts
        }
    }

    /// The text of 1-based `line`, without its line break; empty past the end.
    pub fn line_text(&self, line: usize) -> &'a str {
        let Some(&start) = line.checked_sub(1).and_then(|i| self.line_starts.get(i)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Position {
            line: line + 1,
            column,
        }
    }
}

/// Bad input: what was wrong, in which file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    pub path: PathBuf,
    pub position: Option<Position>,
    pub message: String,
}

impl InputError {
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            position: None,
            message: message.into(),
        }
    }

    pub fn at(path: impl Into<PathBuf>, position: Position, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            position: Some(position),
            message: message.into(),
        }
    }

    /// A serde_json error: its " at line N column M" becomes the position,
    /// and a document that ends early says it is truncated.
    pub fn json(path: &Path, err: &serde_json::Error) -> Self {
        let text = err.to_string();
        let mut message = text
            .rfind(" at line ")
            .map_or(text.as_str(), |i| &text[..i])
            .to_owned();
        if err.is_eof() {
            message.push_str(": the file is truncated");
        }
        if err.line() == 0 {
            return Self::new(path, message);
        }
        let position = Position {
            line: err.line(),
            column: err.column(),
        };
        Self::at(path, position, message)
    }

    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        let message = match err.kind() {
            std::io::ErrorKind::NotFound => "file not found".to_owned(),
            _ => format!("cannot read: {err}"),
        };
        Self::new(path, message)
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(pos) = self.position {
            write!(f, ":{pos}")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let idx = LineIndex::new("ab\nçd\n");
        assert_eq!(idx.position(0), Position { line: 1, column: 1 });
        assert_eq!(idx.position(3), Position { line: 2, column: 1 });
        // 'ç' is two bytes; the 'd' after it is column 2.
        assert_eq!(idx.position(5), Position { line: 2, column: 2 });
        assert_eq!(idx.position(100), Position { line: 3, column: 1 });
    }

    #[test]
    fn line_text_and_count_agree_with_str_lines() {
        for text in ["", "a", "a\n", "a\r\nb", "a\n\nc\n"] {
            let idx = LineIndex::new(text);
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(idx.line_count(), lines.len(), "{text:?}");
            for (i, line) in lines.iter().enumerate() {
                assert_eq!(idx.line_text(i + 1), *line, "{text:?} line {}", i + 1);
            }
            assert_eq!(idx.line_text(lines.len() + 1), "");
            assert_eq!(idx.line_text(0), "");
        }
    }

    #[test]
    fn display_names_file_and_position() {
        let err = InputError::at(
            "a/package.json",
            Position { line: 3, column: 7 },
            "expected a string",
        );
        assert_eq!(err.to_string(), "a/package.json:3:7: expected a string");
    }
}
