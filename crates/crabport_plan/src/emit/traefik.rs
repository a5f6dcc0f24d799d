//! Traefik: a router per rule with descending priority, a catch-all router
//! to node at priority 1, and a service per upstream and canary share.

use std::fmt::Write as _;

use super::{Plan, To, Upstreams, comment, yaml};

/// `crabport-003-get-users-id`: unique (the index) and readable in the
/// dashboard; only `[a-z0-9-]`, so it needs no quoting.
fn router_name(index: usize, method: &str, path: &str) -> String {
    let mut slug = String::new();
    for c in format!("{method} {path}").chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(60);
    format!("crabport-{index:03}-{}", slug.trim_matches('-'))
}

pub(super) fn render(plan: &Plan<'_>, upstreams: &Upstreams) -> String {
    let mut out = String::new();
    plan.header(&mut out, "Traefik v3 dynamic configuration (file provider)");
    let _ = writeln!(
        out,
        "# The higher priority wins. Serve it on an entry point of the static configuration, e.g. --entryPoints.web.address=:{}",
        upstreams.listen
    );
    out.push_str("http:\n  routers:\n");
    let n = plan.rules.len();
    for (i, rule) in plan.rules.iter().enumerate() {
        // Paths are checked to hold no backtick, so a raw Go string holds them.
        let path = if rule.is_literal() {
            format!("Path(`{}`)", rule.path)
        } else {
            format!("PathRegexp(`{}`)", rule.regex())
        };
        let rule_text = match rule.methods {
            super::Methods::Any => path,
            super::Methods::GetHead => format!("(Method(`GET`) || Method(`HEAD`)) && {path}"),
            super::Methods::One(m) => format!("Method(`{m}`) && {path}"),
        };
        let service = match rule.to {
            To::Node => "crabport-node".to_owned(),
            To::Rust => "crabport-rust".to_owned(),
            To::Canary(p) => format!("crabport-canary-{p}"),
        };
        let method = match rule.methods {
            super::Methods::Any if rule.prefix => "use",
            super::Methods::Any => "all",
            super::Methods::GetHead => "get",
            super::Methods::One(m) => m,
        };
        let _ = writeln!(
            out,
            "    # {}\n    {}:\n      rule: {}\n      priority: {}\n      service: {service}",
            comment(&rule.note),
            router_name(i + 1, method, rule.path),
            yaml(&rule_text),
            n - i + 1
        );
    }
    out.push_str(
        "    # everything else: node\n    crabport-default:\n      rule: \"PathPrefix(`/`)\"\n      priority: 1\n      service: crabport-node\n  services:\n",
    );
    for (name, addr) in [
        ("crabport-node", &upstreams.node),
        ("crabport-rust", &upstreams.rust),
    ] {
        let _ = writeln!(
            out,
            "    {name}:\n      loadBalancer:\n        servers:\n        - url: {}",
            yaml(&format!("http://{addr}"))
        );
    }
    for &p in &plan.canaries {
        let _ = writeln!(
            out,
            "    crabport-canary-{p}:\n      weighted:\n        services:\n        - name: crabport-rust\n          weight: {p}\n        - name: crabport-node\n          weight: {}",
            100 - p
        );
    }
    out
}
