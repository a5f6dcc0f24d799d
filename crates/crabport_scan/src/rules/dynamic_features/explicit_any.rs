//! `explicit-any`: `any` in types (annotations, rest parameters, function
//! types and signatures, type-parameter defaults and constraints, the type
//! arguments of `extends`/`implements`, `keyof any`), `as any`, and untyped
//! `JSON.parse` results. The message names the place, down to the part of a
//! function type (`the return type of a function type of parameter `cb``).
//!
//! Not reported: `this: any`, `catch (e: any)`, ambient declarations
//! (`declare …`, `declare global`), and "any instantiation" of the program's
//! own generic types in a type (`Store<any>`), which is a generic parameter in
//! Rust rather than data to design. Without types the rule cannot see `any`
//! that arrives by inference (an untyped library, `JSON.parse` passed straight
//! on, an `any` behind an alias declared in another file).

use oxc_ast::AstKind;
use oxc_ast::ast::{
    BindingPattern, CallExpression, Expression, TSType, TSTypeAnnotation, TSTypeName,
    TSTypeOperatorOperator,
};
use oxc_semantic::NodeId;
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::{argument, global_member};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::short;

pub struct ExplicitAny;

pub static DOC: RuleDoc = RuleDoc {
    code: "explicit-any",
    summary: "`any` in type annotations (rest parameters, function types, type-parameter defaults and \
constraints, `extends`/`implements` type arguments and `keyof any` included), `as any` casts and untyped \
`JSON.parse` results: one info finding per occurrence, so the count per file (and the friction figure per directory) reads as the density of data whose \
shape was never written down.",
    why: "TypeScript's `any` switches type checking off; the value is whatever arrives at runtime. Rust has no \
such escape: every value has one static type, and untyped JSON is a `serde_json::Value` that must be matched or \
converted before it can be used as a number or a string (E0308 when it is not). Each `any` is a type to design \
before the port, usually a struct with `#[derive(Deserialize)]`, an enum for the alternatives, and \
`serde_json::Value` only where the shape is genuinely open. The more of them a file has, the more of its port \
is data modelling rather than translation. Only written `any` is counted: without types the rule cannot see \
`any` that arrives by inference (an untyped dependency, an alias declared elsewhere), and it leaves out \
`this: any`, `catch (e: any)`, ambient `declare` code and \"any instantiation\" of the program's own generics \
(`Store<any>`).",
    js_example: r#"export function loadConfig(text: string) {
  const config = JSON.parse(text);
  const port: number = config.port;
  return { host: config.host as any, port };
}"#,
    naive_rust: Some(NaivePort {
        code: r#"use std::collections::BTreeMap;
use std::ops::Index;

// A stand-in for `serde_json::Value`, the Rust shape of an untyped JSON.parse result.
enum Value {
    Null,
    Number(f64),
    String(String),
    Object(BTreeMap<String, Value>),
}

impl Index<&str> for Value {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        match self {
            Value::Object(map) => map.get(key).unwrap_or(&Value::Null),
            _ => &Value::Null,
        }
    }
}

fn parse_config() -> Value {
    let mut map = BTreeMap::new();
    map.insert("port".to_string(), Value::Number(8080.0));
    map.insert("host".to_string(), Value::String("localhost".into()));
    Value::Object(map)
}

fn main() {
    // JS: const config = JSON.parse(text); const port: number = config.port;
    let config = parse_config();
    let port: u16 = config["port"];
    println!("{port}");
}
"#,
        error: "E0308",
    }),
    idiomatic_rust: r#"use std::collections::BTreeMap;

// With serde this whole file is:
//   #[derive(Deserialize)] struct Config { host: String, port: u16 }
//   let config: Config = serde_json::from_str(text)?;
// Below, a stand-in for `serde_json::Value` and the conversion the derive writes.
enum Value {
    Number(f64),
    String(String),
    Object(BTreeMap<String, Value>),
}

/// The shape `any` was hiding, designed once.
#[derive(Debug)]
struct Config {
    host: String,
    port: u16,
}

impl TryFrom<&Value> for Config {
    type Error = String;

    fn try_from(value: &Value) -> Result<Self, Self::Error> {
        let Value::Object(map) = value else {
            return Err("expected an object".into());
        };
        let host = match map.get("host") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err("`host` must be a string".into()),
        };
        let port = match map.get("port") {
            Some(Value::Number(n)) if n.fract() == 0.0 && (0.0..=65535.0).contains(n) => *n as u16,
            _ => return Err("`port` must be an integer 0..=65535".into()),
        };
        Ok(Config { host, port })
    }
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn main() {
    let good = object(vec![
        ("host", Value::String("localhost".into())),
        ("port", Value::Number(8080.0)),
    ]);
    let bad = object(vec![
        ("host", Value::String("localhost".into())),
        ("port", Value::String("80".into())),
    ]);
    for payload in [&good, &bad] {
        match Config::try_from(payload) {
            Ok(config) => println!("listening on {}:{}", config.host, config.port),
            Err(e) => println!("rejected: {e}"),
        }
    }
}
"#,
    idiomatic_output: Some(
        "listening on localhost:8080\nrejected: `port` must be an integer 0..=65535\n",
    ),
};

const ANY_HELP: &str = "design the type: a struct with `#[derive(Deserialize)]` for data, an enum for the \
alternatives, a generic or a trait for \"anything that can …\"; `serde_json::Value` only where the shape is \
truly open";

const KEYOF_HELP: &str = "`keyof any` is every property key (`string | number | symbol`); a Rust map or \
lookup has one key type: `String`, an enum of the known keys, or a generic `K: Hash + Eq`";

const CAST_HELP: &str = "a cast to `any` switches the checker off and Rust has none: find the real type (or \
the trait the value implements), or convert explicitly (`From`/`TryFrom`)";

const PARSE_HELP: &str = "`serde_json::from_str::<T>(…)` with a `#[derive(Deserialize)]` struct `T` that \
names the fields this code reads";

impl Rule for ExplicitAny {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Info
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        for node in ctx.semantic.nodes().iter() {
            let hit = match node.kind() {
                AstKind::TSAnyKeyword(any) => any_use(ctx, node.id(), any.span),
                AstKind::CallExpression(call) => untyped_parse(ctx, node.id(), call),
                _ => None,
            };
            if let Some((span, confidence, message, help)) = hit {
                out.push(finding(ctx, self, span, confidence, message, help.into()));
            }
        }
    }
}

type Hit = (Span, Confidence, String, &'static str);

/// Where an `any` sits, or `None` where it is not a data type to design:
/// `this: any`, `catch (e: any)`, ambient declarations, and "any instantiation"
/// of the program's own generic types (`Store<Event<any>>`). Inside a function
/// type or a signature the place says which part (`the return type of a function
/// type of parameter `cb``), so a callback's return is not mistaken for its parameter.
fn any_use(ctx: &FileContext<'_, '_>, id: NodeId, span: Span) -> Option<Hit> {
    let nodes = ctx.semantic.nodes();
    if erased_type_argument(ctx, id) {
        return None;
    }
    let keyof = matches!(nodes.parent_kind(id),
        AstKind::TSTypeOperator(o) if o.operator == TSTypeOperatorOperator::Keyof);
    // The innermost named place wins; a skip anywhere up the tree wins over it.
    let mut place: Option<Hit> = None;
    // The position inside the function types and signatures passed so far,
    // prefixed to the place that owns them.
    let mut inner: Option<String> = None;
    let mut child = span;
    for ancestor in nodes.ancestor_ids(id) {
        let kind = nodes.kind(ancestor);
        let mut name: Option<String> = None;
        match kind {
            AstKind::TSThisParameter(_)
            | AstKind::CatchParameter(_)
            | AstKind::TSGlobalDeclaration(_) => return None,
            AstKind::TSExternalModuleDeclaration(d) if d.declare => return None,
            AstKind::TSNamespaceDeclaration(d) if d.declare => return None,
            AstKind::VariableDeclaration(d) if d.declare => return None,
            AstKind::Class(c) if c.declare => return None,
            AstKind::Function(f) if f.declare => return None,
            _ if place.is_some() => {}
            AstKind::TSAsExpression(cast) => {
                let hit = cast_hit(ctx, span, &cast.type_annotation, &cast.expression, "as any");
                place = Some(hit?);
            }
            AstKind::TSTypeAssertion(cast) => {
                let hit = cast_hit(ctx, span, &cast.type_annotation, &cast.expression, "<any>");
                place = Some(hit?);
            }
            AstKind::TSSatisfiesExpression(_) => name = Some("a `satisfies` type".into()),
            AstKind::FormalParameter(p) => {
                let param = format!("parameter {}", pattern_name(ctx, &p.pattern));
                if in_signature(ctx, ancestor) {
                    signature_param(&mut inner, param);
                } else {
                    name = Some(param);
                }
            }
            AstKind::FormalParameterRest(r) => {
                let param = format!("rest parameter {}", pattern_name(ctx, &r.rest.argument));
                if in_signature(ctx, ancestor) {
                    signature_param(&mut inner, param);
                } else {
                    name = Some(param);
                }
            }
            AstKind::TSFunctionType(f) => {
                signature_part(&mut inner, child, Some(&f.return_type), "a function type")
            }
            AstKind::TSConstructorType(f) => signature_part(
                &mut inner,
                child,
                Some(&f.return_type),
                "a constructor type",
            ),
            AstKind::TSCallSignatureDeclaration(f) => signature_part(
                &mut inner,
                child,
                f.return_type.as_ref(),
                "a call signature",
            ),
            AstKind::TSConstructSignatureDeclaration(f) => signature_part(
                &mut inner,
                child,
                f.return_type.as_ref(),
                "a construct signature",
            ),
            AstKind::TSMethodSignature(m) => {
                if inner.is_none() && contains(m.return_type.as_ref(), child) {
                    inner = Some("the return type".into());
                }
                name = Some(format!("method {}", key_name(ctx, m.key.span())));
            }
            AstKind::TSTypeParameter(t) => {
                let part = if t
                    .constraint
                    .as_ref()
                    .is_some_and(|c| c.span().contains_inclusive(child))
                {
                    "the constraint of "
                } else if t
                    .default
                    .as_ref()
                    .is_some_and(|d| d.span().contains_inclusive(child))
                {
                    "the default of "
                } else {
                    ""
                };
                name = Some(format!("{part}type parameter `{}`", t.name.name));
            }
            AstKind::VariableDeclarator(d) => {
                name = Some(format!("variable {}", pattern_name(ctx, &d.id)));
            }
            AstKind::PropertyDefinition(p) => {
                name = Some(format!("field {}", key_name(ctx, p.key.span())));
            }
            AstKind::AccessorProperty(p) => {
                name = Some(format!("field {}", key_name(ctx, p.key.span())));
            }
            AstKind::TSPropertySignature(p) => {
                name = Some(format!("property {}", key_name(ctx, p.key.span())));
            }
            AstKind::TSIndexSignature(_) => name = Some("an index signature".into()),
            AstKind::Function(f) => {
                name = Some(in_function(ctx, ancestor, f.return_type.as_ref(), child))
            }
            AstKind::ArrowFunctionExpression(f) => {
                name = Some(in_function(ctx, ancestor, f.return_type.as_ref(), child));
            }
            AstKind::TSTypeAliasDeclaration(t) => name = Some(format!("type `{}`", t.id.name)),
            AstKind::TSInterfaceDeclaration(i) => {
                name = Some(format!("interface `{}`", i.id.name));
            }
            AstKind::TSTypeParameterInstantiation(_) => {
                name = match nodes.parent_kind(ancestor) {
                    AstKind::CallExpression(CallExpression { callee, .. })
                    | AstKind::NewExpression(oxc_ast::ast::NewExpression { callee, .. }) => {
                        Some(format!(
                            "a type argument of `{}`",
                            short(ctx.text(callee.span()), 30)
                        ))
                    }
                    AstKind::Class(c) => c.heritage.as_ref().map(|h| {
                        format!(
                            "a type argument of base class `{}`",
                            short(ctx.text(h.expression.span()), 30)
                        )
                    }),
                    AstKind::TSClassImplements(i) => Some(format!(
                        "a type argument of implemented interface `{}`",
                        short(ctx.text(i.expression.span()), 30)
                    )),
                    AstKind::TSInterfaceHeritage(h) => Some(format!(
                        "a type argument of extended interface `{}`",
                        short(ctx.text(h.type_name.span()), 30)
                    )),
                    _ => None,
                };
            }
            _ => {}
        }
        if let Some(name) = name {
            let name = match inner.take() {
                Some(inner) => format!("{inner} of {name}"),
                None => name,
            };
            place = Some(named(span, keyof, name));
        }
        child = kind.span();
    }
    Some(place.unwrap_or_else(|| named(span, keyof, inner.unwrap_or_else(|| "a type".into()))))
}

/// A parameter of a function type or signature (no body), not of a function.
fn in_signature(ctx: &FileContext<'_, '_>, param: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    let params = nodes.parent_id(param);
    matches!(
        nodes.parent_kind(params),
        AstKind::TSFunctionType(_)
            | AstKind::TSConstructorType(_)
            | AstKind::TSCallSignatureDeclaration(_)
            | AstKind::TSConstructSignatureDeclaration(_)
            | AstKind::TSMethodSignature(_)
    )
}

/// Passing a parameter of a function type or signature: it owns the position so far.
fn signature_param(inner: &mut Option<String>, param: String) {
    *inner = Some(match inner.take() {
        Some(part) => format!("{part} of {param}"),
        None => param,
    });
}

fn contains(annotation: Option<&oxc_allocator::Box<'_, TSTypeAnnotation<'_>>>, span: Span) -> bool {
    annotation.is_some_and(|a| a.span.contains_inclusive(span))
}

/// Passing a function type or signature: "the return type" if `child` is its
/// return type, then "… of a function type".
fn signature_part(
    inner: &mut Option<String>,
    child: Span,
    return_type: Option<&oxc_allocator::Box<'_, TSTypeAnnotation<'_>>>,
    what: &str,
) {
    let part = match inner.take() {
        Some(part) => part,
        None if contains(return_type, child) => "the return type".into(),
        None => return,
    };
    *inner = Some(format!("{part} of {what}"));
}

/// The place of an `any` met first at a function: its return type, or
/// somewhere else in it (a type argument of an expression, say).
fn in_function(
    ctx: &FileContext<'_, '_>,
    function: NodeId,
    return_type: Option<&oxc_allocator::Box<'_, TSTypeAnnotation<'_>>>,
    child: Span,
) -> String {
    if contains(return_type, child) {
        format!("the return type of `{}`", ctx.function_name(function))
    } else {
        format!("a type in `{}`", ctx.function_name(function))
    }
}

/// Generic types that hold data: `any` as their argument is an untyped value.
const DATA_TYPES: &str = "Record Map ReadonlyMap WeakMap Set ReadonlySet Array ReadonlyArray \
Promise PromiseLike Partial Required Readonly Pick Omit Iterable AsyncIterable Iterator Awaited \
NonNullable Exclude Extract";

/// `any` as a type argument of a generic type of the program in a type
/// (`Import<any>`, `typeof BaseEmail<any>`): "whichever instantiation", a
/// generic parameter or a trait object in Rust, not an untyped value. Not so in
/// `extends Base<any>` / `implements Api<any>`: that fixes the instantiation a
/// class is built on, so it is a type to design.
fn erased_type_argument(ctx: &FileContext<'_, '_>, id: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    let parent = nodes.parent_id(id);
    if !matches!(nodes.kind(parent), AstKind::TSTypeParameterInstantiation(_)) {
        return false;
    }
    match nodes.parent_kind(parent) {
        AstKind::TSTypeReference(r) => {
            let name = match &r.type_name {
                TSTypeName::IdentifierReference(n) => n.name.as_str(),
                TSTypeName::QualifiedName(q) => q.right.name.as_str(),
                TSTypeName::ThisExpression(_) => return false,
            };
            !DATA_TYPES.split_whitespace().any(|t| t == name)
        }
        AstKind::TSTypeQuery(_) => true,
        _ => false,
    }
}

fn named(span: Span, keyof: bool, place: String) -> Hit {
    if keyof {
        (
            span,
            Confidence::High,
            format!("`keyof any` in {place}"),
            KEYOF_HELP,
        )
    } else {
        (
            span,
            Confidence::High,
            format!("`any` in {place}"),
            ANY_HELP,
        )
    }
}

/// Tests, fixtures and mocks: `{ … } as any` there builds a test double, which
/// a Rust port writes as a struct implementing a trait, not a type to design.
fn is_test_file(path: &str) -> bool {
    const MARKERS: &str = ".test. .spec. .e2e. .e2e- /__tests__/ /__mocks__/ /test/ /tests/ /e2e/";
    let path = format!("/{path}");
    MARKERS
        .split_whitespace()
        .any(|marker| path.contains(marker))
}

fn cast_hit(
    ctx: &FileContext<'_, '_>,
    span: Span,
    ty: &TSType<'_>,
    value: &Expression<'_>,
    cast: &str,
) -> Option<Hit> {
    let value = short(ctx.text(value.span()), 40);
    if !matches!(ty, TSType::TSAnyKeyword(k) if k.span == span) {
        return Some(named(span, false, format!("a cast of `{value}`")));
    }
    if is_test_file(ctx.display_path) {
        return None;
    }
    Some((
        span,
        Confidence::High,
        format!("`{cast}` on `{value}`"),
        CAST_HELP,
    ))
}

fn pattern_name(ctx: &FileContext<'_, '_>, pattern: &BindingPattern<'_>) -> String {
    match pattern.get_identifier_name() {
        Some(name) => format!("`{name}`"),
        None => format!("`{}`", short(ctx.text(pattern.span()), 30)),
    }
}

fn key_name(ctx: &FileContext<'_, '_>, key: Span) -> String {
    format!("`{}`", short(ctx.text(key), 30))
}

/// `const data = JSON.parse(text)` with no type on `data`, or returned from a
/// function with no return type. Not: `JSON.parse(JSON.stringify(x))` (a deep
/// clone), a result cast or annotated (`as Config`, `: Config`), passed straight
/// to a function, or handed to a validator (`schema.parse(data)`, `isConfig(data)`).
fn untyped_parse(ctx: &FileContext<'_, '_>, id: NodeId, call: &CallExpression<'_>) -> Option<Hit> {
    if global_member(ctx, &call.callee, "JSON") != Some("parse") {
        return None;
    }
    if let Some(Expression::CallExpression(inner)) =
        argument(&call.arguments, 0).map(Expression::get_inner_expression)
        && global_member(ctx, &inner.callee, "JSON") == Some("stringify")
    {
        return None;
    }
    let nodes = ctx.semantic.nodes();
    let mut current = id;
    let mut read = String::new();
    loop {
        let parent = nodes.parent_id(current);
        let current_span = nodes.kind(current).span();
        match nodes.kind(parent) {
            AstKind::ParenthesizedExpression(_) | AstKind::TSNonNullExpression(_) => {
                current = parent
            }
            AstKind::StaticMemberExpression(m) if m.object.span() == current_span => {
                read = format!("{read}.{}", m.property.name);
                current = parent;
            }
            AstKind::ComputedMemberExpression(m) if m.object.span() == current_span => {
                read = format!("{read}[{}]", short(ctx.text(m.expression.span()), 20));
                current = parent;
            }
            AstKind::VariableDeclarator(d) => {
                if d.type_annotation.is_some() || validated(ctx, &d.id) {
                    return None;
                }
                let what = if read.is_empty() {
                    "result".to_owned()
                } else {
                    format!("`JSON.parse(…){read}`")
                };
                let message = if read.is_empty() {
                    format!(
                        "untyped `JSON.parse` {what} in {}",
                        pattern_name(ctx, &d.id)
                    )
                } else {
                    format!("untyped {what} in {}", pattern_name(ctx, &d.id))
                };
                return Some((call.span, Confidence::High, message, PARSE_HELP));
            }
            AstKind::ReturnStatement(_) => {
                let function = ctx.enclosing_function(parent)?;
                return untyped_return(ctx, function, call.span, &read);
            }
            AstKind::ArrowFunctionExpression(_) => {
                return untyped_return(ctx, parent, call.span, &read);
            }
            _ => return None,
        }
    }
}

fn untyped_return(
    ctx: &FileContext<'_, '_>,
    function: NodeId,
    span: Span,
    read: &str,
) -> Option<Hit> {
    let typed = match ctx.semantic.nodes().kind(function) {
        AstKind::Function(f) => f.return_type.is_some(),
        AstKind::ArrowFunctionExpression(a) => a.return_type.is_some(),
        _ => true,
    };
    if typed {
        return None;
    }
    let name = ctx.function_name(function);
    let message = if name.starts_with('<') || name.starts_with("the callback") {
        format!("a callback returns an untyped `JSON.parse(…){read}`")
    } else {
        format!("`{name}` returns an untyped `JSON.parse(…){read}`")
    };
    Some((span, Confidence::Medium, message, PARSE_HELP))
}

/// The binding is handed to something that checks its shape: `schema.parse(x)`,
/// `validate(x)`, `isConfig(x)`, `plainToInstance(Cls, x)`, `assertConfig(x)`.
fn validated(ctx: &FileContext<'_, '_>, pattern: &BindingPattern<'_>) -> bool {
    let BindingPattern::BindingIdentifier(binding) = pattern else {
        return false;
    };
    let Some(symbol) = binding.symbol_id.get() else {
        return false;
    };
    let scoping = ctx.semantic.scoping();
    let nodes = ctx.semantic.nodes();
    scoping.get_resolved_references(symbol).any(|reference| {
        let mut parent = nodes.parent_id(reference.node_id());
        while let AstKind::ParenthesizedExpression(_) | AstKind::TSAsExpression(_) =
            nodes.kind(parent)
        {
            parent = nodes.parent_id(parent);
        }
        let AstKind::CallExpression(call) = nodes.kind(parent) else {
            return false;
        };
        let name = match call.callee.get_inner_expression() {
            Expression::Identifier(f) => f.name.as_str(),
            Expression::StaticMemberExpression(m) => m.property.name.as_str(),
            _ => return false,
        };
        is_validator(name)
    })
}

fn is_validator(name: &str) -> bool {
    const EXACT: &str = "parse safeParse parseAsync safeParseAsync decode is check \
plainToInstance plainToClass validateOrReject";
    EXACT.split_whitespace().any(|e| e == name)
        || ["validate", "assert", "parse", "ensure"]
            .iter()
            .any(|p| name.starts_with(p))
        || name
            .strip_prefix("is")
            .and_then(|rest| rest.chars().next())
            .is_some_and(char::is_uppercase)
}

#[cfg(test)]
mod tests {
    use super::{is_test_file, is_validator};

    #[test]
    fn test_doubles_live_in_test_files() {
        assert!(is_test_file("src/user.test.ts"));
        assert!(is_test_file("server/__mocks__/dd-trace.ts"));
        assert!(is_test_file("test/factories.ts"));
        assert!(is_test_file("app/events/trigger.e2e.ts"));
        assert!(!is_test_file("src/testing-utils.ts"));
        assert!(!is_test_file("src/contest/rules.ts"));
    }

    #[test]
    fn validators_are_recognised_by_name() {
        for name in [
            "parse",
            "safeParse",
            "validateConfig",
            "assertIsUser",
            "isConfig",
        ] {
            assert!(is_validator(name), "{name}");
        }
        for name in ["log", "send", "isolate", "create"] {
            assert!(!is_validator(name), "{name}");
        }
    }
}
