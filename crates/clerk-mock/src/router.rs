//! Routes every operation of the table to one dispatcher, which checks the request, runs the
//! operation's stateful handler when there is one and a synthesized answer otherwise, and
//! turns errors into Clerk-shaped JSON.

use crate::error::ApiError;
use crate::handlers::{self, Ctx, Handler, Reply};
use crate::request::{self, Req};
use crate::server::Shared;
use crate::spec::{OPERATIONS, Operation};
use crate::synth;
use axum::Extension;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::AddExtension;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, any, on};
use http_body_util::BodyExt as _;
use serde_json::Value;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock, PoisonError};
use tower_layer::Layer as _;

/// Bodies past the limit are still read (and dropped) up to this size, so that the client
/// finishes sending and sees the 413 answer; beyond it the connection is closed.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// The router shared by all servers of the process, built once.
///
/// Handlers find their server's state in a request extension rather than in router state:
/// giving a router state converts every one of its routes, which would make each start-up pay
/// for the whole API again.
fn template() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut by_path: BTreeMap<&str, MethodRouter> = BTreeMap::new();
        for (index, op) in OPERATIONS.iter().enumerate() {
            let filter = match op.method {
                "GET" => MethodFilter::GET,
                "POST" => MethodFilter::POST,
                "PUT" => MethodFilter::PUT,
                "PATCH" => MethodFilter::PATCH,
                "DELETE" => MethodFilter::DELETE,
                _ => continue,
            };
            let route = on(
                filter,
                move |Extension(shared): Extension<Arc<Shared>>,
                      params: Result<RawPathParams, RawPathParamsRejection>,
                      request: Request| async move {
                    dispatch(shared, index, params, request).await
                },
            );
            let entry = by_path.remove(op.path);
            by_path.insert(
                op.path,
                match entry {
                    Some(existing) => existing.merge(route),
                    None => route,
                },
            );
        }
        let mut router = Router::new();
        for (path, methods) in by_path {
            let methods =
                methods.fallback(|Extension(shared): Extension<Arc<Shared>>| async move {
                    error_response(&shared, &ApiError::route_not_found())
                });
            router = router.route(&format!("/v1{path}"), methods);
        }
        router
            .route("/v1/tickets/accept", any(handlers::tickets::accept_ticket))
            .route("/.well-known/jwks.json", any(handlers::jwks::public_jwks))
            .route(
                "/oauth/authorize",
                axum::routing::get(handlers::oauth_flow::authorize),
            )
            .route(
                "/oauth/token",
                axum::routing::post(handlers::oauth_flow::token),
            )
            .route(
                "/v1/client/sign_ups",
                any(handlers::managed::sign_ups::frontend_create),
            )
            .route(
                "/v1/clients/handshake_payload",
                any(handlers::handshake_payload::get),
            )
            .merge(handlers::frontend::routes())
            .fallback(|Extension(shared): Extension<Arc<Shared>>| async move {
                error_response(&shared, &ApiError::route_not_found())
            })
    })
}

/// The application for one server: the shared router with this server's state attached.
pub(crate) fn build(shared: Arc<Shared>) -> AddExtension<Router, Arc<Shared>> {
    Extension(shared).layer(template().clone())
}

/// Stateful handlers by operation index, looked up once per process.
fn handler_table() -> &'static [Option<Handler>] {
    static TABLE: OnceLock<Vec<Option<Handler>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        OPERATIONS
            .iter()
            .map(|op| handlers::lookup(op.id))
            .collect()
    })
}

/// Reads the body, keeping at most `limit` bytes; `Err(())` when it was longer.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, ()> {
    let mut body = body;
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { break };
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen > DRAIN_LIMIT {
                break;
            }
            if seen <= limit {
                kept.extend_from_slice(&data);
            }
        }
    }
    if seen > limit {
        Err(())
    } else {
        Ok(Bytes::from(kept))
    }
}

async fn dispatch(
    shared: Arc<Shared>,
    index: usize,
    params: Result<RawPathParams, RawPathParamsRejection>,
    request: Request,
) -> Response {
    let Some(op) = OPERATIONS.get(index) else {
        return error_response(&shared, &ApiError::route_not_found());
    };
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let limit = shared.env.body_limit;
    let body = if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        Err(())
    } else {
        read_body(body, limit).await
    };

    let machine_key = if op.public {
        None
    } else {
        let machine_keys = handlers::takes_machine_key(op.id);
        let caller =
            request::authenticate_caller(&parts.headers, &shared.env.secret_key, machine_keys)
                .and_then(|key| {
                    if let Some(key) = &key {
                        handlers::machine_auth::check_machine_key(&shared, key)?;
                    }
                    Ok(key)
                });
        let key = match caller {
            Ok(key) => key,
            Err(e) => return error_response(&shared, &e),
        };
        // Clerk does not limit the key set.
        if let Some(limiter) = &shared.limiter
            && op.id != "GetJWKS"
            && let Err(seconds) = limiter.admit()
        {
            let mut response = error_response(&shared, &ApiError::too_many_requests(seconds));
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            return response;
        }
        key
    };
    let outcome = (|| {
        let bytes = body.map_err(|()| ApiError::body_too_large(limit))?;
        let path = params
            .map_err(|e| ApiError::malformed_parameters(&e.body_text()))?
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let query = request::parse_query(op, parts.uri.query())?;
        let body = request::parse_body(index, op, &parts.headers, &bytes)?;
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Ok(Req {
            op,
            path,
            query,
            body,
            user_agent,
            machine_key,
        })
    })();
    let req = match outcome {
        Ok(req) => req,
        Err(e) => return error_response(&shared, &as_documented(op, e)),
    };

    let reply = match handler_table().get(index).copied().flatten() {
        Some(handler) => run(&shared, &req, handler),
        None => synthesized(&shared, &req),
    };
    match reply {
        Ok(reply) => reply_response(reply),
        Err(e) => error_response(&shared, &as_documented(op, e)),
    }
}

/// Input errors get the status the operation's description lists for them: some operations
/// answer bad input with 400 rather than 422.
fn as_documented(op: &Operation, error: ApiError) -> ApiError {
    if error.status == StatusCode::UNPROCESSABLE_ENTITY && op.invalid_input_status() == 400 {
        error.with_status(StatusCode::BAD_REQUEST)
    } else {
        error
    }
}

fn synthesized(shared: &Shared, req: &Req) -> Result<Reply, ApiError> {
    {
        let mut store = shared.store.lock().unwrap_or_else(PoisonError::into_inner);
        handlers::exists::check(&mut store, &shared.env, req)?;
    }
    Ok(synthesized_body(shared, req))
}

fn synthesized_body(shared: &Shared, req: &Req) -> Reply {
    let status = StatusCode::from_u16(req.op.status).unwrap_or(StatusCode::OK);
    match synth::answer(req, &shared.env.ids, &shared.env.instance_id) {
        Some(body) => Reply::json(status, body),
        // The one operation answering markup: its description gives no schema.
        None if req.op.id == "GetPublicInterstitial" => {
            Reply::html("<!DOCTYPE html><html><body></body></html>")
        }
        None => Reply::empty(status),
    }
}

/// Runs a stateful handler.
fn run(shared: &Shared, req: &Req, handler: Handler) -> Result<Reply, ApiError> {
    with_store(shared, &req.user_agent, |ctx| {
        handlers::exists::check(ctx.store, ctx.env, req)?;
        handler(ctx, req)
    })
}

/// Runs `work` under the store lock; webhook events are sent once the lock is released.
pub(crate) fn with_store(
    shared: &Shared,
    user_agent: &str,
    work: impl FnOnce(&mut Ctx<'_>) -> Result<Reply, ApiError>,
) -> Result<Reply, ApiError> {
    let mut store = shared.store.lock().unwrap_or_else(PoisonError::into_inner);
    let mut ctx = Ctx::new(&mut store, &shared.env, user_agent, shared.events.is_some());
    // A bug in a handler must not take the server down: answer 500 and keep serving.
    let result = catch_unwind(AssertUnwindSafe(|| work(&mut ctx)))
        .unwrap_or_else(|_| Err(ApiError::internal()));
    let events = ctx.take_events();
    drop(store);
    if let Some(sender) = &shared.events {
        for event in events {
            let _ = sender.send(event);
        }
    }
    result
}

pub(crate) fn reply_response(reply: Reply) -> Response {
    let mut response = match (reply.body, reply.html) {
        (_, Some(html)) => (
            reply.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        (Some(body), None) => json_response(reply.status, &body),
        (None, None) => reply.status.into_response(),
    };
    if let Some(cookie) = reply.cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

pub(crate) fn error_response(shared: &Shared, error: &ApiError) -> Response {
    let trace = shared.env.ids.next("trace");
    json_response(
        error.status,
        &error.body(trace.trim_start_matches("trace_")),
    )
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}
