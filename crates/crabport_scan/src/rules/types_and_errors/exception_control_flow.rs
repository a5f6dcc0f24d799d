//! `exception-control-flow`: throwing non-Error values, empty catch blocks,
//! catch-alls that swallow the error.

use oxc_ast::AstKind;
use oxc_ast::ast::{
    Argument, ArrowFunctionBody, BinaryOperator, BindingPattern, CallExpression, CatchClause,
    Expression, FunctionBody, Statement, TSType, UnaryOperator,
};
use oxc_semantic::NodeId;
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::{declared_type, symbol_of, words};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::short;

pub struct ExceptionControlFlow;

pub static DOC: RuleDoc = RuleDoc {
    code: "exception-control-flow",
    summary: "`throw` of a value that is not an Error (a string, number or object literal), empty `catch` blocks \
and `.catch(() => {})` handlers, and catch-alls that swallow the error (neither rethrow, return nor log).",
    why: "In JavaScript any value can be thrown and one `catch` takes everything the `try` block can raise, \
including the TypeErrors of plain bugs. Rust has no exceptions: a fallible call returns `Result<T, E>`, the error \
type is part of its signature, and the compiler makes the caller do something with it. A thrown string or object \
literal has no type to port to: it becomes a variant of an error enum you have to design. An empty or swallowing \
catch has no Rust equivalent at all: each fallible call inside it needs its own decision — propagate with `?`, \
map to a fallback, or log and continue — and a transliteration that just adds `?` to a function returning `()` \
does not compile (E0277). An empty catch with a comment inside is taken as a documented decision and not reported.",
    js_example: r#"export function loadConfig(path: string) {
  let config = DEFAULTS;
  try {
    config = JSON.parse(fs.readFileSync(path, "utf8"));
  } catch {}
  if (!config.port) throw "port is required";
  return config;
}"#,
    naive_rust: Some(NaivePort {
        code: r#"use std::fs;

// JS: `try { … } catch {}` — the port drops the try and reaches for `?`.
fn load_config(path: &str) {
    let text = fs::read_to_string(path)?;
    println!("{text}");
}

fn main() {
    load_config("config.json");
}
"#,
        error: "E0277",
    }),
    idiomatic_rust: r#"use std::fmt;

/// Every way loading can fail, as data the caller can match on.
#[derive(Debug)]
enum ConfigError {
    Missing(&'static str),
    Invalid { key: &'static str, value: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(key) => write!(f, "{key} is missing"),
            Self::Invalid { key, value } => write!(f, "{key} = {value:?} is not valid"),
        }
    }
}

impl std::error::Error for ConfigError {}

fn parse_port(line: &str) -> Result<u16, ConfigError> {
    let value = line
        .strip_prefix("port=")
        .ok_or(ConfigError::Missing("port"))?;
    value.parse().map_err(|_| ConfigError::Invalid {
        key: "port",
        value: value.to_owned(),
    })
}

fn main() {
    for line in ["port=8080", "port=eighty", ""] {
        // Each failure gets a decision; none is swallowed by accident.
        match parse_port(line) {
            Ok(port) => println!("listening on {port}"),
            Err(ConfigError::Missing(key)) => println!("{key} not set, using 3000"),
            Err(e) => println!("refusing to start: {e}"),
        }
    }
}
"#,
    idiomatic_output: Some(
        "listening on 8080\nrefusing to start: port = \"eighty\" is not valid\nport not set, using 3000\n",
    ),
};

impl Rule for ExceptionControlFlow {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        for node in ctx.semantic.nodes().iter() {
            match node.kind() {
                AstKind::ThrowStatement(t) => {
                    let Some(what) = non_error_value(&t.argument)
                        .or_else(|| primitive_binding(ctx, &t.argument))
                    else {
                        continue;
                    };
                    let thrown = short(ctx.text(t.argument.span()), 60);
                    out.push(finding(
                        ctx,
                        self,
                        t.span,
                        Confidence::High,
                        format!("`throw` of {what}, not an Error: `{thrown}`"),
                        "in Rust this is an `Err` of a typed error: add a variant to the module's error enum (`thiserror` derives `Display` and `Error`) carrying the data in this value, return `Result<T, ThatError>`, and let callers `match` on the variant instead of comparing strings or probing fields".into(),
                    ));
                }
                AstKind::CatchClause(c) => self.check_catch(ctx, node.id(), c, out),
                AstKind::CallExpression(call) => {
                    if let Some(span) = empty_catch_handler(ctx, call)
                        && result_unused(ctx, node.id())
                    {
                        let receiver = match &call.callee {
                            Expression::StaticMemberExpression(m) => {
                                short(ctx.text(m.object.span()), 60)
                            }
                            _ => String::new(),
                        };
                        out.push(finding(
                            ctx,
                            self,
                            span,
                            Confidence::High,
                            format!("`.catch()` with an empty handler swallows every rejection of `{receiver}`"),
                            "in Rust the awaited call returns a `Result`: decide what a failure means here — `?` to propagate, `if let Err(e) = … { tracing::warn!(…) }` to log and go on, or `let _ =` with a comment when it really does not matter".into(),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
}

impl ExceptionControlFlow {
    fn check_catch(
        &self,
        ctx: &FileContext<'_, '_>,
        id: NodeId,
        clause: &CatchClause<'_>,
        out: &mut Vec<Finding>,
    ) {
        let head = Span::new(clause.span.start, clause.body.span.start + 1);
        let try_line = match ctx.semantic.nodes().parent_kind(id) {
            AstKind::TryStatement(t) => ctx.positions(t.span).0.line,
            _ => ctx.positions(clause.span).0.line,
        };
        if ctx.semantic.has_comments_between(clause.body.span) {
            return; // `catch { /* the file may not exist */ }`: a documented decision
        }
        if clause.body.body.is_empty() {
            out.push(finding(
                ctx,
                self,
                head,
                Confidence::High,
                format!("empty `catch` swallows every error from the `try` block on line {try_line}"),
                "in Rust each fallible call in that block returns a `Result`: decide per call — `?` to propagate, `.unwrap_or(default)`/`.ok()` for an expected failure, or log and continue; a JS catch-all also hides bugs (TypeError) that Rust would not let through".into(),
            ));
            return;
        }
        if error_is_used(ctx, clause) {
            return;
        }
        let Some(swallow) = swallow(ctx, clause) else {
            return;
        };
        let message = match swallow {
            Swallow::Fallback(target) => format!(
                "catch-all turns every error from the `try` block on line {try_line} into a fallback for `{target}`, without looking at the error"
            ),
            Swallow::Skip(keyword) => format!(
                "catch-all skips (`{keyword}`) on every error from the `try` block on line {try_line}, without looking at the error"
            ),
        };
        out.push(finding(
            ctx,
            self,
            head,
            Confidence::Medium,
            message,
            "in Rust only the failure you expect should become the fallback: `match` on that call's `Result` (e.g. `Err(e) if e.kind() == ErrorKind::NotFound`) and let other errors propagate with `?`; a JS catch-all also turns bugs (TypeError) into the fallback".into(),
        ));
    }
}

/// How a catch-all that does nothing with the error goes on.
enum Swallow {
    /// Only assignments: `value = fallback`.
    Fallback(String),
    /// Only `continue` or `break`.
    Skip(&'static str),
}

/// A handler made only of assignments and `continue`/`break`: it neither
/// rethrows, returns, logs nor calls anything that could report the failure.
fn swallow(ctx: &FileContext<'_, '_>, clause: &CatchClause<'_>) -> Option<Swallow> {
    let mut targets: Vec<String> = Vec::new();
    let mut skip = None;
    for statement in &clause.body.body {
        match statement {
            Statement::EmptyStatement(_) => {}
            Statement::ContinueStatement(_) => skip = Some("continue"),
            Statement::BreakStatement(_) => skip = Some("break"),
            Statement::ExpressionStatement(e) => match e.expression.get_inner_expression() {
                Expression::AssignmentExpression(a) if !has_call(&a.right) => {
                    if records_failure(ctx, a.left.span(), a.right.span()) {
                        return None;
                    }
                    targets.push(short(ctx.text(a.left.span()), 60));
                }
                Expression::UpdateExpression(u) => {
                    targets.push(short(ctx.text(u.argument.span()), 60));
                }
                _ => return None,
            },
            _ => return None,
        }
    }
    match (skip, targets.first()) {
        (Some(keyword), _) => Some(Swallow::Skip(keyword)),
        (None, Some(target)) => Some(Swallow::Fallback(target.clone())),
        (None, None) => None,
    }
}

/// `ctx.status = 404`, `checks.db = { status: "error" }`, `failed = true`:
/// the assignment records the failure instead of hiding it.
fn records_failure(ctx: &FileContext<'_, '_>, target: Span, value: Span) -> bool {
    let target_text = ctx.text(target);
    let last = target_text.rsplit('.').next().unwrap_or(target_text);
    if matches!(last, "status" | "statusCode") {
        return true;
    }
    [target_text, ctx.text(value)].iter().any(|text| {
        text.split(|c: char| !c.is_alphanumeric())
            .flat_map(words)
            .any(|w| FAILURE_WORDS.contains(&w.as_str()))
    })
}

const FAILURE_WORDS: &[&str] = &[
    "error",
    "errors",
    "err",
    "failed",
    "failure",
    "fail",
    "invalid",
    "unhealthy",
    "broken",
];

/// `x = compute()` does work that may report; `x = false`, `x = new Memory()` do not.
fn has_call(expr: &Expression<'_>) -> bool {
    match expr.get_inner_expression() {
        Expression::CallExpression(_) | Expression::AwaitExpression(_) => true,
        Expression::ConditionalExpression(c) => has_call(&c.consequent) || has_call(&c.alternate),
        Expression::LogicalExpression(l) => has_call(&l.left) || has_call(&l.right),
        _ => false,
    }
}

/// What kind of non-Error value `throw` throws, if it is one.
fn non_error_value(argument: &Expression<'_>) -> Option<&'static str> {
    match argument.get_inner_expression() {
        Expression::StringLiteral(_) | Expression::TemplateLiteral(_) => Some("a string"),
        Expression::NumericLiteral(_) => Some("a number"),
        Expression::BooleanLiteral(_) => Some("a boolean"),
        Expression::NullLiteral(_) => Some("null"),
        Expression::Identifier(i) if i.name == "undefined" => Some("undefined"),
        Expression::ObjectExpression(_) => Some("an object literal"),
        Expression::ArrayExpression(_) => Some("an array"),
        Expression::BinaryExpression(b)
            if b.operator == BinaryOperator::Addition
                && (is_string(&b.left) || is_string(&b.right)) =>
        {
            Some("a string")
        }
        _ => None,
    }
}

/// `throw code` where `code` is declared `number`, `string` or `boolean`.
fn primitive_binding(ctx: &FileContext<'_, '_>, argument: &Expression<'_>) -> Option<&'static str> {
    let Expression::Identifier(id) = argument.get_inner_expression() else {
        return None;
    };
    match declared_type(ctx, symbol_of(ctx, id)?)? {
        TSType::TSStringKeyword(_) => Some("a string"),
        TSType::TSNumberKeyword(_) => Some("a number"),
        TSType::TSBooleanKeyword(_) => Some("a boolean"),
        _ => None,
    }
}

fn is_string(expr: &Expression<'_>) -> bool {
    match expr.get_inner_expression() {
        Expression::StringLiteral(_) | Expression::TemplateLiteral(_) => true,
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            is_string(&b.left) || is_string(&b.right)
        }
        _ => false,
    }
}

/// The caught error is read somewhere in the handler.
fn error_is_used(ctx: &FileContext<'_, '_>, clause: &CatchClause<'_>) -> bool {
    let Some(param) = &clause.param else {
        return false;
    };
    let scoping = ctx.semantic.scoping();
    let used = |pattern: &BindingPattern<'_>| {
        pattern.get_binding_identifiers().iter().any(|b| {
            b.symbol_id
                .get()
                .is_some_and(|s| scoping.get_resolved_references(s).next().is_some())
        })
    };
    used(&param.pattern)
}

/// The value of the call is thrown away: `x.catch(…);`, `await x.catch(…);`, `void x.catch(…)`.
/// (`const v = await x.catch(() => undefined)` turns the failure into a value, like `return`.)
fn result_unused(ctx: &FileContext<'_, '_>, call: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    for ancestor in nodes.ancestor_ids(call) {
        match nodes.kind(ancestor) {
            AstKind::ParenthesizedExpression(_) | AstKind::AwaitExpression(_) => {}
            AstKind::UnaryExpression(u) => return u.operator == UnaryOperator::Void,
            AstKind::ExpressionStatement(_) => return true,
            _ => return false,
        }
    }
    false
}

/// `.catch(() => {})`, `.catch(function () {})`, `.catch(() => undefined)`, `.catch(noop)`:
/// the span of the handler.
fn empty_catch_handler(ctx: &FileContext<'_, '_>, call: &CallExpression<'_>) -> Option<Span> {
    let Expression::StaticMemberExpression(m) = &call.callee else {
        return None;
    };
    if m.property.name != "catch" || call.arguments.len() != 1 {
        return None;
    }
    let handler = match call.arguments.first()? {
        Argument::SpreadElement(_) => return None,
        other => other.to_expression(),
    };
    let empty = match handler.get_inner_expression() {
        Expression::ArrowFunctionExpression(arrow) => match &arrow.body {
            ArrowFunctionBody::FunctionBody(body) => empty_body(ctx, body),
            // `() => undefined`, `() => null`, `() => void 0`
            other => other
                .as_expression()
                .is_some_and(|e| e.get_inner_expression().is_null_or_undefined()),
        },
        Expression::FunctionExpression(f) => f.body.as_ref().is_some_and(|b| empty_body(ctx, b)),
        Expression::Identifier(i) => i.name == "noop",
        Expression::StaticMemberExpression(n) => n.property.name == "noop",
        _ => false,
    };
    empty.then(|| handler.span())
}

fn empty_body(ctx: &FileContext<'_, '_>, body: &FunctionBody<'_>) -> bool {
    body.statements.is_empty()
        && body.directives.is_empty()
        && !ctx.semantic.has_comments_between(body.span)
}
