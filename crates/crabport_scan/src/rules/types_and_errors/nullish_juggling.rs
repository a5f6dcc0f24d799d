//! `nullish-juggling`: loose null checks, `|| default` on numbers and strings,
//! long optional chains — each an `Option<T>` to design. Density per file.

use oxc_ast::AstKind;
use oxc_ast::ast::{
    AssignmentOperator, AssignmentTarget, BinaryOperator, ChainElement, Expression,
    LogicalOperator, TSType,
};
use oxc_span::Span;

use crabport_core::finding::{Confidence, Finding, Severity};

use super::{declared_type, symbol_of};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};

pub struct NullishJuggling;

pub static DOC: RuleDoc = RuleDoc {
    code: "nullish-juggling",
    summary: "Files that juggle null and undefined: loose `== null`/`!= null` checks, `|| default` on a value typed \
`number` or `string` (where 0 or '' silently become the default), and optional chains with three or more `?.`; \
reported once per file with the count and density, when there are at least three.",
    why: "JavaScript has two absent values and a falsy zero and empty string, and code papers over the difference \
with `x != null`, `limit || 20` and `a?.b?.c?.d`. Rust has neither null nor truthiness: every one of these is an \
`Option<T>` whose absence must be modelled in the type, and `||` does not even compile on a number or an `Option` \
(E0308). `limit || 20` also treats an explicit 0 as missing; `Option::unwrap_or` does not, so a faithful port has \
to decide which was meant. Long optional chains point at data where almost everything is optional: flatten it or \
validate it once at the boundary (serde with `Option` fields and `#[serde(default)]`) instead of re-checking it at \
every use. The count per file measures how much of that design work a file carries.",
    js_example: r#"export function pageSize(query: { limit?: number }) {
  const limit: number | undefined = query.limit;
  return limit || 20; // an explicit 0 becomes 20
}
export function city(user?: User) {
  return user?.profile?.address?.city ?? "unknown";
}
export function after(cursor: string | null) {
  if (cursor != null) return `after ${cursor}`;
}"#,
    naive_rust: Some(NaivePort {
        code: r#"fn page_size(limit: Option<u32>) -> u32 {
    // JS: `return limit || 20;`
    limit || 20
}

fn main() {
    println!("{}", page_size(Some(0)));
}
"#,
        error: "E0308",
    }),
    idiomatic_rust: r#"#[derive(Debug, Default)]
struct Query {
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug)]
struct Profile {
    address: Option<Address>,
}

#[derive(Debug)]
struct Address {
    city: Option<String>,
}

/// `limit || 20` treated 0 as missing; `Option` says which one was meant.
fn page_size(query: &Query) -> u32 {
    query.limit.unwrap_or(20)
}

/// `profile?.address?.city ?? "unknown"`
fn city(profile: Option<&Profile>) -> &str {
    profile
        .and_then(|p| p.address.as_ref())
        .and_then(|a| a.city.as_deref())
        .unwrap_or("unknown")
}

fn main() {
    println!("{}", page_size(&Query { limit: Some(0), cursor: None }));
    println!("{}", page_size(&Query::default()));
    let query = Query { limit: None, cursor: Some("abc".into()) };
    // `if (query.cursor != null)`
    if let Some(cursor) = &query.cursor {
        println!("after {cursor}");
    }
    let profile = Profile { address: Some(Address { city: None }) };
    println!("{}", city(Some(&profile)));
    println!("{}", city(None));
}
"#,
    idiomatic_output: Some("0\n20\nafter abc\nunknown\nunknown\n"),
};

/// Fewer sites than this in a file are not reported: a stray `!= null` is no porting cost.
const MIN_SITES: usize = 3;

/// Optional links from which a chain counts as long.
const LONG_CHAIN: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    LooseNull,
    OrDefault,
    LongChain,
}

impl Rule for NullishJuggling {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Info
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let mut sites: Vec<(Span, Site)> = Vec::new();
        for node in ctx.semantic.nodes().iter() {
            match node.kind() {
                AstKind::BinaryExpression(b)
                    if matches!(
                        b.operator,
                        BinaryOperator::Equality | BinaryOperator::Inequality
                    ) && (b.left.get_inner_expression().is_null_or_undefined()
                        || b.right.get_inner_expression().is_null_or_undefined()) =>
                {
                    sites.push((b.span, Site::LooseNull));
                }
                AstKind::LogicalExpression(l)
                    if l.operator == LogicalOperator::Or
                        && is_default_literal(&l.right)
                        && number_or_string(ctx, &l.left) =>
                {
                    sites.push((l.span, Site::OrDefault));
                }
                AstKind::AssignmentExpression(a)
                    if a.operator == AssignmentOperator::LogicalOr
                        && is_default_literal(&a.right)
                        && matches!(&a.left, AssignmentTarget::AssignmentTargetIdentifier(id)
                            if identifier_is_number_or_string(ctx, id)) =>
                {
                    sites.push((a.span, Site::OrDefault));
                }
                AstKind::ChainExpression(c) if optional_links(&c.expression) >= LONG_CHAIN => {
                    sites.push((c.span, Site::LongChain));
                }
                _ => {}
            }
        }
        if sites.len() < MIN_SITES {
            return;
        }
        sites.sort_by_key(|(span, _)| span.start);
        let count = |kind: Site| sites.iter().filter(|(_, k)| *k == kind).count();
        let mut parts = Vec::new();
        for (kind, label) in [
            (Site::LooseNull, "loose `== null`/`!= null`"),
            (Site::OrDefault, "`|| default` on a number or string"),
            (Site::LongChain, "optional chains of 3+ `?.`"),
        ] {
            let n = count(kind);
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        let lines_in_file = ctx.source.lines().count().max(1);
        let density = sites.len() as f64 * 1000.0 / lines_in_file as f64;
        let mut lines: Vec<usize> = sites
            .iter()
            .map(|(s, _)| ctx.positions(*s).0.line)
            .collect();
        lines.dedup();
        let shown: Vec<String> = lines.iter().take(8).map(ToString::to_string).collect();
        let more = if lines.len() > shown.len() {
            format!(" and {} more", lines.len() - shown.len())
        } else {
            String::new()
        };
        let first = sites[0].0;
        out.push(finding(
            ctx,
            self,
            first,
            Confidence::High,
            format!(
                "{} null/undefined checks in this file ({density:.1} per 1,000 lines): {}; lines {}{more}",
                sites.len(),
                parts.join(", "),
                shown.join(", "),
            ),
            "each is an `Option<T>` in Rust: `x != null` → `if let Some(x) = x`, `a || d` → `a.unwrap_or(d)` (decide whether 0/'' meant \"missing\"), `a?.b?.c` → `and_then` chains — better, model which fields are really optional once at the boundary (serde `Option` fields, `#[serde(default)]`)".into(),
        ));
    }
}

/// A literal number or string on the right of `||`: a default value. Not `0`
/// or `''`: `n || 0` and `s || ''` give the same result whether 0/'' meant
/// "missing" or not.
fn is_default_literal(expr: &Expression<'_>) -> bool {
    match expr.get_inner_expression() {
        Expression::NumericLiteral(n) => n.value != 0.0,
        Expression::StringLiteral(s) => !s.value.is_empty(),
        Expression::TemplateLiteral(t) => {
            t.expressions.is_empty() && t.quasis.iter().any(|q| !q.value.raw.is_empty())
        }
        _ => false,
    }
}

/// The left of `||` is a binding declared `number` or `string` (possibly `| null | undefined`).
fn number_or_string(ctx: &FileContext<'_, '_>, expr: &Expression<'_>) -> bool {
    match expr.get_inner_expression() {
        Expression::Identifier(id) => identifier_is_number_or_string(ctx, id),
        _ => false,
    }
}

fn identifier_is_number_or_string(
    ctx: &FileContext<'_, '_>,
    id: &oxc_ast::ast::IdentifierReference<'_>,
) -> bool {
    symbol_of(ctx, id)
        .and_then(|symbol| declared_type(ctx, symbol))
        .is_some_and(is_number_or_string_type)
}

/// `number`, `string`, or a union of one of them with `null`/`undefined`.
fn is_number_or_string_type(ty: &TSType<'_>) -> bool {
    match ty {
        TSType::TSNumberKeyword(_) | TSType::TSStringKeyword(_) => true,
        TSType::TSParenthesizedType(p) => is_number_or_string_type(&p.type_annotation),
        TSType::TSUnionType(u) => {
            let mut value = None;
            for t in &u.types {
                match t {
                    TSType::TSNullKeyword(_) | TSType::TSUndefinedKeyword(_) => {}
                    TSType::TSNumberKeyword(_) | TSType::TSStringKeyword(_) if value.is_none() => {
                        value = Some(());
                    }
                    _ => return false,
                }
            }
            value.is_some()
        }
        _ => false,
    }
}

/// The `?.` links in one chain: `a?.b.c?.d()` has 2.
fn optional_links(element: &ChainElement<'_>) -> usize {
    let mut count = 0;
    let mut current: Option<&Expression<'_>> = match element {
        ChainElement::CallExpression(call) => {
            count += usize::from(call.optional);
            Some(&call.callee)
        }
        ChainElement::TSNonNullExpression(e) => Some(&e.expression),
        other => other.as_member_expression().map(|m| {
            count += usize::from(m.optional());
            m.object()
        }),
    };
    while let Some(expr) = current {
        current = match expr {
            Expression::CallExpression(call) => {
                count += usize::from(call.optional);
                Some(&call.callee)
            }
            Expression::TSNonNullExpression(e) => Some(&e.expression),
            Expression::ParenthesizedExpression(_) => None,
            other => other.as_member_expression().map(|m| {
                count += usize::from(m.optional());
                m.object()
            }),
        };
    }
    count
}
