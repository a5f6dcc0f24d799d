//! `aliased-closure-mutation`: two or more live closures that capture and mutate the same binding.

use std::collections::BTreeMap;

use oxc_ast::AstKind;
use oxc_ast::ast::Expression;
use oxc_semantic::NodeId;
use oxc_span::GetSpan;

use crabport_core::finding::{Confidence, Finding, Severity};

use crate::context::FileContext;
use crate::mutation::{SYNC_ITERATION_METHODS, classify};
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::list;

pub struct AliasedClosureMutation;

pub static DOC: RuleDoc = RuleDoc {
    code: "aliased-closure-mutation",
    summary: "Two or more closures that capture the same binding and mutate it while both are alive.",
    why: "A JavaScript closure captures a variable by reference to a garbage-collected slot, so any number of \
callbacks can push to the same array. Rust allows many shared borrows or one mutable borrow at a time, never \
both: two closures that each capture the vector mutably are two `&mut` borrows alive at once, error E0499. \
Choose a sharing strategy instead of transliterating: in order of cost, one closure that takes a parameter, \
`Rc<RefCell<T>>` on one thread, `Arc<Mutex<T>>` across threads.",
    js_example: r#"const events: string[] = [];
const logInfo = () => events.push("info");
const logWarn = () => events.push("warn");
logInfo();
logWarn();"#,
    naive_rust: Some(NaivePort {
        code: r#"fn main() {
    let mut events: Vec<String> = Vec::new();
    let mut log_info = || events.push("info".to_string());
    let mut log_warn = || events.push("warn".to_string());
    log_info();
    log_warn();
    println!("{:?}", events);
}
"#,
        error: "E0499",
    }),
    idiomatic_rust: r#"fn main() {
    let mut events: Vec<String> = Vec::new();
    // One closure, parameterised: each call borrows and releases `events`.
    let mut log = |level: &str| events.push(level.to_string());
    log("info");
    log("warn");
    println!("{:?}", events);
}
"#,
    idiomatic_output: Some("[\"info\", \"warn\"]\n"),
};

impl Rule for AliasedClosureMutation {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Error
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let scoping = ctx.semantic.scoping();
        let nodes = ctx.semantic.nodes();
        for symbol in scoping.symbol_ids() {
            if crate::mutation::is_react_ref(ctx, symbol) {
                continue;
            }
            let declaration = scoping.symbol_declaration(symbol);
            let mut closures: BTreeMap<u32, (NodeId, String)> = BTreeMap::new();
            for reference in scoping.get_resolved_references(symbol) {
                if classify(ctx, reference).is_none() {
                    continue;
                }
                let Some(closure) = ctx.enclosing_function(reference.node_id()) else {
                    continue;
                };
                if !is_closure(ctx, closure) || !is_retained(ctx, closure) {
                    continue;
                }
                // Captured: declared outside the closure.
                if nodes.ancestor_ids(declaration).any(|a| a == closure) {
                    continue;
                }
                let start = nodes.kind(closure).span().start;
                closures
                    .entry(start)
                    .or_insert_with(|| (closure, ctx.function_name(closure)));
            }
            if closures.len() < 2 {
                continue;
            }
            let name = scoping.symbol_name(symbol);
            let names: Vec<String> = closures.values().map(|(_, n)| n.clone()).collect();
            let all_named = closures.values().all(|(_, n)| !n.starts_with('<'));
            out.push(finding(
                ctx,
                self,
                scoping.symbol_span(symbol),
                if all_named { Confidence::High } else { Confidence::Medium },
                format!("`{name}` is captured and mutated by {} closures: {}", names.len(), list(&names)),
                format!(
                    "a direct port borrows `{name}` mutably in each closure at once (E0499): merge them into one closure that takes a parameter, or share `{name}` through `Rc<RefCell<_>>` (one thread) or `Arc<Mutex<_>>` (threads)"
                ),
            ));
        }
    }
}

/// An arrow function or a function expression (a declaration is a named item, not a capture).
fn is_closure(ctx: &FileContext<'_, '_>, function: NodeId) -> bool {
    match ctx.semantic.nodes().kind(function) {
        AstKind::ArrowFunctionExpression(_) => true,
        AstKind::Function(f) => f.is_expression(),
        _ => false,
    }
}

/// Kept beyond the statement that creates it: not an IIFE and not a
/// callback of a synchronous array method.
fn is_retained(ctx: &FileContext<'_, '_>, closure: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    let closure_span = nodes.kind(closure).span();
    let mut parent = nodes.parent_id(closure);
    while let AstKind::ParenthesizedExpression(_) = nodes.kind(parent) {
        parent = nodes.parent_id(parent);
    }
    match nodes.kind(parent) {
        AstKind::CallExpression(call) => {
            if call.callee.span().contains_inclusive(closure_span) {
                return false; // (() => …)()
            }
            !matches!(&call.callee, Expression::StaticMemberExpression(m)
                if is_sync_callback_method(&m.property.name))
        }
        _ => true,
    }
}

/// Methods that call their callback synchronously and drop it (the iteration
/// methods, and `sort`'s comparator): such a closure's borrow ends before the
/// next statement, which Rust accepts.
fn is_sync_callback_method(name: &str) -> bool {
    SYNC_ITERATION_METHODS.contains(&name) || matches!(name, "sort" | "toSorted")
}
