//! Settings of a [`RequestAuthenticator`]: the builder, its checks, and the facts derived
//! from the publishable key.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::api::Api;
use super::org_sync::OrgMatcher;
use super::{Inner, RequestAuthenticator};
use crate::auth::backend::{DEFAULT_API_URL, HttpBackend};
use crate::auth::extract::cookie_suffix;
use crate::auth::{ConfigError, DEFAULT_CLOCK_SKEW, TokenKinds, Verifier, VerifierBuilder};

pub(super) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// How far off the clock may be when a development instance verifies the session token of a
/// handshake, as Clerk's SDK allows: developers' machines are often minutes off.
const DEVELOPMENT_HANDSHAKE_SKEW: Duration = Duration::from_secs(24 * 3600);

/// Development (`pk_test_`) or production (`pk_live_`) instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Instance {
    Development,
    Production,
}

/// What a publishable key says.
#[derive(Debug, Clone)]
pub(super) struct PublishableKey {
    pub key: String,
    pub instance: Instance,
    /// The Frontend API host encoded in the key (`clerk.example.com`).
    pub frontend_api: String,
}

impl PublishableKey {
    /// `pk_test_` or `pk_live_`, then base64 of `<host>$` where the host has a dot.
    pub(super) fn parse(key: &str) -> Result<Self, ConfigError> {
        const LENIENT: GeneralPurpose = GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let key = key.trim();
        let instance = if key.starts_with("pk_live_") {
            Instance::Production
        } else if key.starts_with("pk_test_") {
            Instance::Development
        } else {
            return Err(ConfigError::InvalidPublishableKey(
                "it should start with `pk_test_` or `pk_live_`",
            ));
        };
        let parts: Vec<&str> = key.split('_').collect();
        let [_, _, encoded] = parts.as_slice() else {
            return Err(ConfigError::InvalidPublishableKey(
                "expected `pk_<env>_<data>` with no other underscore",
            ));
        };
        let decoded = LENIENT
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(ConfigError::InvalidPublishableKey(
                "the data part is not base64 text",
            ))?;
        let host = decoded
            .strip_suffix('$')
            .filter(|h| h.contains('.') && !h.contains('$'))
            .ok_or(ConfigError::InvalidPublishableKey(
                "the data part does not name a Frontend API host",
            ))?;
        Ok(Self {
            key: key.to_owned(),
            instance,
            frontend_api: host.to_owned(),
        })
    }
}

/// Where handshakes go when a proxy serves the Frontend API.
#[derive(Debug, Clone)]
pub(super) enum ProxyUrl {
    /// `https://app.example.com/__clerk`
    Absolute(String),
    /// `/__clerk`, resolved against each request's own origin.
    Relative(String),
}

/// Settings for a [`RequestAuthenticator`]; start from [`RequestAuthenticator::builder`] or
/// [`RequestAuthenticatorBuilder::from_env`].
#[derive(Clone)]
pub struct RequestAuthenticatorBuilder {
    secret_key: Option<String>,
    publishable_key: Option<String>,
    jwt_key: Option<String>,
    api_url: String,
    issuer: Option<String>,
    authorized_parties: Vec<String>,
    audiences: Vec<String>,
    clock_skew: Duration,
    accept: TokenKinds,
    is_satellite: bool,
    domain: Option<String>,
    proxy_url: Option<String>,
    sign_in_url: Option<String>,
    satellite_auto_sync: bool,
    organization_patterns: Vec<String>,
    personal_account_patterns: Vec<String>,
    http_client: Option<reqwest::Client>,
    clock: Option<Clock>,
    tune_verifier: Option<Arc<dyn Fn(VerifierBuilder) -> VerifierBuilder + Send + Sync>>,
}

impl Default for RequestAuthenticatorBuilder {
    fn default() -> Self {
        Self {
            secret_key: None,
            publishable_key: None,
            jwt_key: None,
            api_url: DEFAULT_API_URL.to_owned(),
            issuer: None,
            authorized_parties: Vec::new(),
            audiences: Vec::new(),
            clock_skew: DEFAULT_CLOCK_SKEW,
            accept: TokenKinds::SESSION,
            is_satellite: false,
            domain: None,
            proxy_url: None,
            sign_in_url: None,
            satellite_auto_sync: false,
            organization_patterns: Vec::new(),
            personal_account_patterns: Vec::new(),
            http_client: None,
            clock: None,
            tune_verifier: None,
        }
    }
}

impl fmt::Debug for RequestAuthenticatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestAuthenticatorBuilder")
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[redacted]"),
            )
            .field("publishable_key", &self.publishable_key)
            .field("jwt_key", &self.jwt_key.as_ref().map(|_| "[set]"))
            .field("api_url", &self.api_url)
            .field("issuer", &self.issuer)
            .field("authorized_parties", &self.authorized_parties)
            .field("accept", &self.accept)
            .field("is_satellite", &self.is_satellite)
            .field("domain", &self.domain)
            .field("proxy_url", &self.proxy_url)
            .field("sign_in_url", &self.sign_in_url)
            .field("satellite_auto_sync", &self.satellite_auto_sync)
            .field("organization_patterns", &self.organization_patterns)
            .field("personal_account_patterns", &self.personal_account_patterns)
            .finish_non_exhaustive()
    }
}

impl RequestAuthenticatorBuilder {
    /// Settings read from the environment, each when set and not empty: `CLERK_SECRET_KEY`,
    /// `CLERK_PUBLISHABLE_KEY`, `CLERK_JWT_KEY`, `CLERK_API_URL`, `CLERK_DOMAIN`,
    /// `CLERK_PROXY_URL`, `CLERK_SIGN_IN_URL` and `CLERK_IS_SATELLITE` (`true` or `1`).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let defaults = Self::default();
        Self {
            secret_key: var("CLERK_SECRET_KEY"),
            publishable_key: var("CLERK_PUBLISHABLE_KEY"),
            jwt_key: var("CLERK_JWT_KEY"),
            api_url: var("CLERK_API_URL").unwrap_or(defaults.api_url.clone()),
            domain: var("CLERK_DOMAIN"),
            proxy_url: var("CLERK_PROXY_URL"),
            sign_in_url: var("CLERK_SIGN_IN_URL"),
            is_satellite: var("CLERK_IS_SATELLITE")
                .is_some_and(|v| matches!(v.trim(), "true" | "1")),
            ..defaults
        }
    }

    /// The instance's secret key (`sk_…`), required: handshakes are resolved and sessions
    /// refreshed through the Backend API, and the key set is fetched with it unless a
    /// [JWT key](Self::jwt_key) is given. Never printed.
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// The instance's publishable key (`pk_test_…` or `pk_live_…`), required for session
    /// tokens: it names the Frontend API, the instance type and the cookie suffix.
    pub fn publishable_key(mut self, key: impl Into<String>) -> Self {
        self.publishable_key = Some(key.into());
        self
    }

    /// The instance's PEM public key, to verify session tokens without fetching the key set.
    pub fn jwt_key(mut self, pem: impl Into<String>) -> Self {
        self.jwt_key = Some(pem.into());
        self
    }

    /// The Backend API base URL; `https://api.clerk.com/v1` by default.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// The `iss` session tokens must carry. By default `https://` and the Frontend API host of
    /// the publishable key (`clerk.<domain>` for a production satellite).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Origins allowed in the `azp` claim (e.g. `https://app.example.com`).
    pub fn authorized_parties<I, S>(mut self, parties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorized_parties = parties.into_iter().map(Into::into).collect();
        self
    }

    /// Accepted `aud` values, when tokens carry one.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// Allowed clock difference for `exp`, `nbf` and `iat`; 5 s by default.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Token kinds accepted by default ([`TokenKinds::SESSION`]); routes may override it with
    /// [`RequestAuthenticator::authenticate_with`]. Machine tokens are only read from the
    /// `Authorization` header.
    pub fn accept(mut self, kinds: TokenKinds) -> Self {
        self.accept = kinds;
        self
    }

    /// This application runs on a satellite domain of a multi-domain instance; needs
    /// [`domain`](Self::domain) or [`proxy_url`](Self::proxy_url), and on development
    /// instances [`sign_in_url`](Self::sign_in_url).
    pub fn is_satellite(mut self, satellite: bool) -> Self {
        self.is_satellite = satellite;
        self
    }

    /// The satellite's domain (`satellite.example.net`): a production satellite's Frontend
    /// API is `clerk.<domain>`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The URL of a proxy in front of the Frontend API: absolute
    /// (`https://app.example.com/__clerk`) or a path of this application (`/__clerk`).
    pub fn proxy_url(mut self, url: impl Into<String>) -> Self {
        self.proxy_url = Some(url.into());
        self
    }

    /// The sign-in page on the primary domain (absolute URL); a development satellite sends
    /// browsers there to sync.
    pub fn sign_in_url(mut self, url: impl Into<String>) -> Self {
        self.sign_in_url = Some(url.into());
        self
    }

    /// Whether a satellite syncs with the primary domain on a browser's first visit (when it
    /// has no Clerk cookie yet). Off by default, as in Clerk's SDK: a first visit is signed
    /// out until the primary domain sends the browser back with `__clerk_synced=false`.
    pub fn satellite_auto_sync(mut self, auto_sync: bool) -> Self {
        self.satellite_auto_sync = auto_sync;
        self
    }

    /// URL path patterns naming an organization to activate, e.g. `/orgs/:slug`,
    /// `/orgs/:slug/(.*)` or `/teams/:id`: a `:slug` or `:id` parameter that differs from the
    /// session's active organization triggers a handshake that activates it. Patterns are
    /// literal text, `:name` parameters (one path segment, optional with `?`) and `(.*)` (any
    /// rest); matching ignores case and a trailing `/`.
    pub fn organization_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.organization_patterns = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// URL path patterns of the personal account (e.g. `/me`, `/me/(.*)`): a session with an
    /// active organization is switched to the personal account by a handshake.
    pub fn personal_account_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.personal_account_patterns = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// The HTTP client for Backend API calls; by default one with short timeouts.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Replaces the system clock, e.g. to test expiry.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// Further settings of the token verifier this authenticator builds (key cache, size
    /// limit, algorithms, ...), applied after the ones above.
    pub fn verifier_settings(
        mut self,
        tune: impl Fn(VerifierBuilder) -> VerifierBuilder + Send + Sync + 'static,
    ) -> Self {
        self.tune_verifier = Some(Arc::new(tune));
        self
    }

    /// Checks the settings and builds the authenticator.
    pub fn build(self) -> Result<RequestAuthenticator, ConfigError> {
        let secret_key = self
            .secret_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(ConfigError::InvalidOption(
                "secret_key",
                "is required: handshakes and session refreshes go through the Backend API (set CLERK_SECRET_KEY)",
            ))?
            .to_owned();
        let publishable_key = match self.publishable_key.as_deref() {
            Some(pk) => Some(PublishableKey::parse(pk)?),
            None if self.accept.contains(crate::auth::TokenKind::SessionToken) => {
                return Err(ConfigError::InvalidOption(
                    "publishable_key",
                    "is required to authenticate sessions (set CLERK_PUBLISHABLE_KEY)",
                ));
            }
            None => None,
        };
        let domain = self
            .domain
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        let proxy_url = match self.proxy_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) if url.starts_with('/') => Some(ProxyUrl::Relative(url.to_owned())),
            Some(url)
                if (url.starts_with("https://") || url.starts_with("http://"))
                    && url::Url::parse(url).is_ok() =>
            {
                Some(ProxyUrl::Absolute(url.to_owned()))
            }
            Some(_) => {
                return Err(ConfigError::InvalidOption(
                    "proxy_url",
                    "must be an absolute http(s) URL or a path starting with `/`",
                ));
            }
        };
        let sign_in_url = match self.sign_in_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(url::Url::parse(url).map_err(|_| {
                ConfigError::InvalidOption("sign_in_url", "must be an absolute URL")
            })?),
        };
        let development_key = secret_key.starts_with("sk_test_") || secret_key.starts_with("test_");
        if self.is_satellite {
            if development_key && sign_in_url.is_none() {
                return Err(ConfigError::InvalidOption(
                    "sign_in_url",
                    "is required for a satellite of a development instance",
                ));
            }
            if domain.is_none() && proxy_url.is_none() {
                return Err(ConfigError::InvalidOption(
                    "domain",
                    "a satellite needs its domain or a proxy URL",
                ));
            }
        }
        let org_sync =
            OrgMatcher::new(&self.organization_patterns, &self.personal_account_patterns)?;

        // The Frontend API that issues this application's tokens: the key's, or for a
        // production satellite the one on its own domain.
        let original_frontend_api =
            publishable_key
                .as_ref()
                .map(|pk| match (&domain, pk.instance, self.is_satellite) {
                    (Some(domain), Instance::Production, true) => format!("clerk.{domain}"),
                    _ => pk.frontend_api.clone(),
                });
        let issuer = self.issuer.clone().or_else(|| {
            original_frontend_api
                .as_ref()
                .map(|host| format!("https://{host}"))
        });

        let client = match self.http_client {
            Some(client) => client,
            None => HttpBackend::default_client()?,
        };
        let api_url = self.api_url.trim().to_owned();
        let verifier_with_skew = |skew: Duration| {
            let mut builder = Verifier::builder()
                .secret_key(secret_key.clone())
                .api_url(api_url.clone())
                .authorized_parties(self.authorized_parties.clone())
                .audiences(self.audiences.clone())
                .clock_skew(skew)
                .accept(self.accept)
                .http_client(client.clone());
            if let Some(pk) = &publishable_key {
                builder = builder.publishable_key(pk.key.clone());
            }
            if let Some(issuer) = &issuer {
                builder = builder.issuer(issuer.clone());
            }
            if let Some(pem) = &self.jwt_key {
                builder = builder.jwt_key(pem.clone());
            }
            if let Some(clock) = &self.clock {
                let clock = clock.clone();
                builder = builder.clock(move || clock());
            }
            if let Some(tune) = &self.tune_verifier {
                builder = tune(builder);
            }
            builder.build()
        };
        let verifier = verifier_with_skew(self.clock_skew)?;
        let development = publishable_key
            .as_ref()
            .is_some_and(|pk| pk.instance == Instance::Development);
        let lenient = if development {
            Some(verifier_with_skew(DEVELOPMENT_HANDSHAKE_SKEW)?)
        } else {
            None
        };
        let clock_skew_ms = i64::try_from(self.clock_skew.as_millis())
            .map_err(|_| ConfigError::InvalidOption("clock_skew", "too large"))?;
        let api = Api::new(client, &api_url, &secret_key)?;
        let suffix = publishable_key
            .as_ref()
            .map(|pk| cookie_suffix(&pk.key))
            .unwrap_or_default();

        Ok(RequestAuthenticator {
            inner: Arc::new(Inner {
                verifier,
                lenient_verifier: lenient,
                api,
                publishable_key,
                original_frontend_api: original_frontend_api.unwrap_or_default(),
                suffix,
                authorized_parties: self.authorized_parties,
                issuer,
                proxy_url,
                is_satellite: self.is_satellite,
                sign_in_url,
                satellite_auto_sync: self.satellite_auto_sync,
                accept: self.accept,
                org_sync,
                clock_skew_ms,
                clock: self.clock,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishable_keys() {
        let pk = PublishableKey::parse("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k").expect("valid");
        assert_eq!(pk.instance, Instance::Production);
        assert_eq!(pk.frontend_api, "clerk.example.com");
        let pk = PublishableKey::parse("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k").expect("valid");
        assert_eq!(pk.instance, Instance::Development);
        for bad in [
            "sk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
            "pk_live_bm9wZQ",
            "pk_live_Y2xlcmsuZXhhbXBsZS5jb20",
            "pk_live_a_Y2xlcmsuZXhhbXBsZS5jb20k",
            "pk_prod_Y2xlcmsuZXhhbXBsZS5jb20k",
        ] {
            assert!(
                matches!(
                    PublishableKey::parse(bad),
                    Err(ConfigError::InvalidPublishableKey(_))
                ),
                "{bad}"
            );
        }
    }
}
