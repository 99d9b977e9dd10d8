//! The verifier: configuration, and the checks run on each token.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::request::Parts;

use super::backend::{Backend, BackendError, DEFAULT_API_URL, HttpBackend};
use super::cache::{self, Digest, TokenCache, TokenCacheStats};
use super::claims::{SessionClaims, Times};
use super::extract::{TokenSource, cookie_suffix, find_token};
use super::jwt::{self, Category, HeaderType, Jwt, Parsed};
use super::keys::{Algorithm, CachePolicy, JwksCache, KeyLookup, VerifyKey, parse_jwks};
use super::{ConfigError, MachineClaims, SignedOutReason, TokenKind, TokenKinds};

/// Default allowed clock skew between Clerk and this server.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(5);
/// Default lifetime of a fetched key set.
pub const DEFAULT_JWKS_CACHE_TTL: Duration = Duration::from_secs(300);
/// Default minimum time between two key set fetches (from the end of one to the start of the
/// next).
pub const DEFAULT_JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(5);
/// Default time past its TTL that a key set is still served while it cannot be refreshed.
pub const DEFAULT_JWKS_MAX_STALE: Duration = Duration::from_secs(60 * 60);
/// Default limit for one key set fetch.
pub const DEFAULT_JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// Default size limit of a token, in bytes. Session tokens are far smaller; the browser's
/// cookie limit is about 4 KiB.
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;
/// Default longest time a verified token is remembered by the
/// [token cache](VerifierBuilder::token_cache): a minute, the lifetime of a session token.
pub const DEFAULT_TOKEN_CACHE_MAX_AGE: Duration = Duration::from_secs(60);

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The outcome of authenticating a request.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    /// A token was found and passed every check.
    SignedIn(Principal),
    /// No acceptable token: the reason says which check failed.
    SignedOut(SignedOutReason),
}

impl AuthState {
    /// True for [`AuthState::SignedIn`].
    pub fn is_signed_in(&self) -> bool {
        matches!(self, Self::SignedIn(_))
    }

    /// The authenticated principal, if signed in.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Self::SignedIn(p) => Some(p),
            Self::SignedOut(_) => None,
        }
    }

    /// Why the request is signed out, if it is.
    pub fn reason(&self) -> Option<&SignedOutReason> {
        match self {
            Self::SignedIn(_) => None,
            Self::SignedOut(r) => Some(r),
        }
    }

    /// Converts into a `Result`, for use with `?`.
    pub fn into_result(self) -> Result<Principal, SignedOutReason> {
        match self {
            Self::SignedIn(p) => Ok(p),
            Self::SignedOut(r) => Err(r),
        }
    }
}

impl From<Result<Principal, SignedOutReason>> for AuthState {
    fn from(result: Result<Principal, SignedOutReason>) -> Self {
        match result {
            Ok(p) => Self::SignedIn(p),
            Err(r) => Self::SignedOut(r),
        }
    }
}

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    /// A user, through a session token.
    Session(Box<SessionClaims>),
    /// A machine token: API key, M2M token or OAuth access token.
    Machine(Box<MachineClaims>),
}

impl Principal {
    /// The kind of token that was verified.
    pub fn kind(&self) -> TokenKind {
        match self {
            Self::Session(_) => TokenKind::SessionToken,
            Self::Machine(m) => m.kind,
        }
    }

    /// The subject: the user id of a session, or the subject of a machine token.
    pub fn subject(&self) -> &str {
        match self {
            Self::Session(s) => &s.sub,
            Self::Machine(m) => &m.subject,
        }
    }

    /// The session claims, for a session token.
    pub fn session(&self) -> Option<&SessionClaims> {
        match self {
            Self::Session(s) => Some(s),
            Self::Machine(_) => None,
        }
    }

    /// The machine token details, for a machine token.
    pub fn machine(&self) -> Option<&MachineClaims> {
        match self {
            Self::Session(_) => None,
            Self::Machine(m) => Some(m),
        }
    }
}

/// Settings for a [`Verifier`]. Start from [`Verifier::builder`] or
/// [`VerifierBuilder::from_env`].
#[derive(Clone)]
pub struct VerifierBuilder {
    secret_key: Option<String>,
    jwt_key: Option<String>,
    jwks_json: Option<String>,
    publishable_key: Option<String>,
    issuer: Option<String>,
    api_url: String,
    authorized_parties: Vec<String>,
    audiences: Vec<String>,
    algorithms: Vec<Algorithm>,
    clock_skew: Duration,
    max_token_size: usize,
    jwks_cache_ttl: Duration,
    jwks_refetch_interval: Duration,
    jwks_max_stale: Duration,
    jwks_fetch_timeout: Duration,
    token_cache_entries: usize,
    token_cache_max_age: Duration,
    accept: TokenKinds,
    http_client: Option<reqwest::Client>,
    allow_insecure_http: bool,
    clock: Option<Clock>,
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[redacted]"),
            )
            .field("jwt_key", &self.jwt_key.as_ref().map(|_| "[set]"))
            .field("jwks_json", &self.jwks_json.as_ref().map(|_| "[set]"))
            .field("publishable_key", &self.publishable_key)
            .field("issuer", &self.issuer)
            .field("api_url", &self.api_url)
            .field("authorized_parties", &self.authorized_parties)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .field("clock_skew", &self.clock_skew)
            .field("max_token_size", &self.max_token_size)
            .field("jwks_cache_ttl", &self.jwks_cache_ttl)
            .field("jwks_refetch_interval", &self.jwks_refetch_interval)
            .field("jwks_max_stale", &self.jwks_max_stale)
            .field("jwks_fetch_timeout", &self.jwks_fetch_timeout)
            .field("token_cache_entries", &self.token_cache_entries)
            .field("token_cache_max_age", &self.token_cache_max_age)
            .field("accept", &self.accept)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        Self {
            secret_key: None,
            jwt_key: None,
            jwks_json: None,
            publishable_key: None,
            issuer: None,
            api_url: DEFAULT_API_URL.to_owned(),
            authorized_parties: Vec::new(),
            audiences: Vec::new(),
            algorithms: vec![Algorithm::RS256],
            clock_skew: DEFAULT_CLOCK_SKEW,
            max_token_size: DEFAULT_MAX_TOKEN_SIZE,
            jwks_cache_ttl: DEFAULT_JWKS_CACHE_TTL,
            jwks_refetch_interval: DEFAULT_JWKS_REFETCH_INTERVAL,
            jwks_max_stale: DEFAULT_JWKS_MAX_STALE,
            jwks_fetch_timeout: DEFAULT_JWKS_FETCH_TIMEOUT,
            token_cache_entries: 0,
            token_cache_max_age: DEFAULT_TOKEN_CACHE_MAX_AGE,
            accept: TokenKinds::SESSION,
            http_client: None,
            allow_insecure_http: false,
            clock: None,
        }
    }
}

impl VerifierBuilder {
    /// Settings read from the environment: `CLERK_SECRET_KEY`, `CLERK_JWT_KEY`,
    /// `CLERK_PUBLISHABLE_KEY` and `CLERK_API_URL`, each when set and non-empty. Further
    /// options (authorized parties above all) can be chained before [`build`](Self::build).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let defaults = Self::default();
        Self {
            secret_key: var("CLERK_SECRET_KEY"),
            jwt_key: var("CLERK_JWT_KEY"),
            publishable_key: var("CLERK_PUBLISHABLE_KEY"),
            api_url: var("CLERK_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_owned()),
            ..defaults
        }
    }

    /// The instance's secret key (`sk_…`): used to fetch the key set and to verify opaque
    /// machine tokens through the Backend API. Never printed.
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Some(secret_key.into());
        self
    }

    /// The instance's PEM public key (`CLERK_JWT_KEY`): session tokens are then verified
    /// without any network call, whatever their `kid`.
    pub fn jwt_key(mut self, pem: impl Into<String>) -> Self {
        self.jwt_key = Some(pem.into());
        self
    }

    /// The instance's key set as JWKS JSON (the body of the Backend API's `GET /jwks`), held in
    /// memory: session tokens are then verified without any network call, by their `kid`.
    /// Takes precedence over fetching with the secret key; wins over nothing else (a
    /// [PEM key](Self::jwt_key) is used if both are given). Replace it later with
    /// [`Verifier::set_jwks_json`].
    pub fn jwks_json(mut self, jwks: impl Into<String>) -> Self {
        self.jwks_json = Some(jwks.into());
        self
    }

    /// The instance's publishable key (`pk_…`). The expected issuer is derived from it (unless
    /// [`issuer`](Self::issuer) is set), as is the suffix of the instance's session cookie.
    pub fn publishable_key(mut self, publishable_key: impl Into<String>) -> Self {
        self.publishable_key = Some(publishable_key.into());
        self
    }

    /// The exact `iss` value tokens must carry (e.g. `https://clerk.example.com`).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The Backend API base URL; defaults to `https://api.clerk.com/v1`.
    ///
    /// Key set fetches and machine-token verifications carry the secret key, so
    /// [`build`](Self::build) refuses plain `http://` unless the host is this machine
    /// (`127.0.0.0/8`, `::1`, `localhost`); see
    /// [`danger_allow_insecure_http`](Self::danger_allow_insecure_http).
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// Allows a plain `http://` API URL to a host other than this machine.
    ///
    /// Off by default, and best left off: the secret key then crosses the network in
    /// cleartext. Turn it on only for a TLS-terminating proxy on a network you trust.
    pub fn danger_allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Origins allowed in the `azp` claim (e.g. `https://app.example.com`). Once set, a
    /// session token must carry an `azp` equal to one of them: a token without `azp` is
    /// refused, as Clerk's SDK does. Set this in production to stop tokens minted for other
    /// origins. Empty (the default): `azp` is not checked.
    pub fn authorized_parties<I, S>(mut self, parties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorized_parties = parties.into_iter().map(Into::into).collect();
        self
    }

    /// Accepted `aud` values. When set, session and OAuth JWTs must name one of them.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// Accepted signature algorithms; `[RS256]` by default, which is what Clerk uses.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Allowed clock difference when checking `exp`, `nbf` and `iat`; 5 s by default.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Longest accepted token in bytes; 8 KiB by default. Longer tokens are refused unread.
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.max_token_size = bytes;
        self
    }

    /// How long a fetched key set is trusted before it is fetched again; 5 minutes by default.
    pub fn jwks_cache_ttl(mut self, ttl: Duration) -> Self {
        self.jwks_cache_ttl = ttl;
        self
    }

    /// Minimum time from the end of one key set fetch to the start of the next, including
    /// fetches caused by an unknown `kid`; 5 s by default. Zero refetches on every unknown
    /// `kid`.
    ///
    /// After a failed fetch this is a negative cache: for this long, a verification that
    /// needs a fetch fails at once with [`SignedOutReason::KeysUnavailable`] instead of
    /// waiting for another.
    pub fn jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.jwks_refetch_interval = interval;
        self
    }

    /// How long past its TTL a key set is still used while it cannot be refreshed; one hour by
    /// default.
    ///
    /// A key set past its TTL is served at once while a refresh runs in the background, so
    /// a slow or unreachable API does not slow verifications down; once it is older than the
    /// TTL plus this, it is no longer used and verifications fail with
    /// [`SignedOutReason::KeysUnavailable`] until a fetch succeeds. This bounds how long a key
    /// removed from the instance stays trusted when the API cannot be reached.
    pub fn jwks_max_stale(mut self, max_stale: Duration) -> Self {
        self.jwks_max_stale = max_stale;
        self
    }

    /// Limit for one key set fetch; 3 s by default. When no usable key set is cached, a
    /// verification waits for the fetch, so this is kept shorter than the HTTP client's own
    /// limit. It applies to a client given with [`http_client`](Self::http_client) too.
    pub fn jwks_fetch_timeout(mut self, timeout: Duration) -> Self {
        self.jwks_fetch_timeout = timeout;
        self
    }

    /// Turns on the cache of verified tokens, holding at most `max_entries` tokens (0, the
    /// default, turns it off).
    ///
    /// A server receives the same session token with every request of a browser until the
    /// token is refreshed; with the cache, the signature of a token is checked once and later
    /// requests with the exact same bytes skip that check. What stays true on every hit:
    ///
    /// - the time checks (`exp`, `nbf`, `iat`, with the clock skew) run again;
    /// - an entry never outlives the token's `exp`, nor [the maximum
    ///   age](Self::token_cache_max_age) (60 s by default);
    /// - entries verified under a key set are dropped when the key set changes (a refetch
    ///   that brings other keys, or [`Verifier::set_jwks_json`]);
    /// - tokens are remembered by the SHA-256 of their bytes; the token itself is not kept;
    /// - the cache belongs to this verifier (and its clones), never to the process.
    ///
    /// Only JWTs are cached; opaque machine tokens are asked to the Backend API each time,
    /// so that a revoked one stops working at once. Memory: about 1 KiB per entry for a
    /// typical session token's claims.
    pub fn token_cache(mut self, max_entries: usize) -> Self {
        self.token_cache_entries = max_entries;
        self
    }

    /// The longest time a verified token stays in the [token cache](Self::token_cache); 60 s
    /// by default. A token whose `exp` comes sooner leaves at its `exp`.
    pub fn token_cache_max_age(mut self, max_age: Duration) -> Self {
        self.token_cache_max_age = max_age;
        self
    }

    /// Token kinds accepted by [`Verifier::authenticate`]; session tokens only by default.
    pub fn accept(mut self, kinds: TokenKinds) -> Self {
        self.accept = kinds;
        self
    }

    /// The HTTP client for Backend API calls. By default one is created with short timeouts
    /// that follows no redirect; a client given here keeps its own redirect policy.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Replaces the system clock used for time checks, e.g. to test tokens at fixed times.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// Checks the settings and builds the verifier.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        let issuer = match (&self.issuer, &self.publishable_key) {
            (Some(issuer), _) => Some(issuer.clone()),
            (None, Some(pk)) => Some(issuer_from_publishable_key(pk)?),
            (None, None) => None,
        };
        let cookie_suffix = self.publishable_key.as_deref().map(cookie_suffix);
        if self.algorithms.is_empty() {
            return Err(ConfigError::InvalidOption(
                "algorithms",
                "at least one is needed",
            ));
        }
        if self.max_token_size == 0 {
            return Err(ConfigError::InvalidOption(
                "max_token_size",
                "must be positive",
            ));
        }
        let clock_skew_ms = i64::try_from(self.clock_skew.as_millis())
            .map_err(|_| ConfigError::InvalidOption("clock_skew", "too large"))?;

        let backend: Option<Arc<dyn Backend>> = match &self.secret_key {
            Some(secret) => {
                let url = self.api_url.trim();
                match crate::secure_url::check(url, self.allow_insecure_http) {
                    Ok(_) => {}
                    Err(crate::secure_url::UrlProblem::Cleartext(host)) => {
                        return Err(ConfigError::InsecureApiUrl(host));
                    }
                    Err(_) => return Err(ConfigError::InvalidApiUrl),
                }
                if self.jwks_fetch_timeout.is_zero() {
                    return Err(ConfigError::InvalidOption(
                        "jwks_fetch_timeout",
                        "must be positive",
                    ));
                }
                let client = match self.http_client {
                    Some(client) => client,
                    None => HttpBackend::default_client()?,
                };
                Some(Arc::new(HttpBackend::new(
                    client,
                    url,
                    secret.trim(),
                    self.jwks_fetch_timeout,
                )?))
            }
            None => None,
        };
        let keys = match (&self.jwt_key, &self.jwks_json, &backend) {
            (Some(pem), _, _) => KeySource::Pem(Arc::new(VerifyKey::from_pem(pem)?)),
            (None, Some(json), _) => KeySource::Static(RwLock::new(Arc::new(key_set(json)?))),
            (None, None, Some(_)) => KeySource::Jwks(JwksCache::new(CachePolicy {
                ttl: self.jwks_cache_ttl,
                max_stale: self.jwks_max_stale,
                min_refetch_interval: self.jwks_refetch_interval,
            })),
            (None, None, None) => return Err(ConfigError::NoKeySource),
        };
        let token_cache = match self.token_cache_entries {
            0 => None,
            entries => {
                let max_age_ms = i64::try_from(self.token_cache_max_age.as_millis())
                    .map_err(|_| ConfigError::InvalidOption("token_cache_max_age", "too large"))?;
                Some(TokenCache::new(entries, max_age_ms))
            }
        };
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys,
                backend,
                issuer,
                cookie_suffix,
                authorized_parties: self.authorized_parties,
                audiences: self.audiences,
                algorithms: self.algorithms,
                clock_skew_ms,
                max_token_size: self.max_token_size,
                accept: self.accept,
                clock: self.clock,
                token_cache,
                key_generation: AtomicU64::new(0),
            }),
        })
    }
}

/// Reads a JWKS document given in memory; it must hold at least one usable RSA key.
fn key_set(json: &str) -> Result<HashMap<String, Arc<VerifyKey>>, ConfigError> {
    let keys =
        parse_jwks(json.as_bytes()).map_err(|e| ConfigError::InvalidKeySet(e.to_string()))?;
    if keys.is_empty() {
        return Err(ConfigError::InvalidKeySet(
            "it holds no RSA signing key with a `kid`".to_owned(),
        ));
    }
    Ok(keys)
}

/// `pk_<env>_<base64 of "<frontend-api-host>$">` -> `https://<frontend-api-host>`.
fn issuer_from_publishable_key(pk: &str) -> Result<String, ConfigError> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let rest = pk
        .trim()
        .strip_prefix("pk_")
        .ok_or(ConfigError::InvalidPublishableKey(
            "it should start with `pk_`",
        ))?;
    let (_env, encoded) = rest
        .split_once('_')
        .ok_or(ConfigError::InvalidPublishableKey(
            "expected `pk_<env>_<data>`",
        ))?;
    let decoded = LENIENT
        .decode(encoded)
        .map_err(|_| ConfigError::InvalidPublishableKey("the data part is not base64"))?;
    let decoded = String::from_utf8(decoded)
        .map_err(|_| ConfigError::InvalidPublishableKey("the data part is not text"))?;
    let host = decoded
        .strip_suffix('$')
        .filter(|h| !h.is_empty() && !h.contains(['/', '$', ' ']))
        .ok_or(ConfigError::InvalidPublishableKey(
            "the data part does not name a host",
        ))?;
    Ok(format!("https://{host}"))
}

enum KeySource {
    /// A configured PEM key, used for every token.
    Pem(Arc<VerifyKey>),
    /// A key set given in memory, by `kid`; replaced whole by `set_jwks_json`.
    Static(RwLock<Arc<HashMap<String, Arc<VerifyKey>>>>),
    /// Keys fetched from the Backend API, by `kid`.
    Jwks(JwksCache),
}

struct Inner {
    keys: KeySource,
    backend: Option<Arc<dyn Backend>>,
    issuer: Option<String>,
    cookie_suffix: Option<String>,
    authorized_parties: Vec<String>,
    audiences: Vec<String>,
    algorithms: Vec<Algorithm>,
    clock_skew_ms: i64,
    max_token_size: usize,
    accept: TokenKinds,
    clock: Option<Clock>,
    /// Verified tokens, when turned on.
    token_cache: Option<TokenCache>,
    /// Bumped when the in-memory key set is replaced; added to the fetched set's generation.
    key_generation: AtomicU64,
}

/// Verifies Clerk session tokens and machine tokens. Cheap to clone; clones share the key
/// cache.
///
/// Each verifier owns its key cache: build one per Clerk instance and share it (clone it)
/// across requests, rather than building one per request.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Verifier")
            .field(
                "keys",
                &match inner.keys {
                    KeySource::Pem(_) => "pem",
                    KeySource::Static(_) => "jwks in memory",
                    KeySource::Jwks(_) => "jwks",
                },
            )
            .field("secret_key", &inner.backend.as_ref().map(|_| "[redacted]"))
            .field("issuer", &inner.issuer)
            .field("authorized_parties", &inner.authorized_parties)
            .field("audiences", &inner.audiences)
            .field("algorithms", &inner.algorithms)
            .field("accept", &inner.accept)
            .field("token_cache", &inner.token_cache.is_some())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Starts configuring a verifier.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// A verifier configured from the environment alone; see [`VerifierBuilder::from_env`].
    /// Use the builder to add authorized parties.
    pub fn from_env() -> Result<Self, ConfigError> {
        VerifierBuilder::from_env().build()
    }

    /// Replaces the key set of a verifier built with [`VerifierBuilder::jwks_json`], e.g. when
    /// the instance rotates its keys. Returns the number of usable keys. The token cache is
    /// emptied: nothing verified under the old keys is trusted any longer.
    ///
    /// Fails, leaving the keys unchanged, when the document holds no usable key, or when this
    /// verifier takes its keys from a PEM key or from the Backend API.
    pub fn set_jwks_json(&self, jwks: &str) -> Result<usize, ConfigError> {
        let KeySource::Static(held) = &self.inner.keys else {
            return Err(ConfigError::InvalidOption(
                "jwks",
                "this verifier takes its keys from a PEM key or the Backend API, not from JWKS given in memory",
            ));
        };
        let keys = key_set(jwks)?;
        let count = keys.len();
        *held.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
        self.inner.key_generation.fetch_add(1, Ordering::Release);
        self.clear_token_cache();
        Ok(count)
    }

    /// The counters of the [token cache](VerifierBuilder::token_cache); `None` when it is off.
    pub fn token_cache_stats(&self) -> Option<TokenCacheStats> {
        self.inner.token_cache.as_ref().map(TokenCache::stats)
    }

    /// Empties the [token cache](VerifierBuilder::token_cache), if there is one.
    pub fn clear_token_cache(&self) {
        if let Some(cache) = &self.inner.token_cache {
            cache.clear();
        }
    }

    /// The token kinds [`authenticate`](Self::authenticate) accepts.
    pub fn accepted_kinds(&self) -> TokenKinds {
        self.inner.accept
    }

    /// Authenticates a request from its headers, accepting the configured token kinds.
    pub async fn authenticate(&self, headers: &HeaderMap) -> AuthState {
        self.authenticate_with(headers, self.inner.accept).await
    }

    /// Authenticates a request from its [`Parts`], accepting the configured token kinds.
    pub async fn authenticate_parts(&self, parts: &Parts) -> AuthState {
        self.authenticate(&parts.headers).await
    }

    /// Authenticates a request from its headers, accepting the given token kinds.
    ///
    /// The token is taken from `Authorization: Bearer` first, then from the session cookie.
    /// Machine tokens are only accepted from the header: browsers send cookies on their own,
    /// machines don't.
    pub async fn authenticate_with(&self, headers: &HeaderMap, accept: TokenKinds) -> AuthState {
        let state: AuthState = match self.locate(headers, accept) {
            Err(reason) => Err(reason),
            Ok((token, accept)) => self.verify_token(&token, accept).await,
        }
        .into();
        log_outcome(&state);
        state
    }

    /// [`authenticate`](Self::authenticate) without any network call, for code that is not
    /// async: see [`verify_token_sync`](Self::verify_token_sync) for what that allows.
    pub fn authenticate_sync(&self, headers: &HeaderMap) -> AuthState {
        let state: AuthState = match self.locate(headers, self.inner.accept) {
            Err(reason) => Err(reason),
            Ok((token, accept)) => self.verify_token_sync(&token, accept),
        }
        .into();
        log_outcome(&state);
        state
    }

    /// The request's token and the kinds it may be, given where it was found.
    fn locate<'h>(
        &self,
        headers: &'h HeaderMap,
        accept: TokenKinds,
    ) -> Result<(Cow<'h, str>, TokenKinds), SignedOutReason> {
        match find_token(headers, self.inner.cookie_suffix.as_deref()) {
            None => Err(SignedOutReason::TokenMissing),
            Some((token, TokenSource::Header)) => Ok((token, accept)),
            Some((token, TokenSource::Cookie)) => {
                let accept = if accept.contains(TokenKind::SessionToken) {
                    TokenKinds::SESSION
                } else {
                    TokenKinds::NONE
                };
                Ok((token, accept))
            }
        }
    }

    /// Verifies a session token (JWT), as found in a request.
    pub async fn verify_session_token(
        &self,
        token: &str,
    ) -> Result<SessionClaims, SignedOutReason> {
        session_of(self.verify_token(token, TokenKinds::SESSION).await?)
    }

    /// [`verify_session_token`](Self::verify_session_token) without any network call; see
    /// [`verify_token_sync`](Self::verify_token_sync).
    ///
    /// ```
    /// use clerk_backend_api::auth::{SignedOutReason, Verifier};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // The key set as the Backend API's `GET /jwks` returns it, e.g. from a file.
    /// let jwks = r#"{"keys":[{"kty":"RSA","kid":"ins_1","alg":"RS256","use":"sig","e":"AQAB",
    ///   "n":"sKbvrm8kHjV8Fm_KY_PuQKrEZSTXBrhq6jOTMHbaHAEtN0HQB2Ro8BbbfxAKDxZgw6E6UKBTUuO-nodKIQ3x
    /// ViF-AOS4MThnhuMkRHtmC-aAG4C0tK3DEDGE3-zqzlGPAfYdPDCj16ijmA3sY7hxwdhjqzv2hrMphjmwaMc-DsTxIh
    /// rmzG-fUJ9PzBeHTmzGNQebjmt6eaRC7HFZZBY2eUm1T3S6_9wn1iJB5zTz2oUXRl97fFb2RvJdn3b9eQHeDSfLYsF
    /// QRQzMRt7slpMJ3Xq-m1Rs20ENHoRr9RS6J7nItWaFoKIf8vBHSwoUI3ij_9MX8B9WCM1TRPRoX1WBmRoL_tYw"}]}"#;
    /// let verifier = Verifier::builder().jwks_json(jwks.replace('\n', "")).build()?;
    /// assert_eq!(
    ///     verifier.verify_session_token_sync("not-a-jwt").err(),
    ///     Some(SignedOutReason::Malformed)
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn verify_session_token_sync(&self, token: &str) -> Result<SessionClaims, SignedOutReason> {
        session_of(self.verify_token_sync(token, TokenKinds::SESSION)?)
    }

    /// Verifies any token of the accepted kinds: opaque machine tokens through the Backend
    /// API, JWTs (session, M2M, OAuth) locally against the instance keys.
    ///
    /// The token is taken exactly as given: surrounding whitespace makes it malformed, as in
    /// Clerk's SDK ([`authenticate`](Self::authenticate) drops the whitespace around a header
    /// or cookie value, which HTTP does not count as part of it).
    pub async fn verify_token(
        &self,
        token: &str,
        accept: TokenKinds,
    ) -> Result<Principal, SignedOutReason> {
        self.verify_token_parsed(token, accept, Parsed::default())
            .await
    }

    /// [`verify_token`](Self::verify_token), reusing the parts of the token the caller parsed
    /// already (see [`Parsed`] for what they must be).
    pub(crate) async fn verify_token_parsed(
        &self,
        token: &str,
        accept: TokenKinds,
        parsed: Parsed<'_>,
    ) -> Result<Principal, SignedOutReason> {
        if let Some(kind) = self.screen(token, accept)? {
            return self.verify_opaque(kind, token).await;
        }
        let now_ms = self.now_ms();
        let generation = self.key_generation();
        let digest = match self.cached(token, accept, now_ms, generation) {
            Lookup::Hit(result) => return result,
            Lookup::Miss(digest) => digest,
        };
        let checked = self.check_header(token, accept, parsed)?;
        let key = self.key_for(checked.jwt.header.kid.as_deref()).await?;
        let (principal, times) = self.check_rest(&checked, &key, accept)?;
        self.remember(digest, &principal, times, generation);
        Ok(principal)
    }

    /// [`verify_token`](Self::verify_token) without any network call, for code that is not
    /// async.
    ///
    /// It uses the keys the verifier holds: a [PEM key](VerifierBuilder::jwt_key), a key set
    /// [given in memory](VerifierBuilder::jwks_json), or the keys fetched earlier from the
    /// Backend API (a `kid` not among them is [`SignedOutReason::UnknownKey`], and nothing
    /// fetched yet is [`SignedOutReason::KeysUnavailable`]). Opaque machine tokens need the
    /// Backend API: they are refused with [`SignedOutReason::BackendUnavailable`].
    pub fn verify_token_sync(
        &self,
        token: &str,
        accept: TokenKinds,
    ) -> Result<Principal, SignedOutReason> {
        if let Some(kind) = self.screen(token, accept)? {
            tracing::warn!("a {kind} token needs the Backend API, which the sync path never calls");
            return Err(SignedOutReason::BackendUnavailable);
        }
        let now_ms = self.now_ms();
        let generation = self.key_generation();
        let digest = match self.cached(token, accept, now_ms, generation) {
            Lookup::Hit(result) => return result,
            Lookup::Miss(digest) => digest,
        };
        let checked = self.check_header(token, accept, Parsed::default())?;
        let key = self.key_at_hand(checked.jwt.header.kid.as_deref())?;
        let (principal, times) = self.check_rest(&checked, &key, accept)?;
        self.remember(digest, &principal, times, generation);
        Ok(principal)
    }

    /// Size and emptiness; the kind of an opaque machine token (`Some`), or `None` for a JWT.
    fn screen(
        &self,
        token: &str,
        accept: TokenKinds,
    ) -> Result<Option<TokenKind>, SignedOutReason> {
        if token.len() > self.inner.max_token_size {
            return Err(SignedOutReason::TokenTooLarge);
        }
        if token.is_empty() {
            return Err(SignedOutReason::TokenMissing);
        }
        match TokenKind::from_opaque_prefix(token) {
            Some(kind) if !accept.contains(kind) => {
                Err(SignedOutReason::TokenKindNotAccepted(kind))
            }
            other => Ok(other),
        }
    }

    async fn verify_opaque(
        &self,
        kind: TokenKind,
        token: &str,
    ) -> Result<Principal, SignedOutReason> {
        let Some(backend) = &self.inner.backend else {
            tracing::warn!("a {kind} token arrived but no secret key is configured to verify it");
            return Err(SignedOutReason::BackendUnavailable);
        };
        let body = match backend.verify_machine_token(kind, token).await {
            Ok(body) => body,
            Err(BackendError::TokenRejected) => return Err(SignedOutReason::TokenInvalid),
            Err(BackendError::Unavailable(error)) => {
                tracing::warn!(%error, "could not verify a {kind} token");
                return Err(SignedOutReason::BackendUnavailable);
            }
        };
        let claims = MachineClaims::from_api_response(kind, &body)?;
        if claims
            .expiration_ms
            .is_some_and(|exp| exp <= self.now_ms().saturating_sub(self.inner.clock_skew_ms))
        {
            return Err(SignedOutReason::Expired);
        }
        Ok(Principal::Machine(Box::new(claims)))
    }

    /// The checks that need no key: structure, header `typ`, `cat`, `alg` and `crit`.
    fn check_header<'t>(
        &self,
        token: &'t str,
        accept: TokenKinds,
        parsed: Parsed<'t>,
    ) -> Result<HeaderChecked<'t>, SignedOutReason> {
        let inner = &*self.inner;
        let jwt = Jwt::parse_with(token, parsed)?;

        // What the header says the token is; an M2M JWT without `cat` is only recognizable by
        // its `sub`, after the signature check.
        let kind = match jwt.header.typ()? {
            HeaderType::AccessToken => TokenKind::OAuthToken,
            HeaderType::Jwt => match jwt.header.category() {
                Category::SessionLike => TokenKind::SessionToken,
                Category::M2m => TokenKind::M2mToken,
                Category::Unrecognized => return Err(SignedOutReason::UnrecognizedCategory),
            },
        };
        let maybe_m2m = kind == TokenKind::SessionToken && accept.contains(TokenKind::M2mToken);
        if !accept.contains(kind) && !maybe_m2m {
            return Err(SignedOutReason::TokenKindNotAccepted(kind));
        }

        let alg = Algorithm::from_jose(&jwt.header.alg)
            .filter(|alg| inner.algorithms.contains(alg))
            .ok_or(SignedOutReason::AlgorithmNotAllowed)?;
        if jwt.header.crit.is_some() {
            return Err(SignedOutReason::Malformed);
        }
        Ok(HeaderChecked { jwt, kind, alg })
    }

    /// Signature, then claims.
    fn check_rest(
        &self,
        checked: &HeaderChecked<'_>,
        key: &VerifyKey,
        accept: TokenKinds,
    ) -> Result<(Principal, Times), SignedOutReason> {
        let inner = &*self.inner;
        let HeaderChecked { jwt, alg, .. } = checked;
        let mut kind = checked.kind;
        if key.alg.is_some_and(|key_alg| key_alg != *alg) {
            return Err(SignedOutReason::AlgorithmNotAllowed);
        }
        let signature = jwt.signature()?;
        if !key.verify(*alg, jwt.signing_input, &signature) {
            return Err(SignedOutReason::BadSignature);
        }

        let claims = jwt.claims()?;
        let sub = match jwt::string_claim(&claims, "sub")? {
            Some(sub) if !sub.is_empty() => sub.to_owned(),
            _ => return Err(SignedOutReason::MissingClaim("sub")),
        };
        if kind == TokenKind::SessionToken && sub.starts_with("mch_") {
            kind = TokenKind::M2mToken;
        }
        if !accept.contains(kind) {
            return Err(SignedOutReason::TokenKindNotAccepted(kind));
        }

        let exp = jwt::numeric_date(&claims, "exp")?.ok_or(SignedOutReason::MissingClaim("exp"))?;
        let nbf = jwt::numeric_date(&claims, "nbf")?;
        let iat = jwt::numeric_date(&claims, "iat")?;
        jwt::check_times(exp, nbf, iat, self.now_ms(), inner.clock_skew_ms)?;

        // Issuer and authorized party describe the browser session; machine JWTs are checked
        // by signature, time and (OAuth) audience only.
        if kind == TokenKind::SessionToken {
            if let Some(expected) = &inner.issuer
                && jwt::string_claim(&claims, "iss")? != Some(expected.as_str())
            {
                return Err(SignedOutReason::WrongIssuer);
            }
            // Once parties are configured, a token must name one: a token without `azp` could
            // have been minted for any origin.
            let azp = jwt::string_claim(&claims, "azp")?;
            if !inner.authorized_parties.is_empty()
                && !azp.is_some_and(|azp| inner.authorized_parties.iter().any(|p| p == azp))
            {
                return Err(SignedOutReason::WrongAuthorizedParty);
            }
        }
        if kind != TokenKind::M2mToken
            && !inner.audiences.is_empty()
            && !jwt::audience_matches(&claims, &inner.audiences)
        {
            return Err(SignedOutReason::WrongAudience);
        }

        let times = Times { exp, nbf, iat };
        let principal = match kind {
            TokenKind::SessionToken => {
                Principal::Session(Box::new(SessionClaims::from_verified(claims, sub, times)))
            }
            machine => Principal::Machine(Box::new(MachineClaims::from_jwt(
                machine,
                Arc::unwrap_or_clone(claims),
                sub,
                exp,
            ))),
        };
        Ok((principal, times))
    }

    /// The cached verdict for `token`, when the cache is on and holds it.
    fn cached(&self, token: &str, accept: TokenKinds, now_ms: i64, generation: u64) -> Lookup {
        let Some(cache) = &self.inner.token_cache else {
            return Lookup::Miss(None);
        };
        let digest = cache::digest(token);
        let Some(hit) = cache.get(&digest, now_ms, generation) else {
            return Lookup::Miss(Some(digest));
        };
        let kind = hit.principal.kind();
        if !accept.contains(kind) {
            return Lookup::Hit(Err(SignedOutReason::TokenKindNotAccepted(kind)));
        }
        let Times { exp, nbf, iat } = hit.times;
        if let Err(reason) = jwt::check_times(exp, nbf, iat, now_ms, self.inner.clock_skew_ms) {
            return Lookup::Hit(Err(reason));
        }
        Lookup::Hit(Ok(Principal::clone(&hit.principal)))
    }

    fn remember(
        &self,
        digest: Option<Digest>,
        principal: &Principal,
        times: Times,
        generation: u64,
    ) {
        if let (Some(cache), Some(digest)) = (&self.inner.token_cache, digest) {
            cache.insert(digest, principal.clone(), times, self.now_ms(), generation);
        }
    }

    /// Changes whenever the keys this verifier trusts change.
    fn key_generation(&self) -> u64 {
        let fetched = match &self.inner.keys {
            KeySource::Jwks(cache) => cache.generation(),
            KeySource::Pem(_) | KeySource::Static(_) => 0,
        };
        self.inner
            .key_generation
            .load(Ordering::Acquire)
            .wrapping_add(fetched)
    }

    pub(crate) async fn key_for(
        &self,
        kid: Option<&str>,
    ) -> Result<Arc<VerifyKey>, SignedOutReason> {
        let KeySource::Jwks(cache) = &self.inner.keys else {
            return self.key_at_hand(kid);
        };
        let kid = kid.ok_or(SignedOutReason::UnknownKey)?;
        let Some(backend) = &self.inner.backend else {
            return Err(SignedOutReason::KeysUnavailable);
        };
        key_found(cache.get(kid, backend).await)
    }

    /// The key for `kid` among the keys held now, without fetching.
    fn key_at_hand(&self, kid: Option<&str>) -> Result<Arc<VerifyKey>, SignedOutReason> {
        match &self.inner.keys {
            KeySource::Pem(key) => Ok(key.clone()),
            KeySource::Static(set) => {
                let kid = kid.ok_or(SignedOutReason::UnknownKey)?;
                let set = set.read().unwrap_or_else(|e| e.into_inner());
                set.get(kid).cloned().ok_or(SignedOutReason::UnknownKey)
            }
            KeySource::Jwks(cache) => {
                key_found(cache.cached(kid.ok_or(SignedOutReason::UnknownKey)?))
            }
        }
    }

    fn now_ms(&self) -> i64 {
        let now = match &self.inner.clock {
            Some(clock) => clock(),
            None => SystemTime::now(),
        };
        match now.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        }
    }
}

/// The outcome of a token cache lookup.
enum Lookup {
    /// The cache decided.
    Hit(Result<Principal, SignedOutReason>),
    /// Verify the token; remember it under this digest (`None`: the cache is off).
    Miss(Option<Digest>),
}

/// A token whose header passed [`Verifier::check_header`].
struct HeaderChecked<'t> {
    jwt: Jwt<'t>,
    /// The kind the header announces.
    kind: TokenKind,
    alg: Algorithm,
}

fn key_found(lookup: KeyLookup) -> Result<Arc<VerifyKey>, SignedOutReason> {
    match lookup {
        KeyLookup::Found(key) => Ok(key),
        KeyLookup::Unknown => Err(SignedOutReason::UnknownKey),
        KeyLookup::Unavailable => Err(SignedOutReason::KeysUnavailable),
    }
}

fn session_of(principal: Principal) -> Result<SessionClaims, SignedOutReason> {
    match principal {
        Principal::Session(claims) => Ok(*claims),
        Principal::Machine(m) => Err(SignedOutReason::TokenKindNotAccepted(m.kind)),
    }
}

fn log_outcome(state: &AuthState) {
    if let AuthState::SignedOut(reason) = state {
        tracing::debug!(
            reason = reason.code(),
            clerk_reason = reason.clerk_code(),
            "request not authenticated"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_is_derived_from_publishable_key() {
        // base64("clerk.example.com$") without padding.
        assert_eq!(
            issuer_from_publishable_key("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k")
                .ok()
                .as_deref(),
            Some("https://clerk.example.com")
        );
        // base64("foo-bar-13.clerk.accounts.dev$") with its padding.
        assert_eq!(
            issuer_from_publishable_key("pk_live_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk")
                .ok()
                .as_deref(),
            Some("https://foo-bar-13.clerk.accounts.dev")
        );
        for bad in [
            "sk_test_abc",
            "pk_test",
            "pk_test_!!!",
            "pk_test_Y2xlcmsuZXhhbXBsZS5jb20",
        ] {
            assert!(
                matches!(
                    issuer_from_publishable_key(bad),
                    Err(ConfigError::InvalidPublishableKey(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn builder_needs_a_key_source_and_redacts_the_secret() {
        assert!(matches!(
            Verifier::builder().build(),
            Err(ConfigError::NoKeySource)
        ));
        let builder = Verifier::builder().secret_key("sk_test_supersecret");
        assert!(!format!("{builder:?}").contains("supersecret"));
        let verifier = builder
            .api_url("http://127.0.0.1:9")
            .build()
            .expect("valid settings");
        assert!(!format!("{verifier:?}").contains("supersecret"));
    }
}
