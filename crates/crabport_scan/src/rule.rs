//! What a rule is: its documentation (checked by the compiler in tests) and
//! a check over one file's semantic model.

use crabport_core::finding::{Confidence, Finding, Severity};

use crate::context::FileContext;

/// The naive Rust port of the JS pattern and the error it fails with.
#[derive(Debug, Clone, Copy)]
pub struct NaivePort {
    pub code: &'static str,
    /// The rustc error code the test suite expects, e.g. `E0499`.
    pub error: &'static str,
}

/// A rule's documentation: `crabport explain <rule>` prints it, and the test
/// suite compiles its Rust: the naive port must fail with `error`, the
/// idiomatic fix must compile and print `idiomatic_output`.
#[derive(Debug, Clone, Copy)]
pub struct RuleDoc {
    pub code: &'static str,
    /// What it finds, one sentence.
    pub summary: &'static str,
    /// Why it hurts in Rust.
    pub why: &'static str,
    pub js_example: &'static str,
    pub naive_rust: Option<NaivePort>,
    pub idiomatic_rust: &'static str,
    pub idiomatic_output: Option<&'static str>,
}

/// A scan rule. Registration is one line in its group's `RULES`.
pub trait Rule: Sync {
    fn doc(&self) -> &'static RuleDoc;

    fn code(&self) -> &'static str {
        self.doc().code
    }

    fn default_severity(&self) -> Severity;

    /// Whether the rule follows imports into other files of the project: the
    /// engine then records every file's exports from the same parse and
    /// resolves the findings the rule deferred once all files are done.
    fn needs_project_index(&self) -> bool {
        false
    }

    /// Appends this rule's findings in `ctx` to `out`.
    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>);
}

/// Builds a finding for `rule` at `span` of the current file.
pub fn finding(
    ctx: &FileContext<'_, '_>,
    rule: &dyn Rule,
    span: oxc_span::Span,
    confidence: Confidence,
    message: String,
    help: String,
) -> Finding {
    let (start, end) = ctx.positions(span);
    Finding {
        rule: rule.code(),
        severity: rule.default_severity(),
        confidence,
        file: ctx.display_path.to_owned(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        message,
        help,
        snippet: ctx.line_text(start.line).to_owned(),
    }
}
