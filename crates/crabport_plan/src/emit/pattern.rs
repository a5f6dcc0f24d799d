//! Route paths in the inventory's syntax (`/users/:id`, `/users/:id?`,
//! `/files/*`) as anchored regexes and as a specificity key.
//!
//! The regexes use only the syntax PCRE (nginx), RE2 (Envoy), Go's regexp
//! (Traefik) and the `regex` crate share: `[^/]`, `(?:…)?`, `.*` and
//! backslash-escaped punctuation.

/// One piece of a path: a literal character, a parameter or a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Lit(char),
    Param { optional: bool },
    Star,
}

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn tokens(path: &str) -> Vec<Token> {
    let chars: Vec<char> = path.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            // A `:` not followed by a name is a literal, as in path-to-regexp.
            ':' if chars.get(i + 1).is_some_and(|&c| is_name(c)) => {
                i += 1;
                while chars.get(i).is_some_and(|&c| is_name(c)) {
                    i += 1;
                }
                let optional = chars.get(i) == Some(&'?');
                i += usize::from(optional);
                out.push(Token::Param { optional });
            }
            '*' => {
                out.push(Token::Star);
                i += 1;
            }
            c => {
                out.push(Token::Lit(c));
                i += 1;
            }
        }
    }
    out
}

/// The literal characters of `path`: all but parameters (with their `?`)
/// and wildcards.
pub(super) fn literal_chars(path: &str) -> impl Iterator<Item = char> {
    tokens(path).into_iter().filter_map(|t| match t {
        Token::Lit(c) => Some(c),
        _ => None,
    })
}

/// No parameter and no wildcard: the path matches only itself.
pub(super) fn is_literal(path: &str) -> bool {
    tokens(path).iter().all(|t| matches!(t, Token::Lit(_)))
}

fn push_escaped(out: &mut String, c: char) {
    if r"\.+*?()|[]{}^$".contains(c) {
        out.push('\\');
    }
    out.push(c);
}

/// `path` as an anchored regex over the request path. `prefix` (express's
/// `use`) also matches everything below it: `/static` matches `/static` and
/// `/static/…`, not `/staticx`.
///
/// An optional parameter takes the `/` or `.` before it along, as
/// path-to-regexp does: `/users/:id?` matches `/users` and `/users/42`.
/// A parameter matches one non-empty segment; `*` matches anything,
/// slashes included (express 4's `(.*)`).
pub(super) fn regex(path: &str, prefix: bool) -> String {
    let mut out = String::from("^");
    for token in tokens(path) {
        match token {
            Token::Lit(c) => push_escaped(&mut out, c),
            Token::Param { optional: false } => out.push_str("[^/]+"),
            Token::Param { optional: true } => {
                // Never the leading slash: `/:id?` still needs `/`.
                let sep = if out.len() > 2 && (out.ends_with('/') || out.ends_with(r"\.")) {
                    let sep = if out.ends_with('/') { "/" } else { r"\." };
                    out.truncate(out.len() - sep.len());
                    sep
                } else {
                    ""
                };
                out.push_str("(?:");
                out.push_str(sep);
                out.push_str("[^/]+)?");
            }
            Token::Star => out.push_str(".*"),
        }
    }
    if prefix {
        out.push_str(if path == "/" { ".*" } else { "(?:/.*)?" });
    }
    out.push('$');
    out
}

// Segment ranks, least specific first. `END` (an exact path stops here)
// outranks what can match nothing (`*`, `:id?`) and is outranked by what
// must match something; `REST` (a prefix's "anything below") is the least.
const REST: u8 = 0;
const WILDCARD: u8 = 1;
const OPTIONAL: u8 = 2;
const END: u8 = 3;
const PARAM: u8 = 4;
const MIXED: u8 = 5;
const LITERAL: u8 = 6;

/// Compared lexicographically, the greater key is the more specific route:
/// at the first segment where two paths differ, a literal beats a literal
/// mixed with parameters, which beats a parameter, which beats a wildcard;
/// an exact path beats a prefix of the same path.
pub(super) fn specificity(path: &str, prefix: bool) -> Vec<u8> {
    let mut key: Vec<u8> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| {
            let tokens = tokens(segment);
            if tokens.contains(&Token::Star) {
                WILDCARD
            } else if tokens.iter().all(|t| matches!(t, Token::Lit(_))) {
                LITERAL
            } else if tokens.len() > 1 {
                MIXED
            } else if tokens[0] == (Token::Param { optional: true }) {
                OPTIONAL
            } else {
                PARAM
            }
        })
        .collect();
    key.push(if prefix { REST } else { END });
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_match_one_segment() {
        assert_eq!(regex("/users/:id", false), "^/users/[^/]+$");
        assert_eq!(
            regex("/a/:b_1/c/:D2", false),
            "^/a/[^/]+/c/[^/]+$",
            "names are [A-Za-z0-9_]"
        );
        assert_eq!(regex("/files/:name.:ext", false), r"^/files/[^/]+\.[^/]+$");
    }

    #[test]
    fn optional_parameters_take_their_separator() {
        assert_eq!(regex("/users/:id?", false), "^/users(?:/[^/]+)?$");
        assert_eq!(
            regex("/files/:name.:ext?", false),
            r"^/files/[^/]+(?:\.[^/]+)?$"
        );
        assert_eq!(
            regex("/:id?", false),
            "^/(?:[^/]+)?$",
            "the root keeps its /"
        );
    }

    #[test]
    fn wildcards_and_prefixes() {
        assert_eq!(regex("/files/*", false), "^/files/.*$");
        assert_eq!(regex("/static", true), "^/static(?:/.*)?$");
        assert_eq!(regex("/", true), "^/.*$");
        assert_eq!(regex("/", false), "^/$");
    }

    #[test]
    fn metacharacters_in_literals_are_escaped() {
        assert_eq!(regex("/v1.0/a+b", false), r"^/v1\.0/a\+b$");
        assert_eq!(regex("/f(x)/$y", false), r"^/f\(x\)/\$y$");
        assert_eq!(regex("/a:/b", false), "^/a:/b$", "a bare colon is literal");
        assert_eq!(regex("/~u/a-b@c", false), "^/~u/a-b@c$");
    }

    #[test]
    fn literal_paths() {
        assert!(is_literal("/users/me"));
        assert!(is_literal("/a:/b"));
        assert!(!is_literal("/users/:id"));
        assert!(!is_literal("/files/*"));
    }

    #[test]
    fn literals_beat_params_beat_wildcards_and_exact_beats_prefix() {
        let key = |p: &str, prefix| specificity(p, prefix);
        assert!(key("/users/me", false) > key("/users/:id", false));
        assert!(key("/users/:id", false) > key("/users/*", false));
        assert!(key("/files/:name.:ext", false) > key("/files/:name", false));
        assert!(key("/static", false) > key("/static", true));
        assert!(key("/static/app.js", false) > key("/static", true));
        assert!(key("/files/*", false) > key("/files", true));
        assert!(key("/users", false) > key("/users/:id?", false));
        assert!(key("/a", true) > key("/", true));
    }
}
