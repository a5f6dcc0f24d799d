//! Optional hints from the npm registry for packages the knowledge base
//! does not know (`--npm-hints`): does the published package.json show a
//! native addon, a front-end package, or a deprecation? Never a verdict.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::audit::NATIVE_BUILD_HELPERS;

/// What a package's published metadata suggests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NpmFacts {
    pub native: Option<String>,
    pub browser: Option<String>,
    pub deprecated: Option<String>,
    /// The published `keywords`, lower-cased (at most [`MAX_KEYWORDS`]).
    pub keywords: Vec<String>,
}

/// Keyword lists are author-written and sometimes long; the first ones matter.
const MAX_KEYWORDS: usize = 20;

const FRONT_END_PEERS: &[&str] = &[
    "react",
    "react-dom",
    "vue",
    "@angular/core",
    "svelte",
    "preact",
    "solid-js",
    "react-native",
];

/// The registry to ask: `npm_config_registry`, the project's `.npmrc`, the
/// user's `~/.npmrc`, else the public registry.
pub fn registry_url(project_root: &Path) -> String {
    let from_env = ["npm_config_registry", "NPM_CONFIG_REGISTRY"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
    let from_npmrc = || {
        let home = std::env::var_os("HOME").map(|h| Path::new(&h).join(".npmrc"));
        [Some(project_root.join(".npmrc")), home]
            .into_iter()
            .flatten()
            .find_map(|path| npmrc_registry(&std::fs::read_to_string(path).ok()?))
    };
    let url = from_env
        .or_else(from_npmrc)
        .unwrap_or_else(|| "https://registry.npmjs.org/".to_owned());
    if url.ends_with('/') {
        url
    } else {
        format!("{url}/")
    }
}

/// `registry=https://…` from an `.npmrc` (scoped registries are not followed).
fn npmrc_registry(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with(['#', ';']))
        .find_map(|l| {
            let (key, value) = l.split_once('=')?;
            (key.trim() == "registry").then(|| value.trim().trim_matches('"').to_owned())
        })
}

/// Reads the published package.json of each `(name, version)` (`latest`
/// when the version is unknown). A failure is a message for that package.
pub fn fetch_all(
    registry: &str,
    packages: &[(String, Option<String>)],
    timeout: Duration,
    concurrency: usize,
) -> HashMap<String, Result<NpmFacts, String>> {
    let agent = crate::net::agent(timeout, concurrency);
    let results = crate::net::parallel_map(packages, concurrency, &|(name, version)| {
        let path = name.replacen('/', "%2f", 1);
        let url = format!(
            "{registry}{path}/{}",
            version.as_deref().unwrap_or("latest")
        );
        let response = agent.get(&url).call().map_err(|e| format!("{url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let text = response
            .into_body()
            .with_config()
            .limit(8 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| format!("{url}: {e}"))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{url}: {e}"))?;
        Ok(facts(&doc))
    });
    packages
        .iter()
        .zip(results)
        .map(|((name, _), r)| (name.clone(), r.unwrap_or_else(|| Err("not fetched".into()))))
        .collect()
}

/// Reads the signals out of one published package.json.
pub fn facts(doc: &Value) -> NpmFacts {
    let mut facts = NpmFacts::default();
    let keys = |field: &str| -> Vec<String> {
        doc.get(field)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let deps: Vec<String> = [keys("dependencies"), keys("optionalDependencies")].concat();
    if doc.get("gypfile").and_then(Value::as_bool) == Some(true) {
        facts.native = Some("its published package.json has gypfile: true (node-gyp build)".into());
    } else if let Some(helper) = deps
        .iter()
        .find(|d| NATIVE_BUILD_HELPERS.contains(&d.as_str()))
    {
        facts.native = Some(format!(
            "it depends on {helper}, a native-addon build helper"
        ));
    } else if let Some(script) = ["install", "preinstall", "postinstall"]
        .iter()
        .find_map(|s| {
            let cmd = doc.get("scripts")?.get(s)?.as_str()?;
            ["node-gyp", "prebuild", "node-pre-gyp", "cmake-js"]
                .iter()
                .any(|tool| cmd.contains(tool))
                .then(|| format!("its {s} script runs `{cmd}`"))
        })
    {
        facts.native = Some(script);
    }
    let peers = keys("peerDependencies");
    if let Some(peer) = peers.iter().find(|p| FRONT_END_PEERS.contains(&p.as_str())) {
        facts.browser = Some(format!("it peer-depends on {peer}: a front-end package"));
    }
    if let Some(message) = doc.get("deprecated").and_then(Value::as_str) {
        facts.deprecated = Some(message.to_owned());
    }
    if let Some(keywords) = doc.get("keywords").and_then(Value::as_array) {
        for k in keywords.iter().filter_map(Value::as_str) {
            let k = k.trim().to_ascii_lowercase();
            if !k.is_empty() && !facts.keywords.contains(&k) && facts.keywords.len() < MAX_KEYWORDS
            {
                facts.keywords.push(k);
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_from_published_metadata() {
        let native = facts(&serde_json::json!({"gypfile": true}));
        assert!(native.native.unwrap().contains("gypfile"));
        let helper = facts(&serde_json::json!({"dependencies": {"node-gyp-build": "^4"}}));
        assert!(helper.native.unwrap().contains("node-gyp-build"));
        let script = facts(
            &serde_json::json!({"scripts": {"install": "prebuild-install || node-gyp rebuild"}}),
        );
        assert!(script.native.unwrap().contains("install script"));
        let ui = facts(
            &serde_json::json!({"peerDependencies": {"react": "^18"}, "deprecated": "use x"}),
        );
        assert!(ui.browser.unwrap().contains("react"));
        assert_eq!(ui.deprecated.as_deref(), Some("use x"));
        let tagged = facts(&serde_json::json!({"keywords": ["Redis", " cache ", "redis", 3]}));
        assert_eq!(tagged.keywords, ["redis", "cache"]);
        assert_eq!(
            facts(&serde_json::json!({"name": "plain"})),
            NpmFacts::default()
        );
    }

    #[test]
    fn npmrc_registry_line() {
        assert_eq!(
            npmrc_registry(
                "; comment\n@acme:registry=https://x\nregistry = https://npm.acme.test/\n"
            ),
            Some("https://npm.acme.test/".into())
        );
        assert_eq!(npmrc_registry("always-auth=true\n"), None);
    }
}
