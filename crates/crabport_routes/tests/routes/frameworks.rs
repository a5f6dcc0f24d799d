//! Each framework's fixture: the routes, where their handlers are, what
//! stays unresolved and why, and the import graph.

use std::path::PathBuf;

use crabport_routes::{Analysis, Options, Route, RouteInventory};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn analyse(name: &str) -> Analysis {
    crabport_routes::analyse(&fixture(name), &Options::default()).expect("analyse")
}

fn listed(inv: &RouteInventory) -> Vec<String> {
    inv.routes
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn route<'i>(inv: &'i RouteInventory, method: &str, path: &str) -> &'i Route {
    inv.routes
        .iter()
        .find(|r| r.method == method && r.path == path)
        .unwrap_or_else(|| panic!("no {method} {path} in {:#?}", listed(inv)))
}

fn handler_at(r: &Route) -> String {
    format!("{}:{}", r.handler.location.file, r.handler.location.line)
}

#[test]
fn koa_router_prefixes_nested_routers_and_koa_mount() {
    let inv = analyse("koa-app").inventory;
    assert_eq!(
        listed(&inv),
        [
            "GET /",
            "POST /api/auth.info",
            "GET /api/documents",
            "DELETE /api/documents/:id",
            "POST /api/documents/:id/publish",
            "GET /docs/openapi.json",
        ],
        "{:#?}",
        inv.unresolved
    );
    assert!(inv.unresolved.is_empty(), "{:#?}", inv.unresolved);
    let list = route(&inv, "GET", "/api/documents");
    assert_eq!(handler_at(list), "src/routes/documents.ts:5");
    assert_eq!(list.handler.name.as_deref(), Some("list"));
    let mounts: Vec<&str> = list.mounted_at.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        mounts,
        ["/", "/documents"],
        "app.use(api.routes()), then router.use('/documents')"
    );
    assert!(
        inv.routes
            .iter()
            .all(|r| r.framework == crabport_routes::Framework::Koa)
    );
}

#[test]
fn nest_controllers_with_global_prefix_and_uri_versions() {
    let inv = analyse("nest-app").inventory;
    assert_eq!(
        listed(&inv),
        [
            "GET /api/health",
            "GET /api/v1/users",
            "POST /api/v1/users",
            "DELETE /api/v1/users/:id",
            "GET /api/v1/users/:id",
            "POST /api/v2/users",
        ]
    );
    let find_one = route(&inv, "GET", "/api/v1/users/:id");
    assert_eq!(
        find_one.handler.name.as_deref(),
        Some("UsersController.findOne")
    );
    assert_eq!(handler_at(find_one), "src/users/users.controller.ts:12");
}

#[test]
fn hapi_route_arrays_from_another_file_and_plugin_prefixes() {
    let inv = analyse("hapi-app").inventory;
    assert_eq!(
        listed(&inv),
        [
            "GET /",
            "ALL /files/*",
            "GET /status/live",
            "GET /users",
            "PATCH /users/:id",
            "PUT /users/:id",
            "GET /users/:id?/avatar",
        ]
    );
    assert!(inv.unresolved.is_empty(), "{:#?}", inv.unresolved);
    assert_eq!(
        handler_at(route(&inv, "PUT", "/users/:id")),
        "lib/handlers.js:4",
        "options.handler"
    );
}

#[test]
fn node_http_server_is_one_catch_all_route() {
    let inv = analyse("node-http").inventory;
    assert_eq!(listed(&inv), ["ALL /*"]);
    let r = &inv.routes[0];
    assert_eq!(r.framework, crabport_routes::Framework::NodeHttp);
    assert_eq!(handler_at(r), "server.mjs:3");
    assert!(
        r.notes.iter().any(|n| n.contains("catch-all")),
        "{:?}",
        r.notes
    );
}

#[test]
fn express_through_tsconfig_paths_classes_and_imported_constants() {
    let a = analyse("express-tspaths");
    let inv = &a.inventory;
    assert_eq!(
        listed(inv),
        [
            "GET /api/v1/me",
            "GET /api/v1/orders",
            "POST /api/v1/orders",
            "GET /api/v1/orders/:orderId",
            "GET /health",
        ],
        "{:#?}",
        inv.unresolved
    );
    assert!(inv.unresolved.is_empty(), "{:#?}", inv.unresolved);
    // `export * from` in a barrel reached through a `paths` alias.
    assert_eq!(
        handler_at(route(inv, "GET", "/api/v1/me")),
        "src/controllers/me.ts:3"
    );
    // `asyncHandler(controller.list)` and `.bind(controller)` unwrap to the methods.
    let list = route(inv, "GET", "/api/v1/orders");
    assert_eq!(list.handler.name.as_deref(), Some("OrdersController.list"));
    assert_eq!(
        handler_at(route(inv, "POST", "/api/v1/orders")),
        "src/controllers/orders.controller.ts:8"
    );
    assert!(list.notes.iter().any(|n| n.contains("mergeParams")));
    // `createServer(new App().app)` serves the express app: no catch-all.
    assert!(
        inv.routes
            .iter()
            .all(|r| r.framework == crabport_routes::Framework::Express)
    );

    // The import graph follows aliases, baseUrl and barrels; type imports
    // are kept but not followed.
    let reach = a.graph.reachable("src/routes/v1.ts");
    for f in [
        "src/routes/v1.ts",
        "src/routes/orders.ts",
        "src/controllers/index.ts",
        "src/controllers/me.ts",
        "src/controllers/orders.controller.ts",
    ] {
        assert!(reach.contains(f), "{f} not reached: {reach:?}");
    }
    assert!(!reach.contains("src/app.ts"));
    let app = a.graph.module("src/app.ts").expect("app.ts in the graph");
    let constants = app
        .imports
        .iter()
        .find(|e| e.specifier == "src/shared/constants")
        .expect("baseUrl import");
    assert_eq!(constants.target.as_deref(), Some("src/shared/constants.ts"));
    assert_eq!(
        a.graph
            .packages_reachable("src/routes/orders.ts")
            .into_iter()
            .collect::<Vec<_>>(),
        ["express", "express-async-handler"],
        "http is a builtin; type-only `express` imports of controllers still count through orders.ts's value import"
    );
    let me = a.graph.module("src/controllers/me.ts").expect("me.ts");
    assert!(me.imports.iter().all(|e| e.type_only));
}

#[test]
fn what_is_not_static_is_unresolved_with_its_reason() {
    let inv = analyse("unresolved").inventory;
    assert_eq!(listed(&inv), ["GET /ok"]);
    let reasons: Vec<String> = inv
        .unresolved
        .iter()
        .map(|u| format!("{}:{} {}", u.location.file, u.location.line, u.reason))
        .collect();
    let expect = [
        ("app.js:8 ", "not a constant"),
        ("app.js:11 ", "method chosen at run time"),
        ("app.js:15 ", "dynamic `require("),
        ("app.js:19 ", "not mounted"),
        ("app.js:21 ", "regular expression"),
        ("fastify.js:5 ", "@fastify/autoload"),
        ("fastify.js:6 ", "spread"),
        ("plugin.js:3 ", "no file found calls or registers"),
    ];
    for (at, why) in expect {
        assert!(
            reasons.iter().any(|r| r.starts_with(at) && r.contains(why)),
            "expected {at}… {why} in {reasons:#?}"
        );
    }
    assert_eq!(reasons.len(), expect.len(), "{reasons:#?}");
    assert!(
        inv.notes.iter().any(|n| n.contains("@fastify/cors")),
        "{:?}",
        inv.notes
    );
}

#[test]
fn an_unparsable_file_is_reported_and_the_rest_still_listed() {
    let inv = analyse("broken").inventory;
    assert_eq!(listed(&inv), ["GET /fine"]);
    assert_eq!(inv.files_parsed, 1);
    assert_eq!(inv.file_errors.len(), 1);
    let e = &inv.file_errors[0];
    assert_eq!(e.location.file, "bad.js");
    assert!(e.location.line >= 2, "{e:?}");
}

#[test]
fn the_inventory_serialises() {
    let inv = analyse("fastify-demo").inventory;
    let json = serde_json::to_value(&inv).expect("json");
    let first = &json["routes"][0];
    for key in [
        "method",
        "path",
        "framework",
        "handler",
        "declared_at",
        "mounted_at",
    ] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }
    assert!(first["handler"]["file"].is_string() && first["handler"]["line"].is_u64());
    assert_eq!(first["framework"], "fastify");
}

#[test]
fn not_a_directory_is_an_error() {
    let err = crabport_routes::analyse(&fixture("broken/ok.js"), &Options::default())
        .expect_err("a file");
    assert!(err.to_string().contains("not a directory"));
}
