//! `floating-promise`: a promise created as a statement and then forgotten:
//! nothing awaits it, returns it, handles its rejection or marks it `void`.
//!
//! Only expression statements are candidates, and names are resolved only
//! for them, lazily. A statement floats a promise when its discarded value
//! (either side of `&&`/`||`/`??`, both arms of `?:`, every element of a
//! sequence) is:
//!
//! - a call known to give a promise: an async or `Promise`-annotated function,
//!   method or arrow of this file (also through `this.` and `this.#private`,
//!   and on an instance of a class of this file), `Promise.all`/`allSettled`/
//!   `race`/`any`/`resolve`/`reject`, `fetch`, Node's promise APIs, a
//!   `promisify`d function, an async IIFE, an async function exported by a
//!   relative import (confirmed by the [`ProjectIndex`] after the pass), also
//!   as an optional call (`f?.()`, `obj?.save()`) or a tagged template;
//! - a chain on such a promise that ends without a rejection handler:
//!   `p.then(f)`, `p()?.finally(f)`, and `p.catch()`, `p.catch(null)`,
//!   `p.then(f, undefined)`: only an argument that may be a function (not
//!   `null`, `undefined`, a literal, an object, nor a binding declared or
//!   initialised as one) handles a rejection;
//! - a promise value named on its own (`p;`, `this.ready;`, `x as Promise<T>;`);
//! - an array of promises: `items.map(async (x) => …)`, `[a(), b()]`, a
//!   binding or declared type (`Promise<T>[]`, `Array<…>`, tuples) of them.
//!
//! Without a type checker, "known" means what this file says, through oxc's
//! semantic model: a binding's annotation (`declare const p: Promise<T>`), or,
//! for one never reassigned, its initialiser (`const p = load()`, `new
//! Promise(…)`, `Promise.resolve()`, an async IIFE); return types; casts;
//! type aliases, interfaces and type literals (their properties and
//! methods); classes extending `Promise`; a type parameter's constraint.
//! `Promise<T> | undefined` may be a promise; `any | Promise<T>` is `any`;
//! `PromiseLike` is a thenable, left alone as typescript-eslint does by
//! default.
//!
//! Undecidable here, so never flagged: methods of an instance of an imported
//! class, calls through a parameter typed by an imported interface, a generic
//! `T` without a local constraint, values typed `any`, types from `lib.d.ts`
//! beyond `Promise` (a `PromiseConstructor` subtype), thenables.

use std::cell::Cell;

use oxc_ast::AstKind;
use oxc_ast::ast::{
    Argument, BindingPattern, CallExpression, ChainElement, Class, ClassElement, Expression,
    MemberExpression, MethodDefinitionKind, ObjectPropertyKind, PropertyKey, TSSignature,
    TSTupleElement, TSType, TSTypeName, TSTypeOperatorOperator,
};
use oxc_semantic::{NodeId, SymbolId};
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::project_index::{
    DeferredFinding, PromiseFunction, declarator_returns_promise, expression_is_async_function,
    function_returns_promise, is_promise_function_type, is_top_type,
};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::{method_call, short};

pub struct FloatingPromise;

pub static DOC: RuleDoc = RuleDoc {
    code: "floating-promise",
    summary: "A promise used as a statement (a call, a `.then`/`.finally`/`.catch()` chain without a real \
rejection handler, a promise value, an array of promises) that nothing awaits, returns or marks `void`.",
    why: "A JavaScript promise is eager: calling an async function starts it, and a floating call still runs \
in the background. A Rust future is lazy: it does nothing until something polls it, so a direct port of \
`saveUser(user);` compiles (with only an `unused_must_use` warning) and silently never saves. Where the \
ported code then uses the result it gets a future instead of the value (error E0308). Each floating \
promise needs a decision in the port: `.await` it where the work must finish first, `tokio::spawn` it \
where it is deliberate background work (and decide who sees its errors), or start a runtime \
(`#[tokio::main]`, `block_on`) at the entry point; an array of them (`items.map(async …)`) becomes a `Vec` \
of futures to `join_all`. A `.catch()` or `.then(f, undefined)` with no function handles nothing. Without a \
type checker the rule knows what the file itself says: async functions and methods, `Promise` annotations \
and return types, casts, local type aliases, interfaces and classes extending `Promise`, bindings \
initialised with a promise and never reassigned, Node's promise APIs, and async functions exported by \
relative imports. It cannot decide (and does not flag) a method of an imported class's instance, a call \
through a parameter typed by an imported interface, a generic `T` that may be a promise, or a promise \
hidden in `any`: typescript-eslint's `no-floating-promises`, with the type checker, finds those.",
    js_example: r#"async function save(log: string[], entry: string): Promise<number> {
  log.push(entry);
  return log.length;
}

const log: string[] = [];
save(log, "user:1");               // floating: runs, but nobody waits or sees errors
save(log, "user:2").then((n) => console.log(`saved ${n} entries`)); // no rejection handler"#,
    naive_rust: Some(NaivePort {
        code: r#"async fn save(log: &mut Vec<String>, entry: &str) -> usize {
    log.push(entry.to_string());
    log.len()
}

fn main() {
    let mut log = Vec::new();
    save(&mut log, "user:1"); // only a warning: the future is dropped, nothing is saved
    let saved: usize = save(&mut log, "user:2"); // a future, not a usize
    println!("saved {saved} entries");
}
"#,
        error: "E0308",
    }),
    idiomatic_rust: r#"use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

// A minimal executor so this runs with std alone; a service uses
// `#[tokio::main]` here and `tokio::spawn` for deliberate background work.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

async fn save(log: &mut Vec<String>, entry: &str) -> usize {
    log.push(entry.to_string());
    log.len()
}

async fn run() -> usize {
    let mut log = Vec::new();
    save(&mut log, "user:1").await; // awaited: it runs, in order
    save(&mut log, "user:2").await
}

fn main() {
    let saved = block_on(run());
    println!("saved {saved} entries");
}
"#,
    idiomatic_output: Some("saved 2 entries\n"),
};

impl Rule for FloatingPromise {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    /// Calls of functions imported from other project files wait, as
    /// deferred findings, for the index of every file's exports.
    fn needs_project_index(&self) -> bool {
        true
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        if eslint_disables_file(ctx.source) {
            return;
        }
        let resolver = Resolver {
            ctx,
            depth: Cell::new(0),
        };
        for node in ctx.semantic.nodes().iter() {
            let AstKind::ExpressionStatement(statement) = node.kind() else {
                continue;
            };
            let mut floating = Vec::new();
            resolver.statement(&statement.expression, &mut floating);
            let top_level = ctx.enclosing_function(node.id()).is_none();
            for f in floating {
                if eslint_disables_line(ctx, f.span) {
                    continue; // the authors decided, as with `void`
                }
                let help = f.help(top_level);
                let found = finding(ctx, self, f.span, f.confidence, f.message, help);
                match f.pending {
                    Some((module, export)) => ctx.defer(DeferredFinding {
                        finding: found,
                        module,
                        export,
                    }),
                    None => out.push(found),
                }
            }
        }
    }
}

/// How a finding's promise is left floating, which decides the advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A bare call: `save(user);`
    Call,
    /// An async IIFE: `(async () => { … })();`
    Iife,
    /// A chain that ends without a rejection handler: `p.then(f);`, `p.finally(f);`
    Unhandled,
    /// A promise named in a statement of its own: `p;`
    Value,
    /// An array of promises: `items.map(async (x) => …);`, `[a(), b()];`
    Array,
}

struct Floating {
    span: Span,
    confidence: Confidence,
    message: String,
    /// The call to name in the help, e.g. `saveUser`.
    callee: String,
    shape: Shape,
    pending: Option<(String, String)>,
}

impl Floating {
    fn new(span: Span, source: Source, message: String, callee: String, shape: Shape) -> Self {
        Self {
            span,
            confidence: source.confidence,
            message,
            callee,
            shape,
            pending: source.pending,
        }
    }

    fn help(&self, top_level: bool) -> String {
        let callee = &self.callee;
        match self.shape {
            Shape::Iife if top_level => "in Rust the entry point drives the future: make this \
`#[tokio::main] async fn main()` (or call `Runtime::block_on`); a direct port that only creates the future \
never runs it"
                .to_owned(),
            Shape::Iife => "a Rust `async` block does nothing until polled: `.await` it, or for deliberate \
background work `tokio::spawn(async move { … })` and decide who sees its errors"
                .to_owned(),
            Shape::Call if top_level => format!(
                "in Rust the entry point drives the future: `#[tokio::main] async fn main()` awaiting `{callee}` \
(or `Runtime::block_on`); a direct port that only calls `{callee}` never runs it"
            ),
            Shape::Call => format!(
                "a Rust future does nothing until polled: `.await` the call to `{callee}` and handle its `Result`, \
or, if this is deliberate background work, `tokio::spawn` it and decide who sees its errors; in the JS, \
`void` marks a deliberate fire-and-forget"
            ),
            Shape::Unhandled => format!(
                "`await` it inside try/catch or end the chain with `.catch`; in Rust `.await` the future and handle \
the `Result` with `?` or `match`: a callback chained on `{callee}` that nobody polls never runs"
            ),
            Shape::Value => format!(
                "`await` `{callee}` (inside try/catch) or `return` it; in Rust `.await` the future and handle its \
`Result`: a future only named in a statement is dropped there, and nobody polls it"
            ),
            Shape::Array => "`await Promise.all(…)` (or `Promise.allSettled`) over these promises; in Rust collect \
the futures and `.await` `futures::future::join_all(…)` (or `try_join_all`): a `Vec` of futures that nobody polls \
never runs"
                .to_owned(),
        }
    }
}

/// The ESLint rule whose suppression comments record the same decision as `void`.
const ESLINT_RULE: &str = "no-floating-promises";

/// `/* eslint-disable @typescript-eslint/no-floating-promises */` for the whole file.
fn eslint_disables_file(source: &str) -> bool {
    source.contains(ESLINT_RULE)
        && source
            .lines()
            .any(|l| l.contains("eslint-disable ") && l.contains(ESLINT_RULE))
}

/// `// eslint-disable-next-line …no-floating-promises` on the line before the
/// finding, or `// eslint-disable-line …` on its line.
fn eslint_disables_line(ctx: &FileContext<'_, '_>, span: Span) -> bool {
    let line = ctx.positions(span).0.line;
    let here = ctx.line_text(line);
    let before = if line > 1 {
        ctx.line_text(line - 1)
    } else {
        ""
    };
    (here.contains("eslint-disable-line") && here.contains(ESLINT_RULE))
        || (before.contains("eslint-disable-next-line") && before.contains(ESLINT_RULE))
}

/// Why an expression is a promise.
struct Source {
    reason: String,
    confidence: Confidence,
    iife: bool,
    /// Holds only if the relative module exports this name as an async
    /// function: (module, export), resolved by the engine after the pass.
    pending: Option<(String, String)>,
}

impl Source {
    fn new(reason: String, confidence: Confidence) -> Self {
        Self {
            reason,
            confidence,
            iife: false,
            pending: None,
        }
    }
}

/// Methods of `Promise` that return a promise.
const PROMISE_STATICS: &[&str] = &[
    "all",
    "allSettled",
    "race",
    "any",
    "resolve",
    "reject",
    "try",
];

/// What an import or `require` binds: a whole module or one export of it.
enum ModuleBinding {
    Namespace(String),
    Export(String, String),
}

fn builtin(module: &str) -> &str {
    module.strip_prefix("node:").unwrap_or(module)
}

fn is_relative(module: &str) -> bool {
    module.starts_with("./") || module.starts_with("../")
}

/// Node's promise APIs: does `name` exported by the built-in `module` return a promise?
fn builtin_returns_promise(module: &str, name: &str) -> bool {
    match builtin(module) {
        // Everything but the constants and the async-iterator `watch`.
        "fs/promises" => !matches!(name, "constants" | "watch" | "default"),
        "timers/promises" => matches!(name, "setTimeout" | "setImmediate"),
        "stream/promises" => matches!(name, "pipeline" | "finished"),
        "dns/promises" => {
            name.starts_with("resolve") || matches!(name, "lookup" | "lookupService" | "reverse")
        }
        _ => false,
    }
}

struct Resolver<'c, 's, 'a> {
    ctx: &'c FileContext<'s, 'a>,
    /// How many bindings deep [`Resolver::value_source`] follows initialisers:
    /// `const a = b.then(f)` may lead back to `a`.
    depth: Cell<u8>,
}

/// How far names are followed: bindings to their initialisers, type
/// aliases to their types.
const MAX_DEPTH: u8 = 8;

/// What a type written in this file says a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// A promise (or a union or intersection with one).
    Promise,
    /// An array or tuple of promises.
    Promises,
}

/// What this file declares an expression to be, without a type checker.
#[derive(Clone, Copy)]
enum Typed<'a> {
    /// A type written in the source: an annotation, a return type, a cast.
    Ts(&'a TSType<'a>),
    /// An instance (or, `is_static`, the constructor) of a class of this file.
    Class(&'a Class<'a>, bool),
    /// The result of calling an async function declared at `Span`.
    Async(Span),
}

/// May `ty` be something other than a function? Keywords, literal types,
/// and unions with one: `string | (() => void)`.
fn maybe_not_callable(ty: &TSType<'_>) -> bool {
    match ty {
        TSType::TSUnionType(u) => u.types.iter().any(maybe_not_callable),
        TSType::TSParenthesizedType(p) => maybe_not_callable(&p.type_annotation),
        TSType::TSLiteralType(_)
        | TSType::TSStringKeyword(_)
        | TSType::TSNumberKeyword(_)
        | TSType::TSBooleanKeyword(_)
        | TSType::TSBigIntKeyword(_)
        | TSType::TSSymbolKeyword(_)
        | TSType::TSNullKeyword(_)
        | TSType::TSUndefinedKeyword(_)
        | TSType::TSVoidKeyword(_)
        | TSType::TSNeverKeyword(_) => true,
        _ => false,
    }
}

/// The call in `expr`, also as `a?.b()`.
fn as_call<'e, 'a>(expr: &'e Expression<'a>) -> Option<&'e CallExpression<'a>> {
    match expr.get_inner_expression() {
        Expression::CallExpression(call) => Some(call),
        Expression::ChainExpression(chain) => match &chain.expression {
            ChainElement::CallExpression(call) => Some(call),
            _ => None,
        },
        _ => None,
    }
}

impl<'a> Resolver<'_, '_, 'a> {
    /// A `.catch(h)` or `.then(ok, h)` anywhere in the chain that ends with
    /// `call`, where `h` may be a function: the code decided what a rejection
    /// does (`p.catch(h).then(f)` too: the rest of the chain is the success
    /// path of a handled promise). `.catch()`, `.catch(null)` and
    /// `.then(f, undefined)` handle nothing.
    fn chain_handles_rejection(&self, call: &'a CallExpression<'a>) -> bool {
        let mut current = call;
        loop {
            let receiver = match method_call(current) {
                Some((receiver, "catch")) => {
                    if self.handler_at(current, 0) {
                        return true;
                    }
                    receiver
                }
                Some((receiver, "then")) => {
                    if self.handler_at(current, 1) {
                        return true;
                    }
                    receiver
                }
                Some((receiver, "finally")) => receiver,
                _ => return false,
            };
            match as_call(receiver) {
                Some(inner) => current = inner,
                None => return false,
            }
        }
    }

    /// Is argument `index` of `call` a rejection handler: something that may
    /// be a function? A spread at or before it hides which argument it is.
    fn handler_at(&self, call: &'a CallExpression<'a>, index: usize) -> bool {
        if call
            .arguments
            .iter()
            .take(index + 1)
            .any(Argument::is_spread)
        {
            return false;
        }
        call.arguments
            .get(index)
            .and_then(Argument::as_expression)
            .is_some_and(|e| self.may_be_function(e))
    }

    /// Not `null`, `undefined`, a literal, an object or array literal, nor a
    /// binding declared or initialised as one of these.
    fn may_be_function(&self, expr: &'a Expression<'a>) -> bool {
        match expr.get_inner_expression() {
            Expression::NullLiteral(_)
            | Expression::BooleanLiteral(_)
            | Expression::NumericLiteral(_)
            | Expression::StringLiteral(_)
            | Expression::BigIntLiteral(_)
            | Expression::RegExpLiteral(_)
            | Expression::TemplateLiteral(_)
            | Expression::ObjectExpression(_)
            | Expression::ArrayExpression(_)
            | Expression::UnaryExpression(_)
            | Expression::BinaryExpression(_) => false,
            Expression::Identifier(id) => {
                let scoping = self.ctx.semantic.scoping();
                let Some(symbol) = scoping.get_reference(id.reference_id()).symbol_id() else {
                    return !matches!(id.name.as_str(), "undefined" | "NaN" | "Infinity");
                };
                match self
                    .ctx
                    .semantic
                    .nodes()
                    .kind(scoping.symbol_declaration(symbol))
                {
                    AstKind::VariableDeclarator(d) => match (&d.type_annotation, &d.init) {
                        (Some(a), _) => !maybe_not_callable(&a.type_annotation),
                        // Not through another binding (no chains, no
                        // cycles), but `const quiet = undefined`.
                        (None, Some(init)) if !self.reassigned(symbol) => {
                            match init.get_inner_expression() {
                                Expression::Identifier(other) => {
                                    scoping
                                        .get_reference(other.reference_id())
                                        .symbol_id()
                                        .is_some()
                                        || self.may_be_function(init)
                                }
                                _ => self.may_be_function(init),
                            }
                        }
                        _ => true,
                    },
                    AstKind::FormalParameter(p) => p
                        .type_annotation
                        .as_ref()
                        .is_none_or(|a| !maybe_not_callable(&a.type_annotation)),
                    _ => true,
                }
            }
            _ => true,
        }
    }

    /// Findings for the value of an expression statement, which is discarded.
    fn statement(&self, expr: &'a Expression<'a>, out: &mut Vec<Floating>) {
        match expr.get_inner_expression() {
            // `a, b()`: every element is discarded.
            Expression::SequenceExpression(s) => {
                for e in &s.expressions {
                    self.statement(e, out);
                }
            }
            // `ready && start()`, `p || fallback`: either side's value may be
            // discarded; one finding for `p && p.then(f)`.
            Expression::LogicalExpression(l) => {
                let before = out.len();
                self.statement(&l.left, out);
                if out.len() == before {
                    self.statement(&l.right, out);
                }
            }
            Expression::ConditionalExpression(c) => {
                self.statement(&c.consequent, out);
                self.statement(&c.alternate, out);
            }
            // `await p`, `void p`: decided.
            Expression::AwaitExpression(_) | Expression::UnaryExpression(_) => {}
            e => {
                if let Some(call) = as_call(e) {
                    self.statement_call(e, call, out);
                } else if let Expression::NewExpression(_) | Expression::ImportExpression(_) = e {
                    let Some(source) = self.promise_source(e) else {
                        return;
                    };
                    let what = match e {
                        Expression::NewExpression(n) => {
                            format!("new {}", self.short(n.callee.span()))
                        }
                        _ => "import".to_owned(),
                    };
                    let message = format!(
                        "the promise from `{what}(…)` is never awaited, returned or given a rejection handler: {}",
                        source.reason
                    );
                    out.push(Floating::new(e.span(), source, message, what, Shape::Call));
                } else if let Expression::TaggedTemplateExpression(t) = e {
                    let Some(source) = self.promise_source(e) else {
                        return;
                    };
                    let tag = self.short(t.tag.span());
                    let message = format!(
                        "the promise from the tagged template `{tag}`…`` is never awaited, returned or given a \
rejection handler: {}",
                        source.reason
                    );
                    out.push(Floating::new(e.span(), source, message, tag, Shape::Call));
                } else if let Some(source) = self.promise_source(expr) {
                    let name = self.short(expr.without_parentheses().span());
                    let message = format!(
                        "the promise `{name}` is discarded here: never awaited, returned or given a rejection \
handler: {}",
                        source.reason
                    );
                    out.push(Floating::new(
                        expr.span(),
                        source,
                        message,
                        name,
                        Shape::Value,
                    ));
                } else {
                    self.statement_array(expr, out);
                }
            }
        }
    }

    /// `[a(), b()];`, `items.map(async (x) => …);`, `Promise<T>[]` values.
    fn statement_array(&self, expr: &'a Expression<'a>, out: &mut Vec<Floating>) {
        let Some(source) = self.array_source(expr) else {
            return;
        };
        let name = self.short(expr.get_inner_expression().span());
        let message = format!(
            "the promises in `{name}` are never awaited, returned or given a rejection handler: {}",
            source.reason
        );
        out.push(Floating::new(
            expr.span(),
            source,
            message,
            name,
            Shape::Array,
        ));
    }

    fn statement_call(
        &self,
        expr: &'a Expression<'a>,
        call: &'a CallExpression<'a>,
        out: &mut Vec<Floating>,
    ) {
        if self.chain_handles_rejection(call) {
            return;
        }
        if let Some((receiver, method @ ("then" | "finally" | "catch"))) = method_call(call) {
            // Only on a known promise: Cypress commands, query and workflow
            // builders also have a `.then`, and none of them float.
            let Some(source) = self.promise_source(receiver) else {
                return;
            };
            let on = self.chain_root(receiver);
            let message = if method == "catch" {
                format!(
                    "the `.catch()` on `{on}` is given no function, so it handles no rejection, and the chain is \
never awaited or returned: {}",
                    source.reason
                )
            } else {
                format!(
                    "the `.{method}()` chain on `{on}` has no rejection handler and is never awaited or returned: {}",
                    source.reason
                )
            };
            out.push(Floating::new(
                expr.span(),
                source,
                message,
                on,
                Shape::Unhandled,
            ));
            return;
        }
        let Some(source) = self.call_source(call) else {
            self.statement_array(expr, out);
            return;
        };
        let callee = self.callee_name(call);
        let (what, shape) = if source.iife {
            ("the async IIFE".to_owned(), Shape::Iife)
        } else {
            (format!("`{callee}(…)`"), Shape::Call)
        };
        let message = format!(
            "the promise from {what} is never awaited, returned or given a rejection handler: {}",
            source.reason
        );
        out.push(Floating::new(expr.span(), source, message, callee, shape));
    }

    /// The start of a `.then`/`.catch`/`.finally` chain, shown as `callee()`.
    fn chain_root(&self, receiver: &Expression<'_>) -> String {
        let mut current = receiver;
        while let Some(call) = as_call(current) {
            match method_call(call) {
                Some((inner, "then" | "catch" | "finally")) => current = inner,
                _ => return format!("{}()", self.callee_name(call)),
            }
        }
        self.short(current.span())
    }

    fn callee_name(&self, call: &CallExpression<'_>) -> String {
        self.short(call.callee.span())
    }

    /// Source text of `span`, on one line, at most 40 characters; a chain
    /// broken over lines reads `a.b()`, not `a .b()`.
    fn short(&self, span: Span) -> String {
        let text = short(self.ctx.text(span), usize::MAX).replace(" .", ".");
        short(&text, 39)
    }

    fn line(&self, span: Span) -> usize {
        self.ctx.positions(span).0.line
    }

    /// Why `expr` evaluates to a promise, if it does.
    fn promise_source(&self, expr: &'a Expression<'a>) -> Option<Source> {
        if let Some(call) = as_call(expr) {
            return self.call_source(call);
        }
        let found = match expr.get_inner_expression() {
            Expression::NewExpression(n) if n.callee.is_specific_id("Promise") => {
                return Some(Source::new(
                    "`new Promise` runs its executor at once".to_owned(),
                    Confidence::High,
                ));
            }
            Expression::ImportExpression(_) => {
                return Some(Source::new(
                    "`import()` loads the module in the background".to_owned(),
                    Confidence::High,
                ));
            }
            Expression::Identifier(id) => {
                let reference = self.ctx.semantic.scoping().get_reference(id.reference_id());
                reference.symbol_id().and_then(|s| self.value_source(s))
            }
            Expression::TaggedTemplateExpression(t) => self.callee_source(&t.tag),
            // `obj.p` where `const obj = { p: fetch(url) }`.
            Expression::StaticMemberExpression(m) => {
                self.object_literal_member(&m.object, &m.property.name)
            }
            _ => None,
        };
        found.or_else(|| self.typed_source(expr))
    }

    /// `object.name` where `object` is a binding never reassigned, initialised
    /// with an object literal whose `name` is a promise.
    fn object_literal_member(&self, object: &'a Expression<'a>, name: &str) -> Option<Source> {
        let Expression::Identifier(id) = object.get_inner_expression() else {
            return None;
        };
        let scoping = self.ctx.semantic.scoping();
        let symbol = scoping.get_reference(id.reference_id()).symbol_id()?;
        let AstKind::VariableDeclarator(d) = self
            .ctx
            .semantic
            .nodes()
            .kind(scoping.symbol_declaration(symbol))
        else {
            return None;
        };
        if d.type_annotation.is_some() || self.reassigned(symbol) {
            return None;
        }
        let Expression::ObjectExpression(literal) = d.init.as_ref()?.get_inner_expression() else {
            return None;
        };
        let value = literal.properties.iter().find_map(|p| match p {
            ObjectPropertyKind::ObjectProperty(p)
                if !p.method && !p.computed && p.key.static_name().is_some_and(|k| k == name) =>
            {
                Some(&p.value)
            }
            _ => None,
        })?;
        let inner = self.nested(|| self.promise_source(value))?;
        Some(Source {
            pending: inner.pending,
            ..Source::new(
                format!(
                    "`{}.{name}` holds a promise (line {}): {}",
                    id.name,
                    self.line(value.span()),
                    inner.reason
                ),
                inner.confidence,
            )
        })
    }

    /// Runs `f` one binding deeper, or not at all past [`MAX_DEPTH`].
    fn nested<T>(&self, f: impl FnOnce() -> Option<T>) -> Option<T> {
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            return None;
        }
        self.depth.set(depth + 1);
        let found = f();
        self.depth.set(depth);
        found
    }

    /// Is `symbol` written anywhere after its declaration?
    fn reassigned(&self, symbol: SymbolId) -> bool {
        self.ctx
            .semantic
            .scoping()
            .get_resolved_references(symbol)
            .any(oxc_semantic::Reference::is_write)
    }

    /// A binding's name, declaration line, and how sure a finding through it
    /// is: a binding reassigned somewhere may hold something else by now.
    fn binding(&self, symbol: SymbolId) -> (&str, usize, Confidence) {
        let scoping = self.ctx.semantic.scoping();
        let reassigned = self.reassigned(symbol);
        (
            scoping.symbol_name(symbol),
            self.line(scoping.symbol_span(symbol)),
            if reassigned {
                Confidence::Medium
            } else {
                Confidence::High
            },
        )
    }

    /// A binding initialised with a promise: `const p = fetch(url)`. A
    /// binding with a type annotation is what its type says (see
    /// [`Resolver::typed_source`]: `let p: Promise<T>`, a parameter typed
    /// `Promise<T>`); one without that is reassigned somewhere may hold
    /// anything by now.
    fn value_source(&self, symbol: SymbolId) -> Option<Source> {
        let scoping = self.ctx.semantic.scoping();
        let (name, line, confidence) = self.binding(symbol);
        let AstKind::VariableDeclarator(d) = self
            .ctx
            .semantic
            .nodes()
            .kind(scoping.symbol_declaration(symbol))
        else {
            return None;
        };
        if !matches!(d.id, BindingPattern::BindingIdentifier(_))
            || d.type_annotation.is_some()
            || confidence < Confidence::High
        {
            return None;
        }
        // Not through another identifier: no chains of aliases, no cycles.
        let init = d.init.as_ref()?;
        if matches!(init.get_inner_expression(), Expression::Identifier(_)) {
            return None;
        }
        let inner = self.nested(|| self.promise_source(init))?;
        Some(Source {
            pending: inner.pending,
            ..Source::new(
                format!("`{name}` holds a promise (line {line}): {}", inner.reason),
                confidence.min(inner.confidence),
            )
        })
    }

    fn call_source(&self, call: &'a CallExpression<'a>) -> Option<Source> {
        self.callee_source(&call.callee)
    }

    /// Why calling `callee` (or tagging a template with it) gives a promise.
    fn callee_source(&self, callee: &'a Expression<'a>) -> Option<Source> {
        self.syntactic_callee_source(callee)
            .or_else(|| self.typed_call_source(callee))
    }

    fn syntactic_callee_source(&self, callee: &'a Expression<'a>) -> Option<Source> {
        match callee.get_inner_expression() {
            Expression::Identifier(id) => {
                let reference = self.ctx.semantic.scoping().get_reference(id.reference_id());
                match reference.symbol_id() {
                    Some(symbol) => self.symbol_source(symbol),
                    None if id.name == "fetch" => Some(Source::new(
                        "`fetch` returns a promise".to_owned(),
                        Confidence::High,
                    )),
                    None => None,
                }
            }
            callee @ (Expression::ArrowFunctionExpression(_)
            | Expression::FunctionExpression(_)) => {
                expression_is_async_function(callee).map(|_| Source {
                    iife: true,
                    ..Source::new(
                        "it starts at once, and a rejection inside it goes unhandled".to_owned(),
                        Confidence::High,
                    )
                })
            }
            Expression::StaticMemberExpression(m) => {
                let property = m.property.name.as_str();
                self.member_call_source(&m.object, property)
            }
            Expression::PrivateFieldExpression(p) => match p.object.get_inner_expression() {
                Expression::ThisExpression(this) => {
                    self.this_method_source(this.node_id.get(), p.field.name.as_str(), true)
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn member_call_source(&self, object: &'a Expression<'a>, property: &str) -> Option<Source> {
        let object = object.get_inner_expression();
        if matches!(property, "then" | "catch" | "finally") {
            // A chain on a promise is a promise.
            return self.promise_source(object);
        }
        match object {
            Expression::Identifier(id) if id.name == "Promise" => {
                PROMISE_STATICS.contains(&property).then(|| {
                    Source::new(
                        format!("`Promise.{property}` returns a promise"),
                        Confidence::High,
                    )
                })
            }
            Expression::ThisExpression(this) => {
                self.this_method_source(this.node_id.get(), property, false)
            }
            Expression::Identifier(id) => {
                let symbol = self
                    .ctx
                    .semantic
                    .scoping()
                    .get_reference(id.reference_id())
                    .symbol_id()?;
                if let Some(ModuleBinding::Namespace(module)) = self.module_binding(symbol) {
                    return self.export_source(
                        &module,
                        property,
                        &format!("{}.{property}", id.name),
                    );
                }
                // `Store.load()` on a class of this file.
                let nodes = self.ctx.semantic.nodes();
                let AstKind::Class(class) =
                    nodes.kind(self.ctx.semantic.scoping().symbol_declaration(symbol))
                else {
                    return None;
                };
                self.class_member_source(class, property, false, true)
            }
            // `fs.promises.readFile(…)`
            Expression::StaticMemberExpression(inner) if inner.property.name == "promises" => {
                let Expression::Identifier(id) = inner.object.get_inner_expression() else {
                    return None;
                };
                let symbol = self
                    .ctx
                    .semantic
                    .scoping()
                    .get_reference(id.reference_id())
                    .symbol_id()?;
                match self.module_binding(symbol) {
                    Some(ModuleBinding::Namespace(module)) if builtin(&module) == "fs" => self
                        .export_source(
                            "fs/promises",
                            property,
                            &format!("{}.promises.{property}", id.name),
                        ),
                    _ => None,
                }
            }
            // `navigator.clipboard.writeText(…)`
            Expression::StaticMemberExpression(inner)
                if inner.property.name == "clipboard"
                    && inner.object.is_specific_id("navigator") =>
            {
                Some(Source::new(
                    format!("the Clipboard API's `{property}` returns a promise"),
                    Confidence::High,
                ))
            }
            _ => None,
        }
    }

    /// `display` (as written at the call) is export `name` of `module`: a
    /// Node promise API, or an async function of another project file.
    fn export_source(&self, module: &str, name: &str, display: &str) -> Option<Source> {
        if builtin_returns_promise(module, name) {
            return Some(Source::new(
                format!("`{display}` comes from \"{module}\", Node's promise API"),
                Confidence::High,
            ));
        }
        if !is_relative(module) {
            return None;
        }
        let source = || {
            Source::new(
                format!("`{display}` is an async function exported by \"{module}\""),
                Confidence::High,
            )
        };
        self.ctx.defers_cross_file().then(|| Source {
            pending: Some((module.to_owned(), name.to_owned())),
            ..source()
        })
    }

    /// Why calling the binding `symbol` gives a promise.
    fn symbol_source(&self, symbol: SymbolId) -> Option<Source> {
        let scoping = self.ctx.semantic.scoping();
        let nodes = self.ctx.semantic.nodes();
        let (name, line, confidence) = self.binding(symbol);
        let described = |kind: PromiseFunction, what: &str| {
            let reason = match kind {
                PromiseFunction::Async => format!("`{name}` is an async {what} (line {line})"),
                PromiseFunction::ReturnsPromise => {
                    format!("`{name}` is declared to return `Promise` (line {line})")
                }
            };
            Source::new(reason, confidence)
        };
        match nodes.kind(scoping.symbol_declaration(symbol)) {
            AstKind::Function(f) => function_returns_promise(f).map(|k| described(k, "function")),
            AstKind::VariableDeclarator(d) => {
                // Without a type, a binding reassigned somewhere may hold
                // anything by now.
                let trusted = d.type_annotation.is_some() || confidence == Confidence::High;
                if trusted && matches!(d.id, BindingPattern::BindingIdentifier(_)) {
                    if let Some(kind) = declarator_returns_promise(d) {
                        return Some(described(kind, "function"));
                    }
                    if d.init.as_ref().is_some_and(is_promisify_call) {
                        return Some(Source::new(
                            format!("`{name}` is a promisified function (line {line})"),
                            confidence,
                        ));
                    }
                }
                match self.module_binding(symbol)? {
                    ModuleBinding::Export(module, export) => {
                        self.export_source(&module, &export, name)
                    }
                    ModuleBinding::Namespace(_) => None,
                }
            }
            AstKind::FormalParameter(p)
                if matches!(p.pattern, BindingPattern::BindingIdentifier(_)) =>
            {
                p.type_annotation
                    .as_ref()
                    .is_some_and(|a| is_promise_function_type(&a.type_annotation))
                    .then(|| {
                        Source::new(
                            format!(
                                "parameter `{name}` is typed to return `Promise` (line {line})"
                            ),
                            confidence,
                        )
                    })
            }
            AstKind::ImportSpecifier(_) | AstKind::ImportDefaultSpecifier(_) => {
                match self.module_binding(symbol)? {
                    ModuleBinding::Export(module, export) => {
                        self.export_source(&module, &export, name)
                    }
                    ModuleBinding::Namespace(_) => None,
                }
            }
            _ => None,
        }
    }

    /// What `symbol` binds if it comes from an `import` or a `require(…)`.
    fn module_binding(&self, symbol: SymbolId) -> Option<ModuleBinding> {
        let scoping = self.ctx.semantic.scoping();
        let nodes = self.ctx.semantic.nodes();
        let declaration = scoping.symbol_declaration(symbol);
        let import_source = || {
            nodes.ancestor_kinds(declaration).find_map(|k| match k {
                AstKind::ImportDeclaration(d) if !d.import_kind.is_type() => {
                    Some(d.source.value.to_string())
                }
                _ => None,
            })
        };
        match nodes.kind(declaration) {
            AstKind::ImportSpecifier(s) if !s.import_kind.is_type() => {
                let module = import_source()?;
                let imported = s.imported.name().to_string();
                Some(named_export(module, imported))
            }
            AstKind::ImportDefaultSpecifier(_) => {
                let module = import_source()?;
                Some(if is_relative(&module) {
                    ModuleBinding::Export(module, "default".to_owned())
                } else {
                    ModuleBinding::Namespace(module)
                })
            }
            AstKind::ImportNamespaceSpecifier(_) => {
                Some(ModuleBinding::Namespace(import_source()?))
            }
            AstKind::VariableDeclarator(d) => {
                let (module, promises) = required_module(d.init.as_ref()?)?;
                let module = if promises {
                    "fs/promises".to_owned()
                } else {
                    module
                };
                match &d.id {
                    BindingPattern::BindingIdentifier(_) => Some(ModuleBinding::Namespace(module)),
                    BindingPattern::ObjectPattern(pattern) => {
                        let span = scoping.symbol_span(symbol);
                        let key = pattern.properties.iter().find_map(|p| {
                            let bound = match &p.value {
                                BindingPattern::BindingIdentifier(id) => id.span,
                                BindingPattern::AssignmentPattern(a) => match &a.left {
                                    BindingPattern::BindingIdentifier(id) => id.span,
                                    _ => return None,
                                },
                                _ => return None,
                            };
                            (bound == span).then(|| p.key.static_name()).flatten()
                        })?;
                        Some(named_export(module, key.to_string()))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `this.name()` inside a class: the same class's method or field.
    fn this_method_source(&self, this: NodeId, name: &str, private: bool) -> Option<Source> {
        let (class, is_static) = self.this_class(this)?;
        self.class_member_source(class, name, private, is_static)
    }

    /// The class whose instance (or, `true`, constructor) `this` is at `node`.
    fn this_class(&self, node: NodeId) -> Option<(&'a Class<'a>, bool)> {
        let nodes = self.ctx.semantic.nodes();
        // `Some(is_static)` once the climb has passed a class member.
        let mut member: Option<bool> = None;
        for ancestor in nodes.ancestor_ids(node) {
            match nodes.kind(ancestor) {
                AstKind::ArrowFunctionExpression(_) => {}
                AstKind::Function(_) => match nodes.parent_kind(ancestor) {
                    AstKind::MethodDefinition(m) => member = Some(m.r#static),
                    // A plain function binds its own `this`.
                    _ => return None,
                },
                AstKind::PropertyDefinition(p) => member = member.or(Some(p.r#static)),
                AstKind::StaticBlock(_) => member = Some(true),
                AstKind::Class(class) => return Some((class, member?)),
                _ => {}
            }
        }
        None
    }

    fn class_member_source(
        &self,
        class: &Class<'_>,
        name: &str,
        private: bool,
        is_static: bool,
    ) -> Option<Source> {
        let key_matches = |key: &PropertyKey<'_>| {
            if private {
                key.private_name().is_some_and(|n| n == name)
            } else {
                !key.is_private_identifier() && key.static_name().is_some_and(|n| n == name)
            }
        };
        let class_name = class
            .id
            .as_ref()
            .map_or_else(|| "this class".to_owned(), |id| format!("`{}`", id.name));
        let hash = if private { "#" } else { "" };
        let owner = if is_static { "Static" } else { "this" };
        let display = if is_static && !private {
            class.id.as_ref().map_or_else(
                || format!("{owner}.{name}"),
                |id| format!("{}.{name}", id.name),
            )
        } else {
            format!("this.{hash}{name}")
        };
        for element in &class.body.body {
            let kind = match element {
                ClassElement::MethodDefinition(m)
                    if m.r#static == is_static
                        && m.kind == MethodDefinitionKind::Method
                        && key_matches(&m.key) =>
                {
                    function_returns_promise(&m.value)
                }
                ClassElement::PropertyDefinition(p)
                    if p.r#static == is_static && key_matches(&p.key) =>
                {
                    let typed = p
                        .type_annotation
                        .as_ref()
                        .is_some_and(|a| is_promise_function_type(&a.type_annotation));
                    if typed {
                        Some(PromiseFunction::ReturnsPromise)
                    } else {
                        p.value.as_ref().and_then(expression_is_async_function)
                    }
                }
                _ => None,
            };
            if let Some(kind) = kind {
                let line = self.line(element.span());
                let reason = match kind {
                    PromiseFunction::Async => {
                        format!("`{display}` is an async method of {class_name} (line {line})")
                    }
                    PromiseFunction::ReturnsPromise => format!(
                        "`{display}` is declared to return `Promise` in {class_name} (line {line})"
                    ),
                };
                return Some(Source::new(reason, Confidence::High));
            }
        }
        None
    }
}

/// A member looked up on a [`Typed`] value.
enum Member<'a> {
    /// A property: what reading it gives.
    Value(Typed<'a>),
    /// A method: what calling it gives.
    Method(Typed<'a>),
}

/// Both `Promise` if any is, else `Promises` if any is.
fn strongest(holds: impl Iterator<Item = Option<Holds>>) -> Option<Holds> {
    let mut found = None;
    for h in holds.flatten() {
        if h == Holds::Promise {
            return Some(h);
        }
        found = Some(h);
    }
    found
}

/// Does `key` name `name` (a `#private` name when `private`)?
fn key_is(key: &PropertyKey<'_>, name: &str, private: bool) -> bool {
    if private {
        key.private_name().is_some_and(|n| n == name)
    } else {
        !key.is_private_identifier() && key.static_name().is_some_and(|n| n == name)
    }
}

/// Local type knowledge: what the annotations, return types, casts and
/// classes of this file say an expression is. Names resolve through the
/// semantic model (type aliases, interfaces, classes, type parameters'
/// constraints), [`MAX_DEPTH`] deep at most. Only called for candidate
/// statements, so nothing here runs per node.
impl<'a> Resolver<'_, '_, 'a> {
    /// Why `expr` is a promise by its declared type.
    fn typed_source(&self, expr: &'a Expression<'a>) -> Option<Source> {
        let typed = self.value_type(expr, 0)?;
        (self.typed_holds(typed, 0)? == Holds::Promise)
            .then(|| Source::new(self.typed_reason(expr, typed, false), Confidence::High))
    }

    /// Why calling `callee` gives a promise by its declared return type.
    fn typed_call_source(&self, callee: &'a Expression<'a>) -> Option<Source> {
        let typed = self.callee_returns(callee, 0)?;
        (self.typed_holds(typed, 0)? == Holds::Promise)
            .then(|| Source::new(self.typed_reason(callee, typed, true), Confidence::High))
    }

    fn typed_reason(&self, expr: &'a Expression<'a>, typed: Typed<'a>, call: bool) -> String {
        let what = self.short(expr.get_inner_expression().span());
        match typed {
            Typed::Ts(ty) if expr.span().contains_inclusive(ty.span()) => {
                format!("it is cast to `{}`", self.short(ty.span()))
            }
            Typed::Ts(ty) => {
                let verb = if call {
                    "is declared to return"
                } else {
                    "is declared"
                };
                format!(
                    "`{what}` {verb} `{}` (line {})",
                    self.short(ty.span()),
                    self.line(ty.span())
                )
            }
            Typed::Class(class, _) => format!(
                "`{what}` is {}an instance of `{}`, a subclass of `Promise` (line {})",
                if call { "called to give " } else { "" },
                class.id.as_ref().map_or("a class", |id| id.name.as_str()),
                self.line(class.span)
            ),
            Typed::Async(span) if call => {
                let kind = if expr.get_inner_expression().is_member_expression() {
                    "method"
                } else {
                    "function"
                };
                format!("`{what}` is an async {kind} (line {})", self.line(span))
            }
            Typed::Async(span) => format!(
                "`{what}` is the result of an async function (line {})",
                self.line(span)
            ),
        }
    }

    /// Why `expr` is an array of promises: an array literal with a promise
    /// in it, `map`/`flatMap` with a callback that returns one, a binding
    /// initialised so, or a declared `Promise<T>[]` (tuple, `Array<…>`).
    fn array_source(&self, expr: &'a Expression<'a>) -> Option<Source> {
        match expr.get_inner_expression() {
            Expression::ArrayExpression(array) => {
                return array.elements.iter().find_map(|element| {
                    let element = element.as_expression()?;
                    let inner = self.promise_source(element)?;
                    Some(Source {
                        pending: inner.pending,
                        ..Source::new(
                            format!(
                                "`{}` is a promise: {}",
                                self.short(element.span()),
                                inner.reason
                            ),
                            inner.confidence,
                        )
                    })
                });
            }
            Expression::Identifier(id) => {
                let scoping = self.ctx.semantic.scoping();
                let symbol = scoping.get_reference(id.reference_id()).symbol_id()?;
                if let AstKind::VariableDeclarator(d) = self
                    .ctx
                    .semantic
                    .nodes()
                    .kind(scoping.symbol_declaration(symbol))
                    && d.type_annotation.is_none()
                    && !self.reassigned(symbol)
                    && let Some(init) = &d.init
                    && !matches!(init.get_inner_expression(), Expression::Identifier(_))
                    && let Some(inner) = self.nested(|| self.array_source(init))
                {
                    return Some(Source {
                        pending: inner.pending,
                        ..Source::new(
                            format!(
                                "`{}` holds promises (line {}): {}",
                                id.name,
                                self.line(d.span),
                                inner.reason
                            ),
                            inner.confidence,
                        )
                    });
                }
            }
            e => {
                if let Some(call) = as_call(e)
                    && let Some(source) = self.mapped_source(call)
                {
                    return Some(source);
                }
            }
        }
        let typed = self.value_type(expr, 0)?;
        (self.typed_holds(typed, 0)? == Holds::Promises)
            .then(|| Source::new(self.typed_reason(expr, typed, false), Confidence::High))
    }

    /// `items.map(async (x) => …)`, `items.flatMap((x) => fetch(x))`,
    /// `ids.map(save)` with `save` async: an array of promises. Sure on an
    /// array literal; other receivers with a `map` are nearly always arrays.
    fn mapped_source(&self, call: &'a CallExpression<'a>) -> Option<Source> {
        let (receiver, method @ ("map" | "flatMap")) = method_call(call)? else {
            return None;
        };
        let callback = call.arguments.first()?.as_expression()?;
        let inner = match callback.get_inner_expression() {
            c if expression_is_async_function(c).is_some() => Source::new(
                "its callback is an async function".to_owned(),
                Confidence::High,
            ),
            Expression::ArrowFunctionExpression(arrow) => {
                let body = arrow.get_expression()?;
                let inner = self.promise_source(body)?;
                Source {
                    pending: inner.pending,
                    ..Source::new(
                        format!("its callback returns a promise: {}", inner.reason),
                        inner.confidence,
                    )
                }
            }
            Expression::Identifier(id) => {
                let reference = self.ctx.semantic.scoping().get_reference(id.reference_id());
                let inner = self.symbol_source(reference.symbol_id()?)?;
                Source {
                    pending: inner.pending,
                    ..Source::new(
                        format!("its callback gives a promise: {}", inner.reason),
                        inner.confidence,
                    )
                }
            }
            _ => return None,
        };
        let confidence = if matches!(
            receiver.get_inner_expression(),
            Expression::ArrayExpression(_)
        ) {
            inner.confidence
        } else {
            inner.confidence.min(Confidence::Medium)
        };
        Some(Source {
            pending: inner.pending,
            ..Source::new(
                format!(
                    "`.{method}()` makes one promise per element: {}",
                    inner.reason
                ),
                confidence,
            )
        })
    }

    /// The declaration `name` refers to in this file.
    fn type_declaration(&self, name: &TSTypeName<'a>) -> Option<AstKind<'a>> {
        let TSTypeName::IdentifierReference(id) = name else {
            return None;
        };
        let scoping = self.ctx.semantic.scoping();
        let symbol = scoping.get_reference(id.reference_id()).symbol_id()?;
        Some(
            self.ctx
                .semantic
                .nodes()
                .kind(scoping.symbol_declaration(symbol)),
        )
    }

    fn typed_holds(&self, typed: Typed<'a>, depth: u8) -> Option<Holds> {
        match typed {
            Typed::Ts(ty) => self.type_holds(ty, depth),
            Typed::Class(class, false) => self
                .class_is_promise(class, depth)
                .then_some(Holds::Promise),
            Typed::Class(_, true) => None,
            Typed::Async(_) => Some(Holds::Promise),
        }
    }

    /// What the type `ty` says: a promise, promises, or neither (or unknown).
    fn type_holds(&self, ty: &'a TSType<'a>, depth: u8) -> Option<Holds> {
        if depth > MAX_DEPTH {
            return None;
        }
        let depth = depth + 1;
        match ty {
            TSType::TSTypeReference(r) => {
                if let TSTypeName::IdentifierReference(id) = &r.type_name {
                    match id.name.as_str() {
                        "Promise" => return Some(Holds::Promise),
                        "Array" | "ReadonlyArray" => {
                            let element = r.type_arguments.as_ref()?.params.first()?;
                            return self.type_holds(element, depth).map(|_| Holds::Promises);
                        }
                        _ => {}
                    }
                }
                self.declaration_holds(self.type_declaration(&r.type_name)?, depth)
            }
            // `any | Promise<T>` is `any`: nothing is known.
            TSType::TSUnionType(u) if !u.types.iter().any(is_top_type) => {
                strongest(u.types.iter().map(|t| self.type_holds(t, depth)))
            }
            TSType::TSIntersectionType(i) if !i.types.iter().any(is_top_type) => {
                strongest(i.types.iter().map(|t| self.type_holds(t, depth)))
            }
            TSType::TSArrayType(a) => self
                .type_holds(&a.element_type, depth)
                .map(|_| Holds::Promises),
            TSType::TSTupleType(t) => t
                .element_types
                .iter()
                .any(|e| self.tuple_element_holds(e, depth).is_some())
                .then_some(Holds::Promises),
            TSType::TSTypeOperatorType(o) if o.operator == TSTypeOperatorOperator::Readonly => {
                self.type_holds(&o.type_annotation, depth)
            }
            TSType::TSParenthesizedType(p) => self.type_holds(&p.type_annotation, depth),
            _ => None,
        }
    }

    fn tuple_element_holds(&self, element: &'a TSTupleElement<'a>, depth: u8) -> Option<Holds> {
        match element {
            TSTupleElement::TSOptionalType(o) => self.type_holds(&o.type_annotation, depth),
            TSTupleElement::TSRestType(r) => self.type_holds(&r.type_annotation, depth),
            TSTupleElement::TSNamedTupleMember(m) => {
                self.tuple_element_holds(&m.element_type, depth)
            }
            other => self.type_holds(other.as_ts_type()?, depth),
        }
    }

    /// A named type of this file: an alias, a class or interface extending
    /// `Promise`, a type parameter by its constraint.
    fn declaration_holds(&self, declaration: AstKind<'a>, depth: u8) -> Option<Holds> {
        match declaration {
            AstKind::TSTypeAliasDeclaration(a) => self.type_holds(&a.type_annotation, depth),
            AstKind::TSTypeParameter(p) => self.type_holds(p.constraint.as_ref()?, depth),
            AstKind::Class(c) => self.class_is_promise(c, depth).then_some(Holds::Promise),
            AstKind::TSInterfaceDeclaration(i) => i
                .extends
                .iter()
                .any(|h| self.names_promise(&h.type_name, depth))
                .then_some(Holds::Promise),
            _ => None,
        }
    }

    /// `Promise`, or a class or interface of this file that extends it.
    fn names_promise(&self, name: &TSTypeName<'a>, depth: u8) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        if let TSTypeName::IdentifierReference(id) = name
            && id.name == "Promise"
        {
            return true;
        }
        self.type_declaration(name)
            .is_some_and(|d| self.declaration_holds(d, depth + 1) == Some(Holds::Promise))
    }

    /// `class P extends Promise<T>`, also through classes of this file.
    fn class_is_promise(&self, class: &'a Class<'a>, depth: u8) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let Some(Expression::Identifier(id)) = class
            .heritage
            .as_ref()
            .map(|h| h.expression.get_inner_expression())
        else {
            return false;
        };
        if id.name == "Promise" {
            return true;
        }
        self.local_class(id)
            .is_some_and(|c| self.class_is_promise(c, depth + 1))
    }

    /// The class of this file `id` refers to.
    fn local_class(&self, id: &oxc_ast::ast::IdentifierReference<'a>) -> Option<&'a Class<'a>> {
        let scoping = self.ctx.semantic.scoping();
        let symbol = scoping.get_reference(id.reference_id()).symbol_id()?;
        match self
            .ctx
            .semantic
            .nodes()
            .kind(scoping.symbol_declaration(symbol))
        {
            AstKind::Class(c) => Some(c),
            _ => None,
        }
    }

    /// What this file declares `expr` to be.
    fn value_type(&self, expr: &'a Expression<'a>, depth: u8) -> Option<Typed<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let depth = depth + 1;
        match expr {
            Expression::ParenthesizedExpression(p) => self.value_type(&p.expression, depth),
            Expression::TSAsExpression(a) => self.cast(&a.type_annotation, &a.expression, depth),
            Expression::TSTypeAssertion(a) => self.cast(&a.type_annotation, &a.expression, depth),
            Expression::TSSatisfiesExpression(e) => self.value_type(&e.expression, depth),
            Expression::TSNonNullExpression(e) => self.value_type(&e.expression, depth),
            Expression::Identifier(id) => {
                let reference = self.ctx.semantic.scoping().get_reference(id.reference_id());
                self.binding_type(reference.symbol_id()?, depth)
            }
            Expression::ThisExpression(this) => {
                let (class, is_static) = self.this_class(this.node_id.get())?;
                Some(Typed::Class(class, is_static))
            }
            Expression::NewExpression(n) => match n.callee.get_inner_expression() {
                Expression::Identifier(id) => Some(Typed::Class(self.local_class(id)?, false)),
                _ => None,
            },
            Expression::CallExpression(c) => self.callee_returns(&c.callee, depth),
            Expression::ChainExpression(c) => match &c.expression {
                ChainElement::CallExpression(call) => self.callee_returns(&call.callee, depth),
                ChainElement::TSNonNullExpression(n) => self.value_type(&n.expression, depth),
                other => self.member_value(other.as_member_expression()?, depth),
            },
            other => self.member_value(other.as_member_expression()?, depth),
        }
    }

    /// `x as T`, `<T>x`; `as const` keeps the type of `x`.
    fn cast(&self, ty: &'a TSType<'a>, inner: &'a Expression<'a>, depth: u8) -> Option<Typed<'a>> {
        if let TSType::TSTypeReference(r) = ty
            && let TSTypeName::IdentifierReference(id) = &r.type_name
            && id.name == "const"
        {
            return self.value_type(inner, depth);
        }
        Some(Typed::Ts(ty))
    }

    /// A binding's declared type: its annotation, or, where it is never
    /// reassigned, the type of its initialiser.
    fn binding_type(&self, symbol: SymbolId, depth: u8) -> Option<Typed<'a>> {
        let scoping = self.ctx.semantic.scoping();
        match self
            .ctx
            .semantic
            .nodes()
            .kind(scoping.symbol_declaration(symbol))
        {
            AstKind::VariableDeclarator(d)
                if matches!(d.id, BindingPattern::BindingIdentifier(_)) =>
            {
                if let Some(a) = &d.type_annotation {
                    return Some(Typed::Ts(&a.type_annotation));
                }
                if self.reassigned(symbol) {
                    return None;
                }
                self.value_type(d.init.as_ref()?, depth)
            }
            AstKind::FormalParameter(p)
                if matches!(p.pattern, BindingPattern::BindingIdentifier(_)) =>
            {
                p.type_annotation
                    .as_ref()
                    .map(|a| Typed::Ts(&a.type_annotation))
            }
            _ => None,
        }
    }

    /// `object.name`, `object.#name`, `object["name"]`, `array[i]`.
    fn member_value(&self, member: &'a MemberExpression<'a>, depth: u8) -> Option<Typed<'a>> {
        let owner = self.value_type(member.object(), depth)?;
        let (name, private) = match member {
            MemberExpression::StaticMemberExpression(m) => (m.property.name.as_str(), false),
            MemberExpression::PrivateFieldExpression(p) => (p.field.name.as_str(), true),
            MemberExpression::ComputedMemberExpression(m) => match &m.expression {
                Expression::StringLiteral(s) => (s.value.as_str(), false),
                index => return self.element_of(owner, index, depth),
            },
        };
        match self.member_of(owner, name, private, depth)? {
            Member::Value(typed) => Some(typed),
            Member::Method(_) => None,
        }
    }

    /// The element type of an array or tuple type: `T[]`, `Array<T>`, `[A, B][1]`.
    fn element_of(
        &self,
        owner: Typed<'a>,
        index: &'a Expression<'a>,
        depth: u8,
    ) -> Option<Typed<'a>> {
        let Typed::Ts(ty) = owner else {
            return None;
        };
        self.element_type(ty, index, depth)
    }

    fn element_type(
        &self,
        ty: &'a TSType<'a>,
        index: &'a Expression<'a>,
        depth: u8,
    ) -> Option<Typed<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let depth = depth + 1;
        match ty {
            TSType::TSArrayType(a) => Some(Typed::Ts(&a.element_type)),
            TSType::TSTupleType(t) => {
                let Expression::NumericLiteral(n) = index else {
                    return None;
                };
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a tuple index"
                )]
                let at = n.value as usize;
                match t.element_types.get(at)? {
                    TSTupleElement::TSOptionalType(o) => Some(Typed::Ts(&o.type_annotation)),
                    TSTupleElement::TSRestType(_) => None,
                    other => other.as_ts_type().map(Typed::Ts),
                }
            }
            TSType::TSTypeReference(r) => {
                if let TSTypeName::IdentifierReference(id) = &r.type_name
                    && matches!(id.name.as_str(), "Array" | "ReadonlyArray")
                {
                    return r.type_arguments.as_ref()?.params.first().map(Typed::Ts);
                }
                match self.type_declaration(&r.type_name)? {
                    AstKind::TSTypeAliasDeclaration(a) => {
                        self.element_type(&a.type_annotation, index, depth)
                    }
                    AstKind::TSTypeParameter(p) => {
                        self.element_type(p.constraint.as_ref()?, index, depth)
                    }
                    _ => None,
                }
            }
            TSType::TSUnionType(u) => u
                .types
                .iter()
                .find_map(|t| self.element_type(t, index, depth)),
            TSType::TSTypeOperatorType(o) if o.operator == TSTypeOperatorOperator::Readonly => {
                self.element_type(&o.type_annotation, index, depth)
            }
            TSType::TSParenthesizedType(p) => self.element_type(&p.type_annotation, index, depth),
            _ => None,
        }
    }

    /// What calling `callee` gives, by the declarations of this file.
    fn callee_returns(&self, callee: &'a Expression<'a>, depth: u8) -> Option<Typed<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let depth = depth + 1;
        let inner = callee.get_inner_expression();
        if let Expression::Identifier(id) = inner {
            let scoping = self.ctx.semantic.scoping();
            let symbol = scoping.get_reference(id.reference_id()).symbol_id()?;
            match self
                .ctx
                .semantic
                .nodes()
                .kind(scoping.symbol_declaration(symbol))
            {
                AstKind::Function(f) => return function_result(f),
                AstKind::VariableDeclarator(d)
                    if d.type_annotation.is_none() && !self.reassigned(symbol) =>
                {
                    if let Some(result) = d.init.as_ref().and_then(function_expression_result) {
                        return Some(result);
                    }
                }
                _ => {}
            }
        }
        if let Some(member) = inner.as_member_expression() {
            let owner = self.value_type(member.object(), depth)?;
            let (name, private) = match member {
                MemberExpression::StaticMemberExpression(m) => (m.property.name.as_str(), false),
                MemberExpression::PrivateFieldExpression(p) => (p.field.name.as_str(), true),
                MemberExpression::ComputedMemberExpression(m) => match &m.expression {
                    Expression::StringLiteral(s) => (s.value.as_str(), false),
                    _ => return None,
                },
            };
            return match self.member_of(owner, name, private, depth)? {
                Member::Method(result) => Some(result),
                Member::Value(value) => self.call_result(value, depth),
            };
        }
        let value = self.value_type(callee, depth)?;
        self.call_result(value, depth)
    }

    /// What calling a value of a function type gives.
    fn call_result(&self, typed: Typed<'a>, depth: u8) -> Option<Typed<'a>> {
        let Typed::Ts(ty) = typed else {
            return None;
        };
        if depth > MAX_DEPTH {
            return None;
        }
        let depth = depth + 1;
        let signatures = |members: &'a [TSSignature<'a>]| {
            members.iter().find_map(|m| match m {
                TSSignature::TSCallSignatureDeclaration(c) => c
                    .return_type
                    .as_ref()
                    .map(|r| Typed::Ts(&r.type_annotation)),
                _ => None,
            })
        };
        match ty {
            TSType::TSFunctionType(f) => Some(Typed::Ts(&f.return_type.type_annotation)),
            TSType::TSParenthesizedType(p) => {
                self.call_result(Typed::Ts(&p.type_annotation), depth)
            }
            // `(() => Promise<void>) | undefined`: a member that gives a promise.
            TSType::TSUnionType(u) => u.types.iter().find_map(|t| {
                self.call_result(Typed::Ts(t), depth)
                    .filter(|r| self.typed_holds(*r, depth).is_some())
            }),
            TSType::TSTypeLiteral(l) => signatures(&l.members),
            TSType::TSTypeReference(r) => match self.type_declaration(&r.type_name)? {
                AstKind::TSTypeAliasDeclaration(a) => {
                    self.call_result(Typed::Ts(&a.type_annotation), depth)
                }
                AstKind::TSInterfaceDeclaration(i) => signatures(&i.body.body),
                _ => None,
            },
            _ => None,
        }
    }

    /// Member `name` of a value declared `owner`.
    fn member_of(
        &self,
        owner: Typed<'a>,
        name: &str,
        private: bool,
        depth: u8,
    ) -> Option<Member<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let depth = depth + 1;
        match owner {
            Typed::Async(_) => None,
            Typed::Class(class, is_static) => {
                self.class_member(class, name, private, is_static, depth)
            }
            Typed::Ts(_) if private => None,
            Typed::Ts(ty) => self.type_member(ty, name, depth),
        }
    }

    fn type_member(&self, ty: &'a TSType<'a>, name: &str, depth: u8) -> Option<Member<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let depth = depth + 1;
        match ty {
            TSType::TSTypeLiteral(l) => signature_member(&l.members, name),
            TSType::TSParenthesizedType(p) => self.type_member(&p.type_annotation, name, depth),
            TSType::TSUnionType(u) => u
                .types
                .iter()
                .find_map(|t| self.type_member(t, name, depth)),
            TSType::TSIntersectionType(i) => i
                .types
                .iter()
                .find_map(|t| self.type_member(t, name, depth)),
            TSType::TSTypeReference(r) => match self.type_declaration(&r.type_name)? {
                AstKind::TSTypeAliasDeclaration(a) => {
                    self.type_member(&a.type_annotation, name, depth)
                }
                AstKind::TSTypeParameter(p) => {
                    self.type_member(p.constraint.as_ref()?, name, depth)
                }
                AstKind::TSInterfaceDeclaration(i) => signature_member(&i.body.body, name),
                AstKind::Class(c) => self.class_member(c, name, false, false, depth),
                _ => None,
            },
            _ => None,
        }
    }

    /// A method, field, getter or parameter property of a class of this
    /// file, or of the class of this file it extends.
    fn class_member(
        &self,
        class: &'a Class<'a>,
        name: &str,
        private: bool,
        is_static: bool,
        depth: u8,
    ) -> Option<Member<'a>> {
        for element in &class.body.body {
            match element {
                ClassElement::MethodDefinition(m)
                    if m.r#static == is_static && key_is(&m.key, name, private) =>
                {
                    return match m.kind {
                        MethodDefinitionKind::Method => {
                            function_result(&m.value).map(Member::Method)
                        }
                        MethodDefinitionKind::Get => m
                            .value
                            .return_type
                            .as_ref()
                            .map(|r| Member::Value(Typed::Ts(&r.type_annotation))),
                        _ => None,
                    };
                }
                ClassElement::PropertyDefinition(p)
                    if p.r#static == is_static && key_is(&p.key, name, private) =>
                {
                    if let Some(a) = &p.type_annotation {
                        return Some(Member::Value(Typed::Ts(&a.type_annotation)));
                    }
                    let value = p.value.as_ref()?;
                    if let Some(result) = function_expression_result(value) {
                        return Some(Member::Method(result));
                    }
                    return self.value_type(value, depth).map(Member::Value);
                }
                // `constructor(private readonly db: Db)`
                ClassElement::MethodDefinition(m)
                    if !is_static && !private && m.kind == MethodDefinitionKind::Constructor =>
                {
                    let property = m.value.params.items.iter().find(|p| {
                        (p.accessibility.is_some() || p.readonly)
                            && p.pattern.get_identifier_name().is_some_and(|n| n == name)
                    });
                    if let Some(p) = property {
                        return p
                            .type_annotation
                            .as_ref()
                            .map(|a| Member::Value(Typed::Ts(&a.type_annotation)));
                    }
                }
                _ => {}
            }
        }
        let Some(Expression::Identifier(id)) = class
            .heritage
            .as_ref()
            .map(|h| h.expression.get_inner_expression())
        else {
            return None;
        };
        let parent = self.local_class(id)?;
        self.member_of(Typed::Class(parent, is_static), name, private, depth)
    }
}

/// A property, getter or method signature named `name` in a type literal or
/// interface body.
fn signature_member<'a>(members: &'a [TSSignature<'a>], name: &str) -> Option<Member<'a>> {
    members.iter().find_map(|m| match m {
        TSSignature::TSPropertySignature(p) if !p.computed && key_is(&p.key, name, false) => Some(
            Member::Value(Typed::Ts(&p.type_annotation.as_ref()?.type_annotation)),
        ),
        TSSignature::TSMethodSignature(m) if !m.computed && key_is(&m.key, name, false) => {
            let result = Typed::Ts(&m.return_type.as_ref()?.type_annotation);
            Some(match m.kind {
                oxc_ast::ast::TSMethodSignatureKind::Method => Member::Method(result),
                oxc_ast::ast::TSMethodSignatureKind::Get => Member::Value(result),
                oxc_ast::ast::TSMethodSignatureKind::Set => return None,
            })
        }
        _ => None,
    })
}

/// What calling a function gives: a promise if it is async (not a
/// generator), else its declared return type.
fn function_result<'a>(function: &'a oxc_ast::ast::Function<'a>) -> Option<Typed<'a>> {
    if function.generator {
        return None;
    }
    if function.r#async {
        return Some(Typed::Async(function.span));
    }
    function
        .return_type
        .as_ref()
        .map(|r| Typed::Ts(&r.type_annotation))
}

/// [`function_result`] of an arrow or function expression.
fn function_expression_result<'a>(expr: &'a Expression<'a>) -> Option<Typed<'a>> {
    match expr.get_inner_expression() {
        Expression::ArrowFunctionExpression(a) if a.r#async => Some(Typed::Async(a.span)),
        Expression::ArrowFunctionExpression(a) => a
            .return_type
            .as_ref()
            .map(|r| Typed::Ts(&r.type_annotation)),
        Expression::FunctionExpression(f) => function_result(f),
        _ => None,
    }
}

/// `import { promises } from "fs"` binds the promise API itself.
fn named_export(module: String, name: String) -> ModuleBinding {
    if builtin(&module) == "fs" && name == "promises" {
        ModuleBinding::Namespace("fs/promises".to_owned())
    } else {
        ModuleBinding::Export(module, name)
    }
}

/// `require("m")` → `("m", false)`; `require("fs").promises` → `("fs", true)`.
fn required_module(init: &Expression<'_>) -> Option<(String, bool)> {
    let (call, promises) = match init.get_inner_expression() {
        Expression::StaticMemberExpression(m) if m.property.name == "promises" => {
            (as_call(&m.object)?, true)
        }
        other => (as_call(other)?, false),
    };
    if !call.callee.is_specific_id("require") {
        return None;
    }
    let Some(Expression::StringLiteral(module)) = call.arguments.first()?.as_expression() else {
        return None;
    };
    let module = module.value.to_string();
    if promises && builtin(&module) != "fs" {
        return None;
    }
    Some((module, promises))
}

/// `promisify(fn)` or `util.promisify(fn)`.
fn is_promisify_call(init: &Expression<'_>) -> bool {
    as_call(init).is_some_and(|call| match call.callee.get_inner_expression() {
        Expression::Identifier(id) => id.name == "promisify",
        Expression::StaticMemberExpression(m) => m.property.name == "promisify",
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use oxc_allocator::Allocator;
    use oxc_parser::Parser;
    use oxc_semantic::SemanticBuilder;
    use oxc_span::SourceType;

    use super::*;
    use crate::rules::r#async::project_index::{ProjectIndex, module_exports_of_source};

    /// `line: message` for each finding in `source`, scanned as `src/app.ts`;
    /// with an index, the deferred findings it confirms come after.
    fn run(source: &str, index: Option<&ProjectIndex>) -> Vec<String> {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, source, SourceType::ts()).parse();
        let semantic = SemanticBuilder::new()
            .with_build_nodes(true)
            .build(&parsed.program)
            .semantic;
        let mut ctx = FileContext::new("src/app.ts", source, &semantic);
        if index.is_some() {
            ctx = ctx.deferring_cross_file();
        }
        let mut out = Vec::new();
        FloatingPromise.check(&ctx, &mut out);
        if let Some(index) = index {
            out.extend(
                ctx.take_deferred()
                    .into_iter()
                    .filter(|d| index.is_async_export(ctx.display_path, &d.module, &d.export))
                    .map(|d| d.finding),
            );
        }
        out.iter()
            .map(|f| format!("{}: {}", f.line, f.message))
            .collect()
    }

    #[test]
    fn imports_resolve_through_the_project_index() {
        let db = "export async function save() {}\nexport function count() { return 1; }";
        let mut index = ProjectIndex::default();
        index.insert(
            "src/db.ts",
            module_exports_of_source(std::path::Path::new("db.ts"), db).unwrap_or_default(),
        );
        let app = "import { save, count } from './db.js';\nimport * as db from './db';\n\
export function handler() {\n  save();\n  count();\n  db.save();\n  db.count();\n}\n";
        assert!(
            run(app, None).is_empty(),
            "without the index nothing resolves"
        );
        assert_eq!(
            run(app, Some(&index)),
            [
                "4: the promise from `save(…)` is never awaited, returned or given a rejection handler: `save` is an async function exported by \"./db.js\"",
                "6: the promise from `db.save(…)` is never awaited, returned or given a rejection handler: `db.save` is an async function exported by \"./db\"",
            ]
        );
    }

    #[test]
    fn help_fits_where_the_promise_floats() {
        let source = "async function main() {}\nmain();\nexport function f() {\n  main();\n  (async () => {})();\n}\n";
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, source, SourceType::ts()).parse();
        let semantic = SemanticBuilder::new()
            .with_build_nodes(true)
            .build(&parsed.program)
            .semantic;
        let ctx = FileContext::new("a.ts", source, &semantic);
        let mut out = Vec::new();
        FloatingPromise.check(&ctx, &mut out);
        let helps: Vec<&str> = out.iter().map(|f| f.help.as_str()).collect();
        assert_eq!(helps.len(), 3);
        assert!(helps[0].contains("#[tokio::main]"), "{}", helps[0]);
        assert!(
            helps[1].contains("`.await` the call to `main`"),
            "{}",
            helps[1]
        );
        assert!(helps[2].contains("tokio::spawn(async move"), "{}", helps[2]);
    }

    #[test]
    fn cycles_of_bindings_and_types_terminate() {
        let source = "const a = b.then(() => 1);\nconst b = a.then(() => 2);\na;\n\
type X = Y;\ntype Y = X;\ndeclare const x: X;\nx;\n\
class P extends Q {}\nclass Q extends P {}\ndeclare const p: P;\np;\n\
const c = [c2];\nconst c2 = [c];\nc;\n";
        assert!(run(source, None).is_empty());
    }

    #[test]
    fn type_references_resolve_through_the_semantic_model() {
        let source = "type Job = Promise<void>;\ninterface Later extends Promise<number> {}\n\
function f<T extends Job>(job: T, later: Later, jobs: readonly Job[]) {\n  job;\n  later;\n  jobs;\n  jobs[0];\n}\n";
        assert_eq!(
            run(source, None),
            [
                "4: the promise `job` is discarded here: never awaited, returned or given a rejection handler: `job` is declared `T` (line 3)",
                "5: the promise `later` is discarded here: never awaited, returned or given a rejection handler: `later` is declared `Later` (line 3)",
                "6: the promises in `jobs` are never awaited, returned or given a rejection handler: `jobs` is declared `readonly Job[]` (line 3)",
                "7: the promise `jobs[0]` is discarded here: never awaited, returned or given a rejection handler: `jobs[0]` is declared `Job` (line 3)",
            ]
        );
    }

    #[test]
    fn node_promise_apis() {
        assert!(builtin_returns_promise("node:fs/promises", "readFile"));
        assert!(!builtin_returns_promise("fs/promises", "watch"));
        assert!(builtin_returns_promise("timers/promises", "setTimeout"));
        assert!(!builtin_returns_promise("timers/promises", "setInterval"));
        assert!(builtin_returns_promise("dns/promises", "resolveMx"));
        assert!(!builtin_returns_promise("fs", "readFile"));
    }
}
