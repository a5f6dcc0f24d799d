//! `cyclic-references`: object graphs whose objects point at each other both
//! ways (parent pointers, doubly linked lists, an owner handed to its parts).

use std::collections::BTreeMap;

use oxc_ast::AstKind;
use oxc_ast::ast::{ClassElement, Expression, MethodDefinitionKind, TSSignature, TSType};
use oxc_semantic::NodeId;
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::{Root, access_path, normalized};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::list;
use crate::rules::support::{method_call, short};

pub struct CyclicReferences;

pub static DOC: RuleDoc = RuleDoc {
    code: "cyclic-references",
    summary: "Object graphs with back-pointers: a type whose objects point both down and back up \
(`parent` + `children`, `prev` + `next`), code that links two objects both ways \
(`child.parent = this; this.children.push(child)`), or an owner passing itself to a part it keeps \
(`this.router = new Router(this)`).",
    why: "The garbage collector lets any two objects point at each other. Rust ownership is a tree: a value has \
one owner, so a child cannot own its parent, and a plain `&Parent` stored in the child borrows the parent \
for as long as the child lives — the parent can then no longer be changed (E0502), or the structure cannot be \
built at all. Graphs that point both ways need a design: nodes in a `Vec` arena linked by index (the usual \
answer), `Rc<RefCell<_>>` down with `Weak` pointing back, or passing the parent as a parameter instead of \
storing it.",
    js_example: r#"class TreeNode {
  parent: TreeNode | null = null;
  children: TreeNode[] = [];
  add(child: TreeNode) {
    child.parent = this;
    this.children.push(child);
  }
}"#,
    naive_rust: Some(NaivePort {
        code: r#"struct Node<'a> {
    name: String,
    parent: Option<&'a Node<'a>>,
    children: Vec<Node<'a>>,
}

fn main() {
    let mut root = Node { name: "root".into(), parent: None, children: Vec::new() };
    let child = Node { name: "leaf".into(), parent: Some(&root), children: Vec::new() };
    root.children.push(child);
    println!("{}", root.children[0].parent.unwrap().name);
}
"#,
        error: "E0502",
    }),
    idiomatic_rust: r#"/// The nodes live in one arena; links are indices, so both directions are plain data.
struct Tree {
    nodes: Vec<Node>,
}

struct Node {
    name: String,
    parent: Option<usize>,
    children: Vec<usize>,
}

impl Tree {
    fn add(&mut self, parent: Option<usize>, name: &str) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node { name: name.into(), parent, children: Vec::new() });
        if let Some(p) = parent {
            self.nodes[p].children.push(id);
        }
        id
    }

    fn path(&self, mut id: usize) -> String {
        let mut names = vec![self.nodes[id].name.as_str()];
        while let Some(p) = self.nodes[id].parent {
            names.push(&self.nodes[p].name);
            id = p;
        }
        names.reverse();
        names.join("/")
    }
}

fn main() {
    let mut tree = Tree { nodes: Vec::new() };
    let root = tree.add(None, "root");
    let docs = tree.add(Some(root), "docs");
    let leaf = tree.add(Some(docs), "leaf");
    println!("{} ({} child)", tree.path(leaf), tree.nodes[root].children.len());
}
"#,
    idiomatic_output: Some("root/docs/leaf (1 child)\n"),
};

/// Field names that point back toward whoever holds the object.
const BACK_FIELDS: &[&str] = &[
    "parent",
    "parentNode",
    "parentElement",
    "owner",
    "prev",
    "previous",
    "previousSibling",
    "prevSibling",
];

const HELP: &str = "Rust ownership is a tree: keep the objects in a `Vec` arena and link them by index \
(`parent: Option<usize>`), or own them downward through `Rc<RefCell<_>>` and point back with `Weak`; a plain \
`&` back-reference cannot be built (E0502)";

/// A declared type (class, interface, object type alias) and its typed fields.
struct TypeShape<'a> {
    name: &'a str,
    span: Span,
    /// Field name and the source text of its type.
    fields: Vec<(String, &'a str)>,
}

/// `object.field = value` (or `{ field: this }`) inside one function.
struct Link {
    object: String,
    field: String,
    value: String,
    span: Span,
    node: NodeId,
    /// `{ parent: this }`: the object is a literal, its holder is unknown.
    literal: bool,
}

/// `holder… ← value`: `holder.f = value`, `holder.list.push(value)`.
struct Store {
    holders: Vec<String>,
    value: String,
}

impl Rule for CyclicReferences {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let shapes = type_shapes(ctx);
        let mut typed: Vec<&TypeShape<'_>> = Vec::new();
        for shape in &shapes {
            if let Some(f) = type_cycle(ctx, self, shape, &shapes) {
                typed.push(shape);
                out.push(f);
            }
        }
        linking_code(ctx, self, &typed, out);
        owner_handed_to_part(ctx, self, out);
    }
}

/// Every class, interface and object type alias of the file with its typed fields.
fn type_shapes<'a>(ctx: &FileContext<'_, 'a>) -> Vec<TypeShape<'a>> {
    let mut shapes = Vec::new();
    for node in ctx.semantic.nodes().iter() {
        match node.kind() {
            AstKind::Class(class) => {
                let Some(id) = &class.id else { continue };
                let fields = class
                    .body
                    .body
                    .iter()
                    .filter_map(|element| match element {
                        ClassElement::PropertyDefinition(p) => Some((
                            p.key.static_name()?.to_string(),
                            ctx.text(p.type_annotation.as_ref()?.span),
                        )),
                        _ => None,
                    })
                    .collect();
                shapes.push(TypeShape {
                    name: id.name.as_str(),
                    span: id.span,
                    fields,
                });
            }
            AstKind::TSInterfaceDeclaration(i) => shapes.push(TypeShape {
                name: i.id.name.as_str(),
                span: i.id.span,
                fields: signature_fields(ctx, &i.body.body),
            }),
            AstKind::TSTypeAliasDeclaration(t) => {
                if let TSType::TSTypeLiteral(literal) = &t.type_annotation {
                    shapes.push(TypeShape {
                        name: t.id.name.as_str(),
                        span: t.id.span,
                        fields: signature_fields(ctx, &literal.members),
                    });
                }
            }
            _ => {}
        }
    }
    shapes
}

fn signature_fields<'a>(
    ctx: &FileContext<'_, 'a>,
    members: &[TSSignature<'a>],
) -> Vec<(String, &'a str)> {
    members
        .iter()
        .filter_map(|m| match m {
            TSSignature::TSPropertySignature(p) => Some((
                p.key.static_name()?.to_string(),
                ctx.text(p.type_annotation.as_ref()?.span),
            )),
            _ => None,
        })
        .collect()
}

/// Does the type text `ty` mention the type `name` (as a whole word)?
fn mentions(ty: &str, name: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    ty.match_indices(name).any(|(at, _)| {
        let before = ty[..at].chars().next_back();
        let after = ty[at + name.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// A type whose back field points at itself (with another self-typed field pointing
/// down), or at another type of the file that holds it.
fn type_cycle(
    ctx: &FileContext<'_, '_>,
    rule: &CyclicReferences,
    shape: &TypeShape<'_>,
    shapes: &[TypeShape<'_>],
) -> Option<Finding> {
    // A relation that is also an id (`parent: string | Parent`, or a `parentId` field
    // beside it) is data loaded from a database or an API, not a pointer graph.
    let has_field = |name: &str| shape.fields.iter().any(|(n, _)| n == name);
    let backs: Vec<&(String, &str)> = shape
        .fields
        .iter()
        .filter(|(n, ty)| {
            BACK_FIELDS.contains(&n.as_str())
                && !mentions(ty, "string")
                && !mentions(ty, "number")
                && !has_field(&format!("{n}Id"))
                && !has_field(&format!("{n}_id"))
        })
        .collect();
    let name = shape.name;
    for (back, back_ty) in &backs {
        if mentions(back_ty, name) {
            let forward: Vec<String> = shape
                .fields
                .iter()
                .filter(|(n, ty)| !BACK_FIELDS.contains(&n.as_str()) && mentions(ty, name))
                .map(|(n, _)| format!("`{n}`"))
                .collect();
            if forward.is_empty() {
                continue; // only upward links: a tree of borrows, fine in Rust
            }
            return Some(finding(
                ctx,
                rule,
                shape.span,
                Confidence::High,
                format!(
                    "`{name}` points both ways: `{back}` back to a `{name}` and {} down to `{name}`s — a reference cycle",
                    list(&forward)
                ),
                HELP.to_owned(),
            ));
        }
        // `Child.parent: Parent` where `Parent` (in this file) holds `Child`.
        for other in shapes
            .iter()
            .filter(|o| o.name != name && mentions(back_ty, o.name))
        {
            let holding: Vec<String> = other
                .fields
                .iter()
                .filter(|(_, ty)| mentions(ty, name))
                .map(|(n, _)| format!("`{n}`"))
                .collect();
            if holding.is_empty() {
                continue;
            }
            return Some(finding(
                ctx,
                rule,
                shape.span,
                Confidence::High,
                format!(
                    "`{name}.{back}` points back to `{}`, which holds `{name}` in {} — a reference cycle",
                    other.name,
                    list(&holding)
                ),
                HELP.to_owned(),
            ));
        }
    }
    None
}

fn key(ctx: &FileContext<'_, '_>, span: Span) -> String {
    // Keys name references (`this`, `node.parent`). A long expression never
    // is one, and normalising a whole function body on every assignment was
    // most of this rule's cost: such values get a key equal to nothing else.
    if span.size() > 200 {
        return format!("#{}", span.start);
    }
    normalized(ctx.text(span)).replace(['!', '?'], "")
}

/// Code that links two objects both ways, grouped per pair of field names.
fn linking_code(
    ctx: &FileContext<'_, '_>,
    rule: &CyclicReferences,
    typed: &[&TypeShape<'_>],
    out: &mut Vec<Finding>,
) {
    let nodes = ctx.semantic.nodes();
    let mut links: BTreeMap<Option<NodeId>, Vec<Link>> = BTreeMap::new();
    let mut stores: BTreeMap<Option<NodeId>, Vec<Store>> = BTreeMap::new();
    for node in nodes.iter() {
        let function = || ctx.enclosing_function(node.id());
        match node.kind() {
            AstKind::AssignmentExpression(a) => {
                let Some(member) = a
                    .left
                    .as_simple_assignment_target()
                    .and_then(|t| t.as_member_expression())
                else {
                    continue;
                };
                let object = member.object();
                let right = a.right.get_inner_expression();
                let mut values = vec![key(ctx, right.span())];
                if let Expression::ArrayExpression(array) = right {
                    values.extend(array.elements.iter().map(|e| key(ctx, e.span())));
                }
                let holders = holders(ctx, object);
                let function = function();
                for value in values {
                    stores.entry(function).or_default().push(Store {
                        holders: holders.clone(),
                        value,
                    });
                }
                if let Some(field) = member.static_property_name() {
                    links.entry(function).or_default().push(Link {
                        object: key(ctx, object.span()),
                        field: field.to_owned(),
                        value: key(ctx, right.span()),
                        span: a.span,
                        node: node.id(),
                        literal: false,
                    });
                }
            }
            AstKind::CallExpression(call) => {
                let Some((receiver, method)) = method_call(call) else {
                    continue;
                };
                if !matches!(method, "push" | "unshift" | "add" | "set" | "splice") {
                    continue;
                }
                let holders = holders(ctx, receiver);
                let function = function();
                for argument in &call.arguments {
                    stores.entry(function).or_default().push(Store {
                        holders: holders.clone(),
                        value: key(ctx, argument.span()),
                    });
                }
            }
            AstKind::ObjectProperty(p) => {
                let Some(field) = p.key.static_name() else {
                    continue;
                };
                if BACK_FIELDS.contains(&field.as_ref())
                    && matches!(
                        p.value.get_inner_expression(),
                        Expression::ThisExpression(_)
                    )
                {
                    links.entry(function()).or_default().push(Link {
                        object: String::new(),
                        field: field.to_string(),
                        value: "this".into(),
                        span: p.span,
                        node: node.id(),
                        literal: true,
                    });
                }
            }
            _ => {}
        }
    }
    // (field pair, literal) → (first span, confidence, first link text, functions, fields)
    type Group = (Span, Confidence, String, Vec<String>, Vec<String>);
    let mut groups: BTreeMap<(String, String, bool), Group> = BTreeMap::new();
    // A function that links several fields back without a named reverse field
    // (`this.a = a; a[kOwner] = this`) is one finding.
    let mut unpaired: BTreeMap<(Option<NodeId>, bool), (String, String, bool)> = BTreeMap::new();
    for (function, function_links) in &links {
        let function_stores = stores.get(function).map(Vec::as_slice).unwrap_or_default();
        for link in function_links {
            if link.object == link.value {
                continue;
            }
            // The value holds the object back: `X.f = A` with `A.g = X` or `A.list.push(X)`.
            let held_back = function_stores
                .iter()
                .any(|s| s.value == link.object && s.holders.contains(&link.value));
            let reverse_field = if held_back {
                function_links
                    .iter()
                    .find(|l| l.object == link.value && l.value == link.object)
                    .map(|l| l.field.clone())
            } else {
                None
            };
            let back_to_this = BACK_FIELDS.contains(&link.field.as_str()) && link.value == "this";
            let confidence = if held_back && !link.literal {
                Confidence::High
            } else if back_to_this {
                Confidence::Medium
            } else {
                continue;
            };
            if covered_by_type(ctx, link, typed) {
                continue; // the type's own finding covers it
            }
            // A pair of field names identifies the structure; `a.next`/`b.prev` and
            // `b.prev`/`a.next` are one.
            let pair = match reverse_field {
                Some(other) if link.field <= other => (link.field.clone(), other, link.literal),
                Some(other) => (other, link.field.clone(), link.literal),
                None => unpaired
                    .entry((*function, link.literal))
                    .or_insert_with(|| (link.field.clone(), String::new(), link.literal))
                    .clone(),
            };
            let name = function.map_or_else(|| "module code".to_owned(), |f| ctx.function_name(f));
            let entry = groups.entry(pair).or_insert_with(|| {
                (
                    link.span,
                    confidence,
                    short(ctx.text(link.span), 60),
                    Vec::new(),
                    Vec::new(),
                )
            });
            if confidence == Confidence::High {
                entry.1 = Confidence::High;
            }
            if !entry.3.contains(&name) {
                entry.3.push(name);
            }
            let field = format!("`{}`", link.field);
            if !entry.4.contains(&field) {
                entry.4.push(field);
            }
        }
    }
    for ((a, b, _), (span, confidence, text, functions, fields)) in groups {
        let message = if a.is_empty() || b.is_empty() || a == b {
            if confidence == Confidence::High {
                format!(
                    "`{text}` in {} links two objects both ways through {} — a reference cycle",
                    list(&functions),
                    list(&fields)
                )
            } else {
                format!(
                    "`{text}` in {} gives an object a pointer back to `this` ({}), and `this` presumably holds it — a reference cycle",
                    list(&functions),
                    list(&fields)
                )
            }
        } else {
            format!(
                "`{text}` in {} links objects both ways (`{a}`/`{b}`) — a reference cycle",
                list(&functions)
            )
        };
        out.push(finding(
            ctx,
            rule,
            span,
            confidence,
            message,
            HELP.to_owned(),
        ));
    }
}

/// Code inside a class with its own type-level finding, or writing a field of such a
/// type, is already covered by that finding.
fn covered_by_type(ctx: &FileContext<'_, '_>, link: &Link, typed: &[&TypeShape<'_>]) -> bool {
    let nodes = ctx.semantic.nodes();
    let class = nodes
        .ancestor_ids(link.node)
        .find_map(|a| match nodes.kind(a) {
            AstKind::Class(c) => Some(c.id.as_ref().map_or("", |id| id.name.as_str())),
            _ => None,
        });
    class.is_some_and(|name| typed.iter().any(|t| t.name == name))
        || typed
            .iter()
            .any(|t| t.fields.iter().any(|(f, _)| *f == link.field))
}

/// `a.b.c` → [`a.b.c`, `a.b`, `a`]: everything that ends up holding a value stored in it.
fn holders(ctx: &FileContext<'_, '_>, expr: &Expression<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = expr.get_inner_expression();
    loop {
        out.push(key(ctx, current.span()));
        match current.get_member_expr() {
            Some(member) => current = member.object().get_inner_expression(),
            None => return out,
        }
    }
}

/// `this.router = new Router(this)`, `this.plugins.push(new Plugin(this))`.
fn owner_handed_to_part(
    ctx: &FileContext<'_, '_>,
    rule: &CyclicReferences,
    out: &mut Vec<Finding>,
) {
    let nodes = ctx.semantic.nodes();
    let mut reported: Vec<String> = Vec::new();
    for node in nodes.iter() {
        let AstKind::NewExpression(new) = node.kind() else {
            continue;
        };
        let Expression::Identifier(class_name) = new.callee.get_inner_expression() else {
            continue;
        };
        let Some(index) = new.arguments.iter().position(|a| {
            matches!(
                a.as_expression().map(Expression::get_inner_expression),
                Some(Expression::ThisExpression(_))
            )
        }) else {
            continue;
        };
        if !stored_in_this(ctx, node.id()) {
            continue;
        }
        let class = class_name.name.as_str();
        if matches!(
            class,
            "Proxy" | "WeakRef" | "WeakMap" | "WeakSet" | "Map" | "Set"
        ) {
            continue; // wrappers and weak references, not parts
        }
        let confidence = match constructor_keeps(ctx, class, index) {
            Some(true) => Confidence::High,
            Some(false) => continue,
            None => Confidence::Medium,
        };
        if reported.iter().any(|r| r == class) {
            continue;
        }
        reported.push(class.to_owned());
        let statement = nodes
            .ancestor_ids(node.id())
            .map(|a| nodes.kind(a))
            .find(|k| {
                matches!(
                    k,
                    AstKind::AssignmentExpression(_) | AstKind::CallExpression(_)
                )
            })
            .map_or(new.span, |k| k.span());
        out.push(finding(
            ctx,
            rule,
            new.span,
            confidence,
            format!(
                "`{}` hands `{class}` a pointer back to its owner, which keeps the `{class}` — a reference cycle",
                short(ctx.text(statement), 60)
            ),
            format!(
                "in Rust an owner cannot lend itself to a part it owns: pass `&self`/`&mut self` (or only what `{class}` needs) into `{class}`'s methods as a parameter, or keep the owner in an `Rc` and give `{class}` a `Weak` to it"
            ),
        ));
    }
}

/// Is the value of `node` (a `new …`) assigned to `this.…` or added to a collection in `this`?
fn stored_in_this(ctx: &FileContext<'_, '_>, node: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    let span = nodes.kind(node).span();
    let mut parent = nodes.parent_id(node);
    while matches!(
        nodes.kind(parent),
        AstKind::ParenthesizedExpression(_)
            | AstKind::TSAsExpression(_)
            | AstKind::TSNonNullExpression(_)
    ) {
        parent = nodes.parent_id(parent);
    }
    let rooted_at_this =
        |e: &Expression<'_>| access_path(ctx, e).is_some_and(|p| p.root == Root::This);
    match nodes.kind(parent) {
        AstKind::AssignmentExpression(a) => {
            a.right.span().contains_inclusive(span)
                && a.left
                    .as_simple_assignment_target()
                    .and_then(|t| t.as_member_expression())
                    .is_some_and(|m| rooted_at_this(m.object()))
        }
        AstKind::CallExpression(call) => {
            method_call(call).is_some_and(|(receiver, method)| {
                matches!(method, "push" | "unshift" | "add" | "set") && rooted_at_this(receiver)
            }) && call.arguments.iter().any(|a| a.span() == span)
        }
        _ => false,
    }
}

/// For a class declared in this file: does its constructor keep parameter `index`
/// (`this.x = param`, or a TS parameter property)? `None` when the class is not here.
fn constructor_keeps(ctx: &FileContext<'_, '_>, class: &str, index: usize) -> Option<bool> {
    let nodes = ctx.semantic.nodes();
    let declaration = nodes.iter().find_map(|n| match n.kind() {
        AstKind::Class(c) if c.id.as_ref().is_some_and(|id| id.name == class) => Some(c),
        _ => None,
    })?;
    let Some(constructor) = declaration.body.body.iter().find_map(|e| match e {
        ClassElement::MethodDefinition(m) if m.kind == MethodDefinitionKind::Constructor => Some(m),
        _ => None,
    }) else {
        return Some(false);
    };
    let Some(param) = constructor.value.params.items.get(index) else {
        return Some(false);
    };
    if param.has_modifier() {
        return Some(true); // `constructor(private owner: Owner)`
    }
    let Some(symbol) = param
        .pattern
        .get_binding_identifier()
        .and_then(|b| b.symbol_id.get())
    else {
        return Some(false);
    };
    let scoping = ctx.semantic.scoping();
    Some(scoping.get_resolved_references(symbol).any(|r| {
        let parent = nodes.parent_kind(r.node_id());
        matches!(parent, AstKind::AssignmentExpression(a)
            if a.left.as_simple_assignment_target()
                .and_then(|t| t.as_member_expression())
                .is_some_and(|m| matches!(m.object().get_inner_expression(), Expression::ThisExpression(_))))
    }))
}
