//! Our verdicts against those of the reference libraries, input by input.
//!
//! `tests/fixtures/reference/` holds crafted session tokens with the verdict of `verifyToken`
//! from Clerk's JS SDK, and crafted webhook deliveries with the verdicts of the JS `svix`,
//! `standardwebhooks` and Python `svix` packages (see `generate.mjs` there). Rules:
//!
//! - whatever a reference library refuses, we refuse;
//! - whatever they accept and we refuse is listed below with our reason, and in the docs
//!   (`auth` module docs, `webhooks` module docs) as a deliberate, safer difference;
//! - when both refuse a token, our `clerk_code()` is Clerk's reason, or the pair is listed.

mod auth_support;

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use auth_support::{APP_ORIGIN, ISSUER, TestKey, fixed_clock};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clerk_backend_api::auth::Verifier as TokenVerifier;
use clerk_backend_api::webhooks::Verifier as WebhookVerifier;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reference")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture present"))
        .expect("fixture is JSON")
}

/// Tokens Clerk's SDK accepts and we refuse, with our reason (`code()`).
const SAFER_TOKEN_VERDICTS: &[(&str, &str)] = &[
    // A token not valid before the year 10^292 is not a real token.
    ("nbf absurdly far", "token-not-yet-valid"),
    // A session token always names its user.
    ("sub empty", "missing-claim"),
    // A machine's token is not a user's session.
    ("sub of a machine", "token-kind-not-accepted"),
    // A critical header extension we do not understand must not be ignored (RFC 7515).
    ("crit header", "token-malformed"),
    // Another class of token signed by the instance must not pass as a session.
    ("cat unknown", "unrecognized-category"),
    // JWS segments are unpadded base64url (RFC 7515); one encoding of each token only.
    ("signature padded", "token-malformed"),
    ("header padded", "token-malformed"),
    // Parsing is bounded; session tokens are far smaller.
    ("claims 9 KB long", "token-too-large"),
    // With audiences configured, a token must name one.
    ("aud absent", "wrong-audience"),
    ("aud a list of numbers", "wrong-audience"),
];

/// Tokens both refuse, where our reason maps to another of Clerk's reasons: (case, ours as
/// `clerk_code()`, Clerk's).
const OTHER_REASONS: &[(&str, &str, &str)] = &[
    ("exp null", "token-invalid", "token-verification-failed"),
    ("exp a string", "token-invalid", "token-verification-failed"),
    ("nbf null", "token-invalid", "token-verification-failed"),
    ("nbf a string", "token-invalid", "token-verification-failed"),
    ("iat null", "token-invalid", "token-verification-failed"),
    ("sub a number", "token-invalid", "token-verification-failed"),
    (
        "payload a JSON array",
        "token-invalid",
        "token-verification-failed",
    ),
    ("typ at+jwt", "token-type-mismatch", "token-invalid"),
    (
        "typ application/at+jwt",
        "token-type-mismatch",
        "token-invalid",
    ),
    ("cat of M2M tokens", "token-type-mismatch", "token-invalid"),
    ("alg missing", "token-invalid", "token-invalid-algorithm"),
    (
        "header a JSON array",
        "token-invalid",
        "token-invalid-algorithm",
    ),
    (
        "RS384",
        "token-invalid-algorithm",
        "token-verification-failed",
    ),
    (
        "RS512",
        "token-invalid-algorithm",
        "token-verification-failed",
    ),
    ("empty", "session-token-and-uat-missing", "token-invalid"),
];

fn token_verifiers(corpus: &Value) -> BTreeMap<&'static str, TokenVerifier> {
    let pem = TestKey::instance().public_pem;
    assert_eq!(corpus["issuer"], ISSUER);
    assert_eq!(corpus["authorized_party"], APP_ORIGIN);
    assert_eq!(corpus["now"], auth_support::NOW);
    let base = || TokenVerifier::builder().jwt_key(pem).clock(fixed_clock);
    let audience = corpus["audience"].as_str().expect("audience");
    BTreeMap::from([
        (
            "strict",
            base()
                .issuer(ISSUER)
                .authorized_parties([APP_ORIGIN])
                .build()
                .expect("valid"),
        ),
        ("open", base().build().expect("valid")),
        (
            "audience",
            base().audiences([audience]).build().expect("valid"),
        ),
    ])
}

#[test]
fn session_tokens_are_never_accepted_where_clerk_refuses_them() {
    let corpus = fixture("tokens.json");
    let verifiers = token_verifiers(&corpus);
    let cases = corpus["tokens"].as_array().expect("tokens");
    assert!(cases.len() >= 60, "the corpus shrank: {}", cases.len());

    let mut failures = Vec::new();
    let mut safer_seen = Vec::new();
    let mut other_reasons_seen = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let config = case["config"].as_str().expect("config");
        let token = case["token"].as_str().expect("token");
        let clerk_accepts = case["clerk"]["accepted"].as_bool().expect("verdict");
        let clerk_reason = case["clerk"]["reason"].as_str().unwrap_or("");
        let ours = verifiers[config].verify_session_token_sync(token);
        // The async path decides the same.
        let ours_async = futures::executor::block_on(verifiers[config].verify_session_token(token));
        if ours.as_ref().err() != ours_async.as_ref().err() {
            failures.push(format!("{name}: sync {ours:?} but async {ours_async:?}"));
        }
        match (clerk_accepts, &ours) {
            (true, Ok(_)) => {}
            (false, Ok(_)) => failures.push(format!(
                "{name}: Clerk refuses it ({clerk_reason}), we accept it"
            )),
            (true, Err(reason)) => match SAFER_TOKEN_VERDICTS.iter().find(|(n, _)| *n == name) {
                Some((_, code)) if *code == reason.code() => safer_seen.push(name),
                Some((_, code)) => failures.push(format!(
                    "{name}: listed as refused with {code}, got {reason}"
                )),
                None => failures.push(format!(
                    "{name}: Clerk accepts it, we refuse it ({}) and the difference is not listed",
                    reason.code()
                )),
            },
            (false, Err(reason)) => {
                if reason.clerk_code() != clerk_reason {
                    let pair = (name, reason.clerk_code(), clerk_reason);
                    if OTHER_REASONS.contains(&pair) {
                        other_reasons_seen.push(name);
                    } else {
                        failures.push(format!("{name}: reason {pair:?} is not listed"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every listed difference still exists: a list entry that no case produces is stale.
    assert_eq!(
        safer_seen.len(),
        SAFER_TOKEN_VERDICTS.len(),
        "{safer_seen:?}"
    );
    assert_eq!(
        other_reasons_seen.len(),
        OTHER_REASONS.len(),
        "{other_reasons_seen:?}"
    );
}

/// Deliveries all three libraries accept and we refuse, with why.
const SAFER_DELIVERY_VERDICTS: &[&str] = &[
    // The signature header is read whole and strictly: a malformed entry anywhere refuses
    // the delivery (Python refuses some of these already; the others never come from Svix).
    "trailing space",
    "entry with two commas, after valid",
    "non-base64 entry, then valid",
    "short entry, then valid",
    // One spelling of the timestamp: the one the signature covers.
    "timestamp with a plus, signed plain",
    "timestamp with a leading zero, signed plain",
    "timestamp with a fraction, signed plain",
    // One set of header names per delivery.
    "mixed header names",
];

fn headers_of(delivery: &Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in delivery["headers"].as_object().expect("headers") {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value.as_str().expect("text")).expect("header value"),
        );
    }
    headers
}

#[test]
fn webhook_deliveries_are_never_accepted_where_a_svix_library_refuses_them() {
    let corpus = fixture("deliveries.json");
    let now = corpus["now"].as_u64().expect("now");
    let at = UNIX_EPOCH + Duration::from_secs(now);
    let verifier = WebhookVerifier::builder()
        .secret(corpus["secret"].as_str().expect("secret"))
        .clock(move || at)
        .build()
        .expect("valid secret");
    let deliveries = corpus["deliveries"].as_array().expect("deliveries");
    assert!(deliveries.len() >= 30, "the corpus shrank");

    let mut failures = Vec::new();
    let mut safer_seen = Vec::new();
    for delivery in deliveries {
        let name = delivery["name"].as_str().expect("name");
        let body = STANDARD
            .decode(delivery["body_base64"].as_str().expect("body"))
            .expect("base64");
        let verdicts = delivery["verdicts"].as_object().expect("verdicts");
        assert_eq!(verdicts.len(), 3, "{name}: three libraries");
        let refused_by: Vec<&String> = verdicts
            .iter()
            .filter(|(_, v)| v["accepted"] == false)
            .map(|(library, _)| library)
            .collect();
        let ours = verifier.verify_event(&headers_of(delivery), &body);
        match (refused_by.is_empty(), &ours) {
            (_, Ok(_)) if !refused_by.is_empty() => {
                failures.push(format!("{name}: refused by {refused_by:?}, accepted by us"))
            }
            (true, Err(error)) => {
                if SAFER_DELIVERY_VERDICTS.contains(&name) {
                    safer_seen.push(name);
                } else {
                    failures.push(format!(
                        "{name}: every library accepts it, we refuse it ({error}) unlisted"
                    ));
                }
            }
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        safer_seen.len(),
        SAFER_DELIVERY_VERDICTS.len(),
        "{safer_seen:?}"
    );
}
