//! `runtime-reflection`: objects changed or inspected by runtime name:
//! `Proxy`, `Reflect.*`, `Object.defineProperty`/`setPrototypeOf`,
//! monkey-patched prototypes, `__proto__`.

use super::Hit;
use oxc_ast::AstKind;
use oxc_ast::ast::{CallExpression, Expression, PropertyKey};
use oxc_semantic::{IsGlobalReference, NodeId};
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::{argument, global_member, in_transpiler_helper, is_global};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc};
use crate::rules::support::short;

pub struct RuntimeReflection;

pub static DOC: RuleDoc = RuleDoc {
    code: "runtime-reflection",
    summary: "Objects intercepted, inspected or reshaped at runtime: `Proxy`, `Reflect.*`, \
`Object.defineProperty`/`defineProperties`/`setPrototypeOf`, writes to another type's prototype \
(monkey-patching), `__proto__`.",
    why: "In JavaScript an object is a dictionary whose keys, getters and prototype can be changed by anyone at \
runtime. A Rust struct's fields and methods are fixed at compile time: there is no property trap to install, no \
field to look up by a runtime string (E0609 `no field`), no prototype to swap, and no way to add an inherent \
method to a type defined in another crate (E0116). Each use needs a design: an extension trait for added \
methods, an explicit accessor or a `HashMap` for keys that are data, an enum or a trait object for an object \
whose behaviour changes.",
    js_example: r#"String.prototype.shout = function () {
  return this.toUpperCase() + "!";
};

const user = new Proxy(record, {
  get: (target, key) => target[key] ?? "n/a",
});"#,
    naive_rust: Some(NaivePort {
        code: r#"// JS: String.prototype.shout = function () { return this.toUpperCase() + "!"; };
impl String {
    fn shout(&self) -> String {
        format!("{}!", self.to_uppercase())
    }
}

fn main() {
    println!("{}", "hello".to_string().shout());
}
"#,
        error: "E0116",
    }),
    idiomatic_rust: r#"// JS: String.prototype.shout = …; new Proxy(user, { get: (t, k) => t[k] ?? "n/a" })
// Rust: an extension trait adds methods to a foreign type, and
// "look a property up by name" becomes an explicit method over a closed set.

trait Shout {
    fn shout(&self) -> String;
}

impl Shout for str {
    fn shout(&self) -> String {
        format!("{}!", self.to_uppercase())
    }
}

struct User {
    name: String,
    email: String,
}

impl User {
    /// What the Proxy's `get` trap did, written out: every key is known.
    fn field(&self, key: &str) -> &str {
        match key {
            "name" => &self.name,
            "email" => &self.email,
            _ => "n/a",
        }
    }
}

fn main() {
    println!("{}", "hello".shout());
    let user = User {
        name: "Ada".into(),
        email: "ada@example.com".into(),
    };
    for key in ["name", "email", "phone"] {
        println!("{key} = {}", user.field(key));
    }
}
"#,
    idiomatic_output: Some("HELLO!\nname = Ada\nemail = ada@example.com\nphone = n/a\n"),
};

const PROXY_HELP: &str = "Rust has no property traps: give the type explicit methods (a `get(&self, key)` \
with a `match`, or a wrapper struct that implements the same trait and delegates); if the keys are data, use a \
`HashMap`";

const KEYED_HELP: &str = "struct fields are not addressable by a runtime name: write the accessor \
(`match key { \"name\" => … }`) or keep open-ended keys in a `HashMap`; generic walks over fields become \
derive macros (serde)";

const CALL_HELP: &str = "call the function directly; a generic call site takes a closure (`impl Fn(..)`) \
or a trait object";

const DEFINE_HELP: &str = "a getter or hidden property is a method or a private field in Rust: declare it on \
the struct (`fn name(&self)`), with `#[serde(skip)]` if it was non-enumerable";

const RETYPE_HELP: &str = "a Rust value cannot change its type: model the variants as an enum, or hold the \
behaviour in a `Box<dyn Trait>` field that can be swapped";

const PATCH_HELP: &str = "Rust cannot add methods to a type from another crate (E0116): declare an extension \
trait (`trait ArrayExt { fn last(&self) … }` implemented for the type) and import it where it is used, or wrap \
the type in a newtype";

const MIXIN_HELP: &str =
    "a mixin is a trait with default methods, implemented for each type that used it";

/// `Reflect` functions that belong to `reflect-metadata` (the `decorators` rule).
pub(crate) const METADATA_FUNCTIONS: &[&str] = &[
    "defineMetadata",
    "getMetadata",
    "getOwnMetadata",
    "hasMetadata",
    "hasOwnMetadata",
    "getMetadataKeys",
    "getOwnMetadataKeys",
    "deleteMetadata",
    "metadata",
    "decorate",
];

impl Rule for RuntimeReflection {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        for node in ctx.semantic.nodes().iter() {
            let hit = match node.kind() {
                AstKind::NewExpression(new) if is_global(ctx, &new.callee, "Proxy") => {
                    Some(proxy(ctx, new.span, argument(&new.arguments, 0)))
                }
                AstKind::CallExpression(call) => call_hit(ctx, node.id(), call),
                AstKind::AssignmentExpression(a) => {
                    a.left.as_member_expression().and_then(|left| {
                        if let Some(owner) = prototype_owner(left.object()) {
                            let name = left.static_property_name().unwrap_or("[…]");
                            patch(
                                ctx,
                                owner,
                                a.left.span(),
                                &format!("`{}`", short(ctx.text(a.left.span()), 50)),
                                name,
                            )
                        } else if left.static_property_name() == Some("prototype") {
                            patch(
                                ctx,
                                left.object(),
                                a.left.span(),
                                &format!("`{}`", short(ctx.text(a.left.span()), 50)),
                                "prototype",
                            )
                        } else {
                            None
                        }
                    })
                }
                AstKind::StaticMemberExpression(m) if m.property.name == "__proto__" => {
                    Some(Hit::warning(
                        m.property.span,
                        format!(
                            "`{}` reads or replaces an object's prototype",
                            short(ctx.text(m.span), 50)
                        ),
                        RETYPE_HELP,
                    ))
                }
                AstKind::ObjectProperty(p)
                    if !p.computed
                        && !p.shorthand
                        && !p.method
                        && matches!(&p.key, PropertyKey::StaticIdentifier(k) if k.name == "__proto__")
                        && !matches!(
                            p.value.get_inner_expression(),
                            Expression::NullLiteral(_)
                        ) =>
                {
                    Some(Hit::warning(
                        p.key.span(),
                        format!(
                            "`__proto__: {}` gives an object literal another prototype",
                            short(ctx.text(p.value.span()), 40)
                        ),
                        RETYPE_HELP,
                    ))
                }
                _ => None,
            };
            if let Some(hit) = hit
                && !in_transpiler_helper(ctx, node.id())
            {
                super::report(ctx, self, hit, out);
            }
        }
    }
}

fn proxy(ctx: &FileContext<'_, '_>, span: Span, target: Option<&Expression<'_>>) -> Hit {
    Hit::error(
        span,
        format!(
            "`new Proxy({}, …)` intercepts property access at runtime",
            short(target.map_or("", |t| ctx.text(t.span())), 30)
        ),
        PROXY_HELP,
    )
}

fn call_hit(ctx: &FileContext<'_, '_>, id: NodeId, call: &CallExpression<'_>) -> Option<Hit> {
    let target = argument(&call.arguments, 0);
    let more = if call.arguments.len() > 1 {
        ", …"
    } else {
        ""
    };
    // Only for a hit: most calls are not reflection, and this allocates.
    let target_text = || short(target.map_or("", |t| ctx.text(t.span())), 30);
    if global_member(ctx, &call.callee, "Proxy") == Some("revocable") {
        return Some(proxy(ctx, call.span, target));
    }
    if let Some(function) = global_member(ctx, &call.callee, "Reflect") {
        if METADATA_FUNCTIONS.contains(&function)
            || inside_proxy_handler(ctx, id)
            || forwards_trap(ctx, id, function)
        {
            return None;
        }
        let help = match function {
            "apply" | "construct" => CALL_HELP,
            "defineProperty" => DEFINE_HELP,
            "setPrototypeOf" | "getPrototypeOf" => RETYPE_HELP,
            _ => KEYED_HELP,
        };
        return Some(Hit::warning(
            call.span,
            format!(
                "`Reflect.{function}({}{more})` works on an object by runtime key",
                target_text()
            ),
            help,
        ));
    }
    let function = global_member(ctx, &call.callee, "Object")?;
    let target = target?;
    match function {
        "defineProperty" | "defineProperties" => {
            if is_module_exports(ctx, target) || is_this(target) {
                return None; // ES-module interop boilerplate; an instance field
            }
            // `Object.defineProperty(Object, "hasOwn", …)`: a polyfill patching a global.
            let global_target = matches!(target.get_inner_expression(),
                Expression::Identifier(t) if t.is_global_reference(ctx.semantic.scoping()));
            if let Some(owner) = prototype_owner(target).or(global_target.then_some(target)) {
                let key = argument(&call.arguments, 1)
                    .filter(|_| function == "defineProperty")
                    .map_or_else(|| "[…]".to_owned(), |k| short(ctx.text(k.span()), 30));
                let key = key.trim_matches(['"', '\'', '`']).to_owned();
                return patch(
                    ctx,
                    owner,
                    call.span,
                    &format!("`Object.{function}({}, …)`", target_text()),
                    &key,
                );
            }
            Some(Hit::warning(
                call.span,
                format!(
                    "`Object.{function}({}, …)` adds properties at runtime",
                    target_text()
                ),
                DEFINE_HELP,
            ))
        }
        "setPrototypeOf" => {
            if is_this(target) {
                return None; // `Object.setPrototypeOf(this, MyError.prototype)` in an Error subclass
            }
            if matches!(
                argument(&call.arguments, 1).map(Expression::get_inner_expression),
                Some(Expression::NullLiteral(_))
            ) {
                return None; // a null-prototype dictionary: a `HashMap` in Rust
            }
            Some(Hit::warning(
                call.span,
                format!(
                    "`Object.setPrototypeOf({}, …)` changes an object's type at runtime",
                    target_text()
                ),
                RETYPE_HELP,
            ))
        }
        "assign" => {
            let owner = prototype_owner(target)?;
            let kind = owner_kind(ctx, owner);
            if kind == OwnerKind::Local {
                return None;
            }
            Some(Hit {
                confidence: if kind == OwnerKind::Unknown {
                    Confidence::Medium
                } else {
                    Confidence::High
                },
                ..Hit::warning(
                    call.span,
                    format!(
                        "`Object.assign({}, …)` mixes methods into a prototype at runtime",
                        target_text()
                    ),
                    MIXIN_HELP,
                )
            })
        }
        _ => None,
    }
}

/// `X` of `X.prototype`.
fn prototype_owner<'a>(expr: &'a Expression<'a>) -> Option<&'a Expression<'a>> {
    match expr.get_inner_expression() {
        Expression::StaticMemberExpression(m) if m.property.name == "prototype" => Some(&m.object),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OwnerKind {
    /// A global: a built-in such as `Array` or a host type such as `HTMLElement`.
    Builtin,
    /// Imported from another module (`import`, or `require(…)`).
    Imported,
    /// A function or class of this file: an ES5-style class definition, not a patch.
    Local,
    /// Anything else (a parameter, `this.constructor`, …).
    Unknown,
}

/// Whose prototype `owner.prototype` is.
fn owner_kind(ctx: &FileContext<'_, '_>, owner: &Expression<'_>) -> OwnerKind {
    let mut root = owner.get_inner_expression();
    while let Some(m) = root.as_member_expression() {
        root = m.object().get_inner_expression();
    }
    let Expression::Identifier(id) = root else {
        return OwnerKind::Unknown;
    };
    let scoping = ctx.semantic.scoping();
    if id.is_global_reference(scoping) {
        return OwnerKind::Builtin;
    }
    let Some(symbol) = id
        .reference_id
        .get()
        .and_then(|r| scoping.get_reference(r).symbol_id())
    else {
        return OwnerKind::Unknown;
    };
    let flags = scoping.symbol_flags(symbol);
    if flags.is_import() {
        return OwnerKind::Imported;
    }
    if flags.is_function() || flags.is_class() {
        return if std::ptr::eq(root, owner.get_inner_expression()) {
            OwnerKind::Local
        } else {
            OwnerKind::Unknown
        };
    }
    let declaration = scoping.symbol_declaration(symbol);
    if let AstKind::VariableDeclarator(d) = ctx.semantic.nodes().kind(declaration)
        && let Some(init) = &d.init
    {
        let mut init = init.get_inner_expression();
        while let Some(m) = init.as_member_expression() {
            init = m.object().get_inner_expression();
        }
        match init {
            Expression::FunctionExpression(_) | Expression::ClassExpression(_)
                if std::ptr::eq(root, owner.get_inner_expression()) =>
            {
                return OwnerKind::Local;
            }
            Expression::CallExpression(c) if is_global(ctx, &c.callee, "require") => {
                return OwnerKind::Imported;
            }
            _ => {}
        }
    }
    OwnerKind::Unknown
}

/// A write to `owner.prototype` (or its `name`), unless `owner` is this file's own constructor.
fn patch(
    ctx: &FileContext<'_, '_>,
    owner: &Expression<'_>,
    span: Span,
    what: &str,
    name: &str,
) -> Option<Hit> {
    let owner_text = short(ctx.text(owner.get_inner_expression().span()), 40);
    let (severity, confidence, message) = match owner_kind(ctx, owner) {
        OwnerKind::Local => return None,
        OwnerKind::Builtin => (
            Severity::Error,
            Confidence::High,
            format!("{what} monkey-patches `{name}` onto the global `{owner_text}`"),
        ),
        OwnerKind::Imported => (
            Severity::Warning,
            Confidence::High,
            format!("{what} patches `{name}` onto `{owner_text}` from another module"),
        ),
        OwnerKind::Unknown => (
            Severity::Warning,
            Confidence::Medium,
            format!("{what} patches `{name}` onto `{owner_text}` at runtime"),
        ),
    };
    Some(Hit {
        span,
        severity,
        confidence,
        message,
        help: PATCH_HELP,
    })
}

/// `exports` or `module.exports` (CommonJS interop: `Object.defineProperty(exports, "__esModule", …)`).
fn is_module_exports(ctx: &FileContext<'_, '_>, expr: &Expression<'_>) -> bool {
    is_global(ctx, expr, "exports") || global_member(ctx, expr, "module") == Some("exports")
}

fn is_this(expr: &Expression<'_>) -> bool {
    matches!(expr.get_inner_expression(), Expression::ThisExpression(_))
}

/// Inside the arguments of a `new Proxy(…)`: the `Proxy` finding already covers it.
fn inside_proxy_handler(ctx: &FileContext<'_, '_>, id: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    nodes.ancestor_ids(id).any(|a| {
        matches!(nodes.kind(a), AstKind::NewExpression(n) if is_global(ctx, &n.callee, "Proxy"))
    })
}

/// `get(target, key, receiver) { return Reflect.get(…) }` in an object literal:
/// a Proxy handler forwarding its trap; the `Proxy` finding covers the handler.
fn forwards_trap(ctx: &FileContext<'_, '_>, id: NodeId, function: &str) -> bool {
    let nodes = ctx.semantic.nodes();
    let Some(enclosing) = ctx.enclosing_function(id) else {
        return false;
    };
    let mut parent = nodes.parent_id(enclosing);
    while let AstKind::ParenthesizedExpression(_) = nodes.kind(parent) {
        parent = nodes.parent_id(parent);
    }
    matches!(nodes.kind(parent), AstKind::ObjectProperty(p)
        if p.key.static_name().is_some_and(|k| k == function))
}
