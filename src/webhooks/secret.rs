//! The signing secret of a webhook endpoint.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, KeyInit as _};
use sha2::Sha256;
use std::fmt;
use std::str::FromStr;

/// Environment variable [`SigningSecret::from_env`] reads, as in Clerk's own SDKs.
pub const SIGNING_SECRET_ENV: &str = "CLERK_WEBHOOK_SIGNING_SECRET";

/// Prefix of the secrets Clerk's dashboard shows.
const PREFIX: &str = "whsec_";

/// Standard base64 alphabet; padding optional, since secrets are copied by hand.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The key an endpoint's deliveries are signed with, ready for use.
///
/// Parsed from the `whsec_<base64>` string shown in Clerk's dashboard. The bare base64
/// part (without `whsec_`) is accepted as well, as the Svix libraries do: the prefix
/// only labels the string, and a secret copied without it is the same key.
///
/// `Debug` never shows the key.
#[derive(Clone)]
pub struct SigningSecret {
    /// HMAC-SHA256 already keyed; each signature starts from a copy.
    pub(crate) mac: Hmac<Sha256>,
}

impl SigningSecret {
    /// Parses a secret such as `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`.
    ///
    /// Whitespace around it is ignored (it often comes from files or environment
    /// variables with a trailing newline).
    pub fn new(secret: &str) -> Result<Self, SecretError> {
        let secret = secret.trim();
        let encoded = secret.strip_prefix(PREFIX).unwrap_or(secret);
        if encoded.is_empty() {
            return Err(SecretError::Empty);
        }
        let key = BASE64
            .decode(encoded)
            .map_err(|_| SecretError::InvalidBase64)?;
        Self::from_bytes(&key)
    }

    /// Uses raw key bytes (the base64-decoded part of a `whsec_` secret).
    pub fn from_bytes(key: &[u8]) -> Result<Self, SecretError> {
        if key.is_empty() {
            return Err(SecretError::Empty);
        }
        // HMAC takes keys of any length, so this only fails on an empty key, excluded above.
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| SecretError::Empty)?;
        Ok(Self { mac })
    }

    /// Reads the secret from `CLERK_WEBHOOK_SIGNING_SECRET`.
    pub fn from_env() -> Result<Self, SecretError> {
        match std::env::var(SIGNING_SECRET_ENV) {
            Ok(value) => Self::new(&value),
            Err(std::env::VarError::NotPresent) => Err(SecretError::MissingEnv {
                var: SIGNING_SECRET_ENV,
            }),
            Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::InvalidBase64),
        }
    }
}

impl FromStr for SigningSecret {
    type Err = SecretError;

    fn from_str(secret: &str) -> Result<Self, Self::Err> {
        Self::new(secret)
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

/// Why a signing secret could not be used. The messages never include the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The environment variable is not set.
    #[error(
        "{var} is not set; copy the endpoint's signing secret (whsec_...) from the Clerk dashboard into it"
    )]
    MissingEnv {
        /// The variable that was read.
        var: &'static str,
    },
    /// No secret was given to the verifier builder.
    #[error(
        "no webhook signing secret was given; pass the endpoint's whsec_... secret from the Clerk dashboard"
    )]
    Missing,
    /// The secret is empty, or only `whsec_`.
    #[error("the webhook signing secret is empty")]
    Empty,
    /// What follows `whsec_` is not base64.
    #[error(
        "the webhook signing secret is not `whsec_` followed by base64; copy it again from the Clerk dashboard"
    )]
    InvalidBase64,
}
