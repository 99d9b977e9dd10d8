//! Shared code of the auth tests: test keys, token minting, a fixed clock, a JWKS stub.
//!
//! The RSA keys under `keys/` were made by `gen-keys.sh` (openssl) and are committed, so the
//! tests need no key generation at run time.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RSA_PKCS1_SHA512, RsaKeyPair, RsaPublicKeyComponents};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The fixed "now" of the tests, in seconds since the epoch.
pub const NOW: i64 = 1_750_000_000;
pub const ISSUER: &str = "https://clerk.example.com";
/// `pk_test_` + base64("clerk.example.com$").
pub const PUBLISHABLE_KEY: &str = "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k";
pub const SECRET_KEY: &str = "sk_test_auth_tests_secret";
pub const APP_ORIGIN: &str = "https://app.example.com";
pub const KID: &str = "ins_instance";

pub fn fixed_clock() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW as u64)
}

pub struct TestKey {
    pair: RsaKeyPair,
    pub public_pem: &'static str,
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    STANDARD.decode(body).expect("test key PEM is valid base64")
}

impl TestKey {
    fn load(private_pem: &str, public_pem: &'static str) -> Self {
        let pair = RsaKeyPair::from_pkcs8(&pem_der(private_pem)).expect("test key is PKCS#8 RSA");
        Self { pair, public_pem }
    }

    /// The key of "our" instance.
    pub fn instance() -> Self {
        Self::load(
            include_str!("keys/instance.key.pem"),
            include_str!("keys/instance.pub.pem"),
        )
    }

    /// A key of another Clerk instance.
    pub fn other() -> Self {
        Self::load(
            include_str!("keys/other.key.pem"),
            include_str!("keys/other.pub.pem"),
        )
    }

    /// The key our instance rotates to.
    pub fn rotated() -> Self {
        Self::load(
            include_str!("keys/rotated.key.pem"),
            include_str!("keys/rotated.pub.pem"),
        )
    }

    /// The public key as a JWK with the given `kid` and `alg`.
    pub fn jwk_with_alg(&self, kid: &str, alg: &str) -> Value {
        let components = RsaPublicKeyComponents::<Vec<u8>>::from(self.pair.public());
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": alg,
            "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&components.n),
            "e": URL_SAFE_NO_PAD.encode(&components.e),
        })
    }

    pub fn jwk(&self, kid: &str) -> Value {
        self.jwk_with_alg(kid, "RS256")
    }

    /// Signs `header.payload` with RS256 (or RS512 when the header says so).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64_json(header), b64_json(claims));
        let alg = if header["alg"] == "RS512" {
            &RSA_PKCS1_SHA512
        } else {
            &RSA_PKCS1_SHA256
        };
        let mut sig = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(alg, &SystemRandom::new(), input.as_bytes(), &mut sig)
            .expect("signing works");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// Signs an already encoded `header.payload` with RS256, whatever the header says.
    pub fn sign_input(&self, input: &str) -> String {
        let mut sig = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .expect("signing works");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// Signs raw payload bytes (which need not be JSON).
    pub fn sign_raw_payload(&self, header: &Value, payload: &[u8]) -> String {
        let input = format!("{}.{}", b64_json(header), URL_SAFE_NO_PAD.encode(payload));
        let mut sig = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .expect("signing works");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// A session token with [`session_claims`], header `kid` = [`KID`].
    pub fn session_token(&self) -> String {
        self.sign(&rs256_header(KID), &session_claims())
    }
}

pub fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("serializable"))
}

pub fn rs256_header(kid: &str) -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": kid})
}

/// Claims of a plain, valid session token at [`NOW`].
pub fn session_claims() -> Value {
    json!({
        "sub": "user_2abc",
        "sid": "sess_2abc",
        "iss": ISSUER,
        "azp": APP_ORIGIN,
        "exp": NOW + 60,
        "nbf": NOW - 10,
        "iat": NOW - 10,
        "sts": "active",
    })
}

/// `session_claims()` with `changes` merged in (a `null` value removes the claim).
pub fn claims_with(changes: Value) -> Value {
    let mut claims = session_claims();
    let map = claims.as_object_mut().expect("object");
    for (k, v) in changes.as_object().expect("object") {
        if v.is_null() {
            map.remove(k);
        } else {
            map.insert(k.clone(), v.clone());
        }
    }
    claims
}

/// Starts a stub Backend API serving `keys` at `GET /jwks`, checking our headers.
pub async fn jwks_server(keys: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    mount_jwks(&server, keys, Duration::ZERO).await;
    server
}

pub async fn mount_jwks(server: &MockServer, keys: Vec<Value>, delay: Duration) {
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .and(header(
            "authorization",
            format!("Bearer {SECRET_KEY}").as_str(),
        ))
        .and(header("clerk-api-version", "2026-05-12"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "keys": keys }))
                .set_delay(delay),
        )
        .mount(server)
        .await;
}

/// Number of `GET /jwks` requests the stub received.
pub async fn jwks_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/jwks")
        .count()
}
