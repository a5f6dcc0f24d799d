//! `// crabport-ignore <rule>[, <rule>…]: <reason>` on its own line silences
//! those rules' findings on the next line. A comment that tries and fails
//! (no rule, an unknown rule, no reason, a block comment, after code) is an
//! `invalid-suppression` finding, so it shows in every output format.

use std::collections::HashMap;

use oxc_ast::{Comment, CommentKind};
use oxc_span::Span;

use crabport_core::finding::{Confidence, Finding};

use crate::context::FileContext;

const DIRECTIVE: &str = "crabport-ignore";

/// The suppressions of one file, and its malformed ones as findings.
#[derive(Debug, Default)]
pub struct Suppressions {
    /// Line a suppression covers → rules it silences there.
    by_line: HashMap<usize, Vec<&'static str>>,
    pub invalid: Vec<Finding>,
}

impl Suppressions {
    /// Reads every `crabport-ignore` comment of the file.
    pub fn new(ctx: &FileContext<'_, '_>, comments: &[Comment]) -> Self {
        let mut out = Self::default();
        for comment in comments {
            out.read(ctx, comment);
        }
        out
    }

    /// Whether a comment on the line before silences `finding`.
    pub fn covers(&self, finding: &Finding) -> bool {
        self.by_line
            .get(&finding.line)
            .is_some_and(|rules| rules.contains(&finding.rule))
    }

    fn read(&mut self, ctx: &FileContext<'_, '_>, comment: &Comment) {
        let content = comment.content_span();
        let text = ctx.text(content);
        let body = text.trim_start();
        let Some(after) = body.strip_prefix(DIRECTIVE) else {
            return;
        };
        let body_start = content.start + (text.len() - body.len()) as u32;
        let mut problem = |span: Span, what: String| {
            self.invalid.push(invalid(ctx, comment, span, &what));
        };
        // `crabport-ignore-next-line`, `crabport-ignored`: a directive that is not ours.
        if let Some(c) = after.chars().next()
            && !c.is_whitespace()
            && c != ':'
        {
            let word_len = body
                .find(|c: char| c.is_whitespace() || c == ':')
                .unwrap_or(body.len());
            problem(
                Span::sized(body_start, word_len as u32),
                format!("`{}` is not a directive", &body[..word_len]),
            );
            return;
        }
        if comment.kind != CommentKind::Line {
            problem(
                comment.span,
                "only a `//` line comment suppresses".to_owned(),
            );
            return;
        }
        let (line_start, _) = ctx.positions(comment.span);
        let before = ctx
            .line_text(line_start.line)
            .chars()
            .take(line_start.column - 1)
            .collect::<String>();
        if !before.trim().is_empty() {
            problem(
                comment.span,
                "it follows code on its line; put it on its own line, before the finding's"
                    .to_owned(),
            );
            return;
        }
        let list_start = body_start + DIRECTIVE.len() as u32;
        let (list, reason) = match after.split_once(':') {
            Some((list, reason)) => (list, Some(reason)),
            None => (after, None),
        };
        if list.trim().is_empty() {
            problem(comment.span, "it names no rule".to_owned());
            return;
        }
        let mut rules = Vec::new();
        let mut offset = list_start;
        for name in list.split(',') {
            let trimmed = name.trim();
            let at = offset + (name.len() - name.trim_start().len()) as u32;
            offset += name.len() as u32 + 1;
            if trimmed.is_empty() {
                continue;
            }
            match crate::rules::find(trimmed) {
                Some(rule) => rules.push(rule.code()),
                None => {
                    let hint = crate::rules::closest(trimmed)
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    problem(
                        Span::sized(at, trimmed.len() as u32),
                        format!("it names an unknown rule {}{hint}", quoted(trimmed)),
                    );
                }
            }
        }
        if reason.is_none_or(|r| r.trim().is_empty()) {
            problem(
                comment.span,
                "it gives no reason: write `// crabport-ignore <rule>: <reason>`".to_owned(),
            );
            return;
        }
        if !rules.is_empty() {
            self.by_line
                .entry(line_start.line + 1)
                .or_default()
                .extend(rules);
        }
    }
}

/// Untrusted text for a message: one line, escaped, cut short.
fn quoted(text: &str) -> String {
    format!("{:?}", crate::rules::support::short(text, 60))
}

fn invalid(ctx: &FileContext<'_, '_>, comment: &Comment, span: Span, what: &str) -> Finding {
    let (start, end) = ctx.positions(span);
    Finding {
        rule: crate::INVALID_SUPPRESSION,
        severity: crate::codes::default_severity(crate::INVALID_SUPPRESSION),
        confidence: Confidence::High,
        file: ctx.display_path.to_owned(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        message: format!(
            "this suppression does nothing: {what}; the comment: {}",
            quoted(ctx.text(comment.span))
        ),
        help: "write `// crabport-ignore <rule>[, <rule>…]: <reason>` on its own line, just before the finding's line; `crabport explain` lists the rules".to_owned(),
        snippet: ctx.line_text(start.line).to_owned(),
    }
}
