//! One parsed file with its semantic model, shared by every rule.

use std::cell::RefCell;

use oxc_ast::AstKind;
use oxc_semantic::{NodeId, Semantic};
use oxc_span::{GetSpan, Span};

use crabport_core::{LineIndex, Position};

pub struct FileContext<'s, 'a> {
    /// Relative to the scanned root, `/`-separated.
    pub display_path: &'s str,
    pub source: &'a str,
    pub semantic: &'s Semantic<'a>,
    /// Set by the engine when a rule needs the project index: findings that
    /// depend on another file wait here until every file's exports are known
    /// (one parse per file).
    deferred: Option<RefCell<Vec<crate::rules::r#async::project_index::DeferredFinding>>>,
    lines: LineIndex<'a>,
}

impl<'s, 'a> FileContext<'s, 'a> {
    pub fn new(display_path: &'s str, source: &'a str, semantic: &'s Semantic<'a>) -> Self {
        Self {
            display_path,
            source,
            semantic,
            deferred: None,
            lines: LineIndex::new(source),
        }
    }

    /// Cross-file lookups are deferred to the engine, which answers them once
    /// every file is parsed.
    #[must_use]
    pub fn deferring_cross_file(mut self) -> Self {
        self.deferred = Some(RefCell::default());
        self
    }

    pub fn defers_cross_file(&self) -> bool {
        self.deferred.is_some()
    }

    /// Parks a finding until the engine knows every file's exports; dropped
    /// when the context does not defer.
    pub fn defer(&self, finding: crate::rules::r#async::project_index::DeferredFinding) {
        if let Some(deferred) = &self.deferred {
            deferred.borrow_mut().push(finding);
        }
    }

    pub fn take_deferred(&self) -> Vec<crate::rules::r#async::project_index::DeferredFinding> {
        self.deferred.as_ref().map(|d| d.take()).unwrap_or_default()
    }

    /// 1-based start and end positions of `span`.
    pub fn positions(&self, span: Span) -> (Position, Position) {
        (
            self.lines.position(span.start as usize),
            self.lines.position(span.end as usize),
        )
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &'a str {
        self.lines.line_text(line)
    }

    pub fn line_count(&self) -> usize {
        self.lines.line_count()
    }

    pub fn text(&self, span: Span) -> &'a str {
        self.source
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
    }

    /// The nearest enclosing function (declaration, expression or arrow) of a node.
    pub fn enclosing_function(&self, node: NodeId) -> Option<NodeId> {
        self.semantic.nodes().ancestor_ids(node).find(|&id| {
            matches!(
                self.semantic.nodes().kind(id),
                AstKind::Function(_) | AstKind::ArrowFunctionExpression(_)
            )
        })
    }

    /// A human name for a function node: its own name, the variable or
    /// property it is assigned to, or `<anonymous>`.
    pub fn function_name(&self, function: NodeId) -> String {
        let nodes = self.semantic.nodes();
        if let AstKind::Function(f) = nodes.kind(function)
            && let Some(id) = &f.id
        {
            return id.name.to_string();
        }
        for ancestor in nodes.ancestor_ids(function) {
            match nodes.kind(ancestor) {
                AstKind::ParenthesizedExpression(_) => continue,
                AstKind::VariableDeclarator(d) => {
                    return d
                        .id
                        .get_identifier_name()
                        .map_or_else(|| "<anonymous>".to_owned(), |n| n.to_string());
                }
                AstKind::ObjectProperty(p) => {
                    return p
                        .key
                        .static_name()
                        .map_or_else(|| "<anonymous>".to_owned(), |n| n.to_string());
                }
                AstKind::MethodDefinition(m) => {
                    return m
                        .key
                        .static_name()
                        .map_or_else(|| "<anonymous>".to_owned(), |n| n.to_string());
                }
                AstKind::PropertyDefinition(p) => {
                    return p
                        .key
                        .static_name()
                        .map_or_else(|| "<anonymous>".to_owned(), |n| n.to_string());
                }
                AstKind::AssignmentExpression(a) => {
                    return self.text(a.left.span()).to_owned();
                }
                AstKind::CallExpression(call) => {
                    let (start, _) = self.positions(nodes.kind(function).span());
                    let words: Vec<&str> =
                        self.text(call.callee.span()).split_whitespace().collect();
                    let mut callee = words.concat();
                    if callee.chars().count() > 40 {
                        callee = callee.chars().take(39).collect::<String>() + "…";
                    }
                    return format!("the callback to {callee}() on line {}", start.line);
                }
                _ => break,
            }
        }
        let (start, _) = self.positions(nodes.kind(function).span());
        format!("<anonymous function at line {}>", start.line)
    }
}
