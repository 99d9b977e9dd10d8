//! Tokens a test needs that the Backend API does not hand out: OAuth access tokens (which Clerk
//! issues at the end of an authorization in the browser; the mock also serves that flow, see
//! `handlers/oauth_flow.rs`) and client tokens (the `__client` cookie of a browser).

use crate::MockServer;
use crate::handlers::{clients, oauth};
use std::fmt;
use std::sync::PoisonError;
use std::time::Duration;

/// Why a token could not be issued (an unknown OAuth application, user or client, or a scope the
/// application may not ask for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueError(String);

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot issue the token: {}", self.0)
    }
}

impl std::error::Error for IssueError {}

/// An OAuth access token issued by [`MockServer::oauth_access_token`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthAccessToken {
    /// The bearer token: opaque (`oat_...`) or a JWT.
    pub access_token: String,
    /// The refresh token of the same grant (opaque tokens only); revoking either revokes both.
    pub refresh_token: Option<String>,
    /// The token's id (`oat_` and 32 hexadecimal digits), as verification reports it.
    pub id: String,
    /// When the token expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
}

impl fmt::Debug for OAuthAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthAccessToken")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("id", &self.id)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// Options for an OAuth access token; start with [`MockServer::oauth_access_token`].
#[derive(Debug)]
pub struct OAuthAccessTokenBuilder<'a> {
    server: &'a MockServer,
    client_id: String,
    user_id: String,
    scopes: Option<Vec<String>>,
    lifetime: Duration,
    jwt: bool,
}

impl OAuthAccessTokenBuilder<'_> {
    /// The scopes granted (default: all the application's scopes); each must be one of the
    /// application's.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// How long the token lives (default one hour).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Issues a JWT (header `typ: at+jwt`, signed with the instance key, verifiable against the
    /// JWKS) instead of an opaque token. JWTs are not stored, so they cannot be revoked.
    pub fn jwt(mut self) -> Self {
        self.jwt = true;
        self
    }

    /// Issues the token, as if the user had just authorized the application.
    pub fn issue(self) -> Result<OAuthAccessToken, IssueError> {
        let shared = &self.server.shared;
        let mut store = shared.store.lock().unwrap_or_else(PoisonError::into_inner);
        let lifetime_ms = i64::try_from(self.lifetime.as_millis()).unwrap_or(i64::MAX);
        let issued = oauth::issue(
            &mut store,
            &shared.env,
            &self.client_id,
            &self.user_id,
            self.scopes,
            lifetime_ms,
            self.jwt,
        )
        .map_err(IssueError)?;
        Ok(OAuthAccessToken {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            id: issued.id,
            expires_at_ms: issued.expires_at_ms,
        })
    }
}

impl MockServer {
    /// Issues an OAuth access token of the OAuth application with `client_id` (created through
    /// `POST /oauth_applications`) for the user `user_id`, as Clerk does when the user authorizes
    /// the application. `POST /oauth_applications/access_tokens/verify` then knows it, and
    /// `POST /oauth_applications/{id}/revoke_token` revokes it.
    ///
    /// ```no_run
    /// # async fn demo(server: clerk_mock::MockServer) -> Result<(), clerk_mock::IssueError> {
    /// let token = server
    ///     .oauth_access_token("client_id_of_the_app", "user_2x...")
    ///     .scopes(["email"])
    ///     .issue()?;
    /// println!("Authorization: Bearer {}", token.access_token);
    /// # Ok(())
    /// # }
    /// ```
    pub fn oauth_access_token(
        &self,
        client_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> OAuthAccessTokenBuilder<'_> {
        OAuthAccessTokenBuilder {
            server: self,
            client_id: client_id.into(),
            user_id: user_id.into(),
            scopes: None,
            lifetime: Duration::from_secs(3600),
            jwt: false,
        }
    }

    /// The client token (what Clerk keeps in a browser's `__client` cookie) of a client, for
    /// `POST /clients/verify`. Every session belongs to a client: take the id from the session's
    /// `client_id`.
    pub fn client_token(&self, client_id: &str) -> Result<String, IssueError> {
        let store = self
            .shared
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        clients::token(&store, &self.shared.env, client_id).map_err(IssueError)
    }
}
