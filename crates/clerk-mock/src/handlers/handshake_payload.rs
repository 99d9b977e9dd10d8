//! `GET /v1/clients/handshake_payload?nonce=…`: the `Set-Cookie` directives a Frontend API
//! handshake stored behind a nonce (see `frontend.rs`). Clerk's description lists the path
//! without an operation; this is the answer Clerk's SDKs read: `{"directives": [...]}`.
//! A nonce works once, for five minutes; an unknown one answers 404.

use super::Reply;
use crate::error::ApiError;
use crate::request::authenticate_caller;
use crate::router::{error_response, reply_response, with_store};
use crate::server::Shared;
use axum::Extension;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

/// The route's handler.
pub(crate) async fn get(Extension(shared): Extension<Arc<Shared>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if parts.method != Method::GET {
        return error_response(&shared, &ApiError::route_not_found());
    }
    if let Err(e) = authenticate_caller(&parts.headers, &shared.env.secret_key, false) {
        return error_response(&shared, &e);
    }
    let nonce = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "nonce")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty());
    let Some(nonce) = nonce else {
        return error_response(&shared, &ApiError::query_param_missing("nonce"));
    };
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let result = with_store(&shared, user_agent, |ctx| {
        let now = ctx.env.now_ms();
        match ctx.store.frontend.take_nonce(&nonce, now) {
            Some(directives) => Ok(Reply::ok(json!({ "directives": directives }))),
            None => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "resource_not_found",
                "not found",
                "No handshake is waiting behind this nonce: it is unknown, used or expired.",
            )),
        }
    });
    match result {
        Ok(reply) => reply_response(reply),
        Err(e) => error_response(&shared, &e),
    }
}
