//! Ownership: state that many places mutate (module-level state, closures
//! that share a capture), mutating what is being iterated, emitter callbacks
//! that mutate what they capture, object graphs that point both ways, and
//! memory shared with worker threads. The small helpers below are shared by
//! the rules of this group only.

pub mod aliased_closure_mutation;
pub mod cyclic_references;
pub mod event_emitter_callbacks;
pub mod mutation_during_iteration;
pub mod shared_memory_threads;
pub mod shared_module_state;

use oxc_ast::AstKind;
use oxc_ast::ast::{Argument, Expression};
use oxc_semantic::{NodeId, SymbolId};
use oxc_span::{GetSpan, Span};

use crate::context::FileContext;
use crate::rule::Rule;
use crate::rules::support::method_call;

pub static RULES: &[&dyn Rule] = &[
    &shared_module_state::SharedModuleState,
    &aliased_closure_mutation::AliasedClosureMutation,
    &mutation_during_iteration::MutationDuringIteration,
    &event_emitter_callbacks::EventEmitterCallbacks,
    &cyclic_references::CyclicReferences,
    &shared_memory_threads::SharedMemoryThreads,
];

use crate::mutation::SYNC_ITERATION_METHODS;

/// What an access path starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    Symbol(SymbolId),
    This,
}

/// A resolved binding or `this`, followed by static property names:
/// `queue`, `this.listeners`, `state.items`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AccessPath<'a> {
    root: Root,
    properties: Vec<&'a str>,
}

/// The access path `expr` denotes, looking through parentheses and TS-only wrappers.
fn access_path<'a>(ctx: &FileContext<'_, 'a>, expr: &Expression<'a>) -> Option<AccessPath<'a>> {
    match expr.get_inner_expression() {
        Expression::Identifier(ident) => {
            let reference = ctx
                .semantic
                .scoping()
                .get_reference(ident.reference_id.get()?);
            Some(AccessPath {
                root: Root::Symbol(reference.symbol_id()?),
                properties: Vec::new(),
            })
        }
        Expression::ThisExpression(_) => Some(AccessPath {
            root: Root::This,
            properties: Vec::new(),
        }),
        Expression::StaticMemberExpression(m) => {
            let mut path = access_path(ctx, &m.object)?;
            path.properties.push(m.property.name.as_str());
            Some(path)
        }
        Expression::PrivateFieldExpression(m) => {
            let mut path = access_path(ctx, &m.object)?;
            path.properties.push(m.field.name.as_str());
            Some(path)
        }
        _ => None,
    }
}

/// The expression of a call argument (not a spread).
fn argument_expression<'b, 'a>(argument: &'b Argument<'a>) -> Option<&'b Expression<'a>> {
    argument.as_expression()
}

/// The call that `function` (an arrow or function expression) is passed to
/// as an argument, with the argument's index.
fn call_taking<'a>(ctx: &FileContext<'_, 'a>, function: NodeId) -> Option<(NodeId, usize)> {
    let nodes = ctx.semantic.nodes();
    let span = nodes.kind(function).span();
    let mut parent = nodes.parent_id(function);
    while let AstKind::ParenthesizedExpression(_) = nodes.kind(parent) {
        parent = nodes.parent_id(parent);
    }
    let AstKind::CallExpression(call) = nodes.kind(parent) else {
        return None;
    };
    let index = call
        .arguments
        .iter()
        .position(|a| a.span().contains_inclusive(span))?;
    Some((parent, index))
}

/// Is `function` the callback of a synchronous iteration method
/// (`xs.forEach(cb)`, `xs.map(cb)` …)? Returns the call when it is.
fn sync_iteration_call(ctx: &FileContext<'_, '_>, function: NodeId) -> Option<NodeId> {
    let (call_id, index) = call_taking(ctx, function)?;
    let AstKind::CallExpression(call) = ctx.semantic.nodes().kind(call_id) else {
        return None;
    };
    let (_, method) = method_call(call)?;
    (index == 0 && SYNC_ITERATION_METHODS.contains(&method)).then_some(call_id)
}

fn is_function(kind: &AstKind<'_>) -> bool {
    matches!(
        kind,
        AstKind::Function(_) | AstKind::ArrowFunctionExpression(_)
    )
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Source text with all whitespace removed, to compare two expressions.
fn normalized(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}
