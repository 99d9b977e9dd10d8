//! Property tests: mutations of valid tokens and deliveries are never accepted where a strict
//! reading of the rules refuses them.
//!
//! The strict readings below are written independently of the verifiers, from the rules
//! alone (RFC 7515/7519, Clerk's session token rules, Svix's signature format). The random
//! source is seeded and the number of cases fixed, so a run is reproducible and bounded
//! (a few seconds in a debug build).

mod auth_support;

use std::time::{Duration, UNIX_EPOCH};

use auth_support::*;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use clerk_backend_api::auth::Verifier as TokenVerifier;
use clerk_backend_api::webhooks::{SigningSecret, Verifier as WebhookVerifier};
use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.+/ !\"\\";

/// Byte flips, truncations and extra segments of `valid`; never `valid` itself.
fn raw_mutation(rng: &mut Rng, valid: &str) -> String {
    let mut bytes = valid.as_bytes().to_vec();
    match rng.below(5) {
        0 => {
            let at = rng.below(bytes.len());
            bytes[at] = *rng.pick(ALPHABET);
        }
        1 => bytes.truncate(rng.below(bytes.len())),
        2 => {
            let extra = *rng.pick(&[".", ".e30", ".AAAA", "..", "=", "=="]);
            let at = rng.below(bytes.len() + 1);
            bytes.splice(at..at, extra.bytes());
        }
        3 => {
            let at = rng.below(bytes.len());
            bytes.remove(at);
        }
        _ => {
            // Swap two bytes.
            let (a, b) = (rng.below(bytes.len()), rng.below(bytes.len()));
            bytes.swap(a, b);
        }
    }
    String::from_utf8(bytes).expect("ASCII")
}

fn random_value(rng: &mut Rng) -> Value {
    match rng.below(9) {
        0 => Value::Null,
        1 => json!(""),
        2 => json!("https://evil.example"),
        3 => json!(NOW + rng.below(200) as i64 - 100),
        4 => json!((NOW as f64) + 0.5),
        5 => json!(true),
        6 => json!([APP_ORIGIN]),
        7 => json!({"sub": "user_2abc"}),
        _ => json!("mch_2xyz"),
    }
}

const CLAIMS: &[&str] = &["sub", "iss", "azp", "exp", "nbf", "iat", "sid"];
const HEADER: &[&str] = &["alg", "typ", "kid", "cat", "crit"];

fn header_value(rng: &mut Rng, name: &str) -> Value {
    match (name, rng.below(4)) {
        ("alg", 0) => json!("none"),
        ("alg", 1) => json!("HS256"),
        ("alg", 2) => json!("RS512"),
        ("typ", 0) => json!("at+jwt"),
        ("typ", 1) => json!("jwt"),
        ("cat", 0) => json!("cl_B7d4PD333AAA"),
        ("cat", 1) => json!("cl_B7d4PD222AAA"),
        ("crit", _) => json!(["exp"]),
        _ => random_value(rng),
    }
}

/// The strict reading of a session token's header and claims at [`NOW`] with 5 s of skew,
/// issuer [`ISSUER`] and authorized party [`APP_ORIGIN`]: true when it must be refused.
fn strictly_refused(header: &Map<String, Value>, claims: &Map<String, Value>) -> bool {
    let skew = 5;
    let number = |name: &str| claims.get(name).map(|v| v.as_f64());
    let header_ok = header.get("alg") == Some(&json!("RS256"))
        && matches!(header.get("typ"), None | Some(Value::String(_)))
        && header.get("typ").is_none_or(|t| t == "JWT")
        && !header.contains_key("crit")
        && header.get("cat").is_none_or(|c| {
            c == "cl_B7d4PD111AAA" || c == "cl_B7d4PD222AAA" || c == "cl_I7d4PD111III"
        });
    let sub_ok = claims
        .get("sub")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty() && !s.starts_with("mch_"));
    let exp_ok =
        matches!(number("exp"), Some(Some(exp)) if exp.floor() as i64 * 1000 > (NOW - skew) * 1000);
    let not_ahead = |name: &str| match number(name) {
        None => true,
        Some(Some(t)) => t.floor() as i64 <= NOW + skew,
        Some(None) => false,
    };
    let iss_ok = claims.get("iss") == Some(&json!(ISSUER));
    let azp_ok = claims.get("azp") == Some(&json!(APP_ORIGIN));
    !(header_ok && sub_ok && exp_ok && not_ahead("nbf") && not_ahead("iat") && iss_ok && azp_ok)
}

fn session_header() -> Map<String, Value> {
    rs256_header(KID).as_object().expect("object").clone()
}

#[test]
fn token_mutations_are_never_accepted_where_a_strict_reading_refuses_them() {
    let key = TestKey::instance();
    let verifier = TokenVerifier::builder()
        .jwt_key(key.public_pem)
        .publishable_key(PUBLISHABLE_KEY)
        .authorized_parties([APP_ORIGIN])
        .clock(fixed_clock)
        .build()
        .expect("valid settings");
    let valid = key.session_token();
    assert!(verifier.verify_session_token_sync(&valid).is_ok());
    let mut rng = Rng(0x5EED_0001);

    // Any change of the bytes of a signed token is refused: each segment has one encoding.
    let mut raw_cases = 0;
    for _ in 0..3000 {
        let mutated = raw_mutation(&mut rng, &valid);
        if mutated == valid {
            continue;
        }
        raw_cases += 1;
        assert!(
            verifier.verify_session_token_sync(&mutated).is_err(),
            "accepted a changed token: {mutated}"
        );
    }
    assert!(raw_cases > 2500);

    // Header and claim changes, signed again with the instance key.
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..300 {
        let mut header = session_header();
        let mut claims = session_claims().as_object().expect("object").clone();
        for _ in 0..1 + rng.below(2) {
            if rng.below(3) == 0 {
                let name = *rng.pick(HEADER);
                if rng.below(4) == 0 {
                    header.remove(name);
                } else {
                    let value = header_value(&mut rng, name);
                    header.insert(name.to_owned(), value);
                }
            } else {
                let name = *rng.pick(CLAIMS);
                if rng.below(4) == 0 {
                    claims.remove(name);
                } else {
                    let value = random_value(&mut rng);
                    claims.insert(name.to_owned(), value);
                }
            }
        }
        // Signed as RS256 whatever the header says; the header is what is checked.
        let input = format!(
            "{}.{}",
            b64_json(&Value::Object(header.clone())),
            b64_json(&Value::Object(claims.clone()))
        );
        let token = key.sign_input(&input);
        let ours = verifier.verify_session_token_sync(&token);
        if strictly_refused(&header, &claims) {
            refused += 1;
            assert!(
                ours.is_err(),
                "accepted {header:?} {claims:?}, which the strict reading refuses"
            );
        } else {
            accepted += 1;
        }
    }
    // Both kinds of cases occurred, so the loop checked something.
    assert!(accepted > 10 && refused > 100, "{accepted} {refused}");
}

#[test]
fn delivery_mutations_are_never_accepted_where_a_strict_reading_refuses_them() {
    let secret_text = "whsec_dGVzdC1zaWduaW5nLWtleS1mb3ItY2xlcmstd2ViaG9va3M=";
    let secret = SigningSecret::new(secret_text).expect("valid secret");
    let now = 1_767_225_600_i64;
    let at = UNIX_EPOCH + Duration::from_secs(now as u64);
    let verifier = WebhookVerifier::builder()
        .signing_secret(secret.clone())
        .clock(move || at)
        .build()
        .expect("valid");
    let id = "msg_2ZkPropertyTests0001".to_owned();
    let timestamp = now.to_string();
    let body = br#"{"type":"role.deleted","object":"event","timestamp":1767225600000,"instance_id":"ins_1","data":{"object":"role","id":"role_1","deleted":true}}"#.to_vec();
    let valid_signature = secret.sign(id.as_str(), now, &body);
    let other_signature = SigningSecret::from_bytes(b"another key")
        .expect("valid")
        .sign(id.as_str(), now, &body);
    let headers = |id: &str, timestamp: &str, signature: &str| {
        let mut map = HeaderMap::new();
        for (name, value) in [
            ("svix-id", id),
            ("svix-timestamp", timestamp),
            ("svix-signature", signature),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                map.insert(name, value);
            }
        }
        map
    };
    assert!(
        verifier
            .verify(&headers(&id, &timestamp, &valid_signature), &body)
            .is_ok()
    );

    /// The strict reading of a signature header: single-space separated entries, each
    /// `<version>,<value>` with one comma, `v1` values canonical padded base64 of 32 bytes.
    fn well_formed(signature: &str) -> bool {
        signature.split(' ').all(|entry| {
            let parts: Vec<&str> = entry.split(',').collect();
            match parts.as_slice() {
                ["v1", value] => STANDARD
                    .decode(value)
                    .is_ok_and(|bytes| bytes.len() == 32 && STANDARD.encode(&bytes) == *value),
                [version, _] => !version.is_empty(),
                _ => false,
            }
        })
    }

    let mut rng = Rng(0x5EED_0002);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..3000 {
        let (mut m_id, mut m_ts, mut m_sig, mut m_body) = (
            id.clone(),
            timestamp.clone(),
            valid_signature.clone(),
            body.clone(),
        );
        match rng.below(6) {
            0 => m_id = raw_mutation(&mut rng, &id),
            1 => m_ts = raw_mutation(&mut rng, &timestamp),
            2 => m_sig = raw_mutation(&mut rng, &valid_signature),
            3 => {
                let at = rng.below(m_body.len());
                m_body[at] ^= 1 << rng.below(8);
            }
            4 => m_body.truncate(rng.below(m_body.len())),
            _ => {
                // Extra entries around the valid one, some malformed.
                let extra = *rng.pick(&[
                    other_signature.as_str(),
                    "v1a,AAAA",
                    "v1,AAAA",
                    "garbage",
                    "v1,a,b",
                    "",
                    "v1,",
                ]);
                m_sig = if rng.below(2) == 0 {
                    format!("{extra} {m_sig}")
                } else {
                    format!("{m_sig} {extra}")
                };
            }
        }
        let ours = verifier.verify(&headers(&m_id, &m_ts, &m_sig), &m_body);
        let unchanged = m_id == id && m_ts == timestamp && m_body == body;
        let strictly_accepted = unchanged
            && well_formed(&m_sig)
            && m_sig.split(' ').any(|entry| entry == valid_signature);
        if strictly_accepted {
            accepted += 1;
        } else {
            refused += 1;
            assert!(
                ours.is_err(),
                "accepted id {m_id:?}, timestamp {m_ts:?}, signature {m_sig:?}, body {:?}",
                String::from_utf8_lossy(&m_body)
            );
        }
    }
    assert!(accepted > 50 && refused > 2000, "{accepted} {refused}");
}

#[test]
fn base64url_of_the_valid_token_is_canonical() {
    // The raw mutations rely on each segment having one encoding: check the premise.
    let valid = TestKey::instance().session_token();
    for segment in valid.split('.') {
        let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url");
        assert_eq!(URL_SAFE_NO_PAD.encode(bytes), segment);
    }
}
