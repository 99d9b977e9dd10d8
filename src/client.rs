//! [`Clerk`], the configured client, and its builder.

use crate::api;
use crate::retry::RetryPolicy;
use crate::{Error, Result};
use reqwest::header::HeaderValue;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The Backend API version this crate is generated from, sent as the
/// `Clerk-API-Version` header of every request.
pub const API_VERSION: &str = "2026-05-12";

/// The Backend API's address.
pub const DEFAULT_BASE_URL: &str = "https://api.clerk.com/v1";

/// Default limit for a whole request, reply body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default limit for opening a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default limit for the body of a successful reply, 32 MiB: far above any
/// reply of the Backend API (a page of 500 users is under 1 MiB), low enough
/// that a broken or hostile server cannot exhaust memory.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 32 * 1024 * 1024;

/// `User-Agent` of every request: this crate and its version.
pub const USER_AGENT: &str = concat!("clerk-backend-api-rust/", env!("CARGO_PKG_VERSION"));

/// A Clerk secret key (`sk_test_…` or `sk_live_…`). Its `Debug` and
/// `Display` never show the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Checks the shape of a secret key: `sk_` followed by printable ASCII
    /// without spaces.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(Error::Config("the secret key is empty".into()));
        }
        if key.starts_with("pk_") {
            return Err(Error::Config(
                "this is a publishable key (pk_…); the Backend API needs the secret key (sk_…)"
                    .into(),
            ));
        }
        if !key.starts_with("sk_") {
            return Err(Error::Config(
                "a secret key starts with sk_ (find it in the Clerk dashboard under API keys)"
                    .into(),
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config(
                "the secret key contains spaces or characters that cannot be sent in a header"
                    .into(),
            ));
        }
        Ok(SecretKey(key))
    }

    /// The key itself, for the rare code that must pass it on.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `sk_test_…` or `sk_live_…`, enough to tell keys apart in logs.
    fn redacted(&self) -> &str {
        if self.0.starts_with("sk_live_") {
            "sk_live_…"
        } else if self.0.starts_with("sk_test_") {
            "sk_test_…"
        } else {
            "sk_…"
        }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.redacted())
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.redacted())
    }
}

/// Settings the generated client carries to the request hooks.
#[derive(Clone)]
pub struct Inner {
    pub(crate) settings: Arc<Settings>,
    pub(crate) retry: Arc<RetryPolicy>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("settings", &self.settings)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Per-client settings, shared by clones.
pub(crate) struct Settings {
    pub(crate) secret: SecretKey,
    /// `Bearer <key>`, marked sensitive so that HTTP tooling does not print it.
    pub(crate) authorization: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) api_version: HeaderValue,
    /// Largest body of a successful reply read, in bytes.
    pub(crate) max_response_size: usize,
    /// The timeout of each attempt (request and whole reply), enforced by
    /// the transport, when this crate built the HTTP client; a client
    /// brought by the user keeps its own timeouts instead.
    pub(crate) attempt_timeout: Option<Duration>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("secret", &self.secret)
            .field("user_agent", &self.user_agent)
            .field("api_version", &self.api_version)
            .field("max_response_size", &self.max_response_size)
            .finish_non_exhaustive()
    }
}

/// The Backend API client.
///
/// Every operation of the API is a method, brought into scope by
/// [`prelude`](crate::prelude): `clerk.get_user().user_id(id).send().await`.
/// `Clerk` dereferences to the generated [`api::Client`], which carries
/// those methods; clones share one connection pool and are cheap.
///
/// ```no_run
/// use clerk_backend_api::prelude::*;
///
/// # async fn run() -> clerk_backend_api::Result<()> {
/// let clerk = Clerk::from_env()?;
/// let user = clerk.get_user().user_id("user_123").send().await?;
/// println!("{:?}", user.first_name);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Clerk {
    client: api::Client,
    base_url: String,
}

impl std::ops::Deref for Clerk {
    type Target = api::Client;
    fn deref(&self) -> &api::Client {
        &self.client
    }
}

impl Clerk {
    /// A client for the real API with this secret key and default settings.
    pub fn new(secret_key: impl Into<String>) -> Result<Self> {
        Clerk::builder(secret_key).build()
    }

    /// A client configured from the environment: `CLERK_SECRET_KEY`
    /// (required) and `CLERK_API_URL` (optional, the base URL; `https://`,
    /// or `http://` to a loopback host only, as for
    /// [`ClerkBuilder::base_url`]).
    pub fn from_env() -> Result<Self> {
        let key = std::env::var("CLERK_SECRET_KEY").map_err(|_| {
            Error::Config("CLERK_SECRET_KEY is not set (or is not valid UTF-8)".into())
        })?;
        let mut builder = Clerk::builder(key);
        if let Ok(url) = std::env::var("CLERK_API_URL") {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// A builder to set the base URL, timeouts, retries and more.
    pub fn builder(secret_key: impl Into<String>) -> ClerkBuilder {
        ClerkBuilder {
            secret_key: secret_key.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent_suffix: None,
            http_client: None,
            retry: RetryPolicy::default(),
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            allow_insecure_http: false,
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The generated client, for code that wants it by name.
    pub fn api(&self) -> &api::Client {
        &self.client
    }

    /// This client with another retry policy, sharing the connection pool.
    ///
    /// ```no_run
    /// # use clerk_backend_api::prelude::*;
    /// # async fn run(clerk: Clerk) -> clerk_backend_api::Result<()> {
    /// // No retry for this one request.
    /// let no_retry = clerk.with_retry_policy(RetryPolicy::disabled());
    /// no_retry.delete_user().user_id("user_123").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Clerk {
        let inner = Inner {
            settings: self.client.inner.settings.clone(),
            retry: Arc::new(policy),
        };
        Clerk {
            client: api::Client::new_with_client(&self.base_url, self.client.client.clone(), inner),
            base_url: self.base_url.clone(),
        }
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.client.inner.retry
    }

    /// The underlying HTTP client.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.client.client
    }
}

/// Configures a [`Clerk`]. Obtained from [`Clerk::builder`].
pub struct ClerkBuilder {
    secret_key: String,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent_suffix: Option<String>,
    http_client: Option<reqwest::Client>,
    retry: RetryPolicy,
    max_response_size: usize,
    allow_insecure_http: bool,
}

impl fmt::Debug for ClerkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkBuilder")
            .field("secret_key", &"(redacted)")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("http_client", &self.http_client.is_some())
            .field("retry", &self.retry)
            .field("max_response_size", &self.max_response_size)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

impl ClerkBuilder {
    /// Where requests go; default [`DEFAULT_BASE_URL`]. Point it at a proxy,
    /// or at a local mock server in tests. Include the `/v1` path.
    ///
    /// Every request carries the secret key, so `build()` refuses plain
    /// `http://` unless the host is this machine (`127.0.0.0/8`, `::1`,
    /// `localhost`); see
    /// [`danger_allow_insecure_http`](Self::danger_allow_insecure_http).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Limit for a whole request, default [`DEFAULT_TIMEOUT`]. Each retry
    /// attempt has its own limit, cut short when the retry budget
    /// ([`RetryPolicy::max_elapsed`]) runs out first.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for opening a connection, default [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Text appended to the `User-Agent`, such as `my-app/1.2`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Use this HTTP client (its own timeouts, proxy, redirect and TLS
    /// settings apply; the timeouts of this builder are then ignored).
    ///
    /// The clients this crate builds follow no redirect: the Backend API
    /// does not redirect, and a redirect followed could carry the secret key,
    /// or a request body, to another host. A 3xx reply is then an
    /// [`Error::Api`] naming its `Location`. A client brought here follows
    /// its own redirect policy (reqwest's default follows up to 10, dropping
    /// `Authorization` on a change of host).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// How failed requests are retried; see [`crate::retry`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Largest body of a successful reply, default
    /// [`DEFAULT_MAX_RESPONSE_SIZE`] (32 MiB). The limit is enforced while
    /// the body arrives: a reply announcing a longer body is refused before
    /// it is read, one without a length as soon as it passes the limit. The
    /// call then fails with [`Error::ResponseTooLarge`] and is not retried.
    /// Error replies are read only in part (64 KiB), since they are only
    /// quoted.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Allows a plain `http://` base URL to a host other than this machine.
    ///
    /// Off by default, and best left off: every request carries the secret
    /// key, which anyone on the network path can then read. Turn it on only
    /// for a TLS-terminating proxy on a network you trust. `http://` to
    /// `127.0.0.0/8`, `::1` and `localhost` (a local mock or sidecar) needs
    /// no opt-in.
    pub fn danger_allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Clerk> {
        let secret = SecretKey::new(self.secret_key)?;
        let base_url = normalize_base_url(&self.base_url, self.allow_insecure_http)?;
        if self.max_response_size == 0 {
            return Err(Error::Config(
                "max_response_size must be positive (the default is 32 MiB)".into(),
            ));
        }
        let mut authorization = HeaderValue::try_from(format!("Bearer {}", secret.expose()))
            .map_err(|_| Error::Config("the secret key cannot be sent in a header".into()))?;
        authorization.set_sensitive(true);
        let user_agent = match &self.user_agent_suffix {
            Some(suffix) => format!("{USER_AGENT} {suffix}"),
            None => USER_AGENT.to_string(),
        };
        let user_agent = HeaderValue::try_from(user_agent).map_err(|_| {
            Error::Config(
                "the user agent suffix contains characters not allowed in a header".into(),
            )
        })?;
        let (http, attempt_timeout) = match self.http_client {
            Some(client) => (client, None),
            None => (build_http_client(self.connect_timeout)?, Some(self.timeout)),
        };
        let inner = Inner {
            settings: Arc::new(Settings {
                secret,
                authorization,
                user_agent,
                api_version: HeaderValue::from_static(API_VERSION),
                max_response_size: self.max_response_size,
                attempt_timeout,
            }),
            retry: Arc::new(self.retry),
        };
        Ok(Clerk {
            client: api::Client::new_with_client(&base_url, http, inner),
            base_url,
        })
    }
}

/// Checks that the secret key may be sent to `url` (see
/// [`crate::secure_url`]) and drops a trailing slash.
fn normalize_base_url(url: &str, allow_insecure_http: bool) -> Result<String> {
    let parsed = crate::secure_url::check(url, allow_insecure_http)
        .map_err(|problem| Error::Config(format!("base URL {url:?}: {problem}")))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {url:?} must not have a query or fragment"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// The HTTP client's timeout of a whole request is left unset: the transport
/// times each attempt itself (one timer per attempt, where reqwest's would
/// arm one for the headers and another for the body).
fn build_http_client(connect_timeout: Duration) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none());
    #[cfg(feature = "rustls")]
    let builder = builder.tls_backend_preconfigured(crate::tls::rustls_config()?);
    builder
        .build()
        .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_never_shown() {
        assert!(matches!(SecretKey::new(""), Err(Error::Config(_))));
        assert!(
            matches!(SecretKey::new("pk_test_abc"), Err(Error::Config(m)) if m.contains("publishable"))
        );
        assert!(matches!(
            SecretKey::new("sk_test_a b"),
            Err(Error::Config(_))
        ));
        let key = SecretKey::new("sk_test_supersecret").unwrap();
        assert_eq!(format!("{key:?}"), "SecretKey(sk_test_…)");
        assert!(!format!("{key}").contains("supersecret"));
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            normalize_base_url("https://api.clerk.com/v1/", false).unwrap(),
            "https://api.clerk.com/v1"
        );
        assert!(normalize_base_url("api.clerk.com", false).is_err());
        assert!(normalize_base_url("ftp://x/v1", true).is_err());
        assert!(normalize_base_url("https://x/v1?a=b", false).is_err());
        assert!(normalize_base_url("http://127.0.0.1:8080/v1", false).is_ok());
        assert!(normalize_base_url("http://api.example.com/v1", false).is_err());
        assert!(normalize_base_url("http://api.example.com/v1", true).is_ok());
    }
}
