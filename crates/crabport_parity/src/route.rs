//! Which route a request belongs to: the most specific entry of
//! `crabport.routes.toml` that matches, else a template inferred from the
//! path (`/users/7` → `/users/:id`), so no request goes unreported.

/// One `:name`, `*` or literal segment of a route table path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
    /// `*` or `*name` at the end: any rest, also none.
    Rest,
}

#[derive(Debug, Clone)]
struct Entry {
    method: String,
    segments: Vec<Segment>,
    /// As the table writes it, for the report.
    display: String,
}

/// Maps requests to routes. Built once per run.
#[derive(Debug, Clone, Default)]
pub struct RouteMatcher {
    entries: Vec<Entry>,
}

impl RouteMatcher {
    /// From the route table's (method, path) pairs; paths use `:param`,
    /// `*` and `*name`; method `ALL` is any method, `USE` any method and a
    /// path prefix (a mounted router).
    pub fn from_table(entries: impl IntoIterator<Item = (String, String)>) -> Self {
        let entries = entries
            .into_iter()
            .map(|(method, path)| {
                let method = method.to_ascii_uppercase();
                let mut segments: Vec<Segment> = split(&path)
                    .map(|s| {
                        if s.starts_with(':') {
                            Segment::Param
                        } else if s.starts_with('*') {
                            Segment::Rest
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                if method == "USE" && segments.last() != Some(&Segment::Rest) {
                    segments.push(Segment::Rest);
                }
                Entry {
                    display: format!("{method} {path}"),
                    method,
                    segments,
                }
            })
            .collect();
        Self { entries }
    }

    /// No table: every route is inferred from the request's path.
    pub fn inferred() -> Self {
        Self::default()
    }

    /// `GET /users/:id` for `GET /users/7?x=1`.
    pub fn route_of(&self, method: &str, target: &str) -> String {
        let path = target.split(['?', '#']).next().unwrap_or("");
        let segments: Vec<&str> = split(path).collect();
        let best = self
            .entries
            .iter()
            .filter_map(|e| specificity(e, method, &segments).map(|rank| (rank, e)))
            .max_by(|a, b| a.0.cmp(&b.0));
        match best {
            Some((_, entry)) => entry.display.clone(),
            None => format!("{} {}", method.to_ascii_uppercase(), infer(&segments)),
        }
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    // `/users/` and `/users` are one route (Express's default); empty
    // segments inside the path are kept so `//users` stays distinct.
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    path.split('/').filter(move |_| !path.is_empty())
}

/// How well `entry` matches, higher is more specific: literal segments
/// first, then parameters, then an exact method over `ALL`/`USE`; `None`
/// when it does not match.
fn specificity(entry: &Entry, method: &str, segments: &[&str]) -> Option<(usize, usize, u8)> {
    let method_rank = if entry.method.eq_ignore_ascii_case(method) {
        2
    } else if entry.method == "GET" && method.eq_ignore_ascii_case("HEAD") {
        // HEAD is answered by GET handlers in every framework crabport reads.
        1
    } else if entry.method == "ALL" || entry.method == "USE" {
        0
    } else {
        return None;
    };
    let (mut literals, mut params) = (0, 0);
    for (i, segment) in entry.segments.iter().enumerate() {
        match segment {
            Segment::Rest => return Some((literals, params, method_rank)),
            Segment::Param => {
                segments.get(i).filter(|s| !s.is_empty())?;
                params += 1;
            }
            Segment::Literal(l) => {
                if segments.get(i)? != l {
                    return None;
                }
                literals += 1;
            }
        }
    }
    (segments.len() == entry.segments.len()).then_some((literals, params, method_rank))
}

/// The path with identifier-like segments as `:id`, `:id2`, ….
fn infer(segments: &[&str]) -> String {
    if segments.is_empty() {
        return "/".to_owned();
    }
    let mut params = 0;
    let mut out = String::new();
    for s in segments {
        out.push('/');
        if looks_like_value(s) {
            params += 1;
            out.push_str(":id");
            if params > 1 {
                out.push_str(&params.to_string());
            }
        } else {
            out.push_str(s);
        }
    }
    out
}

fn looks_like_value(segment: &str) -> bool {
    let s = segment;
    if s.is_empty() {
        return false;
    }
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let hex = s.bytes().all(|b| b.is_ascii_hexdigit());
    let uuid = s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        });
    let token = s.len() >= 16
        && digits > 0
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    digits == s.len()
        || uuid
        || (hex && s.len() >= 8 && digits > 0)
        || token
        || s.contains('@')
        || s.contains('%')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(&str, &str)]) -> RouteMatcher {
        RouteMatcher::from_table(
            entries
                .iter()
                .map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
        )
    }

    #[test]
    fn infers_identifier_segments() {
        let m = RouteMatcher::inferred();
        assert_eq!(m.route_of("get", "/users/7?x=1"), "GET /users/:id");
        assert_eq!(m.route_of("GET", "/users/"), "GET /users");
        assert_eq!(m.route_of("GET", "/"), "GET /");
        assert_eq!(
            m.route_of("GET", "/orgs/3f2b9c1e-8d4a-4b6f-9a1e-2c3d4e5f6a7b/users/42"),
            "GET /orgs/:id/users/:id2"
        );
        assert_eq!(
            m.route_of("GET", "/o/507f1f77bcf86cd799439011"),
            "GET /o/:id"
        );
        assert_eq!(m.route_of("GET", "/u/a%40b.co"), "GET /u/:id");
        assert_eq!(m.route_of("GET", "/s/V1StGXR8Z5jdHi6B"), "GET /s/:id");
        assert_eq!(m.route_of("GET", "/health"), "GET /health");
        assert_eq!(m.route_of("GET", "/api/v2/cafe"), "GET /api/v2/cafe");
        assert_eq!(m.route_of("GET", "//users"), "GET //users");
    }

    #[test]
    fn the_most_specific_table_entry_wins() {
        let m = table(&[
            ("GET", "/users/:id"),
            ("GET", "/users/me"),
            ("ALL", "/users/:id"),
            ("USE", "/admin"),
            ("GET", "/files/*path"),
        ]);
        assert_eq!(m.route_of("GET", "/users/me"), "GET /users/me");
        assert_eq!(m.route_of("GET", "/users/7"), "GET /users/:id");
        assert_eq!(m.route_of("HEAD", "/users/7"), "GET /users/:id");
        assert_eq!(m.route_of("DELETE", "/users/7"), "ALL /users/:id");
        assert_eq!(m.route_of("POST", "/admin/x/y"), "USE /admin");
        assert_eq!(m.route_of("GET", "/admin"), "USE /admin");
        assert_eq!(m.route_of("GET", "/files/a/b.txt"), "GET /files/*path");
        // Not in the table: inferred, never dropped.
        assert_eq!(m.route_of("GET", "/orders/12"), "GET /orders/:id");
        assert_eq!(m.route_of("GET", "/users/"), "GET /users");
    }
}
