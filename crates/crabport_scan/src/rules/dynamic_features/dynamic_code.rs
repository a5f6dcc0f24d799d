//! `dynamic-code`: code that is built or chosen at runtime: `eval` (direct,
//! indirect `(0, eval)`, or through the global object: `window.eval`,
//! `globalThis["eval"]`, `global.global.eval`, `this.eval` at a script's top
//! level), the `Function` constructor (`new Function(…)`, `Function(…)`,
//! `Function.call/apply/bind(…)`, `window.Function(…)`), a string handed to
//! `setTimeout`/`setInterval`/`setImmediate`/`execScript` (a literal, a template,
//! a concatenation, `String(…)`, a `const` holding one, a binding annotated
//! `string`), `with`, and `require`/`import()` of a computed name.
//!
//! The global object and the globals count only where no local binding
//! shadows them (the semantic model's unresolved references). Without types
//! the rule cannot see an alias of `eval` or `Function` passed in through a
//! parameter or read from an object (it finds the place the alias is taken,
//! `fn(eval)`, not the call made with it), nor a string built at runtime from
//! sources it cannot follow (an unannotated parameter, a function's result,
//! a `let` reassigned later), nor `this.eval` inside a function, where `this`
//! depends on the call.

use super::Hit;
use oxc_ast::AstKind;
use oxc_ast::ast::{
    BinaryOperator, ChainElement, Expression, IdentifierReference, TSLiteral, TSType,
    TSTypeAnnotation, UnaryOperator, VariableDeclarationKind,
};
use oxc_semantic::{IsGlobalReference, NodeId};
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Finding, Severity};

use super::{argument, is_global};
use crate::context::FileContext;
use crate::rule::{Rule, RuleDoc};
use crate::rules::support::short;

pub struct DynamicCode;

pub static DOC: RuleDoc = RuleDoc {
    code: "dynamic-code",
    summary: "Code built or chosen at runtime: `eval` (also indirect, or as `window.eval`/`globalThis[\"eval\"]`), \
the `Function` constructor (also through `Function.call`/`apply`/`bind`), a string (literal, template, \
concatenation, `String(…)`, or a `const` holding one) passed to `setTimeout`/`setInterval`/`setImmediate`/\
`execScript`, `with`, and `require()`/`import()` of a computed module name.",
    why: "A Rust binary contains only the code that was compiled into it: there is no interpreter to hand a \
string to, no way to resolve a variable name through an object at runtime (`with`), and no module loader that \
can pull in a file named by a variable. None of these has a naive port; each needs a design decision. A string \
that encodes one of a few operations becomes an enum and a `match`; plugins chosen by name become a registry \
built at compile time (a `match`, a table of `fn` pointers or trait objects); genuinely user-supplied scripts \
need an embedded interpreter (rhai, boa_engine) or WebAssembly, chosen deliberately. Without types the rule \
misses what it cannot follow: `eval` or `Function` reached through a parameter or an object property, a string \
built at runtime from an unannotated parameter or a function's result, and `this.eval` inside a function (where `this` \
depends on the call); globals shadowed by a local binding are not reported.",
    js_example: r#"export function calculator(op: string) {
  return new Function("a", "b", `return a ${op} b`);
}

export function loadExporter(name: string) {
  return require(`./exporters/${name}`);
}"#,
    naive_rust: None,
    idiomatic_rust: r#"// JS: const calc = new Function("a", "b", `return a ${op} b`);
//     const exporter = require(`./exporters/${name}`);
// Rust compiles everything ahead of time: the set of operations (or plugins)
// becomes a closed enum or a table of functions, chosen by name at runtime.

#[derive(Debug, Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
}

impl Op {
    fn parse(symbol: &str) -> Option<Op> {
        match symbol {
            "+" => Some(Op::Add),
            "-" => Some(Op::Sub),
            "*" => Some(Op::Mul),
            _ => None,
        }
    }

    fn apply(self, a: i64, b: i64) -> i64 {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
        }
    }
}

fn csv(rows: &[&str]) -> String {
    rows.join(",")
}

fn json(rows: &[&str]) -> String {
    format!("{rows:?}")
}

/// The exporters `require(name)` could load, registered at compile time.
const EXPORTERS: &[(&str, fn(&[&str]) -> String)] = &[("csv", csv), ("json", json)];

fn main() {
    for symbol in ["+", "*", "**"] {
        match Op::parse(symbol) {
            Some(op) => println!("6 {symbol} 7 = {}", op.apply(6, 7)),
            None => println!("unsupported operator {symbol}"),
        }
    }
    let name = "csv";
    if let Some((_, export)) = EXPORTERS.iter().find(|(n, _)| *n == name) {
        println!("{}", export(&["a", "b"]));
    }
}
"#,
    idiomatic_output: Some("6 + 7 = 13\n6 * 7 = 42\nunsupported operator **\na,b\n"),
};

const EVAL_HELP: &str = "Rust has no interpreter at runtime: replace the evaluated string with a closed set \
of operations (an enum and a `match`, or a table of `fn` pointers); if users really supply scripts, embed an \
interpreter crate (rhai, boa_engine) deliberately";

const LOAD_HELP: &str = "Rust links every module at compile time: list the candidates in a registry (a \
`match` on the name, or a `HashMap<&str, fn(..)>` / trait objects built in `main`); for true runtime plugins \
use dynamic libraries (libloading) or WebAssembly, deliberately";

impl Rule for DynamicCode {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Error
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let nodes = ctx.semantic.nodes();
        for node in nodes.iter() {
            let found = match node.kind() {
                AstKind::IdentifierReference(id) if id.name == "eval" => {
                    if id.is_global_reference(ctx.semantic.scoping()) {
                        eval_use(ctx, node.id(), id.span)
                    } else {
                        None
                    }
                }
                AstKind::StaticMemberExpression(m) if m.property.name == "eval" => {
                    global_eval_member(ctx, node.id(), m.span, &m.object)
                }
                AstKind::ComputedMemberExpression(m)
                    if static_key(&m.expression) == Some("eval") =>
                {
                    global_eval_member(ctx, node.id(), m.span, &m.object)
                }
                AstKind::NewExpression(new) => function_constructor(
                    ctx,
                    node.id(),
                    &new.callee,
                    new.arguments.len(),
                    new.span,
                    "new ",
                ),
                AstKind::CallExpression(call) => function_constructor(
                    ctx,
                    node.id(),
                    &call.callee,
                    call.arguments.len(),
                    call.span,
                    "",
                )
                .or_else(|| string_timer(ctx, node.id(), call))
                .or_else(|| dynamic_require(ctx, call)),
                AstKind::ImportExpression(import) if !is_static_path(ctx, &import.source, 0) => {
                    Some(Hit::warning(
                        import.span,
                        format!(
                            "`import({})` loads a module chosen at runtime",
                            short(ctx.text(import.source.span()), 40)
                        ),
                        LOAD_HELP,
                    ))
                }
                AstKind::WithStatement(with) => Some(Hit::warning(
                    Span::new(with.span.start, with.object.span().end + 1),
                    format!(
                        "`with ({})` resolves bare names through an object at runtime",
                        short(ctx.text(with.object.span()), 40)
                    ),
                    "name the receiver explicitly (`obj.x`); Rust resolves every name at compile time",
                )),
                _ => None,
            };
            if let Some(hit) = found {
                super::report(ctx, self, hit, out);
            }
        }
    }
}

/// A use of the global `eval`: a direct call, an indirect call `(0, eval)(…)`,
/// or `eval` passed around as a value. `typeof eval` is a feature test, not a use.
fn eval_use(ctx: &FileContext<'_, '_>, id: NodeId, span: Span) -> Option<Hit> {
    let nodes = ctx.semantic.nodes();
    let mut parent = nodes.parent_id(id);
    while let AstKind::ParenthesizedExpression(_) = nodes.kind(parent) {
        parent = nodes.parent_id(parent);
    }
    match nodes.kind(parent) {
        AstKind::UnaryExpression(u) if u.operator == UnaryOperator::Typeof => None,
        AstKind::CallExpression(call) if call.callee.span().contains_inclusive(span) => {
            Some(Hit::error(
                call.span,
                format!(
                    "`eval({})` runs a string as JavaScript at runtime",
                    short(
                        argument(&call.arguments, 0).map_or("", |a| ctx.text(a.span())),
                        40
                    )
                ),
                EVAL_HELP,
            ))
        }
        _ => Some(Hit::error(
            span,
            "the global `eval` is used as a value (indirect eval of runtime strings)".into(),
            EVAL_HELP,
        )),
    }
}

/// `new Function("a", "return a")` or `Function("…")` of the global `Function`
/// (also `window.Function`, `(Function)`), and `Function.call/apply/bind(this, "…")`,
/// which call the same constructor.
fn function_constructor(
    ctx: &FileContext<'_, '_>,
    node: NodeId,
    callee: &Expression<'_>,
    arguments: usize,
    span: Span,
    new: &str,
) -> Option<Hit> {
    let is_function = |e: &Expression<'_>| {
        is_global(ctx, e, "Function")
            || member(e).is_some_and(|(object, name)| {
                name == "Function" && is_global_object(ctx, object, node)
            })
    };
    // The constructor needs one string; `call`/`bind` and `apply` take `this` first.
    let needed = if is_function(callee) {
        1
    } else {
        match member(callee) {
            Some((object, "call" | "apply" | "bind")) if new.is_empty() && is_function(object) => 2,
            _ => return None,
        }
    };
    (arguments >= needed).then(|| {
        Hit::error(
            span,
            format!(
                "`{new}{}(…)` compiles a string into a function at runtime",
                short(ctx.text(callee.span()), 30)
            ),
            EVAL_HELP,
        )
    })
}

/// The global objects whose `eval`, `Function` and timers are the globals.
const GLOBAL_OBJECTS: [&str; 4] = ["window", "globalThis", "global", "self"];

/// The sinks that evaluate a string argument as code.
const STRING_SINKS: [&str; 4] = ["setTimeout", "setInterval", "setImmediate", "execScript"];

/// `object.name`, `object["name"]`, ``object[`name`]``, also in an optional chain
/// (`object?.name`) and in parentheses.
fn member<'a>(expr: &'a Expression<'a>) -> Option<(&'a Expression<'a>, &'a str)> {
    let (object, key) = match expr.get_inner_expression() {
        Expression::StaticMemberExpression(m) => {
            return Some((&m.object, m.property.name.as_str()));
        }
        Expression::ComputedMemberExpression(m) => (&m.object, &m.expression),
        Expression::ChainExpression(chain) => match &chain.expression {
            ChainElement::StaticMemberExpression(m) => {
                return Some((&m.object, m.property.name.as_str()));
            }
            ChainElement::ComputedMemberExpression(m) => (&m.object, &m.expression),
            _ => return None,
        },
        _ => return None,
    };
    Some((object, static_key(key)?))
}

/// A computed key known when the code is written: `"eval"`, or a template
/// with no expressions.
fn static_key<'a>(key: &'a Expression<'a>) -> Option<&'a str> {
    match key.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.as_str()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
            t.quasis.first()?.value.cooked.as_ref().map(|c| c.as_str())
        }
        _ => None,
    }
}

/// `expr` is the global object: `window`, `globalThis`, `global` or `self` where
/// no local binding shadows it, a chain of those (`window.window`,
/// `globalThis["self"]`), or `this` at the top level of a script (`node` is
/// where `expr` sits).
fn is_global_object(ctx: &FileContext<'_, '_>, expr: &Expression<'_>, node: NodeId) -> bool {
    match expr.get_inner_expression() {
        Expression::Identifier(id) => {
            GLOBAL_OBJECTS.contains(&id.name.as_str())
                && id.is_global_reference(ctx.semantic.scoping())
        }
        Expression::ThisExpression(_) => this_is_global(ctx, node),
        _ => member(expr).is_some_and(|(object, name)| {
            GLOBAL_OBJECTS.contains(&name) && is_global_object(ctx, object, node)
        }),
    }
}

/// `this` at `node` is the global object: the file is a script (not an ES or
/// CommonJS module, where it is `undefined` or `module.exports`) and `node`
/// is outside every function and class body (arrows and computed class keys
/// see the outer `this`). Inside a function `this` depends on the call, so
/// that is not claimed.
fn this_is_global(ctx: &FileContext<'_, '_>, node: NodeId) -> bool {
    if !ctx.semantic.source_type().is_script() {
        return false;
    }
    let nodes = ctx.semantic.nodes();
    let mut child = nodes.kind(node).span();
    for ancestor in nodes.ancestor_ids(node) {
        match nodes.kind(ancestor) {
            AstKind::Function(_) | AstKind::StaticBlock(_) => return false,
            AstKind::PropertyDefinition(p)
                if !(p.computed && p.key.span().contains_inclusive(child)) =>
            {
                return false;
            }
            AstKind::AccessorProperty(p)
                if !(p.computed && p.key.span().contains_inclusive(child)) =>
            {
                return false;
            }
            kind => child = kind.span(),
        }
    }
    true
}

/// `window.eval`, `globalThis["eval"]`, `this.eval` at a script's top level:
/// called, or taken as a value (indirect eval). Not `typeof window.eval` (a
/// feature test) nor an assignment to it.
fn global_eval_member(
    ctx: &FileContext<'_, '_>,
    node: NodeId,
    span: Span,
    object: &Expression<'_>,
) -> Option<Hit> {
    if !is_global_object(ctx, object, node) {
        return None;
    }
    let nodes = ctx.semantic.nodes();
    let mut parent = nodes.parent_id(node);
    while let AstKind::ParenthesizedExpression(_) | AstKind::ChainExpression(_) = nodes.kind(parent)
    {
        parent = nodes.parent_id(parent);
    }
    let text = short(ctx.text(span), 40);
    let message = match nodes.kind(parent) {
        AstKind::UnaryExpression(u) if u.operator == UnaryOperator::Typeof => return None,
        AstKind::AssignmentExpression(a) if a.left.span() == span => return None,
        AstKind::CallExpression(call) if call.callee.span().contains_inclusive(span) => {
            format!("`{text}` runs a string as JavaScript at runtime")
        }
        _ => format!("`{text}` is used as a value (indirect eval of runtime strings)"),
    };
    Some(Hit::error(span, message, EVAL_HELP))
}

/// `setTimeout("tick()", 100)`: the string is evaluated like `eval`; so is
/// one of `setInterval`, `setImmediate`, `execScript`, called bare or on the
/// global object (`window["setTimeout"]`).
fn string_timer(
    ctx: &FileContext<'_, '_>,
    node: NodeId,
    call: &oxc_ast::ast::CallExpression<'_>,
) -> Option<Hit> {
    let timer = match member(&call.callee) {
        Some((object, name)) => STRING_SINKS
            .into_iter()
            .find(|t| *t == name && is_global_object(ctx, object, node))?,
        None => STRING_SINKS
            .into_iter()
            .find(|t| is_global(ctx, &call.callee, t))?,
    };
    let code = argument(&call.arguments, 0)?;
    is_stringy(ctx, code, 0).then(|| {
        let text = match code.get_inner_expression() {
            Expression::StringLiteral(_)
            | Expression::TemplateLiteral(_)
            | Expression::BinaryExpression(_) => short(ctx.text(code.span()), 40),
            Expression::Identifier(id) => format!("in `{}`", id.name),
            _ => format!("from `{}`", short(ctx.text(code.span()), 40)),
        };
        Hit::warning(
            call.span,
            format!("`{timer}` with the string {text} evaluates it as code"),
            "pass a function, not a string; in Rust, `tokio::time::sleep(d).await` then the call, or \
`tokio::time::interval` in a spawned task that owns a closure",
        )
    })
}

/// A string-valued expression: a literal, a template, `String(x)`, a
/// concatenation with one, a conditional or logical expression with one as a
/// branch, or a `const` initialised with one (or a binding annotated `string`).
fn is_stringy(ctx: &FileContext<'_, '_>, expr: &Expression<'_>, depth: u8) -> bool {
    if depth > 8 {
        return false;
    }
    let again = |e: &Expression<'_>| is_stringy(ctx, e, depth + 1);
    match expr.get_inner_expression() {
        Expression::StringLiteral(_) | Expression::TemplateLiteral(_) => true,
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            again(&b.left) || again(&b.right)
        }
        Expression::ConditionalExpression(c) => again(&c.consequent) || again(&c.alternate),
        Expression::LogicalExpression(l) => again(&l.left) || again(&l.right),
        Expression::CallExpression(c) => is_global(ctx, &c.callee, "String"),
        Expression::NewExpression(n) => is_global(ctx, &n.callee, "String"),
        Expression::Identifier(id) => {
            let Some(declaration) = declaration(ctx, id) else {
                return false;
            };
            match ctx.semantic.nodes().kind(declaration) {
                AstKind::VariableDeclarator(d) => {
                    is_string_type(d.type_annotation.as_deref())
                        || const_init(ctx, declaration).is_some_and(again)
                }
                AstKind::FormalParameter(p) => is_string_type(p.type_annotation.as_deref()),
                _ => false,
            }
        }
        _ => false,
    }
}

/// The node that declares the binding `id` refers to; `None` for a global.
fn declaration(ctx: &FileContext<'_, '_>, id: &IdentifierReference<'_>) -> Option<NodeId> {
    let scoping = ctx.semantic.scoping();
    let symbol = scoping.get_reference(id.reference_id.get()?).symbol_id()?;
    Some(scoping.symbol_declaration(symbol))
}

/// The initialiser of `declaration` when it is a `const` declarator.
fn const_init<'a>(ctx: &FileContext<'_, 'a>, declaration: NodeId) -> Option<&'a Expression<'a>> {
    let nodes = ctx.semantic.nodes();
    match (nodes.kind(declaration), nodes.parent_kind(declaration)) {
        (AstKind::VariableDeclarator(d), AstKind::VariableDeclaration(v))
            if v.kind == VariableDeclarationKind::Const =>
        {
            d.init.as_ref()
        }
        _ => None,
    }
}

/// `string`, or a union of `string` with `undefined`/`null`/string literals.
fn is_string_type(annotation: Option<&TSTypeAnnotation<'_>>) -> bool {
    fn stringish(ty: &TSType<'_>, nullable: bool) -> bool {
        match ty {
            TSType::TSStringKeyword(_) => true,
            TSType::TSLiteralType(l) => matches!(l.literal, TSLiteral::StringLiteral(_)),
            TSType::TSUndefinedKeyword(_) | TSType::TSNullKeyword(_) => nullable,
            TSType::TSParenthesizedType(p) => stringish(&p.type_annotation, nullable),
            _ => false,
        }
    }
    annotation.is_some_and(|a| match &a.type_annotation {
        TSType::TSUnionType(u) => {
            u.types.iter().all(|t| stringish(t, true))
                && u.types.iter().any(|t| stringish(t, false))
        }
        ty => matches!(ty, TSType::TSStringKeyword(_)),
    })
}

/// `require(expr)` where `expr` is computed from runtime values.
fn dynamic_require(
    ctx: &FileContext<'_, '_>,
    call: &oxc_ast::ast::CallExpression<'_>,
) -> Option<Hit> {
    if !is_require(ctx, &call.callee) {
        return None;
    }
    let source = argument(&call.arguments, 0)?;
    (!is_static_path(ctx, source, 0)).then(|| {
        Hit::warning(
            call.span,
            format!(
                "`require({})` loads a module chosen at runtime",
                short(ctx.text(source.span()), 40)
            ),
            LOAD_HELP,
        )
    })
}

/// The CommonJS `require`: the global one, or a binding made by `createRequire(…)`.
fn is_require(ctx: &FileContext<'_, '_>, callee: &Expression<'_>) -> bool {
    let Expression::Identifier(id) = callee.without_parentheses() else {
        return false;
    };
    if id.name != "require" {
        return false;
    }
    let scoping = ctx.semantic.scoping();
    let Some(reference) = id.reference_id.get() else {
        return false;
    };
    let Some(symbol) = scoping.get_reference(reference).symbol_id() else {
        return true; // the global
    };
    let declaration = scoping.symbol_declaration(symbol);
    matches!(ctx.semantic.nodes().kind(declaration), AstKind::VariableDeclarator(d)
        if matches!(d.init.as_ref().map(Expression::get_inner_expression),
            Some(Expression::CallExpression(c)) if c.callee.get_inner_expression().is_specific_id("createRequire")
                || matches!(c.callee.get_inner_expression(), Expression::StaticMemberExpression(m) if m.property.name == "createRequire")))
}

/// A module path known when the code is written: literals (templates without
/// expressions), `__dirname`/`__filename`, `const`s initialised with such a
/// path, `path.join`/`resolve` of those, concatenations and conditionals of those.
fn is_static_path(ctx: &FileContext<'_, '_>, expr: &Expression<'_>, depth: u8) -> bool {
    if depth > 8 {
        return false;
    }
    let again = |e: &Expression<'_>| is_static_path(ctx, e, depth + 1);
    match expr.get_inner_expression() {
        Expression::StringLiteral(_) => true,
        Expression::TemplateLiteral(t) => t.expressions.iter().all(again),
        Expression::Identifier(id) => {
            if is_global(ctx, expr, "__dirname") || is_global(ctx, expr, "__filename") {
                return true;
            }
            declaration(ctx, id)
                .and_then(|d| const_init(ctx, d))
                .is_some_and(again)
        }
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            again(&b.left) && again(&b.right)
        }
        Expression::ConditionalExpression(c) => again(&c.consequent) && again(&c.alternate),
        Expression::CallExpression(c) => {
            let path_fn = match c.callee.get_inner_expression() {
                Expression::StaticMemberExpression(m) => {
                    matches!(m.property.name.as_str(), "join" | "resolve")
                        && matches!(m.object.get_inner_expression(), Expression::Identifier(o) if o.name == "path")
                }
                _ => false,
            };
            path_fn
                && c.arguments
                    .iter()
                    .all(|a| a.as_expression().is_some_and(again))
        }
        _ => false,
    }
}
