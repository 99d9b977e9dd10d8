//! The two Backend API calls of the web-app flow: the handshake payload behind a nonce, and
//! refreshing a session with its refresh token.

use std::fmt;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::ConfigError;
use crate::auth::backend::API_VERSION;
use crate::auth::outcome::RefreshFailure;

/// Backend API access with the instance's secret key.
pub(super) struct Api {
    client: reqwest::Client,
    base: url::Url,
    /// `Bearer <secret key>`, marked sensitive so that it stays out of logs.
    authorization: reqwest::header::HeaderValue,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// What a session refresh sends along with the two tokens.
pub(super) struct RefreshRequest<'a> {
    pub session_id: &'a str,
    pub expired_token: &'a str,
    pub refresh_token: &'a str,
    /// The origin of the request being authenticated.
    pub request_origin: String,
    /// The request's headers, each name with its values.
    pub request_headers: Map<String, Value>,
    /// Whether the browser uses the suffixed cookie names.
    pub suffixed_cookies: bool,
}

#[derive(Deserialize)]
struct Directives {
    directives: Vec<String>,
}

#[derive(Deserialize)]
struct CookieList {
    cookies: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ErrorList {
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    code: String,
}

impl Api {
    pub(super) fn new(
        client: reqwest::Client,
        api_url: &str,
        secret_key: &str,
    ) -> Result<Self, ConfigError> {
        let base = url::Url::parse(api_url.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && !u.cannot_be_a_base())
            .ok_or(ConfigError::InvalidApiUrl)?;
        let mut authorization = reqwest::header::HeaderValue::try_from(format!(
            "Bearer {secret_key}"
        ))
        .map_err(|_| {
            ConfigError::InvalidOption("secret_key", "contains characters not allowed in a header")
        })?;
        authorization.set_sensitive(true);
        Ok(Self {
            client,
            base,
            authorization,
        })
    }

    fn with_headers(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        builder
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .header("Clerk-API-Version", API_VERSION)
    }

    /// `GET /clients/handshake_payload?nonce=…`: the `Set-Cookie` directives behind a nonce.
    pub(super) async fn handshake_payload(&self, nonce: &str) -> Result<Vec<String>, String> {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(["clients", "handshake_payload"]);
        }
        let response = self
            .with_headers(self.client.get(url))
            .query(&[("nonce", nonce)])
            .send()
            .await
            .map_err(|e| format!("the handshake payload request failed: {e}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the handshake payload failed: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "the Backend API answered HTTP {status} for the handshake payload"
            ));
        }
        serde_json::from_slice::<Directives>(&body)
            .map(|d| d.directives)
            .map_err(|e| format!("the handshake payload is not a list of directives: {e}"))
    }

    /// `POST /sessions/{id}/refresh` with `format: cookie`: the cookies of the new session
    /// token, or why there are none.
    pub(super) async fn refresh_session(
        &self,
        request: RefreshRequest<'_>,
    ) -> Result<Vec<String>, RefreshFailure> {
        // The session id comes from a token's claims: encoded as one path segment.
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(["sessions", request.session_id, "refresh"]);
        }
        let mut builder = self.with_headers(self.client.post(url));
        if request.suffixed_cookies {
            builder = builder.query(&[("suffixed_cookies", "true")]);
        }
        let body = json!({
            "format": "cookie",
            "expired_token": request.expired_token,
            "refresh_token": request.refresh_token,
            "request_origin": request.request_origin,
            "request_headers": request.request_headers,
        });
        let response = builder.json(&body).send().await.map_err(|error| {
            tracing::warn!(%error, "could not reach the Backend API to refresh a session");
            RefreshFailure::FetchError
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|error| {
            tracing::warn!(%error, "could not read the session refresh answer");
            RefreshFailure::FetchError
        })?;
        if !status.is_success() {
            let code = serde_json::from_slice::<ErrorList>(&bytes)
                .ok()
                .and_then(|list| list.errors.into_iter().next())
                .map(|e| e.code);
            return Err(match code {
                Some(code) if code == "unexpected_error" => RefreshFailure::FetchError,
                Some(code) => RefreshFailure::Api(code),
                None => RefreshFailure::UnexpectedApiError,
            });
        }
        match serde_json::from_slice::<CookieList>(&bytes) {
            Ok(CookieList {
                cookies: Some(cookies),
            }) if !cookies.is_empty() => Ok(cookies),
            _ => Err(RefreshFailure::NoCookies),
        }
    }
}
