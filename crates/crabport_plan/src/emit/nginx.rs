//! nginx: upstreams, `split_clients` per canary share, one ordered `map`
//! choosing the upstream, one `server` proxying to it.

use std::fmt::Write as _;

use super::{Plan, To, Upstreams, comment};

/// `s` as an nginx double-quoted string. Inside quotes `;`, `{`, `}` and
/// `#` are plain characters; only `"` and `\` need a backslash (nginx turns
/// `\\` into `\`, so a regex's `\.` is written `\\.`).
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', r"\\").replace('"', "\\\""))
}

fn canary_var(p: u8) -> String {
    format!("$crabport_canary_{p}")
}

pub(super) fn render(plan: &Plan<'_>, upstreams: &Upstreams) -> String {
    let mut out = String::new();
    plan.header(&mut out, "nginx, include inside http { }");
    let _ = writeln!(
        out,
        "# Listens on {} (crabport's Upstreams::listen; edit `listen` below to change it).",
        upstreams.listen
    );
    for (name, addr) in [
        ("crabport_node", &upstreams.node),
        ("crabport_rust", &upstreams.rust),
    ] {
        let _ = writeln!(
            out,
            "\nupstream {name} {{\n    server {};\n    keepalive 16;\n}}",
            quote(addr)
        );
    }
    for &p in &plan.canaries {
        // Per request; key on a cookie instead for sticky sessions.
        let _ = writeln!(
            out,
            "\n# canary: {p}% of these requests to rust\nsplit_clients \"${{request_id}}\" {} {{\n    {p}% crabport_rust;\n    * crabport_node;\n}}",
            canary_var(p)
        );
    }
    // nginx tries a map's regexes in the order written: most specific first.
    out.push_str(
        "\n# The first regex matching \"METHOD /path\" picks the upstream.\nmap \"$request_method $uri\" $crabport_upstream {\n    default crabport_node;\n",
    );
    for rule in &plan.rules {
        let methods = rule
            .methods
            .regex()
            .map_or_else(|| "[^ ]+".to_owned(), |m| format!("(?:{m})"));
        let path = rule.regex();
        let key = format!("~^{methods} {}", &path[1..]);
        let value = match rule.to {
            To::Node => "crabport_node".to_owned(),
            To::Rust => "crabport_rust".to_owned(),
            To::Canary(p) => canary_var(p),
        };
        let _ = writeln!(
            out,
            "    # {}\n    {} {value};",
            comment(&rule.note),
            quote(&key)
        );
    }
    out.push_str("}\n");
    let _ = writeln!(
        out,
        r#"
server {{
    listen {};
    location / {{
        # A variable naming an upstream block needs no resolver.
        proxy_pass http://$crabport_upstream;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
    }}
}}"#,
        upstreams.listen
    );
    out
}
