//! `shared-memory-threads`: memory shared with worker threads
//! (SharedArrayBuffer, Atomics), and objects posted to a worker that the
//! sender keeps changing.

use std::collections::BTreeSet;

use oxc_ast::AstKind;
use oxc_ast::ast::{Argument, Expression, ObjectPropertyKind};
use oxc_semantic::{NodeId, SymbolId};
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::contains;
use crate::context::FileContext;
use crate::mutation::classify;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::list;
use crate::rules::support::{method_call, short};

pub struct SharedMemoryThreads;

pub static DOC: RuleDoc = RuleDoc {
    code: "shared-memory-threads",
    summary: "Memory shared with worker threads (`new SharedArrayBuffer`, `Atomics.*`), and objects posted to a \
worker (postMessage, workerData) that the sender goes on changing.",
    why: "Node threads share nothing unless you ask: a SharedArrayBuffer is the one mutable memory two workers \
see at once, and `postMessage` copies everything else. Rust threads share by default but the compiler \
forbids unsynchronised shared mutation: memory two threads write must be atomics (`Arc<[AtomicI32]>`, \
`fetch_add` for `Atomics.add`) or sit behind a `Mutex`, and a `Vec` moved into a thread or sent over a \
channel is gone from the sender — changing it afterwards fails with E0382. Each place needs a decision: \
share (Arc + atomics/Mutex), or send a copy / hand the value over.",
    js_example: r#"const shared = new Int32Array(new SharedArrayBuffer(16));
const worker = new Worker("./count.js", { workerData: shared });
Atomics.add(shared, 0, 1); // the worker does the same on its side"#,
    naive_rust: Some(NaivePort {
        code: r#"use std::thread;

fn main() {
    let mut counters = vec![0i32; 4];
    let worker = thread::spawn(move || {
        counters[0] += 1;
    });
    counters[0] += 1;
    worker.join().unwrap();
    println!("{}", counters[0]);
}
"#,
        error: "E0382",
    }),
    idiomatic_rust: r#"use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::thread;

fn main() {
    // The shared buffer: one allocation, counted owners, atomic cells.
    let counters: Arc<[AtomicI32]> = (0..4).map(|_| AtomicI32::new(0)).collect();
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let counters = Arc::clone(&counters);
            thread::spawn(move || {
                counters[0].fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    counters[0].fetch_add(1, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    println!("{}", counters[0].load(Ordering::Relaxed));
}
"#,
    idiomatic_output: Some("4\n"),
};

const WORKER_NAMES: &[&str] = &[
    "Worker",
    "parentPort",
    "workerData",
    "isMainThread",
    "MessageChannel",
];

impl Rule for SharedMemoryThreads {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let nodes = ctx.semantic.nodes();
        let mut workers = false;
        let mut atomics: Vec<(Span, &str)> = Vec::new();
        let mut buffers: Vec<Span> = Vec::new();
        let mut posts: Vec<(NodeId, Span, &str, SymbolId)> = Vec::new();
        for node in nodes.iter() {
            match node.kind() {
                AstKind::IdentifierReference(i) if WORKER_NAMES.contains(&i.name.as_str()) => {
                    workers = true;
                }
                AstKind::ImportDeclaration(i)
                    if matches!(
                        i.source.value.as_str(),
                        "worker_threads" | "node:worker_threads"
                    ) =>
                {
                    workers = true;
                }
                AstKind::NewExpression(new) => {
                    if matches!(new.callee.get_inner_expression(), Expression::Identifier(c) if c.name == "SharedArrayBuffer")
                        && !sleep_buffer(ctx, node.id())
                    {
                        buffers.push(new.span);
                    }
                    if matches!(new.callee.get_inner_expression(), Expression::Identifier(c) if c.name == "Worker")
                        && let Some(symbol) = worker_data(ctx, &new.arguments)
                    {
                        posts.push((node.id(), new.callee.span(), "workerData", symbol));
                    }
                }
                AstKind::CallExpression(call) => {
                    let Some((receiver, method)) = method_call(call) else {
                        continue;
                    };
                    let sleep = method == "wait"
                        && call
                            .arguments
                            .first()
                            .is_some_and(|a| ctx.text(a.span()).contains("SharedArrayBuffer"));
                    if matches!(receiver.get_inner_expression(), Expression::Identifier(o) if o.name == "Atomics")
                        && !sleep
                    {
                        atomics.push((call.span, method));
                    }
                    if method == "postMessage" {
                        workers = true;
                        if let Some(symbol) = posted(ctx, &call.arguments) {
                            posts.push((node.id(), call.callee.span(), "postMessage()", symbol));
                        }
                    }
                }
                _ => {}
            }
        }
        let operations: BTreeSet<&str> = atomics.iter().map(|(_, op)| *op).collect();
        // `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)` is a
        // synchronous sleep (`std::thread::sleep`), not shared state.
        let only_sleep = !workers && operations.iter().all(|op| *op == "wait");
        let ops: Vec<String> = operations
            .iter()
            .map(|op| format!("`Atomics.{op}`"))
            .collect();
        if !only_sleep {
            // One finding per file: the design decision is per module, not per buffer.
            if let Some(span) = buffers.first() {
                let count = match buffers.len() {
                    1 => String::new(),
                    n => format!(" ({n} buffers in this file)"),
                };
                let accessed = if ops.is_empty() {
                    String::new()
                } else {
                    format!(", accessed with {}", list(&ops))
                };
                let message = format!(
                    "`new SharedArrayBuffer(…)` creates memory shared between threads{count}{accessed}"
                );
                let confidence = if workers {
                    Confidence::High
                } else {
                    Confidence::Medium
                };
                out.push(finding(
                    ctx,
                    self,
                    *span,
                    confidence,
                    message,
                    "in Rust share it as `Arc<[AtomicI32]>` (one atomic per slot: `fetch_add`, `load`, `store`, `compare_exchange` for the `Atomics.*` calls) or as `Arc<Mutex<Vec<_>>>`; a plain `Vec` written by two threads does not compile (E0382/E0499)".to_owned(),
                ));
            }
            if buffers.is_empty()
                && let Some((span, _)) = atomics.first()
            {
                let f = finding(
                    ctx,
                    self,
                    *span,
                    Confidence::Medium,
                    format!("this module works on memory shared with another thread ({})", list(&ops)),
                    "each `Atomics.op(view, i, v)` becomes a method of a `std::sync::atomic` cell shared through an `Arc` (`fetch_add`, `load`, `store`, `compare_exchange`, `wait`/`notify` → `Condvar` or `std::thread::park`); plain reads and writes of the same memory must become atomics too or sit behind a `Mutex`".to_owned(),
                )
                .with_severity(Severity::Info);
                out.push(f);
            }
        }
        for (post, callee, how, symbol) in posts {
            if let Some(f) = changed_after_post(ctx, self, post, callee, how, symbol) {
                out.push(f);
            }
        }
    }
}

/// `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)`: a buffer made only
/// to sleep on.
fn sleep_buffer(ctx: &FileContext<'_, '_>, buffer: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    for ancestor in nodes.ancestor_ids(buffer).take(4) {
        match nodes.kind(ancestor) {
            AstKind::NewExpression(_) | AstKind::ParenthesizedExpression(_) => {}
            AstKind::CallExpression(call) => {
                return method_call(call).is_some_and(|(receiver, method)| {
                    method == "wait"
                        && matches!(receiver.get_inner_expression(), Expression::Identifier(o) if o.name == "Atomics")
                });
            }
            _ => return false,
        }
    }
    false
}

/// The binding passed as the message of `postMessage(x)` (unless it is also transferred).
fn posted(ctx: &FileContext<'_, '_>, arguments: &[Argument<'_>]) -> Option<SymbolId> {
    let symbol = symbol_of(ctx, arguments.first()?.as_expression()?)?;
    let transferred = arguments.get(1).and_then(|a| a.as_expression()).is_some_and(|e| {
        matches!(e.get_inner_expression(), Expression::ArrayExpression(array)
            if array.elements.iter().any(|el| el.as_expression().and_then(|e| symbol_of(ctx, e)) == Some(symbol)))
    });
    (!transferred).then_some(symbol)
}

/// `new Worker(file, { workerData: x })`: the binding `x`.
fn worker_data(ctx: &FileContext<'_, '_>, arguments: &[Argument<'_>]) -> Option<SymbolId> {
    let Expression::ObjectExpression(options) =
        arguments.get(1)?.as_expression()?.get_inner_expression()
    else {
        return None;
    };
    options.properties.iter().find_map(|p| match p {
        ObjectPropertyKind::ObjectProperty(p)
            if p.key.static_name().as_deref() == Some("workerData") =>
        {
            symbol_of(ctx, &p.value)
        }
        _ => None,
    })
}

fn symbol_of(ctx: &FileContext<'_, '_>, expr: &Expression<'_>) -> Option<SymbolId> {
    let Expression::Identifier(ident) = expr.get_inner_expression() else {
        return None;
    };
    ctx.semantic
        .scoping()
        .get_reference(ident.reference_id.get()?)
        .symbol_id()
}

/// The binding posted at `post` is changed in place afterwards: after the call in the same
/// function, or anywhere in a loop around the call (the next iteration comes after it),
/// with no fresh value assigned in between.
fn changed_after_post(
    ctx: &FileContext<'_, '_>,
    rule: &SharedMemoryThreads,
    post: NodeId,
    callee: Span,
    how: &str,
    symbol: SymbolId,
) -> Option<Finding> {
    let nodes = ctx.semantic.nodes();
    let scoping = ctx.semantic.scoping();
    let post_span = nodes.kind(post).span();
    let function = ctx.enclosing_function(post);
    let declared = scoping.symbol_span(symbol);
    // The innermost loop around the post whose body does not declare the binding.
    let around = nodes
        .ancestor_ids(post)
        .take_while(|&a| Some(a) != function)
        .find(|&a| {
            matches!(
                nodes.kind(a),
                AstKind::ForStatement(_)
                    | AstKind::ForOfStatement(_)
                    | AstKind::ForInStatement(_)
                    | AstKind::WhileStatement(_)
                    | AstKind::DoWhileStatement(_)
            ) && !contains(nodes.kind(a).span(), declared)
        })
        .map(|a| nodes.kind(a).span());
    let mut rebinds: Vec<u32> = Vec::new();
    let mut changes: Vec<(u32, String)> = Vec::new();
    for reference in scoping.get_resolved_references(symbol) {
        let Some(mutation) = classify(ctx, reference) else {
            continue;
        };
        if ctx.enclosing_function(reference.node_id()) != function {
            continue;
        }
        let at = nodes.kind(reference.node_id()).span();
        if mutation.rebinds() {
            rebinds.push(at.start);
            continue;
        }
        let after = at.start >= post_span.end;
        let in_loop = around.is_some_and(|l| contains(l, at));
        if after || in_loop {
            changes.push((at.start, mutation.describe()));
        }
    }
    // A fresh value after the post makes the later changes apply to a new object.
    let loop_rebinds = around.is_some_and(|l| rebinds.iter().any(|&r| r >= l.start && r < l.end));
    changes.retain(|&(at, _)| {
        if at >= post_span.end {
            !rebinds.iter().any(|&r| r >= post_span.end && r < at)
        } else {
            !loop_rebinds
        }
    });
    let (first, _) = changes.first()?;
    let (line, _) = ctx.positions(Span::new(*first, *first));
    let mut hows: Vec<String> = Vec::new();
    for (_, h) in &changes {
        if !hows.contains(h) {
            hows.push(h.clone());
        }
    }
    let name = scoping.symbol_name(symbol);
    let receiver = short(ctx.text(callee), 40);
    let via = if how == "workerData" {
        "handed to `new Worker(…)` as `workerData`".to_owned()
    } else {
        format!("posted with `{receiver}()`")
    };
    Some(finding(
        ctx,
        rule,
        callee,
        Confidence::High,
        format!(
            "`{name}` is {via} and changed again later ({}, line {}): Node sends a copy, a Rust channel or thread moves the value",
            list(&hows),
            line.line
        ),
        format!(
            "a direct port `tx.send({name})` moves `{name}`, so changing it afterwards fails (E0382): send a copy (`{name}.clone()`), or hand it over and start a new one (`std::mem::take(&mut {name})`); if both threads must see the same data, share it as `Arc<Mutex<_>>`"
        ),
    ))
}
