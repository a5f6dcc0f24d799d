//! `prototype-inheritance`: class hierarchies three or more levels deep.

use std::collections::BTreeMap;

use oxc_ast::AstKind;
use oxc_ast::ast::{Class, ClassElement, Expression, MethodDefinitionKind};
use oxc_span::GetSpan;

use crabport_core::finding::{Confidence, Finding, Severity};

use super::{declaration_of, symbol_of};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::short;

pub struct PrototypeInheritance;

pub static DOC: RuleDoc = RuleDoc {
    code: "prototype-inheritance",
    summary: "Class hierarchies three or more levels deep (`extends` resolved through the file; an imported or \
global base class counts as one level), reported once per hierarchy on its deepest class.",
    why: "A deep JavaScript class hierarchy shares fields and behaviour through the prototype chain: a method \
defined two levels up is found at run time, `super.method()` reaches the parent's version, and any level can \
override any method. Rust has no inheritance. Shared behaviour becomes a trait (with default methods), shared \
data becomes a field holding the former parent (composition), and calls that the prototype chain resolved \
implicitly must be written out — an embedded \"parent\" struct does not give its methods to the child (E0599). \
Each extra level multiplies the overrides to untangle, so a three-level hierarchy is a redesign, not a \
translation. Two shapes have a well-known Rust form and are reported as info: error hierarchies \
(`class NotFound extends HttpError extends Error`) become one error enum, and chains of data-only classes (DTOs \
without methods) become structs that embed the shared fields with `#[serde(flatten)]`.",
    js_example: r#"class Animal {
  constructor(public name: string) {}
  describe() { return `${this.name} the ${this.kind()}`; }
  kind() { return "animal"; }
}
class Dog extends Animal { kind() { return "dog"; } }
class Puppy extends Dog {
  constructor(name: string, public weeks: number) { super(name); }
  describe() { return `${super.describe()}, ${this.weeks} weeks old`; }
}"#,
    naive_rust: Some(NaivePort {
        code: r#"// JS: class Animal { describe() {…} }  class Dog extends Animal {}  class Puppy extends Dog {}
struct Animal {
    name: String,
}

impl Animal {
    fn describe(&self) -> String {
        format!("{} the animal", self.name)
    }
}

// "extends" ported as an embedded parent struct.
struct Dog {
    animal: Animal,
}

struct Puppy {
    dog: Dog,
}

fn main() {
    let puppy = Puppy { dog: Dog { animal: Animal { name: "Bit".into() } } };
    // In JS the method is found on the prototype chain; Rust has no chain to walk.
    println!("{}", puppy.describe());
}
"#,
        error: "E0599",
    }),
    idiomatic_rust: r#"/// The behaviour the hierarchy shared, as a trait with default methods.
trait Pet {
    fn name(&self) -> &str;
    fn kind(&self) -> &str {
        "animal"
    }
    fn describe(&self) -> String {
        format!("{} the {}", self.name(), self.kind())
    }
}

struct Dog {
    name: String,
}

impl Pet for Dog {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> &str {
        "dog"
    }
}

/// Composition instead of a third level: a puppy has a dog's data plus its own.
struct Puppy {
    dog: Dog,
    weeks: u32,
}

impl Pet for Puppy {
    fn name(&self) -> &str {
        self.dog.name()
    }
    fn describe(&self) -> String {
        format!("{} the puppy, {} weeks old", self.name(), self.weeks)
    }
}

fn main() {
    let pets: Vec<Box<dyn Pet>> = vec![
        Box::new(Dog { name: "Rex".into() }),
        Box::new(Puppy { dog: Dog { name: "Bit".into() }, weeks: 9 }),
    ];
    for pet in &pets {
        println!("{}", pet.describe());
    }
}
"#,
    idiomatic_output: Some("Rex the dog\nBit the puppy, 9 weeks old\n"),
};

/// Levels (the class itself included) from which a hierarchy is reported.
const MIN_DEPTH: usize = 3;

/// Base classes of JavaScript errors: a hierarchy under one of these is an error enum in Rust.
const ERROR_BASES: &[&str] = &[
    "Error",
    "TypeError",
    "RangeError",
    "SyntaxError",
    "HttpException",
    "HttpError",
];

/// One level of a chain, from the class itself up.
#[derive(Debug, Clone)]
struct Level {
    name: String,
    /// Where it is defined when not in this file: "imported", "global" or "expression".
    outside: Option<&'static str>,
    /// The start of the class in this file: its identity.
    class_start: Option<u32>,
    /// A class of this file with methods, getters or function-valued fields.
    behaviour: bool,
}

impl Rule for PrototypeInheritance {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        // Every class in the file with its chain.
        let mut chains: Vec<(&Class<'_>, Vec<Level>)> = Vec::new();
        for node in ctx.semantic.nodes().iter() {
            if let AstKind::Class(class) = node.kind() {
                let chain = chain(ctx, class, node.id());
                chains.push((class, chain));
            }
        }
        // Group the deep ones by the topmost class of the file in their chain.
        let mut groups: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (i, (_, chain)) in chains.iter().enumerate() {
            if chain.len() < MIN_DEPTH {
                continue;
            }
            let root = chain
                .iter()
                .rev()
                .find_map(|l| l.class_start)
                .unwrap_or_default();
            groups.entry(root).or_default().push(i);
        }
        for (root, members) in groups {
            // The deepest class; the first in the source on a tie.
            let Some(&deepest) = members
                .iter()
                .max_by_key(|&&i| (chains[i].1.len(), std::cmp::Reverse(chains[i].0.span.start)))
            else {
                continue;
            };
            let (class, levels) = &chains[deepest];
            // Classes of the file under the root: the size of the hierarchy.
            let size = chains
                .iter()
                .filter(|(_, c)| c.iter().any(|l| l.class_start == Some(root)))
                .count();
            let path: Vec<String> = levels
                .iter()
                .map(|l| match l.outside {
                    Some(kind) => format!("{} ({kind})", l.name),
                    None => l.name.clone(),
                })
                .collect();
            let name = &levels[0].name;
            let root_name = levels
                .iter()
                .rev()
                .find(|l| l.class_start == Some(root))
                .map_or("?", |l| l.name.as_str());
            let top = levels.last().map_or("", |l| l.name.as_str());
            let is_error = ERROR_BASES.contains(&top)
                || levels
                    .iter()
                    .any(|l| l.name.ends_with("Error") && l.outside.is_some());
            let confidence = if levels.iter().all(|l| l.outside.is_none()) {
                Confidence::High
            } else {
                Confidence::Medium
            };
            let mut message = format!(
                "class `{name}` is {} levels deep: {}",
                levels.len(),
                path.join(" → ")
            );
            // Classes beside the chain: siblings that share its base.
            if size > levels.iter().filter(|l| l.outside.is_none()).count() {
                message.push_str(&format!(
                    " (the hierarchy under `{root_name}` has {size} classes in this file)"
                ));
            }
            let data_only = !levels.iter().any(|l| l.behaviour);
            let help = if is_error {
                format!(
                    "an error hierarchy becomes one error enum in Rust (`thiserror`): a variant per subclass such as `{name}`, with its fields, and `match` instead of `instanceof`"
                )
            } else if data_only {
                format!(
                    "these classes only carry fields: in Rust `{name}` is one struct, with the fields it inherits in a struct it embeds (`#[serde(flatten)]` keeps the JSON shape); validation attributes move onto those fields"
                )
            } else {
                format!(
                    "Rust has no inheritance: move the behaviour `{name}` inherits into a trait with default methods, keep each level's data in its own struct, and hold the former parent as a field (composition); `super.method()` calls become explicit calls on that field"
                )
            };
            let span = class.id.as_ref().map_or(class.span, |id| id.span);
            let f = finding(ctx, self, span, confidence, message, help);
            // Errors and plain data have well-known Rust shapes (an enum, flattened
            // structs); inherited behaviour is the redesign.
            out.push(if is_error || data_only {
                f.with_severity(Severity::Info)
            } else {
                f
            });
        }
    }
}

/// The chain of `class`: itself, its superclass, that one's superclass ….
fn chain(ctx: &FileContext<'_, '_>, class: &Class<'_>, node: oxc_semantic::NodeId) -> Vec<Level> {
    let mut levels = vec![Level {
        name: class_name(ctx, class, node),
        outside: None,
        class_start: Some(class.span.start),
        behaviour: has_behaviour(class),
    }];
    let mut current: &Class<'_> = class;
    while levels.len() < 32 {
        let Some(heritage) = &current.heritage else {
            break;
        };
        let superclass = heritage.expression.get_inner_expression();
        let Expression::Identifier(id) = superclass else {
            levels.push(Level {
                name: short(ctx.text(superclass.span()), 60),
                outside: Some(outside_kind(ctx, superclass)),
                class_start: None,
                behaviour: false,
            });
            break;
        };
        let Some(symbol) = symbol_of(ctx, id) else {
            levels.push(Level {
                name: id.name.to_string(),
                outside: Some("global"),
                class_start: None,
                behaviour: false,
            });
            break;
        };
        let declaration = declaration_of(ctx, symbol);
        let parent = match ctx.semantic.nodes().kind(declaration) {
            AstKind::Class(c) => Some((c, declaration)),
            AstKind::VariableDeclarator(d) => {
                match d.init.as_ref().map(Expression::get_inner_expression) {
                    Some(Expression::ClassExpression(c)) => Some((&**c, c.node_id.get())),
                    _ => None,
                }
            }
            _ => None,
        };
        let Some((parent, parent_node)) = parent else {
            levels.push(Level {
                name: id.name.to_string(),
                outside: Some(outside_kind(ctx, superclass)),
                class_start: None,
                behaviour: false,
            });
            break;
        };
        if levels
            .iter()
            .any(|l| l.class_start == Some(parent.span.start))
        {
            break; // a cycle: not valid JavaScript at run time
        }
        levels.push(Level {
            name: class_name(ctx, parent, parent_node),
            outside: None,
            class_start: Some(parent.span.start),
            behaviour: has_behaviour(parent),
        });
        current = parent;
    }
    levels
}

/// Methods (other than the constructor), accessors, or fields holding functions.
fn has_behaviour(class: &Class<'_>) -> bool {
    class.body.body.iter().any(|element| match element {
        ClassElement::MethodDefinition(m) => m.kind != MethodDefinitionKind::Constructor,
        ClassElement::AccessorProperty(_) | ClassElement::StaticBlock(_) => true,
        ClassElement::PropertyDefinition(p) => p.value.as_ref().is_some_and(|v| {
            matches!(
                v.get_inner_expression(),
                Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)
            )
        }),
        _ => false,
    })
}

/// Where a superclass that is not a class of this file comes from, by the
/// binding at the root of the expression: `Base`, `React.Component`, `mixin(Base)`.
fn outside_kind(ctx: &FileContext<'_, '_>, superclass: &Expression<'_>) -> &'static str {
    let mut root = superclass.get_inner_expression();
    while let Some(member) = root.as_member_expression() {
        root = member.object().get_inner_expression();
    }
    let Expression::Identifier(id) = root else {
        return "expression";
    };
    let Some(symbol) = symbol_of(ctx, id) else {
        return "global";
    };
    match ctx.semantic.nodes().kind(declaration_of(ctx, symbol)) {
        AstKind::ImportSpecifier(_)
        | AstKind::ImportDefaultSpecifier(_)
        | AstKind::ImportNamespaceSpecifier(_)
        | AstKind::TSImportEqualsDeclaration(_) => "imported",
        AstKind::VariableDeclarator(d)
            if d.init.as_ref().is_some_and(|i| {
                matches!(i.get_inner_expression(), Expression::CallExpression(c) if c.is_require_call())
            }) =>
        {
            "imported"
        }
        _ => "expression",
    }
}

/// `class Foo`, `const Foo = class …`, else `<anonymous class>`.
fn class_name(ctx: &FileContext<'_, '_>, class: &Class<'_>, node: oxc_semantic::NodeId) -> String {
    if let Some(id) = &class.id {
        return id.name.to_string();
    }
    let nodes = ctx.semantic.nodes();
    for ancestor in nodes.ancestor_ids(node) {
        match nodes.kind(ancestor) {
            AstKind::ParenthesizedExpression(_) => {}
            AstKind::VariableDeclarator(d) => {
                if let Some(name) = d.id.get_identifier_name() {
                    return name.to_string();
                }
                break;
            }
            _ => break,
        }
    }
    "<anonymous class>".to_owned()
}
