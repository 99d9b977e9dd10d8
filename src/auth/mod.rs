//! Request authentication: Clerk session tokens and machine tokens.
//!
//! A [`Verifier`] finds the token of an incoming request (the `Authorization: Bearer` header
//! first, then the `__session` cookie or its suffixed variant `__session_<suffix>`), checks it,
//! and answers with an [`AuthState`]: signed in with typed claims ([`Principal`]), or signed
//! out with a [`SignedOutReason`] naming the check that failed.
//!
//! # Keys
//!
//! - Networkless: give the instance's PEM public key ([`VerifierBuilder::jwt_key`], usually
//!   from `CLERK_JWT_KEY`), or its key set as JWKS JSON ([`VerifierBuilder::jwks_json`],
//!   replaceable at run time with [`Verifier::set_jwks_json`]).
//! - Or give the secret key ([`VerifierBuilder::secret_key`]): the instance's key set is
//!   fetched from the Backend API and cached by this verifier (never process-wide) for five
//!   minutes. A token with an unknown `kid` triggers one refetch, at most once per
//!   [refetch interval](VerifierBuilder::jwks_refetch_interval); concurrent misses share a
//!   single request.
//!
//! # Through Backend API outages
//!
//! - A key set past its TTL is served at once while a refresh runs in the background
//!   (stale-while-revalidate), for up to [an hour](VerifierBuilder::jwks_max_stale) past the
//!   TTL; a hanging API never holds up a verification that has a cached key.
//! - A fetch is limited to [3 s](VerifierBuilder::jwks_fetch_timeout). After a failed one, no
//!   other starts within the refetch interval, and verifications that need keys fail at once
//!   with [`SignedOutReason::KeysUnavailable`] rather than each waiting for a fetch.
//! - Replies are read up to [`MAX_BACKEND_REPLY_SIZE`] (1 MiB), counted as they arrive; a
//!   longer one is refused without being read.
//! - The API URL must be `https://`, or `http://` to this machine only
//!   ([`VerifierBuilder::danger_allow_insecure_http`] lifts that); redirects are not followed.
//!
//! # Checks on session tokens
//!
//! Signature (`RS256` only by default; `none` and `HS*` can't even be configured; the header
//! `alg` must match the key's), `exp`/`nbf`/`iat` with a clock skew of 5 s, a `sub`, an `azp`
//! among the [authorized parties](VerifierBuilder::authorized_parties) when they are
//! configured (a token without `azp` is then refused), the [issuer](VerifierBuilder::issuer)
//! (also derivable from the [publishable key](VerifierBuilder::publishable_key)), the
//! [audience](VerifierBuilder::audiences) when configured, and a
//! [size limit](VerifierBuilder::max_token_size). Tokens whose header `cat` marks them as
//! machine tokens are not accepted as sessions.
//!
//! Less visible rules, each also Clerk's unless listed below:
//!
//! - The token is taken exactly as given to [`Verifier::verify_token`]: whitespace around it
//!   makes it malformed. [`Verifier::authenticate`] drops the whitespace around the header or
//!   cookie value (HTTP does not count it as part of the value).
//! - Each segment is unpadded base64url in its one canonical spelling; a padded segment is
//!   malformed.
//! - A header with `crit` is malformed: no critical extension is understood here.
//! - Header `typ` must be absent or exactly `JWT`, except `at+jwt` / `application/at+jwt`,
//!   which mark an OAuth access token; any other value is malformed.
//! - `exp`, `nbf` and `iat`, when present, are numbers (`null` is malformed); fractions are
//!   rounded down to the second.
//!
//! # Reason strings
//!
//! Each [`SignedOutReason`] has our descriptive [`code`](SignedOutReason::code) and the string
//! Clerk's JavaScript SDK reports for the same failure,
//! [`clerk_code`](SignedOutReason::clerk_code), for logs shared with services written against
//! Clerk's SDK; the table is on [`clerk_code`](SignedOutReason::clerk_code).
//!
//! # Stricter than Clerk's SDK, on purpose
//!
//! No token that `verifyToken` of `@clerk/backend` 3.x refuses is accepted here: the test
//! suite compares verdicts token by token on a corpus of crafted tokens
//! (`tests/fixtures/reference/`). These tokens Clerk's SDK accepts and this verifier refuses:
//!
//! | token | here | why |
//! |---|---|---|
//! | audiences configured, token without `aud` | `wrong-audience` | a token must name the audience it is for |
//! | `aud` a list holding no string | `wrong-audience` | the same |
//! | empty `sub` | `missing-claim` | a session always names its user |
//! | `sub` of a machine (`mch_…`) verified as a session | `token-kind-not-accepted` | a machine's token is not a user's session |
//! | header `crit` | `token-malformed` | an extension marked critical must not be ignored (RFC 7515) |
//! | header `cat` of an unknown category | `unrecognized-category` | other tokens signed with the instance key must not pass as sessions |
//! | padded segments | `token-malformed` | one spelling per token |
//! | longer than 8 KiB | `token-too-large` | parsing stays bounded; session tokens are far smaller |
//! | `nbf` or `iat` beyond what a date can hold | `token-not-yet-valid` | a date Clerk's SDK cannot represent passes its check; here it is in the future |
//!
//! # Cache of verified tokens
//!
//! Off by default; [`VerifierBuilder::token_cache`] turns it on. A repeated token then skips
//! the signature check (see the README's performance table for the figures), while
//! the time checks still run on every request; see the builder method for the rules.
//!
//! # Without async
//!
//! [`Verifier::verify_session_token_sync`], [`Verifier::verify_token_sync`] and
//! [`Verifier::authenticate_sync`] never touch the network: they verify with a PEM key, a key
//! set given in memory, or the keys fetched earlier.
//!
//! # Machine tokens
//!
//! API keys (`ak_…`), M2M tokens (`mt_…`) and OAuth access tokens (`oat_…`) are verified by the
//! Backend API; M2M and OAuth tokens in JWT form are verified locally. A route accepts only
//! session tokens unless told otherwise with [`TokenKinds`].
//!
//! # Web frameworks
//!
//! With the `axum` feature, `auth::axum` offers a tower layer, and with the `actix` feature,
//! `auth::actix` an actix-web middleware, that reject unauthenticated requests with a bare 401
//! and hand the [`Principal`] to handlers as an extractor. Both are thin adapters over
//! [`RouteAuth`], which decides for any framework: the same request gets the same answer.
//! Their web-app forms (`WebAuthLayer`, `WebAuthMiddleware`) share one step over
//! [`RequestAuthenticator`] the same way.
//!
//! # Example
//!
//! ```
//! use clerk_backend_api::auth::{AuthState, SignedOutReason, Verifier};
//! use http::{HeaderMap, HeaderValue};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .secret_key("sk_test_example")
//!     .publishable_key("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k") // issuer https://clerk.example.com
//!     .authorized_parties(["https://app.example.com"])
//!     .build()?;
//!
//! # futures::executor::block_on(async {
//! // A request without any token is signed out, without any network call.
//! let headers = HeaderMap::new();
//! let state = verifier.authenticate(&headers).await;
//! assert_eq!(state, AuthState::SignedOut(SignedOutReason::TokenMissing));
//!
//! // A token that is not a JWT is refused before any key is needed.
//! let mut headers = HeaderMap::new();
//! headers.insert("authorization", HeaderValue::from_static("Bearer not-a-jwt"));
//! match verifier.authenticate(&headers).await {
//!     AuthState::SignedIn(principal) => println!("hello {}", principal.subject()),
//!     AuthState::SignedOut(reason) => assert_eq!(reason, SignedOutReason::Malformed),
//! }
//! # });
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod backend;
mod cache;
mod claims;
mod cookies;
mod error;
mod extract;
mod jwt;
mod keys;
mod kinds;
mod machine;
mod outcome;
pub mod request;
mod route;
mod verifier;
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) mod web_route;

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;

pub use backend::MAX_BACKEND_REPLY_SIZE;
pub use cache::TokenCacheStats;
pub use claims::{
    Actor, Entitlement, EntitlementScope, FactorVerificationAge, OrganizationClaims, SessionClaims,
};
pub use error::{ConfigError, SignedOutReason};
pub use keys::Algorithm;
pub use kinds::{TokenKind, TokenKinds};
pub use machine::MachineClaims;
pub use outcome::{AuthReason, RefreshFailure, RequestOutcome};
pub use request::{RequestAuthenticator, RequestAuthenticatorBuilder};
pub use route::{AuthRejection, RouteAuth};
pub use verifier::{
    AuthState, DEFAULT_CLOCK_SKEW, DEFAULT_JWKS_CACHE_TTL, DEFAULT_JWKS_FETCH_TIMEOUT,
    DEFAULT_JWKS_MAX_STALE, DEFAULT_JWKS_REFETCH_INTERVAL, DEFAULT_MAX_TOKEN_SIZE,
    DEFAULT_TOKEN_CACHE_MAX_AGE, Principal, Verifier, VerifierBuilder,
};
