//! Is this reference to a binding a mutation of the value it names?
//! Shared by the rules about shared mutable state.

use oxc_ast::AstKind;
use oxc_ast::ast::{Expression, UnaryOperator};
use oxc_semantic::{NodeId, Reference};
use oxc_span::GetSpan;

use crate::context::FileContext;

/// Methods that change the receiver in place (Array, Map, Set).
pub const MUTATING_METHODS: &[&str] = &[
    "push",
    "pop",
    "shift",
    "unshift",
    "splice",
    "sort",
    "reverse",
    "fill",
    "copyWithin",
    "set",
    "delete",
    "add",
    "clear",
];

/// Array/Map/Set methods that call their callback synchronously, once per
/// element, and drop it before they return.
pub const SYNC_ITERATION_METHODS: &[&str] = &[
    "forEach",
    "map",
    "filter",
    "reduce",
    "reduceRight",
    "some",
    "every",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "flatMap",
];

/// How a reference mutates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// `x = …`, `x += …`
    Reassign,
    /// `x++`
    Update,
    /// `x[k] = …`, `x.a.b = …`, `x.n++`
    MemberWrite,
    /// `delete x[k]`
    Delete,
    /// `x.push(…)`, `x.set(…)`
    MethodCall(String),
    /// `Object.assign(x, …)`
    ObjectAssign,
}

impl Mutation {
    pub fn describe(&self) -> String {
        match self {
            Self::Reassign => "reassignment".into(),
            Self::Update => "increment/decrement".into(),
            Self::MemberWrite => "member write".into(),
            Self::Delete => "delete".into(),
            Self::MethodCall(m) => format!(".{m}()"),
            Self::ObjectAssign => "Object.assign".into(),
        }
    }

    /// Rebinds the name itself (as opposed to changing the value in place).
    pub fn rebinds(&self) -> bool {
        matches!(self, Self::Reassign | Self::Update)
    }
}

/// Parent of `node`, skipping parentheses and TS-only wrappers (`x!`, `x as T`).
fn transparent_parent(ctx: &FileContext<'_, '_>, node: NodeId) -> NodeId {
    let nodes = ctx.semantic.nodes();
    let mut current = node;
    loop {
        let parent = nodes.parent_id(current);
        if parent == current {
            return parent;
        }
        match nodes.kind(parent) {
            AstKind::ParenthesizedExpression(_)
            | AstKind::TSAsExpression(_)
            | AstKind::TSNonNullExpression(_)
            | AstKind::TSSatisfiesExpression(_)
            | AstKind::TSTypeAssertion(_) => current = parent,
            _ => return parent,
        }
    }
}

/// Classifies `reference` (a reference to some binding) as a mutation of it, if it is one.
pub fn classify(ctx: &FileContext<'_, '_>, reference: &Reference) -> Option<Mutation> {
    let nodes = ctx.semantic.nodes();
    let ident = reference.node_id();
    if reference.is_write() {
        let parent = transparent_parent(ctx, ident);
        return Some(match nodes.kind(parent) {
            AstKind::UpdateExpression(_) => Mutation::Update,
            _ => Mutation::Reassign,
        });
    }
    // Climb the member chain whose object is the binding: `x`, `x.a`, `x.a[b]`.
    let mut current = ident;
    let mut last_property: Option<String> = None;
    loop {
        let parent = transparent_parent(ctx, current);
        let current_span = nodes.kind(current).span();
        match nodes.kind(parent) {
            AstKind::StaticMemberExpression(m)
                if m.object.span() == current_span || contains(m.object.span(), current_span) =>
            {
                last_property = Some(m.property.name.to_string());
                current = parent;
            }
            AstKind::ComputedMemberExpression(m) if contains(m.object.span(), current_span) => {
                last_property = None;
                current = parent;
            }
            AstKind::CallExpression(call) => {
                let callee_span = call.callee.span();
                if current != ident && contains(callee_span, nodes.kind(current).span()) {
                    // `x.push()` mutates only when `x` is known to be an Array/Map/Set:
                    // `history.push()` or `store.add()` are methods of other objects.
                    let direct = nodes.parent_id(ident) == current
                        || transparent_parent(ctx, ident) == current;
                    let collection = reference.symbol_id().is_some_and(|s| is_collection(ctx, s));
                    return last_property
                        .filter(|p| direct && collection && MUTATING_METHODS.contains(&p.as_str()))
                        .map(Mutation::MethodCall);
                }
                // `Object.assign(x, …)`: the binding (or a member of it) is the target.
                let is_object_assign = matches!(&call.callee, Expression::StaticMemberExpression(m)
                    if m.property.name == "assign" && matches!(&m.object, Expression::Identifier(o) if o.name == "Object"));
                let first_arg = call.arguments.first().map(GetSpan::span);
                return (is_object_assign && first_arg.is_some_and(|a| contains(a, current_span)))
                    .then_some(Mutation::ObjectAssign);
            }
            AstKind::AssignmentExpression(a)
                if current != ident && contains(a.left.span(), current_span) =>
            {
                return Some(Mutation::MemberWrite);
            }
            AstKind::UpdateExpression(_) if current != ident => return Some(Mutation::MemberWrite),
            AstKind::UnaryExpression(u)
                if current != ident && u.operator == UnaryOperator::Delete =>
            {
                return Some(Mutation::Delete);
            }
            // `for (x[k] of …)`, destructuring into members: rare; not a mutation we claim.
            _ => return None,
        }
    }
}

fn contains(outer: oxc_span::Span, inner: oxc_span::Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// The binding is an Array, Map or Set: by its initialiser (`[]`, `new Map()`,
/// `Array.from(…)`) or its TypeScript annotation (`T[]`, `Array<T>`, `Map<K, V>`, `Set<T>`).
pub fn is_collection(ctx: &FileContext<'_, '_>, symbol: oxc_semantic::SymbolId) -> bool {
    use oxc_ast::ast::{Expression, TSType};
    let nodes = ctx.semantic.nodes();
    let AstKind::VariableDeclarator(d) =
        nodes.kind(ctx.semantic.scoping().symbol_declaration(symbol))
    else {
        return false;
    };
    let by_type = d
        .type_annotation
        .as_ref()
        .is_some_and(|t| match &t.type_annotation {
            TSType::TSArrayType(_) | TSType::TSTupleType(_) => true,
            TSType::TSTypeReference(r) => {
                let name = ctx.text(r.type_name.span());
                ["Array", "Map", "Set", "WeakMap", "WeakSet"].contains(&name)
            }
            _ => false,
        });
    let by_init = d.init.as_ref().is_some_and(|init| {
        let init = match init.without_parentheses() {
            Expression::TSAsExpression(e) => e.expression.without_parentheses(),
            other => other,
        };
        match init {
            Expression::ArrayExpression(_) => true,
            Expression::NewExpression(n) => matches!(&n.callee, Expression::Identifier(c)
                if ["Map", "Set", "WeakMap", "WeakSet", "Array"].contains(&c.name.as_str())),
            Expression::CallExpression(c) => {
                matches!(&c.callee, Expression::StaticMemberExpression(m)
                if matches!(&m.object, Expression::Identifier(o) if o.name == "Array")
                    && ["from", "of"].contains(&m.property.name.as_str()))
            }
            _ => false,
        }
    });
    by_type || by_init
}

/// Bound to a React ref (`useRef`, `createRef`): refs exist to be written from callbacks.
pub fn is_react_ref(ctx: &FileContext<'_, '_>, symbol: oxc_semantic::SymbolId) -> bool {
    use oxc_ast::ast::Expression;
    let nodes = ctx.semantic.nodes();
    let AstKind::VariableDeclarator(d) =
        nodes.kind(ctx.semantic.scoping().symbol_declaration(symbol))
    else {
        return false;
    };
    let Some(Expression::CallExpression(call)) = d.init.as_ref().map(|e| e.without_parentheses())
    else {
        return false;
    };
    let callee = match &call.callee {
        Expression::Identifier(i) => i.name.as_str(),
        Expression::StaticMemberExpression(m) => m.property.name.as_str(),
        _ => return false,
    };
    matches!(callee, "useRef" | "createRef")
}
