//! `server.ts`'s routes. Each handler starts as express's `counted` middleware
//! does, with `recordHit` for its route, after [`Exchange`] has run the
//! middleware that comes before the routes (request id, `express.json()`).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use http::StatusCode;
use tracing::error;

use crate::db::Db;
use crate::express::{Exchange, StaticJson};
use crate::js::string::write_json_string;
use crate::metrics::{Metrics, Route};
use crate::outbound::Outbound;
use crate::validate::alert::{AlertError, parse_alert};
use crate::validate::event::parse_event;

/// Everything the handlers share: one per process, behind an `Arc`.
pub struct App {
    pub metrics: Metrics,
    /// `None` when DATABASE_URL is unset; `Some(Err)` when it does not parse
    /// (pg would fail at the first query, so this answers 500 there too).
    pub db: Option<Result<Db, String>>,
    pub outbound: Outbound,
    pub bodies: Bodies,
}

/// The response bodies that never change, serialised (and ETagged) once.
pub struct Bodies {
    health: StaticJson,
    users: StaticJson,
    orders: StaticJson,
    not_found: StaticJson,
    no_database: StaticJson,
}

impl Default for Bodies {
    fn default() -> Self {
        Self {
            health: StaticJson::new(r#"{"status":"ok"}"#),
            // `JSON.stringify(users)` / `JSON.stringify(orders)` (17.0 prints as 17).
            users: StaticJson::new(
                r#"[{"id":1,"name":"Ada Lovelace","email":"ada@example.com"},{"id":2,"name":"Grace Hopper","email":"grace@example.com"}]"#,
            ),
            orders: StaticJson::new(
                r#"[{"id":101,"userId":1,"total":42.5,"status":"shipped"},{"id":102,"userId":2,"total":17,"status":"pending"}]"#,
            ),
            not_found: StaticJson::new(r#"{"error":"not found"}"#),
            no_database: StaticJson::new(r#"{"error":"DATABASE_URL is not set"}"#),
        }
    }
}

type AppState = State<Arc<App>>;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/users", get(users))
        .route("/orders", get(orders))
        .route("/events", post(events))
        .route("/snapshot", get(snapshot))
        .route("/alerts", post(alerts))
        .route("/report", get(report))
        // express answers an unknown path and a known path with another method alike.
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(app)
}

async fn health(State(app): AppState, ex: Exchange) -> Response {
    app.metrics.record_hit(Route::Health);
    ex.json_static(StatusCode::OK, &app.bodies.health)
}

async fn users(State(app): AppState, ex: Exchange) -> Response {
    app.metrics.record_hit(Route::Users);
    ex.json_static(StatusCode::OK, &app.bodies.users)
}

async fn orders(State(app): AppState, ex: Exchange) -> Response {
    app.metrics.record_hit(Route::Orders);
    ex.json_static(StatusCode::OK, &app.bodies.orders)
}

async fn events(State(app): AppState, ex: Exchange) -> Response {
    app.metrics.record_hit(Route::Events);
    let event = match parse_event(ex.body.as_ref()) {
        Ok(event) => event,
        Err(issues) => {
            let mut body = Vec::with_capacity(issues.len() + 40);
            body.extend_from_slice(br#"{"error":"invalid event","issues":"#);
            body.extend_from_slice(&issues);
            body.push(b'}');
            return ex.json(StatusCode::BAD_REQUEST, body);
        }
    };
    app.metrics.log_event(event.level, event.message);
    app.outbound
        .forward_event(event.level, event.message, &ex.request_id);
    let mut body = Vec::with_capacity(event.message.as_wtf8().len() + 32);
    body.extend_from_slice(br#"{"level":""#);
    body.extend_from_slice(event.level.as_str().as_bytes());
    body.extend_from_slice(br#"","message":"#);
    write_json_string(&mut body, event.message.as_wtf8());
    body.push(b'}');
    ex.json(StatusCode::CREATED, body)
}

async fn snapshot(State(app): AppState, ex: Exchange) -> Response {
    app.metrics.record_hit(Route::Snapshot);
    ex.json(StatusCode::OK, app.metrics.snapshot_json())
}

async fn alerts(State(app): AppState, ex: Exchange) -> Response {
    app.metrics.record_hit(Route::Alerts);
    let alert = match parse_alert(ex.body.as_ref()) {
        Ok(alert) => alert,
        Err(AlertError::Invalid(messages)) => {
            let mut body = Vec::with_capacity(messages.len() + 40);
            body.extend_from_slice(br#"{"error":"invalid alert","messages":"#);
            body.extend_from_slice(&messages);
            body.push(b'}');
            return ex.json(StatusCode::BAD_REQUEST, body);
        }
        Err(AlertError::Internal(reason)) => return internal_error(&ex, Route::Alerts, reason),
    };
    match app.outbound.send_alert(&alert).await {
        Ok(outcome) => {
            let body = format!(r#"{{"status":"{}"}}"#, outcome.as_str());
            ex.json(StatusCode::ACCEPTED, body.into_bytes())
        }
        Err(err) => internal_error(&ex, Route::Alerts, &format!("{err:#}")),
    }
}

async fn report(State(app): AppState, ex: Exchange) -> Response {
    app.metrics.record_hit(Route::Report);
    let db = match &app.db {
        None => return ex.json_static(StatusCode::SERVICE_UNAVAILABLE, &app.bodies.no_database),
        Some(Err(reason)) => return internal_error(&ex, Route::Report, reason),
        Some(Ok(db)) => db,
    };
    match db.save_report(&app.metrics.snapshot_json()).await {
        Ok(id) => ex.json(
            StatusCode::CREATED,
            format!(r#"{{"id":{id}}}"#).into_bytes(),
        ),
        Err(err) => internal_error(&ex, Route::Report, &format!("{err:#}")),
    }
}

async fn not_found(State(app): AppState, ex: Exchange) -> Response {
    ex.json_static(StatusCode::NOT_FOUND, &app.bodies.not_found)
}

/// express's error handler for a thrown error: log it, answer 500 without details.
fn internal_error(ex: &Exchange, route: Route, reason: &str) -> Response {
    error!(
        err = reason,
        request_id = %String::from_utf8_lossy(ex.request_id.as_bytes()),
        path = route.path(),
        "request failed"
    );
    ex.error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}
