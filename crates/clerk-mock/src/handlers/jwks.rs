//! The instance's public signing key.

use super::{Ctx, Reply};
use crate::error::ApiError;
use crate::keys;
use crate::request::Req;
use crate::router::{error_response, reply_response};
use crate::server::Shared;
use axum::Extension;
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

fn jwks(instance_id: &str) -> Result<Value, ApiError> {
    let key = keys::jwk(instance_id).ok_or_else(ApiError::internal)?;
    Ok(json!({ "keys": [key] }))
}

/// `GET /jwks`.
pub(crate) fn get(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(jwks(&ctx.env.instance_id)?))
}

/// `GET /.well-known/jwks.json`, without a secret key, as Clerk's Frontend API serves it.
pub(crate) async fn public_jwks(Extension(shared): Extension<Arc<Shared>>) -> Response {
    match jwks(&shared.env.instance_id) {
        Ok(body) => reply_response(Reply::ok(body)),
        Err(e) => error_response(&shared, &e),
    }
}
