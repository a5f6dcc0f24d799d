//! A plain text table: fixed columns sized to their content, the last
//! column wrapped to the width left. Cells may hold several lines. Styles
//! are applied after padding so escape codes never skew the layout.

use anstyle::Style;

use crate::style::paint;

/// One cell: lines of text and one style for all of them.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub lines: Vec<String>,
    pub style: Style,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            lines: vec![text.into()],
            style: Style::new(),
        }
    }

    pub fn lines(lines: Vec<String>) -> Self {
        Self {
            lines,
            style: Style::new(),
        }
    }

    #[must_use]
    pub fn styled(mut self, style: Style) -> Self {
        self.style = style;
        self
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// A row: its cells, and an optional detail shown wrapped on the lines below it.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub detail: Option<Cell>,
}

/// Renders `rows` under `header`, two spaces between columns, indented by
/// `indent`, the last column (and each row's detail) wrapped so a line fits
/// in `total_width`.
pub fn render(
    header: &[&str],
    rows: &[Row],
    indent: usize,
    total_width: usize,
    heading: Style,
) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.cells.iter().enumerate().take(columns.saturating_sub(1)) {
            for line in &cell.lines {
                widths[i] = widths[i].max(width(line));
            }
        }
    }
    let fixed: usize = widths[..columns - 1].iter().map(|w| w + 2).sum::<usize>() + indent;
    let last_width = total_width.saturating_sub(fixed).max(30);
    let pad = " ".repeat(indent);
    let mut out = String::new();

    let header_line: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i + 1 < columns {
                format!("{h:<w$}", w = widths[i])
            } else {
                (*h).to_owned()
            }
        })
        .collect();
    out.push_str(&pad);
    out.push_str(&paint(heading, header_line.join("  ").trim_end()));
    out.push('\n');

    let detail_indent = indent + 2;
    let detail_width = total_width.saturating_sub(detail_indent).max(30);
    for row in rows {
        let mut cells: Vec<Vec<String>> = row.cells.iter().map(|c| c.lines.clone()).collect();
        if let Some(last) = cells.last_mut() {
            *last = last.iter().flat_map(|l| wrap(l, last_width)).collect();
        }
        let height = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for line_no in 0..height {
            let mut line = pad.clone();
            for (i, cell) in cells.iter().enumerate() {
                let text = cell.get(line_no).map_or("", String::as_str);
                let style = row.cells.get(i).map_or(Style::new(), |c| c.style);
                if i + 1 < columns {
                    let padding = " ".repeat(widths[i] - width(text) + 2);
                    line.push_str(&paint(style, text));
                    line.push_str(&padding);
                } else {
                    line.push_str(&paint(style, text));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        if let Some(detail) = &row.detail {
            for text in detail.lines.iter().flat_map(|l| wrap(l, detail_width)) {
                out.push_str(&" ".repeat(detail_indent));
                out.push_str(&paint(detail.style, &text));
                out.push('\n');
            }
        }
    }
    out
}

/// Greedy word wrap; a word longer than the width gets a line of its own.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && width(&current) + 1 + width(word) > max {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_last_column_and_aligns_others() {
        let rows = vec![Row {
            cells: vec![
                Cell::new("express"),
                Cell::lines(vec!["axum@0.8".into(), "tokio@1 +full".into()]),
                Cell::new("one two three four five six seven eight nine ten eleven twelve"),
            ],
            detail: Some(Cell::new(
                "a detail line that is long enough to wrap at sixty columns for sure",
            )),
        }];
        let text = render(&["npm", "crate", "note"], &rows, 2, 60, Style::new());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "  npm      crate          note");
        assert!(lines[1].starts_with("  express  axum@0.8       one two"));
        assert!(lines[2].starts_with("           tokio@1 +full  "));
        assert!(lines[3].starts_with("    a detail line"), "{text}");
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{text}");
    }

    #[test]
    fn wrap_keeps_long_words_whole() {
        assert_eq!(wrap("a verylongword b", 5), ["a", "verylongword", "b"]);
        assert_eq!(wrap("", 5), [""]);
    }
}
