//! Renderers: each turns a finished report into text. They never compute
//! verdicts; they only lay out what the report holds, escaping every string
//! that came from the scanned project.

pub mod audit;
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
