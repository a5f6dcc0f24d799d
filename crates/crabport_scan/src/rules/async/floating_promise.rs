//! `floating-promise`: a promise created as a statement and then forgotten:
//! nothing awaits it, returns it, handles its rejection or marks it `void`.

use oxc_ast::AstKind;
use oxc_ast::ast::{
    BindingPattern, CallExpression, ChainElement, Class, ClassElement, Expression,
    MethodDefinitionKind, PropertyKey,
};
use oxc_semantic::{NodeId, SymbolId};
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::project_index::{
    DeferredFinding, ProjectIndex, PromiseFunction, declarator_returns_promise,
    expression_is_async_function, function_returns_promise, is_promise_function_type,
    is_promise_type,
};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};

pub struct FloatingPromise;

pub static DOC: RuleDoc = RuleDoc {
    code: "floating-promise",
    summary: "A promise-producing call used as a statement that nothing awaits, returns, gives a rejection \
handler or marks `void`.",
    why: "A JavaScript promise is eager: calling an async function starts it, and a floating call still runs \
in the background. A Rust future is lazy: it does nothing until something polls it, so a direct port of \
`saveUser(user);` compiles (with only an `unused_must_use` warning) and silently never saves. Where the \
ported code then uses the result it gets a future instead of the value (error E0308). Each floating \
promise needs a decision in the port: `.await` it where the work must finish first, `tokio::spawn` it \
where it is deliberate background work (and decide who sees its errors), or start a runtime \
(`#[tokio::main]`, `block_on`) at the entry point.",
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

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        // The engine passes its first-pass index here once it builds one.
        self.check_with_index(ctx, ctx.project, out);
    }
}

impl FloatingPromise {
    /// The check, with the project's index of exported async functions when
    /// the engine has built one (imports from other files of the project then
    /// resolve too).
    pub fn check_with_index(
        &self,
        ctx: &FileContext<'_, '_>,
        index: Option<&ProjectIndex>,
        out: &mut Vec<Finding>,
    ) {
        if eslint_disables_file(ctx.source) {
            return;
        }
        let resolver = Resolver { ctx, index };
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
    index: Option<&'c ProjectIndex>,
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

/// `receiver.method(…)`: the receiver and the method name.
fn method_call<'e, 'a>(call: &'e CallExpression<'a>) -> Option<(&'e Expression<'a>, &'e str)> {
    match call.callee.get_inner_expression() {
        Expression::StaticMemberExpression(m) => Some((&m.object, m.property.name.as_str())),
        _ => None,
    }
}

/// A `.catch(…)` or `.then(ok, err)` anywhere in the chain that ends with
/// `call`: the code decided what a rejection does (`p.catch(h).then(f)` too:
/// the rest of the chain is the success path of a handled promise).
fn chain_handles_rejection(call: &CallExpression<'_>) -> bool {
    let mut current = call;
    loop {
        match method_call(current) {
            Some((_, "catch")) => return true,
            Some((_, "then")) if current.arguments.len() >= 2 => return true,
            Some((receiver, "then" | "finally")) => match as_call(receiver) {
                Some(inner) => current = inner,
                None => return false,
            },
            _ => return false,
        }
    }
}

impl Resolver<'_, '_, '_> {
    /// Findings for the value of an expression statement, which is discarded.
    fn statement(&self, expr: &Expression<'_>, out: &mut Vec<Floating>) {
        match expr.get_inner_expression() {
            // `a, b()`: every element is discarded.
            Expression::SequenceExpression(s) => {
                for e in &s.expressions {
                    self.statement(e, out);
                }
            }
            // `ready && start()`: the right side's value is discarded.
            Expression::LogicalExpression(l) => self.statement(&l.right, out),
            Expression::ConditionalExpression(c) => {
                self.statement(&c.consequent, out);
                self.statement(&c.alternate, out);
            }
            // `await p`, `void p`: decided.
            Expression::AwaitExpression(_) | Expression::UnaryExpression(_) => {}
            e => {
                if let Some(call) = as_call(e) {
                    self.statement_call(e, call, out);
                } else if let Expression::NewExpression(_) | Expression::ImportExpression(_) = e
                    && let Some(source) = self.promise_source(e)
                {
                    let what = match e {
                        Expression::ImportExpression(_) => "import",
                        _ => "new Promise",
                    };
                    out.push(Floating {
                        span: e.span(),
                        confidence: source.confidence,
                        message: format!(
                            "the promise from `{what}(…)` is never awaited, returned or given a rejection handler: {}",
                            source.reason
                        ),
                        callee: what.to_owned(),
                        shape: Shape::Call,
                        pending: source.pending,
                    });
                }
            }
        }
    }

    fn statement_call(
        &self,
        expr: &Expression<'_>,
        call: &CallExpression<'_>,
        out: &mut Vec<Floating>,
    ) {
        if chain_handles_rejection(call) {
            return;
        }
        if let Some((receiver, method @ ("then" | "finally"))) = method_call(call) {
            // Only on a known promise: Cypress commands, query and workflow
            // builders also have a `.then`, and none of them float.
            let Some(source) = self.promise_source(receiver) else {
                return;
            };
            let on = self.chain_root(receiver);
            out.push(Floating {
                span: expr.span(),
                confidence: source.confidence,
                message: format!(
                    "the `.{method}()` chain on `{on}` has no rejection handler and is never awaited or returned: {}",
                    source.reason
                ),
                callee: on,
                shape: Shape::Unhandled,
                pending: source.pending,
            });
            return;
        }
        let Some(source) = self.call_source(call) else {
            return;
        };
        let callee = self.callee_name(call);
        let (what, shape) = if source.iife {
            ("the async IIFE".to_owned(), Shape::Iife)
        } else {
            (format!("`{callee}(…)`"), Shape::Call)
        };
        out.push(Floating {
            span: expr.span(),
            confidence: source.confidence,
            message: format!(
                "the promise from {what} is never awaited, returned or given a rejection handler: {}",
                source.reason
            ),
            callee,
            shape,
            pending: source.pending,
        });
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

    /// Source text of `span`, on one line, at most 40 characters.
    fn short(&self, span: Span) -> String {
        let text = self.ctx.text(span);
        let text = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" .", ".");
        if text.chars().count() > 40 {
            let cut: String = text.chars().take(39).collect();
            format!("{cut}…")
        } else {
            text
        }
    }

    fn line(&self, span: Span) -> usize {
        self.ctx.positions(span).0.line
    }

    /// Why `expr` evaluates to a promise, if it does.
    fn promise_source(&self, expr: &Expression<'_>) -> Option<Source> {
        if let Some(call) = as_call(expr) {
            return self.call_source(call);
        }
        match expr.get_inner_expression() {
            Expression::NewExpression(n) if n.callee.is_specific_id("Promise") => {
                Some(Source::new(
                    "`new Promise` runs its executor at once".to_owned(),
                    Confidence::High,
                ))
            }
            Expression::ImportExpression(_) => Some(Source::new(
                "`import()` loads the module in the background".to_owned(),
                Confidence::High,
            )),
            Expression::Identifier(id) => {
                let reference = self.ctx.semantic.scoping().get_reference(id.reference_id());
                self.value_source(reference.symbol_id()?)
            }
            _ => None,
        }
    }

    /// A binding's name, declaration line, and how sure a finding through it
    /// is: a binding reassigned somewhere may hold something else by now.
    fn binding(&self, symbol: SymbolId) -> (&str, usize, Confidence) {
        let scoping = self.ctx.semantic.scoping();
        let reassigned = scoping
            .get_resolved_references(symbol)
            .any(oxc_semantic::Reference::is_write);
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

    /// A binding that holds a promise: `const p = fetch(url)`, `let p: Promise<T>`,
    /// a parameter typed `Promise<T>`.
    fn value_source(&self, symbol: SymbolId) -> Option<Source> {
        let scoping = self.ctx.semantic.scoping();
        let (name, line, confidence) = self.binding(symbol);
        let typed = |annotation: Option<&oxc_ast::ast::TSTypeAnnotation<'_>>| {
            annotation.is_some_and(|a| is_promise_type(&a.type_annotation))
        };
        match self
            .ctx
            .semantic
            .nodes()
            .kind(scoping.symbol_declaration(symbol))
        {
            AstKind::VariableDeclarator(d)
                if matches!(d.id, BindingPattern::BindingIdentifier(_)) =>
            {
                if typed(d.type_annotation.as_deref()) {
                    return Some(Source::new(
                        format!("`{name}` is typed `Promise` (line {line})"),
                        confidence,
                    ));
                }
                // Not through another identifier: no chains of aliases, no cycles.
                let init = d.init.as_ref()?;
                if matches!(init.get_inner_expression(), Expression::Identifier(_)) {
                    return None;
                }
                let inner = self.promise_source(init)?;
                Some(Source {
                    pending: inner.pending,
                    ..Source::new(
                        format!("`{name}` holds a promise (line {line}): {}", inner.reason),
                        confidence.min(inner.confidence),
                    )
                })
            }
            AstKind::FormalParameter(p) if typed(p.type_annotation.as_deref()) => {
                Some(Source::new(
                    format!("parameter `{name}` is typed `Promise` (line {line})"),
                    confidence,
                ))
            }
            _ => None,
        }
    }

    fn call_source(&self, call: &CallExpression<'_>) -> Option<Source> {
        match call.callee.get_inner_expression() {
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
                self.member_call_source(call, &m.object, property)
            }
            Expression::PrivateFieldExpression(p)
                if matches!(
                    p.object.get_inner_expression(),
                    Expression::ThisExpression(_)
                ) =>
            {
                self.this_method_source(call.node_id.get(), p.field.name.as_str(), true)
            }
            _ => None,
        }
    }

    fn member_call_source(
        &self,
        call: &CallExpression<'_>,
        object: &Expression<'_>,
        property: &str,
    ) -> Option<Source> {
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
            Expression::ThisExpression(_) => {
                self.this_method_source(call.node_id.get(), property, false)
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
        match self.index {
            Some(index) => index
                .is_async_export(self.ctx.display_path, module, name)
                .then(source),
            None if self.ctx.defers_cross_file() => Some(Source {
                pending: Some((module.to_owned(), name.to_owned())),
                ..source()
            }),
            None => None,
        }
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
                if matches!(d.id, BindingPattern::BindingIdentifier(_)) {
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
            AstKind::FormalParameter(p) => p
                .type_annotation
                .as_ref()
                .is_some_and(|a| is_promise_function_type(&a.type_annotation))
                .then(|| {
                    Source::new(
                        format!("parameter `{name}` is typed to return `Promise` (line {line})"),
                        confidence,
                    )
                }),
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
    fn this_method_source(&self, call: NodeId, name: &str, private: bool) -> Option<Source> {
        let nodes = self.ctx.semantic.nodes();
        // `Some(is_static)` once the climb has passed a class member.
        let mut member: Option<bool> = None;
        for ancestor in nodes.ancestor_ids(call) {
            match nodes.kind(ancestor) {
                AstKind::ArrowFunctionExpression(_) => {}
                AstKind::Function(_) => match nodes.parent_kind(ancestor) {
                    AstKind::MethodDefinition(m) => member = Some(m.r#static),
                    // A plain function binds its own `this`.
                    _ => return None,
                },
                AstKind::PropertyDefinition(p) => member = member.or(Some(p.r#static)),
                AstKind::StaticBlock(_) => member = Some(true),
                AstKind::Class(class) => {
                    return self.class_member_source(class, name, private, member?);
                }
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

    /// `line: message` for each finding in `source`, scanned as `src/app.ts`.
    fn run(source: &str, index: Option<&ProjectIndex>) -> Vec<String> {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, source, SourceType::ts()).parse();
        let semantic = SemanticBuilder::new()
            .with_build_nodes(true)
            .build(&parsed.program)
            .semantic;
        let ctx = FileContext::new("src/app.ts", source, &semantic, None);
        let mut out = Vec::new();
        FloatingPromise.check_with_index(&ctx, index, &mut out);
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
        let ctx = FileContext::new("a.ts", source, &semantic, None);
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
    fn node_promise_apis() {
        assert!(builtin_returns_promise("node:fs/promises", "readFile"));
        assert!(!builtin_returns_promise("fs/promises", "watch"));
        assert!(builtin_returns_promise("timers/promises", "setTimeout"));
        assert!(!builtin_returns_promise("timers/promises", "setInterval"));
        assert!(builtin_returns_promise("dns/promises", "resolveMx"));
        assert!(!builtin_returns_promise("fs", "readFile"));
    }
}
