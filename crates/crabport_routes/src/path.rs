//! One syntax for route paths across frameworks.
//!
//! | written | normalised |
//! |---|---|
//! | `:id` (express, koa, fastify, nest) | `:id` |
//! | `{id}` (hapi) | `:id` |
//! | `:id?` (express 4), `{id?}` (hapi), `{/:id}` (express 5) | `:id?` |
//! | `:id(\d+)` | `:id` (the constraint is dropped) |
//! | `*`, `*splat`, `/*path` (express 5), `{p*}`, `{p*2}` (hapi), `(.*)`, `:p*`, `:p+` | `*` |
//! | `/users/` | `/users` (no trailing slash, except `/`) |
//! | `users` | `/users` |

/// `path` in the inventory's syntax.
pub fn normalise(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    let chars: Vec<char> = path.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '{' => {
                let Some(close) = chars[i..].iter().position(|&c| c == '}') else {
                    out.push(c);
                    i += 1;
                    continue;
                };
                let inner: String = chars[i + 1..i + close].iter().collect();
                i += close + 1;
                if inner.contains(':') || inner.contains('*') && inner.starts_with('/') {
                    // express 5 optional group: `{/:id}`, `{.:ext}`, `{/*rest}`.
                    let group = normalise_segment_syntax(&inner);
                    out.push_str(&group);
                    if !group.ends_with('*') {
                        out.push('?');
                    }
                } else if let Some(name) = inner.strip_suffix('?') {
                    out.push(':');
                    out.push_str(name);
                    out.push('?');
                } else if inner.contains('*') {
                    out.push('*');
                } else {
                    out.push(':');
                    out.push_str(&inner);
                }
            }
            _ => {
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == '{')
                    .map_or(chars.len(), |p| i + p);
                let plain: String = chars[i..end].iter().collect();
                out.push_str(&normalise_segment_syntax(&plain));
                i = end;
            }
        }
    }
    tidy(&out)
}

/// `:name(regex)` → `:name`, `:name*`/`:name+`/`*name`/`(.*)` → `*`.
fn normalise_segment_syntax(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            ':' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '$')
                {
                    j += 1;
                }
                let name: String = chars[start..j].iter().collect();
                if j < chars.len() && chars[j] == '(' {
                    j = skip_group(&chars, j);
                }
                if j < chars.len() && (chars[j] == '*' || chars[j] == '+') {
                    out.push('*');
                    j += 1;
                } else {
                    out.push(':');
                    out.push_str(&name);
                    if j < chars.len() && chars[j] == '?' {
                        out.push('?');
                        j += 1;
                    }
                }
                i = j;
            }
            '*' => {
                out.push('*');
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
            '(' => {
                let j = skip_group(&chars, i);
                let group: String = chars[i..j].iter().collect();
                if group == "(.*)" || group == "(.+)" || group == "(*)" {
                    out.push('*');
                } else {
                    out.push_str(&group);
                }
                i = j;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The index after the `)` that closes the `(` at `open`.
fn skip_group(chars: &[char], open: usize) -> usize {
    let mut depth = 0usize;
    let mut j = open;
    while j < chars.len() {
        match chars[j] {
            '\\' => j += 1,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    chars.len()
}

/// Leading slash, no doubled slashes, no trailing slash.
fn tidy(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(part);
    }
    out
}

/// `prefix` then `path`, both normalised: `/api` + `/` → `/api`.
pub fn join(prefix: &str, path: &str) -> String {
    let prefix = normalise(prefix);
    let path = normalise(path);
    match (prefix.as_str(), path.as_str()) {
        ("/", p) => p.to_owned(),
        (p, "/") => p.to_owned(),
        (p, q) => format!("{p}{q}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_one_syntax() {
        assert_eq!(normalise("/users/:id"), "/users/:id");
        assert_eq!(normalise("/users/{id}"), "/users/:id");
        assert_eq!(normalise("/users/{id?}"), "/users/:id?");
        assert_eq!(normalise("/users/:id?"), "/users/:id?");
        assert_eq!(normalise("/users{/:id}"), "/users/:id?");
        assert_eq!(normalise(r"/users/:id(\d+)"), "/users/:id");
        assert_eq!(normalise("/files/:name.:ext"), "/files/:name.:ext");
    }

    #[test]
    fn wildcards_are_a_star() {
        for written in [
            "/files/*",
            "/files/*splat",
            "/files/{p*}",
            "/files/{p*2}",
            "/files/(.*)",
            "/files/:path*",
            "/files/:path+",
            "/files{/*rest}",
        ] {
            assert_eq!(normalise(written), "/files/*", "{written}");
        }
    }

    #[test]
    fn slashes_are_tidied() {
        assert_eq!(normalise(""), "/");
        assert_eq!(normalise("/"), "/");
        assert_eq!(normalise("users/"), "/users");
        assert_eq!(normalise("//a///b/"), "/a/b");
    }

    #[test]
    fn joins_like_the_frameworks() {
        assert_eq!(join("/api", "/"), "/api");
        assert_eq!(join("/api/", "/users"), "/api/users");
        assert_eq!(join("", "/users"), "/users");
        assert_eq!(join("/", "/"), "/");
        assert_eq!(join("api", "users/:id"), "/api/users/:id");
    }
}
