//! Starting, describing and stopping a mock server.

use crate::ids::{IdGen, random_token};
use crate::rate_limit::{Limiter, RateLimit};
use crate::router;
use crate::store::Store;
use crate::webhooks::{self, EventSender, WebhookTarget};
use axum::ServiceExt;
use base64::Engine as _;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// A running mock of Clerk's Backend API on `127.0.0.1`.
///
/// It answers every operation of the Backend API below [`MockServer::base_url`], requires
/// `Authorization: Bearer <secret_key()>` like Clerk does, and keeps users, sessions,
/// organizations and the other core resources in memory. The server stops when the value is
/// dropped. Servers are independent: each has its own state, secret key and instance id.
///
/// Needs a Tokio runtime (the server runs as tasks of the runtime `start` is called on).
///
/// ```no_run
/// # async fn demo() {
/// let server = clerk_mock::MockServer::start().await;
/// let client = reqwest::Client::new();
/// let users = client
///     .get(format!("{}/users", server.base_url()))
///     .bearer_auth(server.secret_key())
///     .send()
///     .await;
/// # }
/// ```
pub struct MockServer {
    address: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

/// Options for a [`MockServer`]; start with [`MockServer::builder`].
#[derive(Default)]
pub struct MockServerBuilder {
    secret_key: Option<String>,
    webhook: Option<(String, String)>,
    body_limit: Option<usize>,
    port: u16,
    rate_limit: Option<RateLimit>,
    session_refresh: bool,
}

/// Why a server could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The listening socket could not be opened.
    Bind(std::io::Error),
    /// The webhook URL or signing secret is not usable.
    Webhook(String),
    /// The secret key is empty or contains whitespace.
    SecretKey,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Bind(e) => write!(f, "cannot listen on 127.0.0.1: {e}"),
            StartError::Webhook(e) => write!(f, "webhook settings rejected: {e}"),
            StartError::SecretKey => {
                f.write_str("the secret key must be non-empty and without whitespace")
            }
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Bind(e) => Some(e),
            _ => None,
        }
    }
}

/// What the handlers of one server share.
pub(crate) struct Shared {
    pub env: Env,
    pub store: Mutex<Store>,
    pub events: Option<EventSender>,
    pub limiter: Option<Limiter>,
}

/// A server's fixed facts.
pub(crate) struct Env {
    pub secret_key: String,
    pub publishable_key: String,
    pub instance_id: String,
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    pub body_limit: usize,
    pub ids: IdGen,
    /// Added to the system clock for every time this server states (tests move it forward).
    pub clock_offset_ms: AtomicI64,
    /// Handshakes also set a `__refresh` cookie, for refreshes through the Backend API.
    pub session_refresh: bool,
}

impl Env {
    /// Milliseconds since the epoch on this server's clock.
    pub fn now_ms(&self) -> i64 {
        crate::ids::now_ms() + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Seconds since the epoch on this server's clock.
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

impl MockServerBuilder {
    /// Uses this secret key instead of a generated `sk_test_...` one.
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// Delivers webhook events to `url` (plain `http://`), signed with `signing_secret`
    /// (`whsec_<base64 key>`, as Clerk's dashboard shows it).
    pub fn webhook(mut self, url: impl Into<String>, signing_secret: impl Into<String>) -> Self {
        self.webhook = Some((url.into(), signing_secret.into()));
        self
    }

    /// Largest request body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`]); larger ones are
    /// answered with 413 `request_body_too_large`.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Answers 429 `too_many_requests` with `Retry-After` once the server has taken
    /// `limit.requests()` requests in the current window, as Clerk does (off by default).
    /// [`RateLimit::DEVELOPMENT`] has the figures of Clerk's development instances; a smaller
    /// [`RateLimit::new`] makes retry logic quick to test.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Makes Frontend API handshakes also set a `__refresh_<suffix>` cookie, so that an
    /// expired session token can be refreshed through the Backend API (`RefreshSession`)
    /// without a handshake. Off by default.
    pub fn session_refresh(mut self, enabled: bool) -> Self {
        self.session_refresh = enabled;
        self
    }

    /// Listens on this port instead of one the system picks.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts the server.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let secret_key = match self.secret_key {
            Some(key) if key.is_empty() || key.chars().any(char::is_whitespace) => {
                return Err(StartError::SecretKey);
            }
            Some(key) => key,
            None => format!("sk_test_{}", random_token(40)),
        };
        let target = match &self.webhook {
            Some((url, secret)) => {
                Some(WebhookTarget::new(url, secret).map_err(StartError::Webhook)?)
            }
            None => None,
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))
            .await
            .map_err(StartError::Bind)?;
        let address = listener.local_addr().map_err(StartError::Bind)?;

        let ids = IdGen::new();
        let instance_id = ids.next("ins");
        let origin = format!("http://{address}");
        // Clerk's publishable keys encode the Frontend API host followed by `$`.
        let publishable_key = format!(
            "pk_test_{}",
            base64::engine::general_purpose::STANDARD.encode(format!("{address}$"))
        );
        let events = target.map(|t| webhooks::spawn(t, instance_id.clone()));
        let shared = Arc::new(Shared {
            env: Env {
                secret_key,
                publishable_key,
                instance_id,
                origin,
                body_limit: self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
                ids,
                clock_offset_ms: AtomicI64::new(0),
                session_refresh: self.session_refresh,
            },
            store: Mutex::new(Store::default()),
            events,
            limiter: self.rate_limit.map(Limiter::new),
        });

        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = router::build(shared.clone());
        tokio::spawn(async move {
            let serve = axum::serve(
                listener,
                ServiceExt::<axum::extract::Request>::into_make_service(app),
            )
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            // Errors here mean the listener failed; there is nobody to report them to.
            let _ = serve.await;
        });
        Ok(MockServer {
            address,
            shared,
            shutdown: Some(shutdown),
        })
    }
}

impl MockServer {
    /// Starts a server with a generated secret key and default options.
    ///
    /// # Panics
    ///
    /// When no port can be opened on 127.0.0.1; use [`MockServer::builder`] to get the error
    /// instead.
    pub async fn start() -> MockServer {
        match MockServer::builder().start().await {
            Ok(server) => server,
            Err(e) => panic!("clerk-mock: {e}"),
        }
    }

    /// Options for a server.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The Backend API base URL, `http://127.0.0.1:<port>/v1` (Clerk's is `https://api.clerk.com/v1`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.shared.env.origin)
    }

    /// The secret key requests must carry (`Authorization: Bearer <key>`).
    pub fn secret_key(&self) -> &str {
        &self.shared.env.secret_key
    }

    /// A publishable key naming this server as the Frontend API host.
    pub fn publishable_key(&self) -> &str {
        &self.shared.env.publishable_key
    }

    /// The instance id (`ins_...`), also the `kid` of the signing key.
    pub fn instance_id(&self) -> &str {
        &self.shared.env.instance_id
    }

    /// The `iss` claim of the session tokens this server signs: `http://127.0.0.1:<port>`.
    pub fn issuer(&self) -> &str {
        &self.shared.env.origin
    }

    /// The Frontend API of this server, `http://127.0.0.1:<port>`: its handshake endpoint
    /// (`/v1/client/handshake`) and sign-in links. Clerk's is `https://<host>` from the
    /// publishable key; the mock speaks plain HTTP, so point an authenticator's `proxy_url` here.
    pub fn frontend_api_url(&self) -> &str {
        &self.shared.env.origin
    }

    /// Moves this server's clock forward: tokens it signs afterwards carry later times, and
    /// expiry checks of its tickets, nonces and refresh tokens see the later time. For tests of
    /// expiry, together with the clock of the verifier under test.
    pub fn advance_clock(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.shared
            .env
            .clock_offset_ms
            .fetch_add(ms, Ordering::Relaxed);
    }

    /// The socket address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The public key of the session-token signing key, PEM-encoded (what Clerk calls the JWT
    /// public key, for verifying tokens without fetching the JWKS).
    pub fn jwt_public_key_pem(&self) -> String {
        crate::keys::public_key_pem().unwrap_or_default()
    }
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url())
            .field("instance_id", &self.shared.env.instance_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl fmt::Debug for MockServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServerBuilder")
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("webhook_url", &self.webhook.as_ref().map(|(url, _)| url))
            .field("body_limit", &self.body_limit)
            .field("port", &self.port)
            .field("rate_limit", &self.rate_limit)
            .field("session_refresh", &self.session_refresh)
            .finish()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
