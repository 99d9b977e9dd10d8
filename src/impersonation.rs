//! Impersonation: signing in as one of your users, for support.
//!
//! An actor token lets an actor (a support agent, say) open a session as
//! another user. Clerk copies the actor payload into the `act` claim of that
//! session's token, so your backend can tell impersonated requests apart.
//!
//! ```no_run
//! use clerk_backend_api::{Clerk, impersonation::Impersonation};
//! use std::time::Duration;
//!
//! # async fn run(clerk: Clerk) -> clerk_backend_api::Result<()> {
//! let token = clerk
//!     .impersonate(
//!         Impersonation::new("user_to_help", "user_support_agent")
//!             .claim("ticket", "SUP-1234")
//!             .expires_in(Duration::from_secs(600)),
//!     )
//!     .await?;
//! println!("open {} to sign in as the user", token.url.as_deref().unwrap_or(""));
//!
//! // Not used after all: revoke it (only a pending token can be revoked).
//! clerk.revoke_impersonation(&token.id).await?;
//! # Ok(())
//! # }
//! ```

use crate::api::prelude::*;
use crate::api::types::{ActorToken, CreateActorTokenBody, CreateActorTokenBodyActor};
use crate::{Clerk, Result};
use serde_json::{Map, Value};
use std::time::Duration;

/// How long an actor token can be used, unless set: one hour.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// How long the impersonated session lasts, unless set: thirty minutes.
pub const DEFAULT_SESSION_MAX_DURATION: Duration = Duration::from_secs(1800);

/// What to ask for when creating an actor token.
#[derive(Clone, Debug)]
pub struct Impersonation {
    user_id: String,
    actor_sub: String,
    claims: Map<String, Value>,
    expires_in: Duration,
    session_max_duration: Duration,
}

impl Impersonation {
    /// `actor_sub` (the actor's user id) signs in as `user_id`.
    pub fn new(user_id: impl Into<String>, actor_sub: impl Into<String>) -> Self {
        Impersonation {
            user_id: user_id.into(),
            actor_sub: actor_sub.into(),
            claims: Map::new(),
            expires_in: DEFAULT_TOKEN_LIFETIME,
            session_max_duration: DEFAULT_SESSION_MAX_DURATION,
        }
    }

    /// Adds a claim to the actor payload (it lands in the session token's
    /// `act` claim next to `sub`). A claim named `sub` is ignored.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        if name != "sub" {
            self.claims.insert(name, value.into());
        }
        self
    }

    /// How long the token can be used (whole seconds; default one hour).
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = lifetime;
        self
    }

    /// How long the impersonated session lasts (whole seconds; default
    /// thirty minutes).
    pub fn session_max_duration(mut self, duration: Duration) -> Self {
        self.session_max_duration = duration;
        self
    }

    /// The request body this describes.
    pub fn into_body(self) -> CreateActorTokenBody {
        CreateActorTokenBody {
            user_id: self.user_id,
            actor: CreateActorTokenBodyActor {
                sub: self.actor_sub,
                extra: self.claims,
            },
            expires_in_seconds: self.expires_in.as_secs().min(i64::MAX as u64) as i64,
            session_max_duration_in_seconds: self
                .session_max_duration
                .as_secs()
                .min(i64::MAX as u64) as i64,
        }
    }
}

impl Clerk {
    /// Creates an actor token (`POST /actor_tokens`); it starts `pending`
    /// and its `url` signs the actor in as the user.
    pub async fn impersonate(&self, request: Impersonation) -> Result<ActorToken> {
        self.create_actor_token()
            .body(request.into_body())
            .send()
            .await
    }

    /// Revokes a pending actor token (`POST /actor_tokens/{id}/revoke`).
    /// Clerk refuses to revoke a token that was already used or revoked.
    pub async fn revoke_impersonation(&self, actor_token_id: &str) -> Result<ActorToken> {
        self.revoke_actor_token()
            .actor_token_id(actor_token_id)
            .send()
            .await
    }
}
