//! Signing keys: parsing (PEM, JWK) and the per-verifier key-set cache.
//!
//! Signatures are checked with `ring::signature` directly rather than through a JWT crate.
//! `ring` is already compiled for rustls in the default build, so this adds no crypto code to
//! the build; `jsonwebtoken` would bring `pem` and `simple_asn1` (with `num-bigint` and `time`)
//! for PEM parsing, and its built-in claim validation would have to be switched off anyway
//! because the checks here report reasons it cannot express (`iat` in the future, header `cat`,
//! authorized parties). The few lines of DER reading below only ever see the operator's own
//! configured key, never request data.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{self, RsaPublicKeyComponents};
use serde::Deserialize;

use super::backend::{Backend, BackendError};
use super::error::ConfigError;

/// A JWS signature algorithm this crate can check.
///
/// Only RSA PKCS#1 v1.5 algorithms exist here: Clerk signs with `RS256`. Symmetric (`HS*`) and
/// `none` are deliberately not representable, so they can never be configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, the algorithm Clerk uses.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
}

impl Algorithm {
    /// The JOSE name of the algorithm (`RS256`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
        }
    }

    /// Parses a JOSE `alg` value; `None` for anything this crate cannot check.
    pub fn from_jose(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::RS256),
            "RS384" => Some(Self::RS384),
            "RS512" => Some(Self::RS512),
            _ => None,
        }
    }

    fn ring_params(self) -> &'static signature::RsaParameters {
        match self {
            Self::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Self::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Self::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RSA public key ready for signature checks.
pub(crate) struct VerifyKey {
    /// Modulus, big-endian, without leading zero bytes.
    n: Vec<u8>,
    /// Public exponent, big-endian.
    e: Vec<u8>,
    /// The algorithm the key is published for, when its JWK says so.
    pub(crate) alg: Option<Algorithm>,
}

impl fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyKey")
            .field("bits", &(self.n.len() * 8))
            .field("alg", &self.alg)
            .finish()
    }
}

impl VerifyKey {
    /// Checks `sig` over `message`; ring rejects moduli under 2048 bits.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
        RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(alg.ring_params(), message, sig)
        .is_ok()
    }

    fn from_components(n: &[u8], e: &[u8], alg: Option<Algorithm>) -> Option<Self> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        // ring enforces the real limits at verification time; this only rules out nonsense.
        if n.len() < 256 || e.is_empty() || e.len() > 8 {
            return None;
        }
        Some(Self {
            n: n.to_vec(),
            e: e.to_vec(),
            alg,
        })
    }

    /// Reads a PEM RSA public key: SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`, what Clerk's
    /// dashboard shows) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub(crate) fn from_pem(pem: &str) -> Result<Self, ConfigError> {
        // Keys pasted into environment variables often carry literal `\n` sequences.
        let pem = pem.replace("\\n", "\n");
        let (label, body) = pem_body(&pem).ok_or(ConfigError::InvalidPublicKey(
            "expected a `-----BEGIN PUBLIC KEY-----` block",
        ))?;
        let der = STANDARD
            .decode(body)
            .map_err(|_| ConfigError::InvalidPublicKey("the PEM body is not valid base64"))?;
        let rsa_key = match label {
            "PUBLIC KEY" => spki_rsa_key(&der).ok_or(ConfigError::InvalidPublicKey(
                "not an RSA SubjectPublicKeyInfo",
            ))?,
            "RSA PUBLIC KEY" => der.as_slice(),
            _ => {
                return Err(ConfigError::InvalidPublicKey(
                    "expected a PUBLIC KEY or RSA PUBLIC KEY block",
                ));
            }
        };
        let (n, e) = pkcs1_components(rsa_key)
            .ok_or(ConfigError::InvalidPublicKey("malformed RSA public key"))?;
        Self::from_components(n, e, None).ok_or(ConfigError::InvalidPublicKey(
            "RSA key shorter than 2048 bits",
        ))
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Returns the label and the base64 body (whitespace removed) of the first PEM block.
fn pem_body(pem: &str) -> Option<(&str, String)> {
    let begin = pem.find("-----BEGIN ")?;
    let rest = &pem[begin + "-----BEGIN ".len()..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    let body_and_end = &rest[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let end = body_and_end.find(&end_marker)?;
    let body: String = body_and_end[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    Some((label, body))
}

/// Reads one DER TLV; returns (tag, contents, rest).
fn der_read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first_len, rest) = rest.split_first()?;
    let (len, rest) = if first_len < 0x80 {
        (usize::from(first_len), rest)
    } else {
        let count = usize::from(first_len & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

const DER_SEQUENCE: u8 = 0x30;
const DER_INTEGER: u8 = 0x02;
const DER_BIT_STRING: u8 = 0x03;
const DER_OID: u8 = 0x06;
/// 1.2.840.113549.1.1.1 (rsaEncryption).
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// SubjectPublicKeyInfo -> the PKCS#1 RSAPublicKey inside it, if the algorithm is RSA.
fn spki_rsa_key(der: &[u8]) -> Option<&[u8]> {
    let (tag, spki, _) = der_read(der)?;
    if tag != DER_SEQUENCE {
        return None;
    }
    let (tag, alg_id, rest) = der_read(spki)?;
    if tag != DER_SEQUENCE {
        return None;
    }
    let (tag, oid, _) = der_read(alg_id)?;
    if tag != DER_OID || oid != OID_RSA_ENCRYPTION {
        return None;
    }
    let (tag, bits, _) = der_read(rest)?;
    if tag != DER_BIT_STRING {
        return None;
    }
    // First byte of a BIT STRING counts unused bits; a key is whole bytes.
    match bits.split_first() {
        Some((0, key)) => Some(key),
        _ => None,
    }
}

/// PKCS#1 RSAPublicKey -> (modulus, exponent).
fn pkcs1_components(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (tag, seq, _) = der_read(der)?;
    if tag != DER_SEQUENCE {
        return None;
    }
    let (tag, n, rest) = der_read(seq)?;
    if tag != DER_INTEGER {
        return None;
    }
    let (tag, e, _) = der_read(rest)?;
    if tag != DER_INTEGER {
        return None;
    }
    Some((n, e))
}

/// One entry of a JWKS document; unknown members are ignored.
#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

/// Parses a JWKS document into RSA signing keys by `kid`.
///
/// Entries that are not RSA signature keys with a `kid`, or that fail to decode, are skipped:
/// a key set may legitimately hold other key types, and one odd entry must not take the valid
/// ones down with it.
pub(crate) fn parse_jwks(body: &[u8]) -> Result<HashMap<String, Arc<VerifyKey>>, BackendError> {
    let set: JwkSet = serde_json::from_slice(body)
        .map_err(|e| BackendError::Unavailable(format!("JWKS response is not a key set: {e}")))?;
    let mut keys = HashMap::new();
    for value in set.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if jwk.kty != "RSA" || jwk.use_.as_deref().is_some_and(|u| u != "sig") {
            continue;
        }
        let alg = match jwk.alg.as_deref() {
            None => None,
            Some(name) => match Algorithm::from_jose(name) {
                Some(alg) => Some(alg),
                None => continue,
            },
        };
        let (Some(kid), Some(n), Some(e)) = (jwk.kid, jwk.n, jwk.e) else {
            continue;
        };
        let (Ok(n), Ok(e)) = (URL_SAFE_NO_PAD.decode(n), URL_SAFE_NO_PAD.decode(e)) else {
            continue;
        };
        if let Some(key) = VerifyKey::from_components(&n, &e, alg) {
            keys.insert(kid, Arc::new(key));
        }
    }
    Ok(keys)
}

/// Outcome of a key lookup.
pub(crate) enum KeyLookup {
    Found(Arc<VerifyKey>),
    /// The key set is known and has no such `kid`.
    Unknown,
    /// No key set could be obtained.
    Unavailable,
}

/// Timing settings of a [`JwksCache`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct CachePolicy {
    /// How long a fetched key set is used before it is fetched again.
    pub ttl: Duration,
    /// Minimum time between two fetches, whatever their trigger or outcome. Bounds the load an
    /// attacker can cause with made-up `kid`s, and the retry rate while the API is down.
    pub min_refetch_interval: Duration,
}

#[derive(Default)]
struct CacheState {
    keys: HashMap<String, Arc<VerifyKey>>,
    /// When the last successful fetch finished.
    fetched_at: Option<Instant>,
    /// When the last fetch attempt (successful or not) started.
    attempted_at: Option<Instant>,
    /// Number of finished fetch attempts; lets waiters see that someone fetched meanwhile.
    attempts: u64,
}

/// A key set fetched from the Backend API, owned by one verifier.
///
/// The cache is deliberately not process-wide: two verifiers configured for two Clerk
/// instances must never see each other's keys, even when the `kid`s collide.
pub(crate) struct JwksCache {
    policy: CachePolicy,
    state: RwLock<CacheState>,
    /// Bumped each time a fetch brings a key set that differs from the one held, so that
    /// what was verified under the old keys (the verified-token cache) can be dropped.
    generation: AtomicU64,
    /// Held while fetching, so that concurrent misses share one request (single flight).
    /// `futures`' mutex is used because the crate's tokio dependency doesn't enable `sync`;
    /// it is async-aware and queues waiters fairly.
    fetch_lock: futures::lock::Mutex<()>,
}

impl JwksCache {
    pub(crate) fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            state: RwLock::new(CacheState::default()),
            generation: AtomicU64::new(0),
            fetch_lock: futures::lock::Mutex::new(()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, CacheState> {
        // A poisoned lock only means a panic elsewhere while holding it; the map is still sound.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, CacheState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Finds the key for `kid`, fetching the key set when it is missing, stale, or lacks `kid`,
    /// within the limits of the [`CachePolicy`].
    pub(crate) async fn get(&self, kid: &str, backend: &dyn Backend) -> KeyLookup {
        enum Next {
            Fetch { seen_attempts: u64 },
            WaitForFlight,
        }
        let next = {
            let state = self.read();
            let now = Instant::now();
            let fresh = state
                .fetched_at
                .is_some_and(|t| now.duration_since(t) < self.policy.ttl);
            let hit = state.keys.get(kid).cloned();
            let may_fetch = state
                .attempted_at
                .is_none_or(|t| now.duration_since(t) >= self.policy.min_refetch_interval);
            match hit {
                Some(key) if fresh || !may_fetch => {
                    // Fresh, or stale while refetching now would exceed the rate limit.
                    return KeyLookup::Found(key);
                }
                _ if may_fetch => Next::Fetch {
                    seen_attempts: state.attempts,
                },
                // Too soon to fetch again, but a fetch may be in flight: wait for its result.
                _ => Next::WaitForFlight,
            }
        };

        let _flight = self.fetch_lock.lock().await;
        let seen_attempts = match next {
            Next::WaitForFlight => return Self::lookup(&self.read(), kid),
            Next::Fetch { seen_attempts } => seen_attempts,
        };
        if self.read().attempts != seen_attempts {
            // Another caller fetched while this one waited: use its result.
            return Self::lookup(&self.read(), kid);
        }
        self.write().attempted_at = Some(Instant::now());
        let result = backend
            .fetch_jwks()
            .await
            .and_then(|body| parse_jwks(&body));
        let mut state = self.write();
        state.attempts += 1;
        match result {
            Ok(keys) => {
                tracing::debug!(keys = keys.len(), "fetched the instance's signing keys");
                // The first key set replaces nothing that anything was verified with.
                if !state.keys.is_empty() && !same_keys(&state.keys, &keys) {
                    self.generation.fetch_add(1, Ordering::Release);
                }
                state.keys = keys;
                state.fetched_at = Some(Instant::now());
            }
            Err(error) => {
                // Keep the previous keys: a short API outage should not sign everyone out.
                tracing::warn!(%error, "could not fetch the instance's signing keys");
            }
        }
        Self::lookup(&state, kid)
    }

    /// Changes whenever the held key set changes.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The key for `kid` if it is held now, fresh or not; never fetches.
    pub(crate) fn cached(&self, kid: &str) -> KeyLookup {
        Self::lookup(&self.read(), kid)
    }

    fn lookup(state: &CacheState, kid: &str) -> KeyLookup {
        match state.keys.get(kid) {
            Some(key) => KeyLookup::Found(key.clone()),
            None if state.fetched_at.is_some() => KeyLookup::Unknown,
            None => KeyLookup::Unavailable,
        }
    }
}

/// True when both sets hold the same keys under the same ids.
pub(crate) fn same_keys(
    a: &HashMap<String, Arc<VerifyKey>>,
    b: &HashMap<String, Arc<VerifyKey>>,
) -> bool {
    a.len() == b.len()
        && a.iter().all(|(kid, key)| {
            b.get(kid)
                .is_some_and(|other| key.n == other.n && key.e == other.e && key.alg == other.alg)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_reader_rejects_truncated_input() {
        assert!(der_read(&[0x30]).is_none());
        assert!(der_read(&[0x30, 0x05, 0x00]).is_none());
        assert!(der_read(&[0x30, 0x82, 0x01]).is_none());
        assert_eq!(
            der_read(&[0x02, 0x01, 0x07, 0xff]),
            Some((0x02, &[7u8][..], &[0xffu8][..]))
        );
    }

    #[test]
    fn pem_errors_are_reported() {
        assert!(matches!(
            VerifyKey::from_pem("not a key"),
            Err(ConfigError::InvalidPublicKey(_))
        ));
        assert!(matches!(
            VerifyKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----"),
            Err(ConfigError::InvalidPublicKey(_))
        ));
        assert!(matches!(
            VerifyKey::from_pem("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----"),
            Err(ConfigError::InvalidPublicKey(_))
        ));
    }

    #[test]
    fn jwks_skips_unusable_entries() {
        let body = br#"{"keys":[
            {"kty":"EC","kid":"a","crv":"P-256","x":"","y":""},
            {"kty":"RSA","kid":"b","alg":"HS256","n":"AQAB","e":"AQAB"},
            {"kty":"RSA","kid":"c","use":"enc","n":"AQAB","e":"AQAB"},
            {"kty":"RSA","kid":"d","n":"AQAB","e":"AQAB"},
            "garbage"
        ]}"#;
        let keys = parse_jwks(body).expect("the document itself is valid");
        assert!(
            keys.is_empty(),
            "all entries are unusable: {:?}",
            keys.keys()
        );
        assert!(parse_jwks(b"[]").is_err());
    }
}
