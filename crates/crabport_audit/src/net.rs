//! The HTTP client shared by the registry clients.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// An agent with `pool` kept-alive connections per host, the OS trust store
/// and a per-run DNS cache.
pub fn agent(timeout: Duration, pool: usize) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        // One kept-alive connection per worker: re-connecting means a DNS
        // lookup and a TLS handshake per request.
        .max_idle_connections(pool.max(1))
        .max_idle_connections_per_host(pool.max(1))
        .user_agent(concat!("crabport/", env!("CARGO_PKG_VERSION")))
        // The OS trust store (and SSL_CERT_FILE): companies put TLS-inspecting
        // proxies and internal mirrors in front of registries.
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .build();
    ureq::Agent::with_parts(config, DefaultConnector::new(), CachingResolver::default())
}

/// Resolves each host once per run. ureq resolves on every request, even
/// over a pooled connection; with hundreds of crates that is hundreds of DNS
/// queries, which slow resolvers throttle.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<HashMap<String, ResolvedSocketAddrs>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{:?}://{:?}",
            uri.scheme_str(),
            uri.authority().map(|a| a.as_str())
        );
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, addrs.clone());
        }
        Ok(addrs)
    }
}

/// Runs `work` over `items`, `concurrency` at a time, results in input order.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    concurrency: usize,
    work: &(dyn Fn(&T) -> R + Sync),
) -> Vec<Option<R>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let workers = concurrency.clamp(1, 64).min(items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = work(item);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|slot| slot.into_inner().ok().flatten())
        .collect()
}
