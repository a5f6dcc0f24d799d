//! Documentation of every audit code, for `crabport explain <code>`.

pub use crabport_core::CodeDoc;

pub const CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "equivalent",
        kind: "status",
        summary: "A maintained crate does the same job.",
        body: "The knowledge base names a crate (or a small set, e.g. axum + tokio) that a porting team can use for what the npm package does. The API differs — it is Rust — but nothing has to be redesigned around a missing capability. crabport resolves the crate's newest release on the crates.io index and checks it is maintained and has the features the entry names.",
    },
    CodeDoc {
        code: "partial",
        kind: "status",
        summary: "The core is covered; notable gaps or a different model.",
        body: "A crate covers the main use, but the note says what is missing or works differently (e.g. zod's schema-first inference becomes derive macros on a struct you write; mongoose middleware and populate have to be rebuilt). Budget design time for the difference, not just a library swap.",
    },
    CodeDoc {
        code: "std",
        kind: "status",
        summary: "The standard library or the chosen framework already covers it.",
        body: "Packages such as fs-extra, mkdirp, body-parser or deepcopy fill holes in Node's standard library or in Express; in Rust std (std::fs::create_dir_all, Clone) or the framework (axum's Json extractor) does the job. Where a crate is listed it is the framework piece that covers it.",
    },
    CodeDoc {
        code: "not-needed",
        kind: "status",
        summary: "Only meaningful in JavaScript: drop it.",
        body: "Type declarations (@types/*), tslib, polyfills, core-js, source-map-support, ts-node, patch-package and similar exist because of how JavaScript is built and run. A Rust port has no use for them.",
    },
    CodeDoc {
        code: "gap",
        kind: "status",
        summary: "No maintained Rust equivalent: it stays in Node, or gets redesigned.",
        body: "The gap kind says why (vendor-sdk, dynamic, browser, no-crate) and the note says what to do instead. A single gap on a critical path can turn a clean cut-over into an indefinite hybrid deployment: decide on it before estimating the migration. Alternatives, when listed, are the crates a replacement would be built on.",
    },
    CodeDoc {
        code: "unknown",
        kind: "status",
        summary: "Not in the knowledge base: nobody has checked it yet.",
        body: "crabport never guesses a mapping. Hints may follow, each marked unverified: the package's scope belongs to a vendor; a crate of the same name exists (often an unrelated project); the package builds native code. Check it by hand, and consider contributing an entry to knowledge/*.toml. `--fail-on unknown` makes CI insist that every dependency is mapped.",
    },
    CodeDoc {
        code: "vendor-sdk",
        kind: "gap-kind",
        summary: "The vendor ships a Node SDK and no maintained Rust one.",
        body: "Call the vendor's REST API directly with reqwest (and serde types for its payloads), or keep that one integration in a Node sidecar behind a small internal API. Check the vendor's API reference for auth, pagination and webhooks signatures that the SDK handled for you.",
    },
    CodeDoc {
        code: "dynamic",
        kind: "gap-kind",
        summary: "Built on runtime reflection or decorators, which Rust does not have.",
        body: "class-validator, class-transformer, reflect-metadata, decorator ORMs and DI containers read types and metadata at run time. Rust erases nothing at run time and monomorphizes generics: the replacement is derive macros (serde, validator/garde), explicit wiring and compile-time code generation. This is a redesign, not a library swap.",
    },
    CodeDoc {
        code: "browser",
        kind: "gap-kind",
        summary: "Front-end/DOM code: it belongs in the front end or WebAssembly.",
        body: "React, Vue, UI kits, editors and the like run in the browser. A server port leaves them where they are; if the repository is full-stack, migrate the server part only.",
    },
    CodeDoc {
        code: "no-crate",
        kind: "gap-kind",
        summary: "Nothing maintained exists on crates.io.",
        body: "Write it, keep it in Node, or find a different design. The note says what the knowledge base's authors would do.",
    },
    CodeDoc {
        code: "ok",
        kind: "crate-state",
        summary: "The crate exists, is maintained and has the named features.",
        body: "Its newest release (neither yanked nor a pre-release) was published within the staleness window (default 24 months, `--stale-after`), or the knowledge base marks it stable, and every feature the entry names exists in that release.",
    },
    CodeDoc {
        code: "stale",
        kind: "crate-state",
        summary: "The crate's newest release is older than the staleness window.",
        body: "No release for longer than `--stale-after` months (default 24) and the knowledge base does not mark it `stable` (feature-complete, rarely released). It may still work; check its repository for activity before depending on it, and look at the alternatives.",
    },
    CodeDoc {
        code: "missing",
        kind: "crate-state",
        summary: "The crate does not exist on the index, or every release is yanked.",
        body: "The knowledge base names a crate the registry does not serve. This is a knowledge-base bug (or a crate that was removed): please report it. crabport never reports `missing` when it simply could not reach the registry; that is `unavailable`.",
    },
    CodeDoc {
        code: "missing-feature",
        kind: "crate-state",
        summary: "The newest release lacks a feature the knowledge base names.",
        body: "Features get renamed between major versions (e.g. a runtime feature split in two). The crate exists; the suggested `features = [...]` would not compile. Check the crate's Cargo.toml for the new name.",
    },
    CodeDoc {
        code: "unavailable",
        kind: "crate-state",
        summary: "The index could not be asked and nothing was cached.",
        body: "The registry did not answer (offline, outage, timeout) and crabport had no cache entry for the crate. Nothing is known about it — it is not reported as missing. Run again online, or warm the cache.",
    },
    CodeDoc {
        code: "native-addon",
        kind: "finding",
        summary: "A package in the tree builds or ships native code.",
        body: "Native addons (bcrypt, sharp, better-sqlite3, canvas, …) are C/C++ or Rust compiled for Node. A Rust port has to replace each one too, anywhere in the production tree, not just among direct dependencies. Confidence: `certain` (known native, or depends on node-gyp-build/bindings/nan/node-addon-api/prebuild-install), `likely` (ships prebuilt platform packages), `possible` (only an install script).",
    },
];
