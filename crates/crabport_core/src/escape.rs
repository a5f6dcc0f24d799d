//! Escaping for untrusted text (names and notes from scanned repositories)
//! in every output format.

use std::borrow::Cow;

/// For terminals: control characters (including ESC, so no injected colours
/// or cursor movement) are shown as `\u{..}` escapes.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// For a Markdown table cell or inline text: no HTML, no table breaks, no
/// links or emphasis smuggled in from a package name.
pub fn markdown(text: &str) -> Cow<'_, str> {
    const SPECIAL: &[char] = &[
        '\\', '`', '*', '_', '{', '}', '[', ']', '<', '>', '(', ')', '#', '+', '!', '|', '~', '&',
    ];
    if !text.contains(SPECIAL) && !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c if SPECIAL.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// For a TOML comment line: one line, no control characters.
pub fn toml_comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// For HTML text and attribute values (control characters dropped).
pub fn html(text: &str) -> Cow<'_, str> {
    if !text.contains(['<', '>', '&', '"', '\'']) && !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_neutralises_escape_sequences() {
        assert_eq!(terminal("evil\x1b[2Jpkg"), "evil\\u{1b}[2Jpkg");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_cannot_break_a_table_or_inject_html() {
        assert_eq!(markdown("a|b<script>"), "a\\|b&lt;script&gt;");
        assert_eq!(markdown("@types/*"), "@types/\\*");
        assert_eq!(markdown("line\nbreak"), "line break");
    }

    #[test]
    fn toml_comment_stays_on_one_line() {
        assert_eq!(toml_comment("a\nb"), "a b");
    }

    #[test]
    fn html_escapes_quotes() {
        assert_eq!(html("<a href=\"x\">'"), "&lt;a href=&quot;x&quot;&gt;&#39;");
        assert_eq!(html("evil\x1b[2J"), "evil[2J");
    }
}
