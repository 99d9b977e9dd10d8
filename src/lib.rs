#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod auth;
mod body;
pub mod client;
pub mod convert;
pub mod error;
pub mod impersonation;
pub mod nullable;
pub mod one_of;
pub(crate) mod open_enum;
pub mod operations;
pub mod pagination;
mod reply;
pub mod retry;
mod secure_url;
#[cfg(feature = "rustls")]
mod tls;
mod transport;
pub mod uploads;
#[cfg(any(feature = "axum", feature = "actix"))]
mod web_reply;
pub mod webhooks;

/// The generated client: every operation of the Backend API, its request
/// builders and its types.
///
/// Generated at build time from the spec under `openapi/` by progenitor;
/// operations are grouped in one extension trait per resource
/// (`ClientUsersExt`, `ClientActorTokensExt`, …), all in [`prelude`].
#[allow(missing_docs, clippy::all)]
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/bapi.rs"));
}

pub use api::{builder, types};
pub use client::{Clerk, ClerkBuilder, SecretKey};
pub use error::{ApiError, Error, Result};
pub use nullable::Nullable;
pub use retry::RetryPolicy;

/// Everything needed to call the API: `use clerk_backend_api::prelude::*;`.
pub mod prelude {
    pub use crate::api::prelude::*;
    pub use crate::{Clerk, Error, Nullable, Result, RetryPolicy};
}
