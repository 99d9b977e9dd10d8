//! Reading a JWT without verifying it.
//!
//! Several decisions are taken on what a token says before (or instead of) verifying it: which
//! of two cookies is newer, whether a token was issued before `__client_uat`, which session an
//! expired token belongs to. Nothing read here is trusted for authentication; a token is only
//! accepted after the [`Verifier`](crate::auth::Verifier) checked it.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::jwt::{self, ClaimSet, Parsed};

/// URL-safe base64 that tolerates padding and stray trailing bits, as the JavaScript SDK's
/// decoder does, so that both read the same tokens.
const LOOSE_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The members of a JWT header the decisions read; others are skipped unparsed.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Header {
    typ: Option<Value>,
    cat: Option<Value>,
}

/// A JWT's header and claims, unverified.
#[derive(Debug, Clone)]
pub(crate) struct Unverified {
    pub header: Header,
    claims: ClaimSet,
    /// The payload decoded by the verifier's own strict base64url rules, so that the claims
    /// are what it would parse and can be handed to it instead of parsing them again.
    strict: bool,
    /// The header as the verifier reads it, when it decoded and parsed by its rules.
    verifier_header: Option<jwt::Header>,
    /// Three runs of base64url characters separated by dots, nothing else.
    pub jwt_format: bool,
}

impl Unverified {
    /// Three dot-separated parts, each base64url, header and payload JSON objects; `None`
    /// otherwise.
    pub(crate) fn decode(token: &str) -> Option<Self> {
        let (header, payload, signature) = jwt::split_parts(token)?;
        // Strictly first (the usual case), loosely when that fails.
        let decode = |part: &str| match URL_SAFE_NO_PAD.decode(part) {
            Ok(bytes) => Some((bytes, true)),
            Err(_) => LOOSE_URL_SAFE.decode(part).ok().map(|bytes| (bytes, false)),
        };
        let (header, strict_header) = decode(header)?;
        let (payload, strict) = decode(payload)?;
        // Parts that decoded strictly hold base64url characters only: then only the
        // signature's characters are left to check.
        let jwt_format = if strict_header && strict {
            !signature.is_empty() && all_base64url(signature)
        } else {
            is_jwt_format(token)
        };
        // Base64url characters only (the usual case): the signature decodes unless its
        // length leaves a lone character, so it need not be decoded to know.
        let signature_decodes = if jwt_format {
            signature.len() % 4 != 1
        } else {
            LOOSE_URL_SAFE.decode(signature).is_ok()
        };
        if !signature_decodes {
            return None;
        }
        // The verifier's reading of the header serves both when it succeeds: its `typ` and
        // `cat` are then what this one reads (an object is required here; the verifier would
        // also read some arrays).
        let verifier_header = (strict_header && header.first() == Some(&b'{'))
            .then(|| jwt::parse_header_json(&header).ok())
            .flatten();
        let view = match &verifier_header {
            Some(full) => Header {
                typ: full.typ.clone().filter(|typ| !typ.is_null()),
                cat: full.cat.clone().map(Value::String),
            },
            None => serde_json::from_slice(&header).ok()?,
        };
        let claims = Arc::new(serde_json::from_slice(&payload).ok()?);
        Some(Self {
            header: view,
            claims,
            strict,
            verifier_header,
            jwt_format,
        })
    }

    /// What the verifier can take over instead of parsing it again: the parts it would
    /// read the same way.
    pub(crate) fn for_verifier(&self) -> Parsed<'_> {
        Parsed {
            header: self.verifier_header.as_ref(),
            claims: self.strict.then(|| self.claims.clone()),
        }
    }

    /// A header member; only `typ` and `cat` are read.
    pub(crate) fn header_value(&self, name: &str) -> Option<&Value> {
        match name {
            "typ" => self.header.typ.as_ref(),
            "cat" => self.header.cat.as_ref(),
            _ => None,
        }
    }

    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.header_value(name).and_then(Value::as_str)
    }

    /// A claim, JSON `null` counting as absent.
    pub(crate) fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name).filter(|v| !v.is_null())
    }

    pub(crate) fn claim_str(&self, name: &str) -> Option<&str> {
        self.claim(name).and_then(Value::as_str)
    }

    /// A numeric claim; other types count as absent.
    pub(crate) fn claim_number(&self, name: &str) -> Option<f64> {
        self.claim(name).and_then(Value::as_f64)
    }
}

/// JavaScript truthiness of a JSON value, for the few rules that test a claim's presence.
pub(crate) fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// Three non-empty runs of base64url characters separated by dots.
pub(crate) fn is_jwt_format(token: &str) -> bool {
    jwt::split_parts(token).is_some_and(|(header, payload, signature)| {
        [header, payload, signature]
            .iter()
            .all(|part| !part.is_empty() && all_base64url(part))
    })
}

/// Characters of the base64url alphabet only.
fn all_base64url(part: &str) -> bool {
    // Without early exit, so that the compiler can check many bytes at once.
    part.bytes().fold(true, |ok, b| {
        ok & (b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_loosely_and_refuses_structure_errors() {
        // {"typ":"JWT"} . {"sub":"u"} . "sig", with padding on the payload.
        let token = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ1In0=.c2ln";
        let jwt = Unverified::decode(token).expect("decodes");
        assert_eq!(jwt.header_str("typ"), Some("JWT"));
        assert_eq!(jwt.claim_str("sub"), Some("u"));
        assert!(Unverified::decode("a.b").is_none());
        assert!(Unverified::decode("garbage").is_none());
        assert!(Unverified::decode("e30.e30.!!").is_none());
        assert!(!is_jwt_format(token));
        assert!(!jwt.jwt_format);
        assert!(is_jwt_format("a.b.c"));
        assert!(!is_jwt_format("a..c"));
        assert!(!is_jwt_format(".b.c"));
        assert!(!is_jwt_format("a.b."));
        assert!(!is_jwt_format("a.b.c.d"));
        // Header and payload must be objects.
        assert!(Unverified::decode("WzFd.e30.c2ln").is_none());
        // A signature of base64url characters decodes unless one is left over.
        assert!(Unverified::decode("e30.e30.c2lu").is_some());
        assert!(Unverified::decode("e30.e30.c2lu-").is_none());
        assert!(Unverified::decode("e30.e30.c2lu-_").is_some());
        for signature in ["c", "c2", "c2l", "c2lu", "c2lub", "c2lubm", "c2lubmc"] {
            assert_eq!(
                Unverified::decode(&format!("e30.e30.{signature}")).is_some(),
                LOOSE_URL_SAFE.decode(signature).is_ok(),
                "{signature}"
            );
        }
    }

    #[test]
    fn claims_go_to_the_verifier_only_when_it_would_decode_the_same() {
        // {"sub":"u"} without padding: what the verifier's strict decoder reads.
        let canonical = Unverified::decode("e30.eyJzdWIiOiJ1In0.c2ln").expect("decodes");
        let handed = canonical.for_verifier().claims.expect("strict");
        assert_eq!(handed.get("sub"), Some(&Value::from("u")));
        // Padding, or stray bits in the last character, decode loosely only.
        for token in ["e30.eyJzdWIiOiJ1In0=.c2ln", "e30.eyJzdWIiOiJ1In1.c2ln"] {
            let loose = Unverified::decode(token).expect("decodes loosely");
            assert_eq!(loose.claim_str("sub"), Some("u"), "{token}");
            assert!(loose.for_verifier().claims.is_none(), "{token}");
        }
        // The JWT format is the same whichever way it was found.
        for token in [
            "e30.e30.c2ln",
            "e30.e30.c2l=",
            "e30=.e30.c2ln",
            "e30.e30=.c2ln",
            "e30.eyJzdWIiOiJ1In1.c2ln",
            "e30.e30.c2lu-_",
        ] {
            let jwt = Unverified::decode(token).expect("decodes");
            assert_eq!(jwt.jwt_format, is_jwt_format(token), "{token}");
        }
        // A claim given twice counts with its last value, as `JSON.parse` (and the verifier)
        // read it.
        let twice = format!(
            "e30.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"iat":1,"iat":2}"#)
        );
        let jwt = Unverified::decode(&twice).expect("decodes");
        assert_eq!(jwt.claim_number("iat"), Some(2.0));
        // A payload that is JSON but not an object is no token.
        assert!(Unverified::decode("e30.WzFd.c2ln").is_none());
    }

    #[test]
    fn the_verifiers_header_reads_typ_and_cat_alike() {
        for header in [
            r#"{"alg":"RS256","kid":"k","typ":"JWT","cat":"cl_B7d4PD111AAA"}"#,
            r#"{"alg":"RS256","typ":null,"cat":null}"#,
            r#"{"alg":"RS256","typ":5}"#,
            r#"{"typ":"JWT"}"#,
            r#"{"alg":"RS256","cat":5}"#,
            r#"{"alg":"RS256","alg":"HS256","cat":"x"}"#,
            r#"{"alg":"RS256","typ":"a","typ":"b"}"#,
            r#"["RS256",null,null,null,null]"#,
        ] {
            let token = format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(header));
            let direct: Option<Header> = serde_json::from_str(header).ok();
            let decoded = Unverified::decode(&token);
            assert_eq!(decoded.is_some(), direct.is_some(), "{header}");
            if let (Some(decoded), Some(direct)) = (decoded, direct) {
                assert_eq!(decoded.header.typ, direct.typ, "{header}");
                assert_eq!(decoded.header.cat, direct.cat, "{header}");
                // Handed over exactly when the verifier reads this header itself.
                assert_eq!(
                    decoded.for_verifier().header.is_some(),
                    jwt::parse_header_json(header.as_bytes()).is_ok(),
                    "{header}"
                );
            }
        }
    }

    #[test]
    fn truthiness() {
        assert!(!truthy(None));
        assert!(!truthy(Some(&Value::from(""))));
        assert!(!truthy(Some(&Value::from(0))));
        assert!(truthy(Some(&Value::from("x"))));
        assert!(truthy(Some(&Value::from(1.5))));
    }
}
