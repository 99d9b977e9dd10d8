//! Why a request is not signed in, and why a verifier could not be built.

use std::fmt;

use super::TokenKind;

/// Why a request or token was not accepted.
///
/// Each value names one failed check. The [`Display`](fmt::Display) text is short and safe to log;
/// it never contains the token. Don't send it to the client either: a caller learns nothing useful
/// from it and an attacker learns which check failed. The `axum` layer answers with a bare status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedOutReason {
    /// No token in the `Authorization` header or in a session cookie.
    TokenMissing,
    /// The token is longer than the configured limit, so it was not parsed at all.
    TokenTooLarge,
    /// The token is not a well-formed JWT: wrong number of parts, bad base64url, header or
    /// payload not a JSON object, or a registered claim of the wrong type.
    Malformed,
    /// The header `alg` is not one of the configured algorithms, or differs from the algorithm
    /// the signing key is published for. `none` and HMAC algorithms always end here.
    AlgorithmNotAllowed,
    /// No key with the header's `kid` is known, even after refreshing the key set when allowed.
    UnknownKey,
    /// The signature does not match the header and payload under the selected key.
    BadSignature,
    /// `exp` is in the past, beyond the allowed clock skew.
    Expired,
    /// `nbf` is in the future, beyond the allowed clock skew.
    NotYetValid,
    /// `iat` is in the future, beyond the allowed clock skew.
    IssuedInFuture,
    /// A claim every accepted token must carry is absent (its name is given, e.g. `sub`).
    MissingClaim(&'static str),
    /// Authorized parties are configured and the token's `azp` is absent or not one of them.
    WrongAuthorizedParty,
    /// `iss` differs from the expected issuer.
    WrongIssuer,
    /// None of the token's `aud` values is one of the configured audiences.
    WrongAudience,
    /// The token is of a kind this route does not accept, e.g. a machine token (or a JWT whose
    /// header category marks it as one) where a session token was expected.
    TokenKindNotAccepted(TokenKind),
    /// The header `cat` names a token category that is neither a session-like nor a known
    /// machine one. Such tokens are refused so that other classes of tokens signed with the
    /// instance key can't pass as sessions.
    UnrecognizedCategory,
    /// The Backend API does not know the machine token (or says it is invalid).
    TokenInvalid,
    /// The Backend API reports the machine token as revoked.
    TokenRevoked,
    /// The signing keys could not be obtained: no key is configured, or fetching the key set
    /// failed. This is a fault on the server side, not the client's.
    KeysUnavailable,
    /// A machine token could not be checked because the Backend API could not be reached or
    /// refused our credentials. This is a fault on the server side, not the client's.
    BackendUnavailable,
}

impl SignedOutReason {
    /// A stable, short identifier for logs and metrics (e.g. `token-expired`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TokenMissing => "token-missing",
            Self::TokenTooLarge => "token-too-large",
            Self::Malformed => "token-malformed",
            Self::AlgorithmNotAllowed => "algorithm-not-allowed",
            Self::UnknownKey => "unknown-key",
            Self::BadSignature => "bad-signature",
            Self::Expired => "token-expired",
            Self::NotYetValid => "token-not-yet-valid",
            Self::IssuedInFuture => "token-issued-in-future",
            Self::MissingClaim(_) => "missing-claim",
            Self::WrongAuthorizedParty => "wrong-authorized-party",
            Self::WrongIssuer => "wrong-issuer",
            Self::WrongAudience => "wrong-audience",
            Self::TokenKindNotAccepted(_) => "token-kind-not-accepted",
            Self::UnrecognizedCategory => "unrecognized-category",
            Self::TokenInvalid => "token-invalid",
            Self::TokenRevoked => "token-revoked",
            Self::KeysUnavailable => "keys-unavailable",
            Self::BackendUnavailable => "backend-unavailable",
        }
    }

    /// The reason string Clerk's JavaScript SDK (`@clerk/backend` 3.x) reports for the same
    /// failure, for logs and dashboards shared with services written against it.
    ///
    /// Clerk's names are coarser than ours (several of ours map to `token-invalid` or
    /// `token-verification-failed`), so keep [`code`](Self::code) where the exact check matters.
    ///
    /// | ours ([`code`](Self::code)) | Clerk's |
    /// |---|---|
    /// | `token-missing` | `session-token-and-uat-missing` |
    /// | `token-too-large` | `token-invalid` (Clerk has no size limit) |
    /// | `token-malformed` | `token-invalid` |
    /// | `algorithm-not-allowed` | `token-invalid-algorithm` |
    /// | `unknown-key` | `jwk-kid-mismatch` |
    /// | `bad-signature` | `token-invalid-signature` |
    /// | `token-expired` | `token-expired` |
    /// | `token-not-yet-valid` | `token-not-active-yet` |
    /// | `token-issued-in-future` | `token-iat-in-the-future` |
    /// | `missing-claim` | `token-verification-failed` |
    /// | `wrong-authorized-party` | `token-invalid-authorized-parties` |
    /// | `wrong-issuer` | `token-invalid-issuer` |
    /// | `wrong-audience` | `token-verification-failed` |
    /// | `token-kind-not-accepted` | `token-type-mismatch` |
    /// | `unrecognized-category` | `token-invalid` |
    /// | `token-invalid` | `token-invalid` |
    /// | `token-revoked` | `token-invalid` |
    /// | `keys-unavailable` | `jwk-remote-failed-to-load` |
    /// | `backend-unavailable` | `unexpected-error` |
    ///
    /// ```
    /// use clerk_backend_api::auth::SignedOutReason;
    ///
    /// let reason = SignedOutReason::NotYetValid;
    /// assert_eq!(reason.code(), "token-not-yet-valid");
    /// assert_eq!(reason.clerk_code(), "token-not-active-yet");
    /// ```
    pub fn clerk_code(&self) -> &'static str {
        match self {
            Self::TokenMissing => "session-token-and-uat-missing",
            Self::TokenTooLarge
            | Self::Malformed
            | Self::UnrecognizedCategory
            | Self::TokenInvalid
            | Self::TokenRevoked => "token-invalid",
            Self::AlgorithmNotAllowed => "token-invalid-algorithm",
            Self::UnknownKey => "jwk-kid-mismatch",
            Self::BadSignature => "token-invalid-signature",
            Self::Expired => "token-expired",
            Self::NotYetValid => "token-not-active-yet",
            Self::IssuedInFuture => "token-iat-in-the-future",
            Self::MissingClaim(_) | Self::WrongAudience => "token-verification-failed",
            Self::WrongAuthorizedParty => "token-invalid-authorized-parties",
            Self::WrongIssuer => "token-invalid-issuer",
            Self::TokenKindNotAccepted(_) => "token-type-mismatch",
            Self::KeysUnavailable => "jwk-remote-failed-to-load",
            Self::BackendUnavailable => "unexpected-error",
        }
    }

    /// True when the failure lies with this server (keys or the Backend API unreachable, bad
    /// configuration) rather than with the token. A web layer should answer 503, not 401.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Self::KeysUnavailable | Self::BackendUnavailable)
    }
}

impl fmt::Display for SignedOutReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TokenMissing => f.write_str("no token in the request"),
            Self::TokenTooLarge => f.write_str("token longer than the configured limit"),
            Self::Malformed => f.write_str("token is not a well-formed JWT"),
            Self::AlgorithmNotAllowed => f.write_str("token algorithm is not allowed"),
            Self::UnknownKey => f.write_str("token signed with an unknown key id"),
            Self::BadSignature => f.write_str("token signature does not verify"),
            Self::Expired => f.write_str("token has expired"),
            Self::NotYetValid => f.write_str("token is not valid yet (nbf)"),
            Self::IssuedInFuture => f.write_str("token issued in the future (iat)"),
            Self::MissingClaim(name) => write!(f, "token lacks the `{name}` claim"),
            Self::WrongAuthorizedParty => f.write_str("token azp is not an authorized party"),
            Self::WrongIssuer => f.write_str("token issuer is not the expected one"),
            Self::WrongAudience => f.write_str("token audience is not accepted"),
            Self::TokenKindNotAccepted(kind) => write!(f, "{kind} tokens are not accepted here"),
            Self::UnrecognizedCategory => f.write_str("token category is not recognized"),
            Self::TokenInvalid => f.write_str("machine token is not valid"),
            Self::TokenRevoked => f.write_str("machine token has been revoked"),
            Self::KeysUnavailable => f.write_str("signing keys are unavailable"),
            Self::BackendUnavailable => f.write_str("the Backend API could not verify the token"),
        }
    }
}

impl std::error::Error for SignedOutReason {}

/// A verifier could not be built from the given settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither a PEM public key nor a secret key was given, so no token could ever be verified.
    #[error(
        "no key source: set a PEM public key (CLERK_JWT_KEY) or a secret key (CLERK_SECRET_KEY)"
    )]
    NoKeySource,
    /// The PEM public key could not be read as an RSA public key.
    #[error("the PEM public key is not a usable RSA public key: {0}")]
    InvalidPublicKey(&'static str),
    /// A key set given as JWKS JSON could not be used (the reason is given).
    #[error("the key set (JWKS) is not usable: {0}")]
    InvalidKeySet(String),
    /// The publishable key does not have the `pk_<env>_<base64>` shape.
    #[error("the publishable key is malformed: {0}")]
    InvalidPublishableKey(&'static str),
    /// The Backend API URL is not an absolute http(s) URL.
    #[error("the Backend API URL is not an absolute http(s) URL")]
    InvalidApiUrl,
    /// An option has a value that can't work (its name and the problem are given).
    #[error("invalid value for `{0}`: {1}")]
    InvalidOption(&'static str, &'static str),
    /// The HTTP client for the Backend API could not be created.
    #[error("could not create the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// TLS could not be set up for the HTTP client.
    #[error("could not set up TLS: {0}")]
    Tls(String),
}
