//! Renderers: each turns a finished report into text. They never compute
//! verdicts; they only lay out what the report holds, escaping every string
//! that came from the scanned project.

pub mod assess;
pub mod audit;
pub mod bench;
pub mod kb;
pub mod parity;
pub mod plan;
pub mod proxy;
pub mod scan;
mod style;
pub mod table;

pub use style::Styles;

/// The output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Terminal,
    Json,
    Markdown,
}

/// Text for a Markdown code span inside a table cell: a backtick would end
/// the span and a pipe the cell, so both are replaced by look-alikes.
pub(crate) fn markdown_code(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '`' => '\'',
            '|' => '¦',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}
