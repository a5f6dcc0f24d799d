//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// A flag's help with its default, taken from where the default is defined
/// (flags that are unset fall back to crabport.toml, then to it).
fn with_default(help: &str, default: impl std::fmt::Display) -> String {
    format!("{help} [default: {default}]")
}

/// Decide, plan and verify a Node.js/TypeScript → Rust migration, honestly.
#[derive(Debug, Parser)]
#[command(name = "crabport", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// When to colour the output (NO_COLOR is respected in `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// No progress bars or notes on stderr; the report still goes to stdout.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Map every production npm dependency to a maintained crate, or to a stays-in-Node decision.
    Audit(AuditArgs),
    /// Find the TypeScript/JavaScript that will fight the borrow checker, with the Rust that replaces it.
    Scan(ScanArgs),
    /// Decide per service: migrate-now, migrate-later or do-not-migrate, from measured evidence.
    Assess(AssessArgs),
    /// Plan the strangler-fig migration route by route: which route moves to Rust first, and why.
    Plan(PlanArgs),
    /// Benchmark a Node service against its Rust port side by side, with honest statistics.
    Bench(Box<BenchArgs>),
    /// Replay requests against the Node service and its port and compare the answers, noise subtracted, route by route.
    Parity(Box<ParityArgs>),
    /// Serve as a strangler-fig reverse proxy: each route to Node or Rust as crabport.routes.toml says, with shadow comparison and fallback.
    Proxy(Box<ProxyArgs>),
    /// Move one hot function into a napi-rs addon inside the Node service: a crate whose binding is derived from the TypeScript types, and a loader that falls back to the JS.
    Extract(Box<ExtractArgs>),
    /// Print the documentation of a scan rule, status, gap kind, crate state or finding code.
    Explain(ExplainArgs),
    /// Maintain the npm → crate knowledge base.
    #[command(subcommand)]
    Kb(KbCommand),
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Check every crate and feature the knowledge base names against the crates.io index: stale, missing or missing a feature, with file:line.
    Check(KbCheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct KbCheckArgs {
    /// Check the `*.toml` files of this directory instead of the knowledge base built into crabport.
    #[arg(long, value_name = "DIR")]
    pub knowledge: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = KbFormat::Terminal)]
    pub format: KbFormat,

    #[command(flatten)]
    pub index: IndexArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KbFormat {
    Terminal,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Terminal,
    Json,
    Markdown,
}

/// What `--fail-on` can fail on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// A production dependency with no maintained Rust equivalent.
    Gap,
    /// A production dependency the knowledge base does not know.
    Unknown,
    /// A recommended crate that is stale, missing, lacks a feature or could not be resolved.
    CrateProblem,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The Node.js project (directory with package.json).
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Terminal)]
    pub format: OutputFormat,

    /// Print only a `[dependencies]` block for Cargo.toml with resolved versions and features.
    #[arg(long, conflicts_with = "format")]
    pub cargo_toml: bool,

    /// Also audit devDependencies (listed separately).
    #[arg(long)]
    pub include_dev: bool,

    /// Exit with 1 when such dependencies exist (comma-separated or repeated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub fail_on: Vec<FailOn>,

    /// Ask the npm registry about unknown packages (native addon? front end? deprecated?) for unverified hints.
    #[arg(long)]
    pub npm_hints: bool,

    #[command(flatten)]
    pub index: IndexArgs,
}

#[derive(Debug, clap::Args)]
pub struct AssessArgs {
    /// The project root: crabport.toml's `[[service]]` entries, else each workspace package (or the root package).
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Terminal)]
    pub format: OutputFormat,

    /// Assess only this service (repeatable).
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,

    #[command(flatten)]
    pub index: IndexArgs,
}

/// Router configuration `plan --emit` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmitFormat {
    Nginx,
    Envoy,
    Traefik,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The project root (crabport.toml's `[[service]]` entries, else the workspace packages).
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Plan this service (needed when the project has several).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Terminal)]
    pub format: OutputFormat,

    /// Also write a self-contained HTML report with the route map.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Write crabport.routes.toml in the service's directory: new routes as `node`, states kept, waves updated.
    #[arg(long, conflicts_with_all = ["check", "emit"])]
    pub write: bool,

    /// Exit with 1 when the code has drifted from crabport.routes.toml (a route nobody placed, one gone, a `parity`-or-later route whose handler changed).
    #[arg(long, conflicts_with = "emit")]
    pub check: bool,

    /// Print crabport.routes.toml as router configuration instead of the plan.
    #[arg(long, value_enum, value_name = "ROUTER")]
    pub emit: Option<EmitFormat>,

    /// Where the router reaches the Node service (`--emit`).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:3000")]
    pub node_upstream: String,

    /// Where the router reaches the Rust service (`--emit`).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8000")]
    pub rust_upstream: String,

    /// The port the emitted router listens on (`--emit`).
    #[arg(long, value_name = "PORT", default_value_t = crabport_plan::emit::DEFAULT_LISTEN)]
    pub listen: u16,

    #[command(flatten)]
    pub index: IndexArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    Terminal,
    Json,
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The project whose crabport.toml has a [bench] section (flags win over it).
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// The service as it is: a command to start (`{port}` is replaced, PORT is set) or the URL of a running service.
    #[arg(long, value_name = "COMMAND|URL")]
    pub baseline: Option<String>,

    /// The port: a command or a URL, as for --baseline.
    #[arg(long, value_name = "COMMAND|URL")]
    pub candidate: Option<String>,

    /// A TOML request file: [[request]] method, path, headers, body or json, weight.
    #[arg(long, value_name = "FILE", conflicts_with = "url")]
    pub requests: Option<PathBuf>,

    /// Load one URL path (e.g. http://127.0.0.1:3000/users or /users) instead of a request file.
    #[arg(long)]
    pub url: Option<String>,

    #[arg(long, short = 'c', value_name = "N", help = with_default(
        "Connections kept open (closed loop: as fast as possible over them)",
        crate::config::bench_defaults::CONNECTIONS,
    ))]
    pub connections: Option<usize>,

    /// Open loop at a constant rate (requests/s) with coordinated-omission correction.
    #[arg(long, value_name = "REQ/S")]
    pub rate: Option<f64>,

    /// Raise the rate step by step and report each target's highest rate with p99 within this limit (ms).
    #[arg(long, value_name = "P99_MS", num_args = 0..=1, default_missing_value = "50")]
    pub sweep: Option<f64>,

    #[arg(long, value_name = "N", help = with_default(
        "Measured rounds per target, alternating baseline and candidate",
        crate::config::bench_defaults::ROUNDS,
    ))]
    pub rounds: Option<usize>,

    #[arg(long, value_name = "DURATION", help = with_default(
        "Length of each round (e.g. 10s)",
        format!("{}s", crate::config::bench_defaults::ROUND_SECONDS),
    ))]
    pub duration: Option<String>,

    #[arg(long, value_name = "DURATION", help = with_default(
        "Warm-up per target before the rounds (Node's JIT needs it)",
        format!("{}s", crate::config::bench_defaults::WARMUP_SECONDS),
    ))]
    pub warmup: Option<String>,

    #[arg(long, value_name = "FRACTION", help = with_default(
        "Ratios within 1 ± this are reported as no significant difference",
        crate::config::bench_defaults::NOISE,
    ))]
    pub noise: Option<f64>,

    /// Check a measurable goal on the candidate (p99<50ms, rps>5000, rss<256MB, cpu<40ms); exit 1 when missed.
    #[arg(long, value_name = "EXPR")]
    pub goal: Option<String>,

    #[arg(long, value_name = "DURATION", help = with_default(
        "How long a started target may take to answer",
        format!("{}s", crate::config::bench_defaults::READY_TIMEOUT_SECONDS),
    ))]
    pub ready_timeout: Option<String>,

    #[arg(long, value_name = "DURATION", help = with_default(
        "A request with no complete response after this long is a timeout error",
        format!("{}s", crabport_http::load::RunOptions::DEFAULT_TIMEOUT.as_secs()),
    ))]
    pub timeout: Option<String>,

    #[arg(long, value_name = "SIZE", help = with_default(
        "Longer response bodies are body-too-large errors (e.g. 64MiB)",
        format!("{}MiB", crabport_http::load::RunOptions::DEFAULT_MAX_BODY >> 20),
    ))]
    pub max_body: Option<String>,

    /// Do not run the [bench.build] steps before starting the targets.
    #[arg(long)]
    pub no_build: bool,

    /// Allow URL targets that are not on this machine.
    #[arg(long)]
    pub allow_remote: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = BenchFormat::Terminal)]
    pub format: BenchFormat,

    /// Also write a self-contained HTML report with latency plots.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ParityArgs {
    /// The project whose crabport.toml has a [parity] (or [bench]) section; flags win over it.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// The service as it is: a command to start (`{port}` is replaced, PORT is set) or the URL of a running service.
    #[arg(long, value_name = "COMMAND|URL")]
    pub baseline: Option<String>,

    /// The port: a command or a URL, as for --baseline.
    #[arg(long, value_name = "COMMAND|URL")]
    pub candidate: Option<String>,

    /// A second baseline instance; what differs between the two baselines is noise [default: the baseline command, started again].
    #[arg(long, value_name = "COMMAND|URL", conflicts_with = "no_secondary")]
    pub secondary: Option<String>,

    /// No second baseline: nothing is subtracted as noise.
    #[arg(long)]
    pub no_secondary: bool,

    /// Requests to replay, in order: a bench request file (TOML), a HAR file or a `crabport proxy --record` recording (JSONL). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub requests: Vec<PathBuf>,

    /// A HAR file (browser devtools export) to replay; the same as --requests for a .har file. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub har: Vec<PathBuf>,

    #[arg(long, value_name = "PERCENT", help = with_default(
        "Exit 1 when a route's parity (identical or noise-only answers) is under this",
        crate::config::parity_defaults::MIN_PARITY_PERCENT,
    ))]
    pub min_parity: Option<f64>,

    /// Also compare this response header (repeatable); content-type, cache-control, location and set-cookie names are always compared.
    #[arg(long = "header", value_name = "NAME")]
    pub headers: Vec<String>,

    #[arg(long, value_name = "SIZE", help = with_default(
        "Longer response bodies are compared by length and SHA-256 only",
        format!("{}MiB", crate::config::parity_defaults::MAX_BODY >> 20),
    ))]
    pub max_body: Option<String>,

    #[arg(long, value_name = "DURATION", help = with_default(
        "A request with no complete answer after this long has failed",
        format!("{}s", crate::config::parity_defaults::TIMEOUT_SECONDS),
    ))]
    pub timeout: Option<String>,

    #[arg(long, value_name = "DURATION", help = with_default(
        "How long a started target may take to answer",
        format!("{}s", crate::config::bench_defaults::READY_TIMEOUT_SECONDS),
    ))]
    pub ready_timeout: Option<String>,

    /// Append the noise found as [[parity.ignore]] rules to crabport.toml (rules already there are kept).
    #[arg(long)]
    pub write_ignores: bool,

    /// Do not run the build steps ([parity.build], else [bench.build]) first.
    #[arg(long)]
    pub no_build: bool,

    /// Allow URL targets that are not on this machine.
    #[arg(long)]
    pub allow_remote: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ParityFormat::Terminal)]
    pub format: ParityFormat,

    /// Also write a self-contained HTML report with side-by-side differences.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ProxyArgs {
    /// The service directory: its crabport.routes.toml says where each route goes (unknown routes go to Node), its crabport.toml's [[parity.ignore]] rules apply to shadow comparisons.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Where to listen; an address that is not loopback needs --allow-remote.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// The Node service: the URL of a running instance (http://127.0.0.1:3000).
    #[arg(long, value_name = "URL")]
    pub baseline: String,

    /// The Rust port: the URL of a running instance.
    #[arg(long, value_name = "URL")]
    pub candidate: String,

    /// Keep each client on one side of a canary by this request header or cookie [default: the client address].
    #[arg(long, value_name = "NAME")]
    pub sticky: Option<String>,

    /// Shadow this route ("GET /users/:id"): serve from its primary, send a copy to the other side and compare (repeatable) [default: routes in state ported or parity].
    #[arg(long, value_name = "ROUTE")]
    pub shadow: Vec<String>,

    /// Shadow every route.
    #[arg(long, conflicts_with = "no_shadow")]
    pub shadow_all: bool,

    /// Shadow no route.
    #[arg(long)]
    pub no_shadow: bool,

    /// Copy requests that change state too (only when the shadow side writes nowhere the primary reads).
    #[arg(long)]
    pub shadow_mutating: bool,

    /// Shadow copies in flight at once; more are dropped and counted.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub shadow_concurrency: usize,

    /// Do not send a safe request whose shadow differs a second time to its primary to learn noise; only [[parity.ignore]] rules subtract it.
    #[arg(long)]
    pub no_secondary: bool,

    /// Raise each canary route's share of Rust traffic one step at a time while its shadow parity and Rust error rate hold, writing each share to crabport.routes.toml (canary routes are shadowed).
    #[arg(long, conflicts_with = "no_shadow")]
    pub promote: bool,

    /// The shares --promote moves through, in percent, ascending; 100 cuts the route over (state = "rust").
    #[arg(
        long,
        value_name = "PERCENTS",
        value_delimiter = ',',
        default_value = "1,5,10,25,50,100",
        requires = "promote"
    )]
    pub promote_steps: Vec<u8>,

    /// Time at a share before --promote judges it.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        requires = "promote"
    )]
    pub promote_interval: String,

    /// Shadow comparisons a share needs before --promote judges it.
    #[arg(long, value_name = "N", default_value_t = 100, requires = "promote")]
    pub promote_min_requests: u64,

    /// Shadow parity, in percent, a share needs to be raised.
    #[arg(
        long,
        value_name = "PERCENT",
        default_value_t = 100.0,
        requires = "promote"
    )]
    pub promote_min_parity: f64,

    /// Rust failures (no connection, timeout, 5xx), in percent of its requests, a share may have and still be raised.
    #[arg(
        long,
        value_name = "PERCENT",
        default_value_t = 1.0,
        requires = "promote"
    )]
    pub promote_max_errors: f64,

    /// Also compare this response header in shadow comparisons (repeatable).
    #[arg(long = "header", value_name = "NAME")]
    pub headers: Vec<String>,

    /// An upstream that has not answered after this long has failed (and an idempotent Rust request is retried on Node).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub timeout: String,

    /// Request bodies buffered for a fallback, a shadow or a recording, and answers buffered for a shadow comparison, at most this long.
    #[arg(long, value_name = "SIZE", default_value = "64MiB")]
    pub max_body: String,

    /// Append every request to FILE (crabport's JSONL, which `crabport parity --requests` replays).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// Header whose value is replaced by [redacted] in the recording (repeatable) [default: authorization, cookie].
    #[arg(long, value_name = "NAME")]
    pub redact: Vec<String>,

    /// Threads that serve requests (like nginx's worker_processes); large shadow comparisons run beside them.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub workers: usize,

    /// Allow listening on, and upstreams at, addresses that are not loopback.
    #[arg(long)]
    pub allow_remote: bool,

    /// The summary printed on exit (Ctrl-C or SIGTERM).
    #[arg(long, value_enum, default_value_t = ProxyFormat::Terminal)]
    pub format: ProxyFormat,
}

#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// The function: FILE:FUNCTION (src/pricing.ts:computeTotal), a top-level function declaration or a const bound to a function.
    #[arg(value_name = "FILE:FUNCTION")]
    pub target: String,

    /// Where the crate goes [default: native/<name>/ in the service, the nearest directory above FILE with a package.json].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// The crate's name [default: the function's name in kebab-case].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Write the crate again over an earlier extraction (a src/lib.rs whose body has been written is kept).
    #[arg(long)]
    pub force: bool,

    /// Record the function's real calls instead: run COMMAND (after --) with a Node preload that appends each call's arguments and result to --record-file; without a command, print how to load the preload.
    #[arg(long)]
    pub record: bool,

    /// Where --record appends calls [default: calls.jsonl in the crate's directory].
    #[arg(long, value_name = "FILE", requires = "record")]
    pub record_file: Option<PathBuf>,

    /// The compiled module the service loads, without extension, relative to the service [default: FILE's path, and the same under dist/].
    #[arg(long, value_name = "PATH", requires = "record")]
    pub record_module: Option<String>,

    /// Calls recorded at most.
    #[arg(long, value_name = "N", default_value_t = 10_000, requires = "record")]
    pub record_max: u64,

    /// A call whose JSON line is longer than this is skipped (and counted).
    #[arg(long, value_name = "SIZE", default_value = "1MiB", requires = "record")]
    pub record_max_bytes: String,

    /// Share of calls recorded, 0 to 1.
    #[arg(long, value_name = "RATIO", default_value_t = 1.0, requires = "record")]
    pub record_sample: f64,

    /// The command --record runs (its tests, a bench run, the service), after --.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,

    #[arg(long, value_enum, default_value_t = ExtractFormat::Terminal)]
    pub format: ExtractFormat,

    #[command(flatten)]
    pub index: IndexArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormat {
    Terminal,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProxyFormat {
    Terminal,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ParityFormat {
    Terminal,
    Json,
    Markdown,
    /// JUnit XML, one test case per route.
    Junit,
}

/// How to reach the crates.io index (audit, assess).
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Use only the local index cache; never touch the network.
    #[arg(long)]
    pub offline: bool,

    /// Where to cache crates.io index entries [default: $CRABPORT_CACHE_DIR, else ~/.cache/crabport].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Reuse cache entries younger than this without asking the registry (e.g. 24h, 30m, 0s).
    #[arg(long, value_name = "DURATION")]
    pub cache_ttl: Option<String>,

    #[arg(long, value_name = "MONTHS", help = with_default(
        "A crate whose newest release is older than this many months is `stale`",
        crate::config::STALE_AFTER_MONTHS,
    ))]
    pub stale_after: Option<u32>,

    #[arg(long, value_name = "N", help = with_default(
        "Index requests in flight at once",
        crabport_audit::index::IndexOptions::default().concurrency,
    ))]
    pub concurrency: Option<usize>,

    /// Per-request timeout (e.g. 10s).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
}

/// `--fail-on` for scan: findings at or above this severity fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeverityArg {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Terminal,
    Json,
    Sarif,
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or directories to scan [default: .]. Finding paths are relative to the first directory.
    pub paths: Vec<PathBuf>,

    /// Output format (SARIF 2.1.0 for GitHub code scanning).
    #[arg(long, value_enum, default_value_t = ScanFormat::Terminal)]
    pub format: ScanFormat,

    /// Exit with 1 when findings at or above this severity exist.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Skip paths matching this glob (gitignore syntax; repeatable). node_modules, dist, build and coverage are always skipped.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Also scan test files (*.test.*, *.spec.*, __tests__/, __mocks__/, test/, tests/), skipped by default.
    #[arg(long)]
    pub include_tests: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The code to explain (e.g. `gap`, `vendor-sdk`, `stale`). Without one, lists every code.
    pub code: Option<String>,
}
