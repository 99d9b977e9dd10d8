//! JWT structure: splitting, decoding, and the claim checks shared by all JWT kinds.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::SignedOutReason;

/// Header `cat` of session tokens.
const CATEGORY_SESSION: &str = "cl_B7d4PD111AAA";
/// Header `cat` of tokens from JWT templates (verified like session tokens here).
const CATEGORY_JWT_TEMPLATE: &str = "cl_B7d4PD222AAA";
/// Header `cat` of M2M tokens.
pub(crate) const CATEGORY_M2M: &str = "cl_B7d4PD333AAA";
/// Header `cat` that instances may put on every class of token; it says nothing.
const CATEGORY_IGNORE: &str = "cl_I7d4PD111III";

/// The JOSE header members looked at; others are ignored.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Header {
    pub alg: String,
    pub kid: Option<String>,
    /// Kept as JSON, so that `"typ": null` is told apart from an absent `typ`.
    #[serde(default, deserialize_with = "present")]
    pub typ: Option<Value>,
    pub cat: Option<String>,
    /// Critical extensions: none is understood, so any presence rejects the token.
    pub crit: Option<Value>,
}

/// A member that is present, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// What a header's `cat` says about the token class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    /// Absent, session, JWT template, or the "ignore" marker.
    SessionLike,
    /// The M2M token category.
    M2m,
    /// A category this crate does not know.
    Unrecognized,
}

impl Header {
    pub(crate) fn category(&self) -> Category {
        match self.cat.as_deref() {
            None | Some(CATEGORY_SESSION | CATEGORY_JWT_TEMPLATE | CATEGORY_IGNORE) => {
                Category::SessionLike
            }
            Some(CATEGORY_M2M) => Category::M2m,
            Some(_) => Category::Unrecognized,
        }
    }

    /// What the header `typ` says: OAuth access tokens in JWT form carry `at+jwt` or
    /// `application/at+jwt` (RFC 9068); every other Clerk token carries `JWT` or nothing.
    /// Anything else is not a Clerk token and is refused as malformed, as Clerk's SDK does.
    /// The comparison is exact (case included), also as in Clerk's SDK.
    pub(crate) fn typ(&self) -> Result<HeaderType, SignedOutReason> {
        let Some(typ) = &self.typ else {
            return Ok(HeaderType::Jwt);
        };
        match typ.as_str() {
            Some("JWT") => Ok(HeaderType::Jwt),
            Some("at+jwt" | "application/at+jwt") => Ok(HeaderType::AccessToken),
            _ => Err(SignedOutReason::Malformed),
        }
    }
}

/// The token class a header `typ` announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderType {
    /// `JWT` or absent: a session, JWT-template or M2M token.
    Jwt,
    /// `at+jwt`: an OAuth access token.
    AccessToken,
}

/// A JWT payload parsed as a JSON object, shared between what read it and the claims built
/// from it.
pub(crate) type ClaimSet = Arc<Map<String, Value>>;

/// A JWT split into its parts, with the header decoded and the rest still encoded.
pub(crate) struct Jwt<'t> {
    pub header: Cow<'t, Header>,
    /// `<header>.<payload>`, the bytes the signature covers.
    pub signing_input: &'t [u8],
    payload: Payload,
    signature: &'t str,
}

/// The payload as the verifier holds it until the signature is checked.
enum Payload {
    /// Decoded bytes, parsed as JSON only once the signature holds.
    Decoded(Vec<u8>),
    /// Parsed already by a caller that had to read claims before verifying (the web-app
    /// flow compares `iat` with `__client_uat`), so that the work is not done twice.
    Parsed(ClaimSet),
}

/// Parts of a token that a caller parsed already, by the verifier's own rules: decoded as
/// strict base64url (no padding, no stray bits), the header parsed as [`Header`], the
/// payload as a JSON object. They are trusted only once the signature, which covers both
/// encoded parts, holds.
#[derive(Default)]
pub(crate) struct Parsed<'t> {
    pub header: Option<&'t Header>,
    pub claims: Option<ClaimSet>,
}

impl<'t> Jwt<'t> {
    pub(crate) fn parse(token: &'t str) -> Result<Self, SignedOutReason> {
        Self::parse_with(token, Parsed::default())
    }

    /// [`parse`](Self::parse), reusing what the caller parsed of this very token already.
    pub(crate) fn parse_with(token: &'t str, parsed: Parsed<'t>) -> Result<Self, SignedOutReason> {
        let (header, payload, signature) = split_parts(token).ok_or(SignedOutReason::Malformed)?;
        // An empty signature is let through here so that `alg: none` tokens are refused for
        // their algorithm; an empty signature never verifies.
        if header.is_empty() || payload.is_empty() {
            return Err(SignedOutReason::Malformed);
        }
        let header = match parsed.header {
            Some(header) => Cow::Borrowed(header),
            None => Cow::Owned(parse_header(header)?),
        };
        // Structure first: a payload that isn't even base64url is malformed, whoever signed it.
        let payload = match parsed.claims {
            Some(claims) => Payload::Parsed(claims),
            None => Payload::Decoded(
                URL_SAFE_NO_PAD
                    .decode(payload)
                    .map_err(|_| SignedOutReason::Malformed)?,
            ),
        };
        let signing_len = token.len() - signature.len() - 1;
        Ok(Self {
            header,
            signing_input: &token.as_bytes()[..signing_len],
            payload,
            signature,
        })
    }

    pub(crate) fn signature(&self) -> Result<Vec<u8>, SignedOutReason> {
        URL_SAFE_NO_PAD
            .decode(self.signature)
            .map_err(|_| SignedOutReason::Malformed)
    }

    /// The payload's claims; call only after the signature has been checked.
    pub(crate) fn claims(&self) -> Result<ClaimSet, SignedOutReason> {
        match &self.payload {
            Payload::Decoded(bytes) => serde_json::from_slice(bytes)
                .map(Arc::new)
                .map_err(|_| SignedOutReason::Malformed),
            Payload::Parsed(claims) => Ok(claims.clone()),
        }
    }
}

/// The three dot-separated parts of a compact JWT; `None` for any other number of parts.
pub(crate) fn split_parts(token: &str) -> Option<(&str, &str, &str)> {
    // `memchr` finds the dots many bytes at a time; a token is several hundred bytes long.
    let bytes = token.as_bytes();
    let first = memchr::memchr(b'.', bytes)?;
    let second = first + 1 + memchr::memchr(b'.', &bytes[first + 1..])?;
    if memchr::memchr(b'.', &bytes[second + 1..]).is_some() {
        return None;
    }
    Some((
        &token[..first],
        &token[first + 1..second],
        &token[second + 1..],
    ))
}

/// Decodes and parses an encoded JOSE header.
pub(crate) fn parse_header(encoded: &str) -> Result<Header, SignedOutReason> {
    let json = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| SignedOutReason::Malformed)?;
    parse_header_json(&json)
}

/// Parses a decoded JOSE header.
pub(crate) fn parse_header_json(json: &[u8]) -> Result<Header, SignedOutReason> {
    serde_json::from_slice(json).map_err(|_| SignedOutReason::Malformed)
}

/// A NumericDate claim as whole seconds; fractions are truncated toward the past.
///
/// An absent claim is `None`; a present one must be a number. `null` is not a number: Clerk's
/// SDK refuses `"nbf": null`, and so does this.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, SignedOutReason> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or(SignedOutReason::Malformed),
        Some(_) => Err(SignedOutReason::Malformed),
    }
}

/// A string claim; a claim of another type is malformed.
pub(crate) fn string_claim<'c>(
    claims: &'c Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'c str>, SignedOutReason> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(SignedOutReason::Malformed),
    }
}

/// The time checks, in milliseconds with the clock skew applied in the token's favour.
pub(crate) fn check_times(
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
    now_ms: i64,
    leeway_ms: i64,
) -> Result<(), SignedOutReason> {
    let ms = |secs: i64| secs.saturating_mul(1000);
    if ms(exp) <= now_ms.saturating_sub(leeway_ms) {
        return Err(SignedOutReason::Expired);
    }
    if nbf.is_some_and(|nbf| ms(nbf) > now_ms.saturating_add(leeway_ms)) {
        return Err(SignedOutReason::NotYetValid);
    }
    if iat.is_some_and(|iat| ms(iat) > now_ms.saturating_add(leeway_ms)) {
        return Err(SignedOutReason::IssuedInFuture);
    }
    Ok(())
}

/// True when the `aud` claim (string or array of strings) names one of `accepted`.
pub(crate) fn audience_matches(claims: &Map<String, Value>, accepted: &[String]) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => accepted.iter().any(|a| a == aud),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|aud| accepted.iter().any(|a| a == aud)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_errors_are_malformed() {
        for token in ["", "a", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b."] {
            assert_eq!(
                Jwt::parse(token).err(),
                Some(SignedOutReason::Malformed),
                "{token}"
            );
        }
        // `{"alg":"RS256"}` is fine; a header that is JSON but not an object is not.
        assert!(Jwt::parse("eyJhbGciOiJSUzI1NiJ9.e30.c2ln").is_ok());
        assert_eq!(
            Jwt::parse("WzFd.e30.c2ln").err(),
            Some(SignedOutReason::Malformed)
        );
    }

    #[test]
    fn splitting_agrees_with_str_split() {
        for token in [
            "", ".", "..", "...", "a.b.c", "a.b.c.d", "a..c", ".b.", "abc", "é.b.ü",
        ] {
            let parts: Vec<_> = token.split('.').collect();
            let expected = (parts.len() == 3).then(|| (parts[0], parts[1], parts[2]));
            assert_eq!(split_parts(token), expected, "{token}");
        }
    }

    #[test]
    fn time_edges() {
        let now = 1_000_000;
        let leeway = 5_000;
        assert_eq!(check_times(996, None, None, now, leeway), Ok(()));
        assert_eq!(
            check_times(995, None, None, now, leeway),
            Err(SignedOutReason::Expired)
        );
        assert_eq!(check_times(2000, Some(1005), None, now, leeway), Ok(()));
        assert_eq!(
            check_times(2000, Some(1006), None, now, leeway),
            Err(SignedOutReason::NotYetValid)
        );
        assert_eq!(
            check_times(2000, None, Some(1006), now, leeway),
            Err(SignedOutReason::IssuedInFuture)
        );
    }
}
