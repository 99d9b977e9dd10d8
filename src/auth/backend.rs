//! The two Backend API calls authentication needs, behind a small seam.
//!
//! Everything else in `auth` talks to [`Backend`], never to an HTTP client directly, so the
//! calls can move onto the crate's main API client without touching the verification logic.

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;

use super::TokenKind;

/// The `Clerk-API-Version` these calls are written against.
pub(crate) const API_VERSION: &str = crate::client::API_VERSION;

/// Default Backend API base URL.
pub(crate) const DEFAULT_API_URL: &str = "https://api.clerk.com/v1";

/// Largest reply of the Backend API that verification reads: a key set, or the answer to a
/// machine-token verification. Real ones are a few KiB.
pub const MAX_BACKEND_REPLY_SIZE: usize = 1024 * 1024;

/// Why a Backend API call did not produce a usable answer.
#[derive(Debug)]
pub(crate) enum BackendError {
    /// The API answered that the token is unknown or invalid (400, 404, 422).
    TokenRejected,
    /// The call could not be completed, or the API refused our credentials: the message says
    /// what happened, for the server's logs.
    Unavailable(String),
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TokenRejected => f.write_str("the Backend API rejected the token"),
            Self::Unavailable(msg) => f.write_str(msg),
        }
    }
}

/// The Backend API as authentication sees it.
pub(crate) trait Backend: Send + Sync {
    /// `GET /jwks`: the raw JSON body of the instance's key set.
    fn fetch_jwks(&self) -> BoxFuture<'_, Result<Vec<u8>, BackendError>>;

    /// `POST` to the verify endpoint of a machine token kind: the raw JSON body of the answer.
    fn verify_machine_token<'a>(
        &'a self,
        kind: TokenKind,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, BackendError>>;
}

/// A [`Backend`] over reqwest, authenticated with the instance's secret key.
pub(crate) struct HttpBackend {
    client: reqwest::Client,
    api_url: String,
    /// The `Authorization` header value, marked sensitive so that it stays out of logs.
    authorization: reqwest::header::HeaderValue,
    /// Limit for a key set fetch, shorter than the client's: a verification may be waiting.
    jwks_timeout: Duration,
}

impl fmt::Debug for HttpBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpBackend")
            .field("api_url", &self.api_url)
            .field("authorization", &"[redacted]")
            .field("jwks_timeout", &self.jwks_timeout)
            .finish()
    }
}

impl HttpBackend {
    pub(crate) fn new(
        client: reqwest::Client,
        api_url: &str,
        secret_key: &str,
        jwks_timeout: Duration,
    ) -> Result<Self, super::ConfigError> {
        let mut authorization = reqwest::header::HeaderValue::try_from(format!(
            "Bearer {secret_key}"
        ))
        .map_err(|_| {
            super::ConfigError::InvalidOption(
                "secret_key",
                "contains characters not allowed in a header",
            )
        })?;
        authorization.set_sensitive(true);
        Ok(Self {
            client,
            api_url: api_url.trim_end_matches('/').to_owned(),
            authorization,
            jwks_timeout,
        })
    }

    /// A client with timeouts suited to calls made while a request waits, following no
    /// redirect: the Backend API does not redirect, and a redirect followed could take the
    /// secret key elsewhere.
    pub(crate) fn default_client() -> Result<reqwest::Client, super::ConfigError> {
        let builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(crate::client::USER_AGENT);
        // The same TLS setup as the API client: ring, handed to this client
        // only (no process-wide provider is installed).
        #[cfg(feature = "rustls")]
        let builder = builder.tls_backend_preconfigured(
            crate::tls::rustls_config().map_err(|e| super::ConfigError::Tls(e.to_string()))?,
        );
        builder.build().map_err(super::ConfigError::HttpClient)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, BackendError> {
        let mut response = request
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .header("Clerk-API-Version", API_VERSION)
            .send()
            .await
            .map_err(|e| BackendError::Unavailable(format!("Backend API request failed: {e}")))?;
        let status = response.status();
        match status.as_u16() {
            // Only a success body is read, and never more than the limit.
            200..=299 => crate::body::read_limited(&mut response, MAX_BACKEND_REPLY_SIZE)
                .await
                .map(|body| body.to_vec())
                .map_err(|e| match e {
                    crate::body::ReadError::TooLarge { limit } => {
                        BackendError::Unavailable(format!(
                            "the Backend API reply is larger than {}; refused",
                            crate::body::human_size(limit)
                        ))
                    }
                    crate::body::ReadError::Transport(e) => BackendError::Unavailable(format!(
                        "reading the Backend API reply failed: {e}"
                    )),
                }),
            300..=399 => Err(BackendError::Unavailable(format!(
                "the Backend API answered HTTP {status} with a redirect to {}, not followed \
                 (the Backend API does not redirect: check the API URL)",
                response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map_or_else(
                        || "nowhere".to_owned(),
                        |l| crate::error::excerpt(l.as_bytes())
                    )
            ))),
            400 | 404 | 422 => Err(BackendError::TokenRejected),
            401 | 403 => Err(BackendError::Unavailable(format!(
                "the Backend API refused the secret key (HTTP {status}); check CLERK_SECRET_KEY"
            ))),
            _ => Err(BackendError::Unavailable(format!(
                "the Backend API answered HTTP {status}"
            ))),
        }
    }
}

impl Backend for HttpBackend {
    fn fetch_jwks(&self) -> BoxFuture<'_, Result<Vec<u8>, BackendError>> {
        Box::pin(async move {
            let url = format!("{}/jwks", self.api_url);
            let request = self.client.get(url).timeout(self.jwks_timeout);
            match self.send(request).await {
                // A 404 here is not about any token: report it as an outage.
                Err(BackendError::TokenRejected) => Err(BackendError::Unavailable(
                    "the Backend API refused the key set request".to_owned(),
                )),
                other => other,
            }
        })
    }

    fn verify_machine_token<'a>(
        &'a self,
        kind: TokenKind,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, BackendError>> {
        Box::pin(async move {
            // Each endpoint names its body field differently.
            let (path, field) = match kind {
                TokenKind::ApiKey => ("/api_keys/verify", "secret"),
                TokenKind::M2mToken => ("/m2m_tokens/verify", "token"),
                TokenKind::OAuthToken => {
                    ("/oauth_applications/access_tokens/verify", "access_token")
                }
                TokenKind::SessionToken => {
                    return Err(BackendError::Unavailable(
                        "session tokens are verified locally".to_owned(),
                    ));
                }
            };
            let url = format!("{}{path}", self.api_url);
            let body = serde_json::json!({ field: token });
            self.send(self.client.post(url).json(&body)).await
        })
    }
}
