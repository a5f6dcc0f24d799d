//! `mutation-during-iteration`: a collection changed inside a loop (or an
//! iteration callback) over that same collection.

use std::collections::BTreeMap;

use oxc_ast::AstKind;
use oxc_ast::ast::{Expression, SimpleAssignmentTarget, Statement, UnaryOperator};
use oxc_semantic::{NodeId, SymbolId};
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::{AccessPath, access_path, argument_expression, contains, sync_iteration_call};
use crate::context::FileContext;
use crate::mutation::MUTATING_METHODS;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::list;
use crate::rules::support::{method_call, short};

pub struct MutationDuringIteration;

pub static DOC: RuleDoc = RuleDoc {
    code: "mutation-during-iteration",
    summary: "A collection changed (push, splice, delete, set, clear, reassignment …) inside a for…of/for…in \
loop or a forEach/map/filter callback over that same collection.",
    why: "JavaScript lets a loop add to or remove from the array, Map or Set it is walking (for…of even visits \
the items pushed during the loop). In Rust the loop holds a shared borrow of the collection for as long as it \
runs, so `push`, `remove` or `insert` inside it needs a mutable borrow at the same time: error E0502 \
(E0506 for a reassignment). The port has to say what it means: `retain` to drop items, collect the changes and \
apply them after the loop, a `VecDeque` worklist (`while let Some(x) = queue.pop_front()`), or an index loop. \
Removing one item and leaving the loop at once (`break`/`return`) is fine in Rust and is not reported.",
    js_example: r#"for (const job of queue) {
  if (job.failed) queue.push({ id: job.id, failed: false }); // retry later
}"#,
    naive_rust: Some(NaivePort {
        code: r#"struct Job {
    id: u32,
    failed: bool,
}

fn main() {
    let mut queue = vec![Job { id: 1, failed: true }, Job { id: 2, failed: false }];
    for job in &queue {
        if job.failed {
            queue.push(Job { id: job.id, failed: false });
        }
    }
    println!("{}", queue.len());
}
"#,
        error: "E0502",
    }),
    idiomatic_rust: r#"struct Job {
    id: u32,
    failed: bool,
    done: bool,
}

fn main() {
    let mut queue = vec![
        Job { id: 1, failed: true, done: false },
        Job { id: 2, failed: false, done: true },
        Job { id: 3, failed: false, done: false },
    ];
    // Removing while iterating: `retain` keeps what passes the test.
    queue.retain(|job| !job.done);
    // Adding while iterating: collect the new items, then apply them.
    let retries: Vec<Job> = queue
        .iter()
        .filter(|job| job.failed)
        .map(|job| Job { id: job.id, failed: false, done: false })
        .collect();
    queue.extend(retries);
    let ids: Vec<u32> = queue.iter().map(|job| job.id).collect();
    println!("{ids:?}");
}
"#,
    idiomatic_output: Some("[1, 3, 1]\n"),
};

/// How the collection is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    /// push, unshift, add, set
    Add,
    /// pop, shift, splice, delete
    Remove,
    /// sort, reverse, fill, copyWithin
    Reorder,
    /// clear, `length = …`
    Clear,
    /// `xs = …`
    Reassign,
}

/// A place that changes the collection at `path`.
struct Site<'a> {
    node: NodeId,
    span: Span,
    path: AccessPath<'a>,
    change: Change,
    /// What the change is, for the message: `.push()`, `delete`, `reassignment`.
    label: String,
    /// The binding passed as the key of `.set(k, …)`, to tell in-place updates from inserts.
    set_key: Option<SymbolId>,
}

/// The loop or callback a site changes the collection of.
struct Iteration {
    node: NodeId,
    /// `for…of loop`, `.forEach() callback` …
    what: String,
    /// The iterated collection as written.
    collection: Span,
    /// Where the loop's own bindings are declared (loop head or callback parameters).
    bindings: Span,
}

impl Rule for MutationDuringIteration {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let scoping = ctx.semantic.scoping();
        let mut groups: BTreeMap<u32, (Iteration, Vec<Site<'_>>)> = BTreeMap::new();
        for node in ctx.semantic.nodes().iter() {
            let Some(site) = site(ctx, node.id(), node.kind()) else {
                continue;
            };
            let Some(iteration) = iteration_over(ctx, &site) else {
                continue;
            };
            // `m.set(k, …)` with the loop's own key updates an entry in place
            // (`values_mut()` in Rust), not a structural change.
            if site
                .set_key
                .is_some_and(|key| contains(iteration.bindings, scoping.symbol_span(key)))
            {
                continue;
            }
            let start = ctx.semantic.nodes().kind(iteration.node).span().start;
            groups
                .entry(start)
                .or_insert_with(|| (iteration, Vec::new()))
                .1
                .push(site);
        }
        for (iteration, sites) in groups.into_values() {
            let Some(first) = sites.first() else {
                continue;
            };
            let collection = short(ctx.text(iteration.collection), 40);
            let mut labels: Vec<String> = Vec::new();
            for site in &sites {
                if !labels.contains(&site.label) {
                    labels.push(site.label.clone());
                }
            }
            let mut changes: Vec<Change> = sites.iter().map(|s| s.change).collect();
            changes.sort();
            changes.dedup();
            let (line, _) = ctx.positions(ctx.semantic.nodes().kind(iteration.node).span());
            let message = format!(
                "`{collection}` is changed ({}) inside {} (line {})",
                list(&labels),
                iteration.what,
                line.line
            );
            out.push(finding(
                ctx,
                self,
                first.span,
                Confidence::High,
                message,
                help(&collection, &changes),
            ));
        }
    }
}

fn help(collection: &str, changes: &[Change]) -> String {
    let reassign_only = changes == [Change::Reassign];
    let mut advice: Vec<&str> = Vec::new();
    for change in changes {
        advice.push(match change {
            Change::Add => {
                "collect the new items in a separate `Vec` and `extend` after the loop (a worklist \
becomes a `VecDeque` drained with `while let Some(x) = queue.pop_front()`)"
            }
            Change::Remove => {
                "drop items with `retain(|x| …)` (Vec, HashMap, HashSet) instead of removing them \
inside the loop, or collect the keys and remove them afterwards"
            }
            Change::Reorder => "sort or reorder before or after the loop, not inside it",
            Change::Clear => {
                "iterate `std::mem::take(&mut v)` or `v.drain(..)` so the loop owns the items and \
the collection is empty afterwards"
            }
            Change::Reassign => {
                "build the replacement in a new binding and assign it once the loop is done"
            }
        });
    }
    let error = if reassign_only { "E0506" } else { "E0502" };
    format!(
        "a direct port borrows `{collection}` for the whole loop and again mutably inside it ({error}): {}",
        advice.join("; ")
    )
}

/// A node that changes some collection in place (or rebinds it).
fn site<'a>(ctx: &FileContext<'_, 'a>, node: NodeId, kind: AstKind<'a>) -> Option<Site<'a>> {
    match kind {
        AstKind::CallExpression(call) => {
            let (receiver, method) = method_call(call)?;
            if !MUTATING_METHODS.contains(&method) || (method == "set" && call.arguments.len() < 2)
            {
                return None;
            }
            let change = match method {
                "push" | "unshift" | "add" | "set" => Change::Add,
                "pop" | "shift" | "splice" | "delete" => Change::Remove,
                "clear" => Change::Clear,
                _ => Change::Reorder,
            };
            let set_key = if method == "set" {
                call.arguments
                    .first()
                    .and_then(argument_expression)
                    .and_then(|e| match e.get_inner_expression() {
                        Expression::Identifier(i) => ctx
                            .semantic
                            .scoping()
                            .get_reference(i.reference_id.get()?)
                            .symbol_id(),
                        _ => None,
                    })
            } else {
                None
            };
            Some(Site {
                node,
                span: call.span,
                path: access_path(ctx, receiver)?,
                change,
                label: format!(".{method}()"),
                set_key,
            })
        }
        AstKind::UnaryExpression(u) if u.operator == UnaryOperator::Delete => {
            let member = u.argument.get_inner_expression().get_member_expr()?;
            Some(Site {
                node,
                span: u.span,
                path: access_path(ctx, member.object())?,
                change: Change::Remove,
                label: "delete".into(),
                set_key: None,
            })
        }
        AstKind::AssignmentExpression(a) => {
            let target = a.left.as_simple_assignment_target()?;
            let (path, change, label) = match target {
                SimpleAssignmentTarget::AssignmentTargetIdentifier(i) => {
                    let reference = ctx.semantic.scoping().get_reference(i.reference_id.get()?);
                    let path = AccessPath {
                        root: super::Root::Symbol(reference.symbol_id()?),
                        properties: Vec::new(),
                    };
                    (path, Change::Reassign, "reassignment".to_owned())
                }
                SimpleAssignmentTarget::StaticMemberExpression(m)
                    if m.property.name == "length" =>
                {
                    (
                        access_path(ctx, &m.object)?,
                        Change::Clear,
                        "`.length = …`".to_owned(),
                    )
                }
                SimpleAssignmentTarget::StaticMemberExpression(m) => {
                    let mut path = access_path(ctx, &m.object)?;
                    path.properties.push(m.property.name.as_str());
                    (path, Change::Reassign, "reassignment".to_owned())
                }
                _ => return None,
            };
            Some(Site {
                node,
                span: a.span,
                path,
                change,
                label,
                set_key: None,
            })
        }
        _ => None,
    }
}

/// The collection a for…of loop walks: `xs`, or `xs` behind a live
/// `xs.keys()`/`values()`/`entries()` iterator. Copies (`[...xs]`,
/// `xs.slice()`, `Object.keys(xs)`) are not the collection.
fn iterated<'b, 'a>(
    ctx: &FileContext<'_, 'a>,
    right: &'b Expression<'a>,
) -> Option<(AccessPath<'a>, &'b Expression<'a>)> {
    if let Expression::CallExpression(call) = right.get_inner_expression() {
        let (receiver, method) = method_call(call)?;
        if !call.arguments.is_empty() || !matches!(method, "keys" | "values" | "entries") {
            return None;
        }
        return Some((access_path(ctx, receiver)?, receiver));
    }
    Some((access_path(ctx, right)?, right))
}

/// How the code after a site leaves the loop, if it does unconditionally.
#[derive(Default)]
struct Exits<'a> {
    /// `return`/`throw`
    hard: bool,
    /// an unlabeled `break` (cancelled by an inner loop or switch)
    unlabeled_break: bool,
    /// `break label` (cancelled by passing the labelled statement)
    labeled_breaks: Vec<&'a str>,
}

impl Exits<'_> {
    fn any(&self) -> bool {
        self.hard || self.unlabeled_break || !self.labeled_breaks.is_empty()
    }
}

/// The first statement after `child` in `statements` that leaves unconditionally.
fn note_exit<'a>(statements: &[Statement<'a>], child: Span, exits: &mut Exits<'a>) {
    for statement in statements.iter().filter(|s| s.span().start >= child.end) {
        match statement {
            Statement::ReturnStatement(_) | Statement::ThrowStatement(_) => {
                exits.hard = true;
                return;
            }
            Statement::BreakStatement(b) => {
                match &b.label {
                    Some(label) => exits.labeled_breaks.push(label.name.as_str()),
                    None => exits.unlabeled_break = true,
                }
                return;
            }
            Statement::ContinueStatement(_) => return,
            _ => {}
        }
    }
}

/// The innermost loop or iteration callback over the collection `site` changes.
fn iteration_over(ctx: &FileContext<'_, '_>, site: &Site<'_>) -> Option<Iteration> {
    let nodes = ctx.semantic.nodes();
    let mut child = site.span;
    let mut exits = Exits::default();
    for ancestor in nodes.ancestor_ids(site.node) {
        let kind = nodes.kind(ancestor);
        match kind {
            AstKind::ForOfStatement(f) if contains(f.body.span(), child) => {
                if let Some((path, collection)) = iterated(ctx, &f.right)
                    && path == site.path
                {
                    return (!exits.any()).then(|| Iteration {
                        node: ancestor,
                        what: "the for…of loop over it".into(),
                        collection: collection.span(),
                        bindings: f.left.span(),
                    });
                }
                exits.unlabeled_break = false;
            }
            AstKind::ForInStatement(f) if contains(f.body.span(), child) => {
                if access_path(ctx, &f.right).as_ref() == Some(&site.path) {
                    return (!exits.any()).then(|| Iteration {
                        node: ancestor,
                        what: "the for…in loop over it".into(),
                        collection: f.right.span(),
                        bindings: f.left.span(),
                    });
                }
                exits.unlabeled_break = false;
            }
            AstKind::ForStatement(_)
            | AstKind::WhileStatement(_)
            | AstKind::DoWhileStatement(_)
            | AstKind::ForOfStatement(_)
            | AstKind::ForInStatement(_)
            | AstKind::SwitchStatement(_) => exits.unlabeled_break = false,
            AstKind::LabeledStatement(l) => {
                exits
                    .labeled_breaks
                    .retain(|name| *name != l.label.name.as_str());
            }
            AstKind::BlockStatement(b) => note_exit(&b.body, child, &mut exits),
            AstKind::SwitchCase(c) => note_exit(&c.consequent, child, &mut exits),
            AstKind::ReturnStatement(_) | AstKind::ThrowStatement(_) => exits.hard = true,
            AstKind::Function(_) | AstKind::ArrowFunctionExpression(_) => {
                // Exits inside a callback do not leave a loop around it.
                exits = Exits::default();
                // A `function` has its own `this`.
                if matches!(kind, AstKind::Function(_)) && site.path.root == super::Root::This {
                    return None;
                }
                let call_id = sync_iteration_call(ctx, ancestor)?;
                let AstKind::CallExpression(call) = nodes.kind(call_id) else {
                    return None;
                };
                let (receiver, method) = method_call(call)?;
                if access_path(ctx, receiver).as_ref() == Some(&site.path) {
                    let bindings = match kind {
                        AstKind::Function(f) => f.params.span,
                        AstKind::ArrowFunctionExpression(a) => a.params.span,
                        _ => Span::default(),
                    };
                    return Some(Iteration {
                        node: call_id,
                        what: format!("its own `.{method}()` callback"),
                        collection: receiver.span(),
                        bindings,
                    });
                }
            }
            AstKind::Class(_) | AstKind::StaticBlock(_) => return None,
            _ => {}
        }
        child = kind.span();
    }
    None
}
