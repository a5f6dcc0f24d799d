//! Helpers every rule group uses: one place, one behaviour.

use oxc_ast::ast::{CallExpression, Expression};

/// `text` on one line (whitespace runs become one space), cut to `max`
/// characters with an ellipsis. Reads only as far as it shows: arguments can
/// be whole function bodies.
pub fn short(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in text.split_whitespace() {
        if count > 0 {
            if count == max {
                out.push('…');
                return out;
            }
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count == max {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

/// `a`, `a and b`, `a, b and c`, at most five then "and N more".
pub fn list(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(5).map(String::as_str).collect();
    let more = items.len().saturating_sub(shown.len());
    match (shown.as_slice(), more) {
        ([only], 0) => (*only).to_owned(),
        (all, 0) => {
            let (last, rest) = all.split_last().map_or(("", &[][..]), |(l, r)| (*l, r));
            format!("{} and {last}", rest.join(", "))
        }
        (all, more) => format!("{} and {more} more", all.join(", ")),
    }
}

/// `receiver.method` when `call`'s callee is a static member access
/// (parentheses and TS-only wrappers looked through).
pub fn method_call<'b, 'a>(call: &'b CallExpression<'a>) -> Option<(&'b Expression<'a>, &'a str)> {
    match call.callee.get_inner_expression() {
        Expression::StaticMemberExpression(m) => Some((&m.object, m.property.name.as_str())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{list, short};

    #[test]
    fn short_flattens_and_cuts() {
        assert_eq!(short("a  b\n c", 10), "a b c");
        assert_eq!(short("abcdef", 3), "abc…");
        assert_eq!(short("ab cd", 2), "ab…");
        assert_eq!(short("ab cd", 5), "ab cd");
        assert_eq!(short("", 5), "");
    }

    #[test]
    fn list_joins_and_caps() {
        let items = |n: usize| (1..=n).map(|i| format!("f{i}")).collect::<Vec<_>>();
        assert_eq!(list(&items(1)), "f1");
        assert_eq!(list(&items(2)), "f1 and f2");
        assert_eq!(list(&items(3)), "f1, f2 and f3");
        assert_eq!(list(&items(7)), "f1, f2, f3, f4, f5 and 2 more");
    }
}
