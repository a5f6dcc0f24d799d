//! `shared-module-state`: module-level mutable state changed from inside functions.

use std::collections::BTreeMap;

use oxc_ast::AstKind;
use oxc_ast::ast::{Expression, VariableDeclarationKind};
use oxc_semantic::SymbolId;

use crabport_core::finding::{Confidence, Finding, Severity};

use crate::context::FileContext;
use crate::mutation::{Mutation, classify};
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::list;

pub struct SharedModuleState;

pub static DOC: RuleDoc = RuleDoc {
    code: "shared-module-state",
    summary: "A module-level binding (let/var, or a const object/array/Map/Set) mutated from inside functions.",
    why: "Node runs every request handler on one thread, so a module-level cache or counter that any function \
can change is harmless there. Rust has no garbage-collected global slots: a `static` cannot be mutated without \
`unsafe`, and a Rust server runs handlers on many threads at once. The state needs an owner: a struct passed as \
`&mut` where one thing changes it, or `Arc<Mutex<T>>` (or atomics) when handlers on several threads share it.",
    js_example: r#"const counts: Record<string, number> = {};
export function recordHit(route: string): void {
  counts[route] = (counts[route] ?? 0) + 1;
}"#,
    naive_rust: Some(NaivePort {
        code: r#"use std::collections::HashMap;

static COUNTS: HashMap<String, u64> = HashMap::new();

fn record_hit(route: &str) {
    *COUNTS.entry(route.to_string()).or_insert(0) += 1;
}

fn main() {
    record_hit("/users");
}
"#,
        error: "E0596",
    }),
    idiomatic_rust: r#"use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Default)]
struct Metrics {
    counts: HashMap<String, u64>,
}

impl Metrics {
    fn record_hit(&mut self, route: &str) {
        *self.counts.entry(route.to_string()).or_insert(0) += 1;
    }
}

fn main() {
    // One owner, many threads: the lock is the price of real parallelism.
    let metrics = Arc::new(Mutex::new(Metrics::default()));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let metrics = Arc::clone(&metrics);
            thread::spawn(move || metrics.lock().unwrap().record_hit("/users"))
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    println!("{}", metrics.lock().unwrap().counts["/users"]);
}
"#,
    idiomatic_output: Some("4\n"),
};

impl Rule for SharedModuleState {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let scoping = ctx.semantic.scoping();
        let nodes = ctx.semantic.nodes();
        for symbol in scoping.iter_bindings_in(scoping.root_scope_id()) {
            let Some(is_const) = mutable_binding(ctx, symbol) else {
                continue;
            };
            // Mutating functions, in source order, with what they do.
            let mut mutators: BTreeMap<u32, (String, Mutation)> = BTreeMap::new();
            for reference in scoping.get_resolved_references(symbol) {
                let Some(mutation) = classify(ctx, reference) else {
                    continue;
                };
                if is_const && mutation.rebinds() {
                    continue; // a compile error in JS too
                }
                let Some(function) = ctx.enclosing_function(reference.node_id()) else {
                    continue; // top-level initialisation code runs once
                };
                let start = oxc_span::GetSpan::span(&nodes.kind(function)).start;
                mutators
                    .entry(start)
                    .or_insert_with(|| (ctx.function_name(function), mutation));
            }
            if mutators.is_empty() {
                continue;
            }
            let name = scoping.symbol_name(symbol);
            let names: Vec<String> = mutators
                .values()
                .map(|(f, m)| format!("{f} ({})", m.describe()))
                .collect();
            let only_rebinds = mutators.values().all(|(_, m)| m.rebinds());
            let help = if only_rebinds {
                format!(
                    "Rust statics cannot be reassigned: if `{name}` is set once lazily, use `std::sync::OnceLock`/`LazyLock`; otherwise own it in a struct passed as `&mut`, or `Arc<Mutex<_>>` across threads"
                )
            } else {
                format!(
                    "own `{name}` in a struct and pass `&mut` to the code that changes it; when request handlers on several threads share it, use `Arc<Mutex<_>>` (or atomics for counters)"
                )
            };
            out.push(finding(
                ctx,
                self,
                scoping.symbol_span(symbol),
                Confidence::High,
                format!("module-level `{name}` is mutated from {}", list(&names)),
                help,
            ));
        }
    }
}

/// `Some(is_const)` for a module binding that can hold changing state:
/// `let`/`var`, or a `const` initialised with a mutable container.
fn mutable_binding(ctx: &FileContext<'_, '_>, symbol: SymbolId) -> Option<bool> {
    let nodes = ctx.semantic.nodes();
    let declaration = ctx.semantic.scoping().symbol_declaration(symbol);
    let AstKind::VariableDeclarator(declarator) = nodes.kind(declaration) else {
        return None;
    };
    let AstKind::VariableDeclaration(declaration) = nodes.parent_kind(declaration) else {
        return None;
    };
    match declaration.kind {
        VariableDeclarationKind::Let | VariableDeclarationKind::Var => Some(false),
        VariableDeclarationKind::Const => {
            let init = declarator.init.as_ref()?.without_parentheses();
            let init = match init {
                Expression::TSAsExpression(e) => e.expression.without_parentheses(),
                Expression::TSSatisfiesExpression(e) => e.expression.without_parentheses(),
                other => other,
            };
            let container = match init {
                Expression::ObjectExpression(_) | Expression::ArrayExpression(_) => true,
                Expression::NewExpression(n) => matches!(&n.callee, Expression::Identifier(c)
                    if ["Map", "Set", "WeakMap", "WeakSet", "Array", "Object"].contains(&c.name.as_str())),
                _ => false,
            };
            container.then_some(true)
        }
        _ => None,
    }
}
