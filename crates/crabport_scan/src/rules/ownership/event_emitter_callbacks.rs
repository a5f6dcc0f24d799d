//! `event-emitter-callbacks`: emitter/observer subscriptions whose callbacks
//! mutate state they capture.

use std::collections::{BTreeMap, BTreeSet};

use oxc_ast::AstKind;
use oxc_ast::ast::{Expression, SimpleAssignmentTarget, UnaryOperator};
use oxc_semantic::{NodeId, SymbolId};
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::aliased_closure_mutation::AliasedClosureMutation;
use super::shared_module_state::SharedModuleState;
use super::{Root, access_path, call_taking, contains};
use crate::context::FileContext;
use crate::mutation::{MUTATING_METHODS, Mutation, classify};
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::list;
use crate::rules::support::{method_call, short};

pub struct EventEmitterCallbacks;

pub static DOC: RuleDoc = RuleDoc {
    code: "event-emitter-callbacks",
    summary: "A callback subscribed with .on/.once/.addListener/addEventListener/.subscribe that mutates \
state it captures (a local binding of the enclosing function, or `this.…` from an arrow).",
    why: "An emitter keeps its handlers and calls them later, so in Rust it stores them as \
`Box<dyn FnMut(..)>` that must be `'static`: a handler cannot borrow a local of the function that subscribed \
it (E0373), and it cannot hold `&mut self` while `self` owns the emitter. The JavaScript shape — the handler \
pushes into an array or flips a field that other code reads — has to become a design: the handler sends \
into a channel (`std::sync::mpsc`, `tokio::sync::mpsc`) and one owner drains it, or the state moves into the \
handler, or (last resort) `Rc<RefCell<_>>` / `Arc<Mutex<_>>`. Module-level state and state mutated by two or \
more closures are reported by `shared-module-state` and `aliased-closure-mutation` instead.",
    js_example: r#"function readAll(stream: Readable): Promise<string> {
  const chunks: string[] = [];
  stream.on("data", (chunk) => chunks.push(chunk));
  return new Promise((resolve) => stream.on("end", () => resolve(chunks.join(""))));
}"#,
    naive_rust: Some(NaivePort {
        code: r#"struct Emitter {
    handlers: Vec<Box<dyn FnMut(&str)>>,
}

impl Emitter {
    fn on(&mut self, handler: impl FnMut(&str) + 'static) {
        self.handlers.push(Box::new(handler));
    }
    fn emit(&mut self, chunk: &str) {
        for handler in &mut self.handlers {
            handler(chunk);
        }
    }
}

fn main() {
    let mut stream = Emitter { handlers: Vec::new() };
    let mut chunks: Vec<String> = Vec::new();
    stream.on(|chunk| chunks.push(chunk.to_string()));
    stream.emit("a");
    stream.emit("b");
    println!("{}", chunks.concat());
}
"#,
        error: "E0373",
    }),
    idiomatic_rust: r#"use std::sync::mpsc;

struct Emitter {
    handlers: Vec<Box<dyn FnMut(&str)>>,
}

impl Emitter {
    fn on(&mut self, handler: impl FnMut(&str) + 'static) {
        self.handlers.push(Box::new(handler));
    }
    fn emit(&mut self, chunk: &str) {
        for handler in &mut self.handlers {
            handler(chunk);
        }
    }
}

fn main() {
    let mut stream = Emitter { handlers: Vec::new() };
    // The handler owns a sender; the one owner of the state drains the channel.
    let (tx, rx) = mpsc::channel::<String>();
    stream.on(move |chunk| tx.send(chunk.to_string()).unwrap());
    stream.emit("a");
    stream.emit("b");
    let chunks: Vec<String> = rx.try_iter().collect();
    println!("{}", chunks.concat());
}
"#,
    idiomatic_output: Some("ab\n"),
};

/// Methods that register a callback to be called later, again and again.
const SUBSCRIBE_METHODS: &[&str] = &[
    "on",
    "once",
    "addListener",
    "prependListener",
    "prependOnceListener",
    "addEventListener",
    "subscribe",
];

/// A subscription call and the callback it registers.
struct Subscription {
    call: NodeId,
    callee: Span,
    /// `socket.on()`, or `….on()` when the receiver is long.
    display: String,
    /// The binding the receiver starts at (`socket` in `socket.on`).
    emitter: Option<SymbolId>,
    method: String,
    /// `'data'` when the event name is a string literal.
    event: Option<String>,
}

/// One captured thing the callback mutates.
struct Mutated {
    name: String,
    how: String,
    /// Set for bindings (as opposed to `this.…`).
    symbol: Option<SymbolId>,
}

impl Rule for EventEmitterCallbacks {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let mut found: BTreeMap<u32, (Subscription, Vec<Mutated>)> = BTreeMap::new();
        let mut record = |subscription: Subscription, mutated: Mutated| {
            let start = ctx.semantic.nodes().kind(subscription.call).span().start;
            let entry = found
                .entry(start)
                .or_insert_with(|| (subscription, Vec::new()));
            if !entry.1.iter().any(|m| m.name == mutated.name) {
                entry.1.push(mutated);
            }
        };
        captured_bindings(ctx, &mut record);
        this_fields(ctx, &mut record);
        if found.is_empty() {
            return;
        }
        // Bindings the sibling rules already report, at their declarations.
        let mut covered: Vec<Finding> = Vec::new();
        SharedModuleState.check(ctx, &mut covered);
        AliasedClosureMutation.check(ctx, &mut covered);
        let covered: BTreeSet<(usize, usize)> =
            covered.iter().map(|f| (f.line, f.column)).collect();
        let scoping = ctx.semantic.scoping();
        for (subscription, mut mutated) in found.into_values() {
            mutated.retain(|m| {
                m.symbol.is_none_or(|s| {
                    let (at, _) = ctx.positions(scoping.symbol_span(s));
                    !covered.contains(&(at.line, at.column))
                })
            });
            if mutated.is_empty() {
                continue;
            }
            let receiver = &subscription.display;
            let handler = match &subscription.event {
                Some(event) => format!("the `{event}` handler passed to `{receiver}`"),
                None => format!("the callback passed to `{receiver}`"),
            };
            let things: Vec<String> = mutated
                .iter()
                .map(|m| format!("`{}` ({})", m.name, m.how))
                .collect();
            let names: Vec<String> = mutated.iter().map(|m| format!("`{}`", m.name)).collect();
            let uses_this = mutated.iter().any(|m| m.symbol.is_none());
            let help = if uses_this {
                format!(
                    "a Rust handler is stored by the emitter and cannot hold `&mut self` while `self` owns the emitter (E0373/E0499): send the event through a channel (`std::sync::mpsc`/`tokio::sync::mpsc`) to the single owner of {}, or keep that state in an `Rc<RefCell<_>>`/`Arc<Mutex<_>>` the handler clones",
                    list(&names)
                )
            } else {
                format!(
                    "a Rust handler is a `'static` boxed closure that cannot borrow {} (E0373): give it a channel `Sender` and let the code that owns the state drain the `Receiver`, or move the state into the handler; `Rc<RefCell<_>>` only if it must stay shared",
                    list(&names)
                )
            };
            let confidence = if subscription.event.is_some() && subscription.method != "subscribe" {
                Confidence::High
            } else {
                Confidence::Medium
            };
            out.push(finding(
                ctx,
                self,
                subscription.callee,
                confidence,
                format!("{handler} mutates captured {}", list(&things)),
                help,
            ));
        }
    }
}

/// The subscription `function` (an arrow or function expression) is the callback of.
fn subscription(ctx: &FileContext<'_, '_>, function: NodeId) -> Option<Subscription> {
    let nodes = ctx.semantic.nodes();
    let (call_id, index) = match call_taking(ctx, function) {
        Some(found) => found,
        None => observer_object_call(ctx, function)?,
    };
    let AstKind::CallExpression(call) = nodes.kind(call_id) else {
        return None;
    };
    let (receiver, method) = method_call(call)?;
    if !SUBSCRIBE_METHODS.contains(&method) || (method != "subscribe" && index == 0) {
        return None;
    }
    let receiver_text = short(ctx.text(receiver.span()), 60);
    let display = if receiver_text.chars().count() <= 40 && !receiver_text.contains('(') {
        format!("{receiver_text}.{method}()")
    } else {
        format!("….{method}()")
    };
    let emitter = access_path(ctx, receiver).and_then(|p| match p.root {
        Root::Symbol(s) => Some(s),
        Root::This => None,
    });
    let event = match call.arguments.first().and_then(|a| a.as_expression()) {
        Some(Expression::StringLiteral(s)) if method != "subscribe" => {
            Some(format!("'{}'", s.value))
        }
        _ => None,
    };
    Some(Subscription {
        call: call_id,
        callee: call.callee.span(),
        display,
        emitter,
        method: method.to_owned(),
        event,
    })
}

/// `obs.subscribe({ next: (x) => … })`: the call an observer object's method is passed to.
fn observer_object_call(ctx: &FileContext<'_, '_>, function: NodeId) -> Option<(NodeId, usize)> {
    let nodes = ctx.semantic.nodes();
    let property = nodes.parent_id(function);
    let AstKind::ObjectProperty(p) = nodes.kind(property) else {
        return None;
    };
    if !matches!(
        p.key.static_name().as_deref(),
        Some("next" | "error" | "complete")
    ) {
        return None;
    }
    let object = nodes.parent_id(property);
    let AstKind::ObjectExpression(_) = nodes.kind(object) else {
        return None;
    };
    let call_id = nodes.parent_id(object);
    let AstKind::CallExpression(call) = nodes.kind(call_id) else {
        return None;
    };
    let (_, method) = method_call(call)?;
    (method == "subscribe").then_some((call_id, 0))
}

/// Bindings declared outside a subscription callback and mutated inside it.
fn captured_bindings(ctx: &FileContext<'_, '_>, record: &mut impl FnMut(Subscription, Mutated)) {
    let scoping = ctx.semantic.scoping();
    let nodes = ctx.semantic.nodes();
    for symbol in scoping.symbol_ids() {
        if is_react_ref(ctx, symbol) {
            continue;
        }
        let declared = scoping.symbol_span(symbol);
        for reference in scoping.get_resolved_references(symbol) {
            let Some(mutation) = classify(ctx, reference) else {
                continue;
            };
            if mutation == Mutation::MethodCall("set".into())
                && single_argument_call(ctx, reference.node_id())
            {
                continue; // `gauge.set(v)`: a metric, not a Map
            }
            for ancestor in nodes.ancestor_ids(reference.node_id()) {
                let kind = nodes.kind(ancestor);
                if !super::is_function(&kind) {
                    continue;
                }
                if contains(kind.span(), declared) {
                    break; // the callback's own state
                }
                if let Some(subscription) = subscription(ctx, ancestor) {
                    if subscription.emitter == Some(symbol) {
                        break; // the emitter's own state, as `this` in a `function` handler
                    }
                    record(
                        subscription,
                        Mutated {
                            name: scoping.symbol_name(symbol).to_owned(),
                            how: mutation.describe(),
                            symbol: Some(symbol),
                        },
                    );
                    break;
                }
            }
        }
    }
}

/// Is the reference the receiver of a call with fewer than two arguments (`x.set(v)`)?
fn single_argument_call(ctx: &FileContext<'_, '_>, reference: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    let mut current = reference;
    loop {
        let parent = nodes.parent_id(current);
        if parent == current {
            return false;
        }
        match nodes.kind(parent) {
            AstKind::StaticMemberExpression(_)
            | AstKind::ComputedMemberExpression(_)
            | AstKind::ParenthesizedExpression(_)
            | AstKind::TSNonNullExpression(_)
            | AstKind::TSAsExpression(_) => current = parent,
            AstKind::CallExpression(call) => return call.arguments.len() < 2,
            _ => return false,
        }
    }
}

/// `const ref = useRef(…)`: React's sanctioned mutable box, not captured state.
fn is_react_ref(ctx: &FileContext<'_, '_>, symbol: SymbolId) -> bool {
    let nodes = ctx.semantic.nodes();
    let declaration = ctx.semantic.scoping().symbol_declaration(symbol);
    let AstKind::VariableDeclarator(d) = nodes.kind(declaration) else {
        return false;
    };
    let Some(Expression::CallExpression(call)) = d.init.as_ref().map(|e| e.get_inner_expression())
    else {
        return false;
    };
    match call.callee.get_inner_expression() {
        Expression::Identifier(i) => i.name == "useRef",
        Expression::StaticMemberExpression(m) => m.property.name == "useRef",
        _ => false,
    }
}

/// `this.x` changed inside an arrow subscription callback (whose `this` is the subscriber's).
fn this_fields(ctx: &FileContext<'_, '_>, record: &mut impl FnMut(Subscription, Mutated)) {
    let nodes = ctx.semantic.nodes();
    for node in nodes.iter() {
        let Some((field, how)) = this_field_change(ctx, node.kind()) else {
            continue;
        };
        for ancestor in nodes.ancestor_ids(node.id()) {
            match nodes.kind(ancestor) {
                AstKind::Function(_) => break, // its own `this`
                AstKind::ArrowFunctionExpression(_) => {
                    if let Some(subscription) = subscription(ctx, ancestor) {
                        record(
                            subscription,
                            Mutated {
                                name: format!("this.{field}"),
                                how,
                                symbol: None,
                            },
                        );
                        break;
                    }
                }
                _ => {}
            }
        }
    }
}

/// The field of `this` a node changes, and how: `this.x = …`, `this.n++`,
/// `this.items.push(…)`, `delete this.map[k]`.
fn this_field_change<'a>(
    ctx: &FileContext<'_, 'a>,
    kind: AstKind<'a>,
) -> Option<(&'a str, String)> {
    let (target, how): (&Expression<'a>, String) = match kind {
        AstKind::AssignmentExpression(a) => {
            let member = a
                .left
                .as_simple_assignment_target()?
                .as_member_expression()?;
            return this_field(ctx, member.object(), member.static_property_name())
                .map(|f| (f, "member write".to_owned()));
        }
        AstKind::UpdateExpression(u) => {
            let member = match &u.argument {
                SimpleAssignmentTarget::StaticMemberExpression(_)
                | SimpleAssignmentTarget::ComputedMemberExpression(_)
                | SimpleAssignmentTarget::PrivateFieldExpression(_) => {
                    u.argument.as_member_expression()?
                }
                _ => return None,
            };
            return this_field(ctx, member.object(), member.static_property_name())
                .map(|f| (f, "increment/decrement".to_owned()));
        }
        AstKind::CallExpression(call) => {
            let (receiver, method) = method_call(call)?;
            if !MUTATING_METHODS.contains(&method) {
                return None;
            }
            (receiver, format!(".{method}()"))
        }
        AstKind::UnaryExpression(u) if u.operator == UnaryOperator::Delete => {
            let member = u.argument.get_inner_expression().get_member_expr()?;
            (member.object(), "delete".to_owned())
        }
        _ => return None,
    };
    let path = access_path(ctx, target)?;
    (path.root == Root::This)
        .then(|| path.properties.first().copied())
        .flatten()
        .map(|f| (f, how))
}

/// For a write to `object.property`: the field of `this` it changes.
fn this_field<'a>(
    ctx: &FileContext<'_, 'a>,
    object: &Expression<'a>,
    property: Option<&'a str>,
) -> Option<&'a str> {
    let path = access_path(ctx, object)?;
    if path.root != Root::This {
        return None;
    }
    path.properties.first().copied().or(property)
}
