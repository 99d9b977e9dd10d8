//! The instance's signing key, its JWKS form, and RS256 JSON Web Tokens.
//!
//! All servers share one RSA key committed with the crate (`keys/mock-instance-key.pk8`, a test
//! key: see `keys/README.md`). Generating a key at start-up would take far longer than the rest
//! of start-up, and a published key is harmless for a mock. Each server still has its own key id
//! (its instance id), so tokens of one server name a key the other servers do not list.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
use serde_json::{Value, json};
use std::sync::OnceLock;

static KEY_DER: &[u8] = include_bytes!("../keys/mock-instance-key.pk8");

/// The parsed key, loaded the first time a token is signed or the JWKS is asked for.
fn key() -> Option<&'static RsaKeyPair> {
    static KEY: OnceLock<Option<RsaKeyPair>> = OnceLock::new();
    KEY.get_or_init(|| RsaKeyPair::from_pkcs8(KEY_DER).ok())
        .as_ref()
}

/// The public key as a JWK (`kty` RSA, `alg` RS256) with the given key id.
pub(crate) fn jwk(kid: &str) -> Option<Value> {
    let components = RsaPublicKeyComponents::<Vec<u8>>::from(key()?.public());
    let n = URL_SAFE_NO_PAD.encode(trim_zeros(&components.n));
    let e = URL_SAFE_NO_PAD.encode(trim_zeros(&components.e));
    Some(json!({ "use": "sig", "kty": "RSA", "kid": kid, "alg": "RS256", "n": n, "e": e }))
}

/// JWK integers are big-endian without leading zero bytes.
fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The public key in PEM form (what Clerk's dashboard shows as the JWT public key).
pub(crate) fn public_key_pem() -> Option<String> {
    // SubjectPublicKeyInfo = SEQUENCE { AlgorithmIdentifier(rsaEncryption, NULL), BIT STRING(RSAPublicKey) }
    let rsa_public = key()?.public_key().as_ref().to_vec();
    let algorithm: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bit_string = vec![0u8];
    bit_string.extend_from_slice(&rsa_public);
    let mut inner = algorithm.to_vec();
    inner.extend(der(0x03, &bit_string));
    let spki = der(0x30, &inner);
    let b64 = base64::engine::general_purpose::STANDARD.encode(spki);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    Some(pem)
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// Signs `claims` as an RS256 JWT whose header names `kid`.
pub(crate) fn sign_jwt(kid: &str, claims: &Value) -> Option<String> {
    sign_jwt_with_header(json!({ "alg": "RS256", "kid": kid, "typ": "JWT" }), claims)
}

/// Signs `claims` as an RS256 JWT with the given header (which must say `alg: RS256`), for
/// tokens whose header carries more than the key id (a category, another `typ`).
pub(crate) fn sign_jwt_with_header(header: Value, claims: &Value) -> Option<String> {
    let mut message = URL_SAFE_NO_PAD.encode(header.to_string());
    message.push('.');
    message.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let key = key()?;
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message.as_bytes(),
        &mut signature,
    )
    .ok()?;
    message.push('.');
    message.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Some(message)
}

/// Checks an RS256 JWT signed by this crate's key for the key id `kid` and returns its claims;
/// `None` when it is not one (malformed, another key id or algorithm, a bad signature).
/// Times are not checked: callers decide what an expired token means for them.
pub(crate) fn verify_jwt(kid: &str, token: &str) -> Option<Value> {
    let (message, signature) = token.rsplit_once('.')?;
    let (header, claims) = message.split_once('.')?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if header["alg"] != "RS256" || header["kid"] != kid {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        key()?.public_key().as_ref(),
    )
    .verify(message.as_bytes(), &signature)
    .ok()?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    claims.is_object().then_some(claims)
}

/// The decoded header of a JWT-shaped string, without any check.
pub(crate) fn jwt_header(token: &str) -> Option<Value> {
    let header = token.split('.').next()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::RSA_PKCS1_2048_8192_SHA256;

    #[test]
    fn signed_tokens_verify_against_the_jwk() {
        let token = sign_jwt("ins_test", &json!({ "sub": "user_1" })).expect("signing works");
        let jwk = jwk("ins_test").expect("jwk");
        assert_eq!(jwk["kid"], "ins_test");
        let n = URL_SAFE_NO_PAD
            .decode(jwk["n"].as_str().unwrap_or_default())
            .expect("n");
        let e = URL_SAFE_NO_PAD
            .decode(jwk["e"].as_str().unwrap_or_default())
            .expect("e");
        let (message, signature) = token.rsplit_once('.').expect("three parts");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("signature");
        RsaPublicKeyComponents { n: &n, e: &e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, message.as_bytes(), &signature)
            .expect("signature verifies");
    }

    #[test]
    fn verify_accepts_own_tokens_only() {
        let token = sign_jwt("ins_a", &json!({ "sub": "mch_1" })).expect("signing works");
        assert_eq!(verify_jwt("ins_a", &token), Some(json!({ "sub": "mch_1" })));
        assert_eq!(verify_jwt("ins_b", &token), None);
        let (message, _) = token.rsplit_once('.').expect("three parts");
        let forged = format!("{message}.{}", URL_SAFE_NO_PAD.encode([0u8; 256]));
        assert_eq!(verify_jwt("ins_a", &forged), None);
        assert_eq!(verify_jwt("ins_a", "not.a.jwt"), None);
    }

    #[test]
    fn pem_wraps_the_public_key() {
        let pem = public_key_pem().expect("pem");
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMII"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
    }
}
