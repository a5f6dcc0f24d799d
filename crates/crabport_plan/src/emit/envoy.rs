//! Envoy: one listener whose route list is tried in order, two clusters.

use std::fmt::Write as _;

use super::{Plan, To, Upstreams, comment, host_port, yaml};

const HCM: &str = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const ROUTER: &str = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";

pub(super) fn render(plan: &Plan<'_>, upstreams: &Upstreams) -> String {
    let mut out = String::new();
    plan.header(&mut out, "Envoy v3 static bootstrap");
    out.push_str("# Routes are tried in order and the first match wins.\n");
    let _ = write!(
        out,
        r#"static_resources:
  listeners:
  - name: crabport
    address:
      socket_address:
        address: 0.0.0.0
        port_value: {}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": {HCM}
          stat_prefix: crabport
          codec_type: AUTO
          # Match /a//b and /a/./b as /a/b, as nginx does.
          normalize_path: true
          merge_slashes: true
          route_config:
            name: crabport
            virtual_hosts:
            - name: crabport
              domains: ["*"]
              routes:
"#,
        upstreams.listen
    );
    let pad = " ".repeat(14);
    for rule in &plan.rules {
        let _ = writeln!(out, "{pad}# {}", comment(&rule.note));
        let _ = writeln!(out, "{pad}- name: {}", yaml(&rule.note));
        let _ = writeln!(out, "{pad}  match:");
        if rule.is_literal() {
            let _ = writeln!(out, "{pad}    path: {}", yaml(rule.path));
        } else if rule.prefix && rule.path == "/" {
            let _ = writeln!(out, "{pad}    prefix: \"/\"");
        } else if rule.prefix && super::pattern::is_literal(rule.path) {
            // `/static` and `/static/…`, not `/staticx`.
            let _ = writeln!(out, "{pad}    path_separated_prefix: {}", yaml(rule.path));
        } else {
            let _ = writeln!(
                out,
                "{pad}    safe_regex:\n{pad}      regex: {}",
                yaml(&rule.regex())
            );
        }
        if let Some(methods) = rule.methods.regex() {
            // StringMatcher regexes match the whole value.
            let _ = writeln!(
                out,
                "{pad}    headers:\n{pad}    - name: \":method\"\n{pad}      string_match:\n{pad}        safe_regex:\n{pad}          regex: {}",
                yaml(&methods)
            );
        }
        let _ = writeln!(out, "{pad}  route:");
        match rule.to {
            To::Node => {
                let _ = writeln!(out, "{pad}    cluster: crabport_node");
            }
            To::Rust => {
                let _ = writeln!(out, "{pad}    cluster: crabport_rust");
            }
            To::Canary(p) => {
                let _ = writeln!(
                    out,
                    "{pad}    weighted_clusters:\n{pad}      clusters:\n{pad}      - name: crabport_rust\n{pad}        weight: {p}\n{pad}      - name: crabport_node\n{pad}        weight: {}",
                    100 - p
                );
            }
        }
    }
    let _ = write!(
        out,
        r#"{pad}# everything else: node
{pad}- name: "default -> node"
{pad}  match:
{pad}    prefix: "/"
{pad}  route:
{pad}    cluster: crabport_node
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": {ROUTER}
  clusters:
"#
    );
    for (name, addr) in [
        ("crabport_node", &upstreams.node),
        ("crabport_rust", &upstreams.rust),
    ] {
        let (host, port) = host_port(addr);
        let _ = write!(
            out,
            r#"  - name: {name}
    type: STRICT_DNS
    connect_timeout: 5s
    load_assignment:
      cluster_name: {name}
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address:
                address: {}
                port_value: {port}
"#,
            yaml(host)
        );
    }
    out
}
