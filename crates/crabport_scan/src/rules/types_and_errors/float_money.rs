//! `float-money`: floating-point arithmetic on values named like money.

use oxc_ast::AstKind;
use oxc_ast::ast::{
    AssignmentOperator, AssignmentTarget, BinaryOperator, Expression, IdentifierReference, TSType,
    TSTypeName, UnaryOperator,
};
use oxc_semantic::NodeId;
use oxc_span::{GetSpan, Span};

use crabport_core::finding::{Confidence, Finding, Severity};

use super::{declaration_of, declared_type, symbol_of, words};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::short;

pub struct FloatMoney;

pub static DOC: RuleDoc = RuleDoc {
    code: "float-money",
    summary: "Floating-point `*`, `/`, `toFixed` or `Math.round` on values named like money: price, subtotal, \
tax, fee, cents, balance; amount and cost in files about prices or billing; total when it is summed from prices \
or belongs to an order, cart or invoice.",
    why: "Every JavaScript number is an f64, so `price * quantity` and `Math.round(subtotal * TAX_RATE * 100) / 100` \
carry binary rounding error into money: `0.1 + 0.2` is not `0.3` and `Math.round(1.005 * 100)` is 100, not 101. \
These are the billing-rounding incidents that make a billing library a migration candidate. A Rust port should not \
transliterate them into `f64`: keep money in integer minor units (an `i64` cents newtype) or `rust_decimal::Decimal`, \
and write each rounding rule down. The type system then refuses the naive mix of cents and a float rate (E0277), \
which is exactly the decision the JavaScript never made. Values already named `…Cents` are integer minor units; \
they are flagged only when multiplied or divided by a fractional factor without an explicit rounding.",
    js_example: r#"const TAX_RATE = 0.0825;
export function invoice(unitPrice: number, quantity: number) {
  const subtotal = unitPrice * quantity;
  const tax = Math.round(subtotal * TAX_RATE * 100) / 100;
  return { subtotal, tax, total: (subtotal + tax).toFixed(2) };
}"#,
    naive_rust: Some(NaivePort {
        code: r#"const TAX_RATE: f64 = 0.0825;

fn main() {
    // The port keeps money in integer cents, as it should…
    let unit_price_cents: i64 = 1999;
    let subtotal_cents = unit_price_cents * 3;
    // …but transliterates `Math.round(subtotal * TAX_RATE)` from the JS.
    let tax_cents = (subtotal_cents * TAX_RATE).round();
    println!("{tax_cents}");
}
"#,
        error: "E0277",
    }),
    idiomatic_rust: r#"use std::fmt;

/// Money in integer cents: exact addition, and every rounding is written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Cents(i64);

impl Cents {
    /// Applies a rate in basis points (8.25% = 825), rounding half away from zero.
    fn apply_rate_bps(self, bps: i64) -> Cents {
        let raw = self.0 * bps;
        Cents(raw.signum() * ((raw.abs() + 5_000) / 10_000))
    }
}

impl std::ops::Add for Cents {
    type Output = Cents;
    fn add(self, other: Cents) -> Cents {
        Cents(self.0 + other.0)
    }
}

impl std::ops::Mul<i64> for Cents {
    type Output = Cents;
    fn mul(self, quantity: i64) -> Cents {
        Cents(self.0 * quantity)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

const TAX_RATE_BPS: i64 = 825;

fn main() {
    let unit_price = Cents(1999);
    let subtotal = unit_price * 3;
    let tax = subtotal.apply_rate_bps(TAX_RATE_BPS);
    let total = subtotal + tax;
    println!("subtotal {subtotal}, tax {tax}, total {total}");
    // The f64 version of a cent rounding loses a cent:
    println!("{}", (1.005_f64 * 100.0).round());
}
"#,
    idiomatic_output: Some("subtotal 59.97, tax 4.95, total 64.92\n100\n"),
};

/// How sure a name is to hold money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    /// `total`: only when the value is computed from prices or is a member of an
    /// order/cart/invoice (a progress bar's `total` is a count).
    Total,
    /// `amount`, `cost`: as `total`, or when the file talks about prices,
    /// billing or currency (a token bucket's `cost` and a delay `amount` are not money).
    Weak,
    /// `balance`: money unless the name says otherwise.
    Medium,
    /// `price`, `subtotal`, `tax`, `fee`, `cents`.
    Strong,
}

const STRONG: &[&str] = &["price", "subtotal", "tax", "fee", "cents", "cent"];
const MEDIUM: &[&str] = &["balance"];
const WEAK: &[&str] = &["amount", "cost"];
const TOTAL: &[&str] = &["total"];

/// Words whose presence anywhere in a file (lower-cased) says the file deals with money.
const FILE_MONEY: &[&str] = &[
    "price", "subtotal", "invoice", "billing", "currency", "payment", "checkout", "refund",
    "discount", "cents",
];

/// Whether the file deals with money, computed on first need.
struct FileMoney<'s> {
    source: &'s str,
    cell: std::cell::OnceCell<bool>,
}

impl FileMoney<'_> {
    fn mentions_money(&self) -> bool {
        *self.cell.get_or_init(|| {
            let lower = self.source.to_ascii_lowercase();
            FILE_MONEY.iter().any(|w| lower.contains(w))
        })
    }
}

/// A word that says the name is not money even though it has a money word:
/// `totalCount`, `scrollAmount`, `pathCost`, `loadBalance`, `formatPrice`.
const NOT_MONEY: &[&str] = &[
    "count",
    "counts",
    "num",
    "length",
    "len",
    "size",
    "bytes",
    "pages",
    "rows",
    "lines",
    "items",
    "records",
    "entries",
    "results",
    "tokens",
    "time",
    "times",
    "ms",
    "millis",
    "seconds",
    "secs",
    "minutes",
    "hours",
    "days",
    "duration",
    "delay",
    "timeout",
    "elapsed",
    "latency",
    "percent",
    "percentage",
    "pct",
    "ratio",
    "progress",
    "width",
    "height",
    "px",
    "offset",
    "scroll",
    "zoom",
    "padding",
    "margin",
    "weight",
    "score",
    "step",
    "steps",
    "retries",
    "attempts",
    "hits",
    "requests",
    "users",
    "files",
    "nodes",
    "edges",
    "depth",
    "distance",
    "path",
    "edit",
    "load",
    "factor",
    "rounds",
    "memory",
    "cpu",
    "opacity",
    "blur",
    "angle",
    "rotation",
    "delta",
    "frames",
    "fps",
    "index",
    "idx",
    "id",
    "ids",
    "hash",
    "version",
    "level",
    "chars",
    "words",
    "format",
    "formatted",
    "display",
    "label",
    "text",
    "str",
    "string",
    "votes",
    "views",
    "errors",
    "tests",
    "tasks",
    "jobs",
    "docs",
    "members",
];

/// Objects whose `total` is money.
const MONEY_CONTEXT: &[&str] = &[
    "order",
    "orders",
    "cart",
    "invoice",
    "invoices",
    "bill",
    "billing",
    "basket",
    "checkout",
    "payment",
    "payments",
    "receipt",
    "quote",
    "transaction",
    "purchase",
    "charge",
    "refund",
    "wallet",
    "price",
    "prices",
    "subtotal",
    "tax",
    "fee",
    "fees",
    "amount",
    "cost",
];

/// Types that are not `number`: decimal libraries and bigint.
const DECIMAL_TYPES: &[&str] = &[
    "Decimal",
    "Big",
    "BigNumber",
    "BN",
    "Dinero",
    "Money",
    "Currency",
    "BigInt",
];

/// The money word of `name`, if it has one and no word that says otherwise.
fn money_word(name: &str) -> Option<(Strength, bool)> {
    let words = words(name);
    if words.iter().any(|w| NOT_MONEY.contains(&w.as_str())) {
        return None;
    }
    let mut best: Option<Strength> = None;
    let mut cents = false;
    for word in &words {
        let singular = singular(word);
        let strength = if STRONG.iter().any(|s| singular.contains(s)) {
            Strength::Strong
        } else if MEDIUM.iter().any(|s| singular.contains(s)) {
            Strength::Medium
        } else if WEAK.iter().any(|s| singular.contains(s)) {
            Strength::Weak
        } else if TOTAL.iter().any(|s| singular.contains(s)) {
            Strength::Total
        } else {
            continue;
        };
        cents |= singular.contains(&"cents") || singular.contains(&"cent");
        best = best.max(Some(strength));
    }
    best.map(|s| (s, cents))
}

/// `prices` → `[prices, price]`, `taxes` → `[taxes, taxe, tax]`: the word and its singular candidates.
fn singular(word: &str) -> Vec<&str> {
    let mut forms = vec![word];
    if let Some(s) = word.strip_suffix('s') {
        forms.push(s);
    }
    if let Some(s) = word.strip_suffix("es") {
        forms.push(s);
    }
    forms
}

/// A money-named value inside an arithmetic expression.
#[derive(Debug, Clone)]
struct Hit {
    name: String,
    strength: Strength,
    cents: bool,
}

struct Tree<'f> {
    file: &'f FileMoney<'f>,
    hits: Vec<Hit>,
    /// A bigint literal among the operands: not floating point.
    bigint: bool,
}

impl<'f> Tree<'f> {
    fn new(file: &'f FileMoney<'f>) -> Self {
        Self {
            file,
            hits: Vec::new(),
            bigint: false,
        }
    }

    /// Records `name` if it is named like money; a weak name (`total`) only when `corroborated`.
    fn push(&mut self, name: &str, corroborated: bool) {
        let Some((strength, cents)) = money_word(name) else {
            return;
        };
        let strength = match strength {
            Strength::Total | Strength::Weak if corroborated => Strength::Medium,
            Strength::Weak if self.file.mentions_money() => Strength::Medium,
            Strength::Total | Strength::Weak => return,
            other => other,
        };
        self.hits.push(Hit {
            name: name.to_owned(),
            strength,
            cents,
        });
    }

    fn extend(&mut self, other: Tree<'_>) {
        self.hits.extend(other.hits);
        self.bigint |= other.bigint;
    }

    fn cents_only(&self) -> bool {
        self.hits.iter().all(|h| h.cents)
    }

    /// The most money-like name; the first one on a tie.
    fn best(&self) -> Option<&Hit> {
        self.hits
            .iter()
            .enumerate()
            .max_by_key(|(i, h)| (h.strength, !h.cents, std::cmp::Reverse(*i)))
            .map(|(_, h)| h)
    }
}

/// Money-named values in the arithmetic expression `expr` (through `+ - * / %`,
/// parentheses, unary signs, `Number()`/`parseFloat()` and `Math.*`).
fn tree<'f>(ctx: &FileContext<'_, '_>, file: &'f FileMoney<'f>, expr: &Expression<'_>) -> Tree<'f> {
    let mut tree = Tree::new(file);
    collect(ctx, expr, &mut tree, 0);
    tree
}

fn collect(ctx: &FileContext<'_, '_>, expr: &Expression<'_>, tree: &mut Tree<'_>, depth: u32) {
    if depth > 24 {
        return;
    }
    match expr.get_inner_expression() {
        Expression::BigIntLiteral(_) => tree.bigint = true,
        Expression::Identifier(id) => collect_identifier(ctx, id, tree),
        Expression::StaticMemberExpression(m) => {
            tree.push(&m.property.name, money_context(ctx, &m.object));
        }
        Expression::PrivateFieldExpression(p) => {
            tree.push(&p.field.name, money_context(ctx, &p.object));
        }
        Expression::ComputedMemberExpression(m) => {
            if let Expression::StringLiteral(key) = &m.expression {
                tree.push(&key.value, money_context(ctx, &m.object));
            } else {
                // `prices[i]`
                collect(ctx, &m.object, tree, depth + 1);
            }
        }
        Expression::BinaryExpression(b)
            if matches!(
                b.operator,
                BinaryOperator::Addition
                    | BinaryOperator::Subtraction
                    | BinaryOperator::Multiplication
                    | BinaryOperator::Division
                    | BinaryOperator::Remainder
            ) =>
        {
            collect(ctx, &b.left, tree, depth + 1);
            collect(ctx, &b.right, tree, depth + 1);
        }
        Expression::UnaryExpression(u)
            if matches!(
                u.operator,
                UnaryOperator::UnaryNegation | UnaryOperator::UnaryPlus
            ) =>
        {
            collect(ctx, &u.argument, tree, depth + 1);
        }
        Expression::CallExpression(call) => {
            let numeric_wrapper = matches!(&call.callee, Expression::Identifier(f)
                if matches!(f.name.as_str(), "Number" | "parseFloat"))
                || is_math_call(&call.callee).is_some();
            if numeric_wrapper {
                for arg in &call.arguments {
                    if let Some(arg) = arg.as_expression() {
                        collect(ctx, arg, tree, depth + 1);
                    }
                }
            } else if let Some(name) = call.callee_name() {
                // `item.getPrice()`, `calculateTax(order)`
                tree.push(name, false);
            }
        }
        _ => {}
    }
}

/// `Math.round`, `Math.floor`, … : the method name.
fn is_math_call<'a>(callee: &'a Expression<'a>) -> Option<&'a str> {
    match callee.get_inner_expression() {
        Expression::StaticMemberExpression(m) if matches!(&m.object, Expression::Identifier(o) if o.name == "Math") => {
            Some(m.property.name.as_str())
        }
        _ => None,
    }
}

const ROUNDING: &[&str] = &["round", "floor", "ceil", "trunc"];

/// A name that is money by itself (`price`, `balance`), or `amount`/`cost` in a
/// file about money.
fn money_named(words: &[String], file: &FileMoney<'_>) -> bool {
    if words.iter().any(|w| NOT_MONEY.contains(&w.as_str())) {
        return false;
    }
    words.iter().any(|w| match money_word(w) {
        Some((Strength::Weak, _)) => file.mentions_money(),
        Some((strength, _)) => strength > Strength::Weak,
        None => false,
    })
}

/// `order.total`, `this.cart.total`: the object names an order, cart, invoice ….
fn money_context(ctx: &FileContext<'_, '_>, object: &Expression<'_>) -> bool {
    identifier_tokens(ctx.text(object.span()))
        .any(|t| words(t).iter().any(|w| MONEY_CONTEXT.contains(&w.as_str())))
}

/// `const total = items.reduce((s, i) => s + i.price * i.qty, 0)`,
/// `total += line.amount`: the binding is computed from money.
fn binding_computed_from_money(
    ctx: &FileContext<'_, '_>,
    id: &IdentifierReference<'_>,
    file: &FileMoney<'_>,
) -> bool {
    let Some(symbol) = symbol_of(ctx, id) else {
        return false;
    };
    let nodes = ctx.semantic.nodes();
    let mut sources: Vec<Span> = Vec::new();
    if let AstKind::VariableDeclarator(d) = nodes.kind(declaration_of(ctx, symbol))
        && let Some(init) = &d.init
    {
        sources.push(init.span());
    }
    for reference in ctx.semantic.scoping().get_resolved_references(symbol) {
        if !reference.is_write() {
            continue;
        }
        if let AstKind::AssignmentExpression(a) = nodes.parent_kind(reference.node_id()) {
            sources.push(a.right.span());
        }
    }
    sources.into_iter().any(|span| {
        identifier_tokens(ctx.text(span))
            .any(|t| t != id.name.as_str() && money_named(&words(t), file))
    })
}

/// Identifier-like tokens of a piece of source text.
fn identifier_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|t| t.chars().next().is_some_and(|c| !c.is_ascii_digit()))
}

/// Declared as a bigint or a decimal-library value, or initialised with one.
fn is_decimal_binding(ctx: &FileContext<'_, '_>, symbol: oxc_semantic::SymbolId) -> bool {
    if let Some(ty) = declared_type(ctx, symbol)
        && is_decimal_type(ctx, ty)
    {
        return true;
    }
    let AstKind::VariableDeclarator(d) = ctx.semantic.nodes().kind(declaration_of(ctx, symbol))
    else {
        return false;
    };
    let Some(init) = &d.init else {
        return false;
    };
    match init.get_inner_expression() {
        Expression::BigIntLiteral(_) => true,
        Expression::NewExpression(n) => {
            let callee = ctx.text(n.callee.span());
            DECIMAL_TYPES.contains(&callee.rsplit('.').next().unwrap_or(callee))
        }
        Expression::CallExpression(c) => {
            let callee = ctx.text(c.callee.span());
            let last = callee.rsplit('.').next().unwrap_or(callee);
            DECIMAL_TYPES.contains(&last)
                || matches!(
                    last,
                    "times"
                        | "mul"
                        | "multiply"
                        | "multipliedBy"
                        | "div"
                        | "divide"
                        | "dividedBy"
                        | "plus"
                        | "minus"
                        | "add"
                        | "sub"
                        | "subtract"
                )
        }
        _ => false,
    }
}

fn is_decimal_type(ctx: &FileContext<'_, '_>, ty: &TSType<'_>) -> bool {
    match ty {
        TSType::TSBigIntKeyword(_) => true,
        TSType::TSTypeReference(r) => {
            let name = match &r.type_name {
                TSTypeName::IdentifierReference(i) => i.name.as_str(),
                other => {
                    let text = ctx.text(other.span());
                    text.rsplit('.').next().unwrap_or(text)
                }
            };
            DECIMAL_TYPES.contains(&name)
        }
        TSType::TSUnionType(u) => u.types.iter().any(|t| is_decimal_type(ctx, t)),
        _ => false,
    }
}

/// Inside `Math.round(…)`/`floor`/`ceil`/`trunc`, through arithmetic and parentheses.
fn explicitly_rounded(ctx: &FileContext<'_, '_>, node: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    for ancestor in nodes.ancestor_ids(node) {
        match nodes.kind(ancestor) {
            AstKind::ParenthesizedExpression(_)
            | AstKind::BinaryExpression(_)
            | AstKind::UnaryExpression(_)
            | AstKind::TSAsExpression(_)
            | AstKind::TSNonNullExpression(_) => {}
            AstKind::CallExpression(c) => {
                return is_math_call(&c.callee).is_some_and(|m| ROUNDING.contains(&m));
            }
            _ => return false,
        }
    }
    false
}

/// `1` or `-1`.
fn is_unit(expr: &Expression<'_>) -> bool {
    match expr.get_inner_expression() {
        Expression::NumericLiteral(n) => n.value == 1.0,
        Expression::UnaryExpression(u) if u.operator == UnaryOperator::UnaryNegation => {
            matches!(u.argument.get_inner_expression(), Expression::NumericLiteral(n) if n.value == 1.0)
        }
        _ => false,
    }
}

fn fractional_literal(expr: &Expression<'_>) -> bool {
    matches!(expr.get_inner_expression(), Expression::NumericLiteral(n) if n.value.fract() != 0.0)
}

/// One place where money goes through floating point.
struct Candidate {
    span: Span,
    operation: &'static str,
    hit: Hit,
}

impl Rule for FloatMoney {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let file = FileMoney {
            source: ctx.source,
            cell: std::cell::OnceCell::new(),
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        for node in ctx.semantic.nodes().iter() {
            let (span, operation, tree, fractional) = match node.kind() {
                AstKind::BinaryExpression(b) => {
                    let operation = match b.operator {
                        // `amount * -1` flips a sign exactly.
                        BinaryOperator::Multiplication if is_unit(&b.left) || is_unit(&b.right) => {
                            continue;
                        }
                        BinaryOperator::Multiplication => "`*`",
                        BinaryOperator::Division => "`/`",
                        _ => continue,
                    };
                    let mut t = tree(ctx, &file, &b.left);
                    t.extend(tree(ctx, &file, &b.right));
                    let fractional = fractional_literal(&b.left) || fractional_literal(&b.right);
                    (b.span, operation, t, fractional)
                }
                AstKind::AssignmentExpression(a) => {
                    let operation = match a.operator {
                        AssignmentOperator::Multiplication => "`*=`",
                        AssignmentOperator::Division => "`/=`",
                        _ => continue,
                    };
                    let mut t = Tree::new(&file);
                    collect_target(ctx, &a.left, &mut t);
                    t.extend(tree(ctx, &file, &a.right));
                    (a.span, operation, t, fractional_literal(&a.right))
                }
                AstKind::CallExpression(call) => {
                    if let Expression::StaticMemberExpression(m) = &call.callee
                        && m.property.name == "toFixed"
                    {
                        (call.span, "`.toFixed()`", tree(ctx, &file, &m.object), true)
                    } else if let Some(method) = is_math_call(&call.callee)
                        && ROUNDING.contains(&method)
                    {
                        let mut t = Tree::new(&file);
                        for arg in &call.arguments {
                            if let Some(arg) = arg.as_expression() {
                                collect(ctx, arg, &mut t, 0);
                            }
                        }
                        // Rounding integer cents is the explicit decision the rule asks for.
                        if t.cents_only() {
                            continue;
                        }
                        let operation = match method {
                            "round" => "`Math.round()`",
                            "floor" => "`Math.floor()`",
                            "ceil" => "`Math.ceil()`",
                            _ => "`Math.trunc()`",
                        };
                        (call.span, operation, t, true)
                    } else {
                        continue;
                    }
                }
                _ => continue,
            };
            if tree.bigint {
                continue;
            }
            let Some(hit) = tree.best().cloned() else {
                continue;
            };
            // Integer cents times a quantity stays exact; only a fractional
            // factor without an explicit rounding loses money.
            if tree.cents_only() && (!fractional || explicitly_rounded(ctx, node.id())) {
                continue;
            }
            candidates.push(Candidate {
                span,
                operation,
                hit,
            });
        }
        // One finding per expression: the outermost candidate covers the ones inside it.
        candidates.sort_by_key(|c| (c.span.start, std::cmp::Reverse(c.span.end)));
        let mut last_end = 0;
        for c in candidates {
            if c.span.end <= last_end {
                continue;
            }
            last_end = c.span.end;
            let expression = short(ctx.text(c.span), 60);
            let confidence = if c.hit.strength == Strength::Strong {
                Confidence::High
            } else {
                Confidence::Medium
            };
            let name = &c.hit.name;
            out.push(finding(
                ctx,
                self,
                c.span,
                confidence,
                if c.operation.starts_with("`*") || c.operation.starts_with("`/") {
                    format!(
                        "floating-point {} on money value `{name}`: `{expression}`",
                        c.operation
                    )
                } else {
                    format!(
                        "money value `{name}` rounded as a float with {}: `{expression}`",
                        c.operation
                    )
                },
                format!(
                    "in Rust keep `{name}` in integer minor units (an `i64` cents newtype) or `rust_decimal::Decimal`, and write the rounding rule down (e.g. `round_dp_with_strategy(2, MidpointAwayFromZero)`); an `f64` port keeps the error: `Math.round(1.005 * 100)` is 100"
                ),
            ));
        }
    }
}

/// The value a compound assignment writes to: `x`, `a.b`, `a["k"]`.
fn collect_target(ctx: &FileContext<'_, '_>, target: &AssignmentTarget<'_>, tree: &mut Tree<'_>) {
    match target {
        AssignmentTarget::AssignmentTargetIdentifier(id) => collect_identifier(ctx, id, tree),
        AssignmentTarget::StaticMemberExpression(m) => {
            tree.push(&m.property.name, money_context(ctx, &m.object));
        }
        AssignmentTarget::PrivateFieldExpression(p) => {
            tree.push(&p.field.name, money_context(ctx, &p.object));
        }
        AssignmentTarget::ComputedMemberExpression(m) => {
            if let Expression::StringLiteral(key) = &m.expression {
                tree.push(&key.value, money_context(ctx, &m.object));
            }
        }
        _ => {}
    }
}

fn collect_identifier(
    ctx: &FileContext<'_, '_>,
    id: &IdentifierReference<'_>,
    tree: &mut Tree<'_>,
) {
    if symbol_of(ctx, id).is_some_and(|symbol| is_decimal_binding(ctx, symbol)) {
        return;
    }
    let corroborated = binding_computed_from_money(ctx, id, tree.file);
    tree.push(&id.name, corroborated);
}
