//! Verifying the mock's session tokens the way an SDK does: against the JWKS.

use crate::common::Api;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde_json::Value;

/// Checks the RS256 signature of `token` with the key `GET /jwks` lists under the token's `kid`,
/// and returns the claims.
pub async fn verify(api: &Api, token: &str) -> Value {
    let (header, claims, signature) = split(token);
    assert_eq!(header["alg"], "RS256");
    let (_, jwks) = api.get("/jwks").await;
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == header["kid"]))
        .unwrap_or_else(|| panic!("no key {} in {jwks}", header["kid"]));
    let n = URL_SAFE_NO_PAD
        .decode(key["n"].as_str().unwrap_or_default())
        .expect("n is base64url");
    let e = URL_SAFE_NO_PAD
        .decode(key["e"].as_str().unwrap_or_default())
        .expect("e is base64url");
    let message = token.rsplit_once('.').map(|(m, _)| m).unwrap_or_default();
    RsaPublicKeyComponents { n: &n, e: &e }
        .verify(&RSA_PKCS1_2048_8192_SHA256, message.as_bytes(), &signature)
        .expect("the token's signature verifies against the JWKS");
    claims
}

/// Header, claims and signature bytes of a JWT.
pub fn split(token: &str) -> (Value, Value, Vec<u8>) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
    let decode = |part: &str| -> Value {
        let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url part");
        serde_json::from_slice(&bytes).expect("JSON part")
    };
    let signature = URL_SAFE_NO_PAD
        .decode(parts[2])
        .expect("base64url signature");
    (decode(parts[0]), decode(parts[1]), signature)
}
