//! Types and errors: values whose type or failure mode JavaScript leaves
//! implicit (nullish juggling, floats for money, exceptions as control flow,
//! prototype inheritance), which Rust makes the port spell out.

pub mod exception_control_flow;
pub mod float_money;
pub mod nullish_juggling;
pub mod prototype_inheritance;

use oxc_ast::AstKind;
use oxc_ast::ast::{BindingPattern, IdentifierReference, TSType};
use oxc_semantic::{NodeId, SymbolId};

use crate::context::FileContext;
use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &float_money::FloatMoney,
    &nullish_juggling::NullishJuggling,
    &exception_control_flow::ExceptionControlFlow,
    &prototype_inheritance::PrototypeInheritance,
];

/// The binding an identifier reference resolves to, if it is declared in this file.
fn symbol_of(ctx: &FileContext<'_, '_>, ident: &IdentifierReference<'_>) -> Option<SymbolId> {
    let reference = ident.reference_id.get()?;
    ctx.semantic.scoping().get_reference(reference).symbol_id()
}

/// The node that declares `symbol` (a `VariableDeclarator`, `FormalParameter`,
/// `Class`, import specifier …).
fn declaration_of(ctx: &FileContext<'_, '_>, symbol: SymbolId) -> NodeId {
    ctx.semantic.scoping().symbol_declaration(symbol)
}

/// The TypeScript type written on the declaration of `symbol`
/// (`let x: T`, `function f(x: T)`), when the binding is a plain identifier.
fn declared_type<'a>(ctx: &FileContext<'_, 'a>, symbol: SymbolId) -> Option<&'a TSType<'a>> {
    match ctx.semantic.nodes().kind(declaration_of(ctx, symbol)) {
        AstKind::VariableDeclarator(d) if matches!(d.id, BindingPattern::BindingIdentifier(_)) => {
            d.type_annotation.as_ref().map(|t| &t.type_annotation)
        }
        AstKind::FormalParameter(p)
            if matches!(p.pattern, BindingPattern::BindingIdentifier(_)) =>
        {
            p.type_annotation.as_ref().map(|t| &t.type_annotation)
        }
        _ => None,
    }
}

/// The words of an identifier, lower-cased: `unitPriceUSD` → `unit price usd`,
/// `TAX_RATE` → `tax rate`, `HTMLParser2` → `html parser`.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = name.chars().collect();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphabetic() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let previous_lower = chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_lowercase());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let previous_upper = chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_uppercase());
            if previous_lower || (previous_upper && next_lower) {
                out.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn words_split_camel_snake_and_acronyms() {
        assert_eq!(words("unitPriceUSD"), ["unit", "price", "usd"]);
        assert_eq!(words("TAX_RATE"), ["tax", "rate"]);
        assert_eq!(words("HTMLParser2x"), ["html", "parser", "x"]);
        assert_eq!(words("subtotal"), ["subtotal"]);
        assert_eq!(words("$price"), ["price"]);
    }
}
