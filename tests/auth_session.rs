//! Session token verification: a corpus of bad tokens, each refused for the right reason, and
//! good tokens with their typed claims.

mod auth_support;

use std::time::Duration;

use auth_support::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_backend_api::auth::{
    Algorithm, AuthState, EntitlementScope, SessionClaims, SignedOutReason, TokenKind, Verifier,
    VerifierBuilder,
};
use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

/// A networkless verifier for "our" instance.
fn pem_builder() -> VerifierBuilder {
    Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .publishable_key(PUBLISHABLE_KEY)
        .authorized_parties([APP_ORIGIN])
        .clock(fixed_clock)
}

fn pem_verifier() -> Verifier {
    pem_builder().build().expect("valid settings")
}

async fn verify(verifier: &Verifier, token: &str) -> Result<SessionClaims, SignedOutReason> {
    verifier.verify_session_token(token).await
}

fn hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64_json(header), b64_json(claims));
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// Replaces the payload of a signed token, keeping its signature.
fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], b64_json(claims), parts[2])
}

#[tokio::test]
async fn good_token_passes_with_typed_claims() {
    let key = TestKey::instance();
    let claims = verify(&pem_verifier(), &key.session_token())
        .await
        .expect("valid token");
    assert_eq!(claims.sub, "user_2abc");
    assert_eq!(claims.sid.as_deref(), Some("sess_2abc"));
    assert_eq!(claims.iss.as_deref(), Some(ISSUER));
    assert_eq!(claims.azp.as_deref(), Some(APP_ORIGIN));
    assert_eq!(claims.exp, NOW + 60);
    assert_eq!((claims.nbf, claims.iat), (Some(NOW - 10), Some(NOW - 10)));
    assert_eq!(claims.sts.as_deref(), Some("active"));
    assert_eq!(claims.version, 1);
    assert!(claims.organization.is_none() && claims.act.is_none());
}

#[tokio::test]
async fn bad_token_corpus_is_refused_with_the_right_reason() {
    let key = TestKey::instance();
    let verifier = pem_verifier();
    let good = key.session_token();

    let mut tampered_sig = good.clone().into_bytes();
    let last = tampered_sig.len() - 5;
    tampered_sig[last] = if tampered_sig[last] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let tampered_sig = String::from_utf8(tampered_sig).expect("ascii");

    let oversized = key.sign(
        &rs256_header(KID),
        &claims_with(json!({"padding": "x".repeat(9000)})),
    );

    let cases: Vec<(&str, String, SignedOutReason)> = vec![
        (
            "alg none, empty signature",
            format!(
                "{}.{}.",
                b64_json(&json!({"alg": "none", "kid": KID})),
                b64_json(&session_claims())
            ),
            SignedOutReason::AlgorithmNotAllowed,
        ),
        (
            "alg none, copied signature",
            with_payload(
                &format!(
                    "{}.x.{}",
                    b64_json(&json!({"alg": "none"})),
                    good.rsplit('.').next().expect("3 parts")
                ),
                &session_claims(),
            ),
            SignedOutReason::AlgorithmNotAllowed,
        ),
        (
            "HS256 keyed with the public key",
            hs256(
                key.public_pem.as_bytes(),
                &json!({"alg": "HS256", "typ": "JWT", "kid": KID}),
                &session_claims(),
            ),
            SignedOutReason::AlgorithmNotAllowed,
        ),
        (
            "RS512 not configured",
            key.sign(&json!({"alg": "RS512", "kid": KID}), &session_claims()),
            SignedOutReason::AlgorithmNotAllowed,
        ),
        (
            "tampered payload",
            with_payload(&good, &claims_with(json!({"sub": "user_admin"}))),
            SignedOutReason::BadSignature,
        ),
        (
            "tampered signature",
            tampered_sig,
            SignedOutReason::BadSignature,
        ),
        (
            "signed by another instance's key",
            TestKey::other().session_token(),
            SignedOutReason::BadSignature,
        ),
        (
            "expired",
            key.sign(&rs256_header(KID), &claims_with(json!({"exp": NOW - 60}))),
            SignedOutReason::Expired,
        ),
        (
            "nbf in the future",
            key.sign(&rs256_header(KID), &claims_with(json!({"nbf": NOW + 60}))),
            SignedOutReason::NotYetValid,
        ),
        (
            "iat in the future beyond the skew",
            key.sign(
                &rs256_header(KID),
                &claims_with(json!({"iat": NOW + 60, "nbf": null})),
            ),
            SignedOutReason::IssuedInFuture,
        ),
        (
            "wrong azp",
            key.sign(
                &rs256_header(KID),
                &claims_with(json!({"azp": "https://evil.example"})),
            ),
            SignedOutReason::WrongAuthorizedParty,
        ),
        (
            "missing sub",
            key.sign(&rs256_header(KID), &claims_with(json!({"sub": null}))),
            SignedOutReason::MissingClaim("sub"),
        ),
        (
            "empty sub",
            key.sign(&rs256_header(KID), &claims_with(json!({"sub": ""}))),
            SignedOutReason::MissingClaim("sub"),
        ),
        (
            "missing exp",
            key.sign(&rs256_header(KID), &claims_with(json!({"exp": null}))),
            SignedOutReason::MissingClaim("exp"),
        ),
        (
            "exp not a number",
            key.sign(&rs256_header(KID), &claims_with(json!({"exp": "tomorrow"}))),
            SignedOutReason::Malformed,
        ),
        (
            "wrong issuer",
            key.sign(
                &rs256_header(KID),
                &claims_with(json!({"iss": "https://clerk.other.com"})),
            ),
            SignedOutReason::WrongIssuer,
        ),
        (
            "missing issuer",
            key.sign(&rs256_header(KID), &claims_with(json!({"iss": null}))),
            SignedOutReason::WrongIssuer,
        ),
        (
            "header not base64url",
            format!("!!!.{}", good.split_once('.').expect("3 parts").1),
            SignedOutReason::Malformed,
        ),
        (
            "header not JSON",
            format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(b"{not json"),
                good.split_once('.').expect("3 parts").1
            ),
            SignedOutReason::Malformed,
        ),
        (
            "signed payload not JSON",
            key.sign_raw_payload(&rs256_header(KID), b"{\"sub\": "),
            SignedOutReason::Malformed,
        ),
        (
            "payload not base64url",
            {
                let parts: Vec<&str> = good.split('.').collect();
                format!("{}.%%%.{}", parts[0], parts[2])
            },
            SignedOutReason::Malformed,
        ),
        (
            "two parts only",
            "abc.def".to_owned(),
            SignedOutReason::Malformed,
        ),
        ("oversized", oversized, SignedOutReason::TokenTooLarge),
        (
            "critical header extension",
            key.sign(
                &json!({"alg": "RS256", "kid": KID, "crit": ["exp"]}),
                &session_claims(),
            ),
            SignedOutReason::Malformed,
        ),
        (
            "machine category in header",
            key.sign(
                &json!({"alg": "RS256", "kid": KID, "cat": "cl_B7d4PD333AAA"}),
                &session_claims(),
            ),
            SignedOutReason::TokenKindNotAccepted(TokenKind::M2mToken),
        ),
        (
            "unknown category in header",
            key.sign(
                &json!({"alg": "RS256", "kid": KID, "cat": "cl_Z9z9ZZ999ZZZ"}),
                &session_claims(),
            ),
            SignedOutReason::UnrecognizedCategory,
        ),
        (
            "OAuth access token JWT",
            key.sign(
                &json!({"alg": "RS256", "kid": KID, "typ": "at+jwt"}),
                &session_claims(),
            ),
            SignedOutReason::TokenKindNotAccepted(TokenKind::OAuthToken),
        ),
        (
            "M2M JWT recognized by its machine subject",
            key.sign(&rs256_header(KID), &claims_with(json!({"sub": "mch_2xyz"}))),
            SignedOutReason::TokenKindNotAccepted(TokenKind::M2mToken),
        ),
        (
            "opaque API key",
            "ak_0123456789abcdef0123456789abcdef".to_owned(),
            SignedOutReason::TokenKindNotAccepted(TokenKind::ApiKey),
        ),
    ];

    let mut failures = Vec::new();
    for (name, token, expected) in &cases {
        let got = verify(&verifier, token).await;
        if got.as_ref().err() != Some(expected) {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn header_alg_must_match_the_key_alg() {
    // The key set publishes the key for RS512 only; an RS256 token under it is refused even
    // though the verifier allows both algorithms.
    let key = TestKey::instance();
    let server = jwks_server(vec![key.jwk_with_alg(KID, "RS512")]).await;
    let verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .algorithms([Algorithm::RS256, Algorithm::RS512])
        .clock(fixed_clock)
        .build()
        .expect("valid settings");
    assert_eq!(
        verifier
            .verify_session_token(&key.session_token())
            .await
            .err(),
        Some(SignedOutReason::AlgorithmNotAllowed)
    );
    let rs512 = key.sign(&json!({"alg": "RS512", "kid": KID}), &session_claims());
    assert!(verifier.verify_session_token(&rs512).await.is_ok());
}

#[tokio::test]
async fn jwks_unknown_kid_and_same_kid_from_another_instance() {
    let server = jwks_server(vec![TestKey::instance().jwk(KID)]).await;
    let verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .clock(fixed_clock)
        .build()
        .expect("valid settings");
    assert!(
        verifier
            .verify_session_token(&TestKey::instance().session_token())
            .await
            .is_ok()
    );

    let unknown = TestKey::instance().sign(&rs256_header("ins_unknown"), &session_claims());
    assert_eq!(
        verifier.verify_session_token(&unknown).await.err(),
        Some(SignedOutReason::UnknownKey)
    );
    let no_kid = TestKey::instance().sign(&json!({"alg": "RS256"}), &session_claims());
    assert_eq!(
        verifier.verify_session_token(&no_kid).await.err(),
        Some(SignedOutReason::UnknownKey)
    );
    // Another instance whose key happens to carry the same kid.
    let foreign = TestKey::other().session_token();
    assert_eq!(
        verifier.verify_session_token(&foreign).await.err(),
        Some(SignedOutReason::BadSignature)
    );
}

#[tokio::test]
async fn clock_skew_edges_on_both_sides() {
    let key = TestKey::instance();
    let verifier = pem_verifier();
    let at = |changes: Value| key.sign(&rs256_header(KID), &claims_with(changes));
    let cases = [
        (json!({"exp": NOW - 4}), None),
        (json!({"exp": NOW - 5}), Some(SignedOutReason::Expired)),
        (json!({"nbf": NOW + 5}), None),
        (json!({"nbf": NOW + 6}), Some(SignedOutReason::NotYetValid)),
        (json!({"iat": NOW + 5, "nbf": null}), None),
        (
            json!({"iat": NOW + 6, "nbf": null}),
            Some(SignedOutReason::IssuedInFuture),
        ),
    ];
    for (changes, expected) in cases {
        let got = verify(&verifier, &at(changes.clone())).await.err();
        assert_eq!(got, expected, "{changes}");
    }
    // A wider skew lets the expired one through.
    let lenient = pem_builder()
        .clock_skew(Duration::from_secs(10))
        .build()
        .expect("valid");
    assert!(verify(&lenient, &at(json!({"exp": NOW - 5}))).await.is_ok());
}

#[tokio::test]
async fn v1_organization_claims() {
    let key = TestKey::instance();
    let token = key.sign(
        &rs256_header(KID),
        &claims_with(json!({
            "org_id": "org_1",
            "org_role": "org:admin",
            "org_slug": "acme",
            "org_permissions": ["org:invoices:read", "org:invoices:write"],
        })),
    );
    let claims = verify(&pem_verifier(), &token).await.expect("valid");
    let org = claims.organization.as_ref().expect("organization");
    assert_eq!(org.id, "org_1");
    assert_eq!(org.role.as_deref(), Some("org:admin"));
    assert_eq!(org.slug.as_deref(), Some("acme"));
    assert_eq!(org.permissions, ["org:invoices:read", "org:invoices:write"]);
    assert!(claims.has_org_permission("org:invoices:write"));
    assert!(claims.has_org_role("org:admin"));
    assert!(claims.features.is_empty());
}

#[tokio::test]
async fn v2_organization_features_and_plans() {
    let key = TestKey::instance();
    let token = key.sign(
        &rs256_header(KID),
        &claims_with(json!({
            "v": 2,
            "o": {"id": "org_2", "rol": "admin", "slg": "acme", "per": "read,manage", "fpm": "3,1"},
            "fea": "o:dashboard,u:export,ou:billing",
            "pla": "u:free,o:pro",
            "fva": [3, -1],
        })),
    );
    let claims = verify(&pem_verifier(), &token).await.expect("valid");
    assert_eq!(claims.version, 2);
    let org = claims.organization.as_ref().expect("organization");
    assert_eq!(org.id, "org_2");
    assert_eq!(org.role.as_deref(), Some("org:admin"));
    assert_eq!(org.slug.as_deref(), Some("acme"));
    // dashboard = 3 = read+manage; billing (the second org-scoped feature) = 1 = read;
    // export is user-scoped and takes no number.
    assert_eq!(
        org.permissions,
        [
            "org:dashboard:read",
            "org:dashboard:manage",
            "org:billing:read"
        ]
    );
    let features: Vec<(&EntitlementScope, &str)> = claims
        .features
        .iter()
        .map(|f| (&f.scope, f.name.as_str()))
        .collect();
    assert_eq!(
        features,
        [
            (&EntitlementScope::Organization, "dashboard"),
            (&EntitlementScope::User, "export"),
            (&EntitlementScope::OrganizationAndUser, "billing"),
        ]
    );
    let plans: Vec<&str> = claims.plans.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(plans, ["free", "pro"]);
    let fva = claims.fva.expect("fva");
    assert_eq!(
        (fva.first_factor_minutes, fva.second_factor_minutes),
        (3, -1)
    );
    // v1 claim names are not read in a v2 token.
    assert!(claims.get("org_id").is_none());
}

#[tokio::test]
async fn actor_and_custom_claims_are_kept() {
    let key = TestKey::instance();
    let token = key.sign(
        &rs256_header(KID),
        &claims_with(json!({
            "act": {"sub": "user_support", "iss": "https://dashboard.clerk.com", "sid": "sess_9"},
            "email": "ada@example.com",
            "roles": ["billing", "ops"],
            "meta": {"tier": 3},
        })),
    );
    let claims = verify(&pem_verifier(), &token).await.expect("valid");
    let act = claims.act.as_ref().expect("actor");
    assert_eq!(act.sub, "user_support");
    assert_eq!(
        act.extra.get("iss"),
        Some(&json!("https://dashboard.clerk.com"))
    );
    assert_eq!(act.extra.get("sid"), Some(&json!("sess_9")));
    assert_eq!(claims.get("email"), Some(&json!("ada@example.com")));
    assert_eq!(claims.get("roles"), Some(&json!(["billing", "ops"])));
    assert_eq!(claims.get("meta"), Some(&json!({"tier": 3})));
    assert_eq!(claims.raw().get("sub"), Some(&json!("user_2abc")));
}

#[tokio::test]
async fn audience_when_configured() {
    let key = TestKey::instance();
    let verifier = pem_builder()
        .audiences(["api://orders"])
        .build()
        .expect("valid");
    let with_aud = |aud: Value| key.sign(&rs256_header(KID), &claims_with(json!({ "aud": aud })));
    assert!(
        verify(&verifier, &with_aud(json!("api://orders")))
            .await
            .is_ok()
    );
    assert!(
        verify(&verifier, &with_aud(json!(["x", "api://orders"])))
            .await
            .is_ok()
    );
    assert_eq!(
        verify(&verifier, &with_aud(json!("api://billing")))
            .await
            .err(),
        Some(SignedOutReason::WrongAudience)
    );
    assert_eq!(
        verify(&verifier, &key.session_token()).await.err(),
        Some(SignedOutReason::WrongAudience)
    );
}

#[tokio::test]
async fn explicit_issuer_and_no_authorized_parties() {
    let key = TestKey::instance();
    let verifier = Verifier::builder()
        .jwt_key(key.public_pem)
        .issuer("https://clerk.other.com")
        .clock(fixed_clock)
        .build()
        .expect("valid");
    assert_eq!(
        verify(&verifier, &key.session_token()).await.err(),
        Some(SignedOutReason::WrongIssuer)
    );
    // Without configured parties or issuer, any azp/iss passes (only the signature binds).
    let open = Verifier::builder()
        .jwt_key(key.public_pem)
        .clock(fixed_clock)
        .build()
        .expect("valid");
    let token = key.sign(
        &rs256_header(KID),
        &claims_with(json!({"azp": "https://x.example"})),
    );
    assert!(verify(&open, &token).await.is_ok());
}

#[tokio::test]
async fn token_size_limit_is_configurable() {
    let key = TestKey::instance();
    let token = key.session_token();
    let tight = pem_builder()
        .max_token_size(token.len() - 1)
        .build()
        .expect("valid");
    assert_eq!(
        verify(&tight, &token).await.err(),
        Some(SignedOutReason::TokenTooLarge)
    );
    let exact = pem_builder()
        .max_token_size(token.len())
        .build()
        .expect("valid");
    assert!(verify(&exact, &token).await.is_ok());
}

fn headers(pairs: &[(&str, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::header::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    map
}

fn signed_in_sub(state: &AuthState) -> Option<&str> {
    state.principal().map(|p| p.subject())
}

#[tokio::test]
async fn header_takes_precedence_over_cookie() {
    let key = TestKey::instance();
    let verifier = pem_verifier();
    let from_header = key.sign(
        &rs256_header(KID),
        &claims_with(json!({"sub": "user_header"})),
    );
    let from_cookie = key.sign(
        &rs256_header(KID),
        &claims_with(json!({"sub": "user_cookie"})),
    );

    let both = headers(&[
        ("authorization", format!("Bearer {from_header}")),
        ("cookie", format!("theme=dark; __session={from_cookie}")),
    ]);
    assert_eq!(
        signed_in_sub(&verifier.authenticate(&both).await),
        Some("user_header")
    );

    let cookie_only = headers(&[("cookie", format!("__session={from_cookie}; theme=dark"))]);
    assert_eq!(
        signed_in_sub(&verifier.authenticate(&cookie_only).await),
        Some("user_cookie")
    );

    // A bad header token is not rescued by a good cookie.
    let bad_header = headers(&[
        ("authorization", "Bearer nope.nope.nope".to_owned()),
        ("cookie", format!("__session={from_cookie}")),
    ]);
    assert_eq!(
        verifier.authenticate(&bad_header).await,
        AuthState::SignedOut(SignedOutReason::Malformed)
    );
    assert_eq!(
        verifier.authenticate(&HeaderMap::new()).await,
        AuthState::SignedOut(SignedOutReason::TokenMissing)
    );
}

#[tokio::test]
async fn suffixed_session_cookie() {
    let key = TestKey::instance();
    let ours = key.sign(
        &rs256_header(KID),
        &claims_with(json!({"sub": "user_suffixed"})),
    );
    let plain = key.sign(
        &rs256_header(KID),
        &claims_with(json!({"sub": "user_plain"})),
    );

    // With the publishable key configured, the instance's own suffix (derived from it) is
    // preferred over the plain cookie; other applications' suffixed cookies are ignored.
    let verifier = pem_verifier();
    let jar = headers(&[(
        "cookie",
        format!("__session={plain}; __session_l2OS3d9k={ours}; __session_zzzzzzzz=junk"),
    )]);
    assert_eq!(
        signed_in_sub(&verifier.authenticate(&jar).await),
        Some("user_suffixed")
    );

    // Without it, a single suffixed cookie is used.
    let no_pk = Verifier::builder()
        .jwt_key(key.public_pem)
        .clock(fixed_clock)
        .build()
        .expect("valid");
    let jar = headers(&[("cookie", format!("a=b; __session_Xy12Ab34={ours}"))]);
    assert_eq!(
        signed_in_sub(&no_pk.authenticate(&jar).await),
        Some("user_suffixed")
    );
}

#[tokio::test]
async fn request_parts_are_accepted() {
    let token = TestKey::instance().session_token();
    let request = http::Request::builder()
        .uri("/")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .expect("request");
    let (parts, ()) = request.into_parts();
    let state = pem_verifier().authenticate_parts(&parts).await;
    assert!(state.is_signed_in(), "{state:?}");
}

#[tokio::test]
async fn a_token_without_azp_is_refused_once_authorized_parties_are_set() {
    let key = TestKey::instance();
    let no_azp = key.sign(&rs256_header(KID), &claims_with(json!({"azp": null})));
    assert_eq!(
        verify(&pem_verifier(), &no_azp).await.err(),
        Some(SignedOutReason::WrongAuthorizedParty)
    );
    let mut null_azp = session_claims();
    null_azp["azp"] = Value::Null;
    assert_eq!(
        verify(&pem_verifier(), &key.sign(&rs256_header(KID), &null_azp))
            .await
            .err(),
        Some(SignedOutReason::WrongAuthorizedParty)
    );
    // Without configured parties, azp is not looked at.
    let open = Verifier::builder()
        .jwt_key(key.public_pem)
        .clock(fixed_clock)
        .build()
        .expect("valid");
    assert!(verify(&open, &no_azp).await.is_ok());
    // And the matching party passes.
    assert!(verify(&pem_verifier(), &key.session_token()).await.is_ok());
}

#[tokio::test]
async fn behaviours_read_from_the_source_hold() {
    let key = TestKey::instance();
    let verifier = pem_verifier();
    let good = key.session_token();
    // The token is taken as given: whitespace around it is malformed (Clerk's SDK agrees);
    // in a header, the whitespace around the value is not part of it.
    for padded in [format!(" {good}"), format!("{good}\n"), format!("{good} ")] {
        assert_eq!(
            verify(&verifier, &padded).await.err(),
            Some(SignedOutReason::Malformed)
        );
    }
    let header = headers(&[("authorization", format!("Bearer  {good} "))]);
    assert!(verifier.authenticate(&header).await.is_signed_in());
    // `typ`: absent or `JWT` for session tokens; `at+jwt` marks an OAuth token; anything
    // else (case included) is malformed.
    let typ = |typ: Value| {
        key.sign(
            &json!({"alg": "RS256", "kid": KID, "typ": typ}),
            &session_claims(),
        )
    };
    assert!(verify(&verifier, &typ(json!("JWT"))).await.is_ok());
    let no_typ = key.sign(&json!({"alg": "RS256", "kid": KID}), &session_claims());
    assert!(verify(&verifier, &no_typ).await.is_ok());
    for bad in ["jwt", "JOSE", "JWS", ""] {
        assert_eq!(
            verify(&verifier, &typ(json!(bad))).await.err(),
            Some(SignedOutReason::Malformed),
            "{bad}"
        );
    }
    assert_eq!(
        verify(&verifier, &typ(json!("application/at+jwt")))
            .await
            .err(),
        Some(SignedOutReason::TokenKindNotAccepted(TokenKind::OAuthToken))
    );
    // Padded segments are malformed, though the bytes decode the same.
    let (input, signature) = good.rsplit_once('.').expect("3 parts");
    let padding = "=".repeat((4 - signature.len() % 4) % 4);
    if !padding.is_empty() {
        assert_eq!(
            verify(&verifier, &format!("{input}.{signature}{padding}"))
                .await
                .err(),
            Some(SignedOutReason::Malformed)
        );
    }
    // Time claims that are present must be numbers; `null` is not absent.
    for claim in ["exp", "nbf", "iat"] {
        let mut claims = session_claims();
        claims[claim] = Value::Null;
        assert_eq!(
            verify(&verifier, &key.sign(&rs256_header(KID), &claims))
                .await
                .err(),
            Some(SignedOutReason::Malformed),
            "{claim}"
        );
    }
}

#[test]
fn every_reason_has_a_clerk_reason_string() {
    // Clerk's reason strings (`@clerk/backend` 3.x): token verification, request
    // authentication and machine token errors.
    const CLERK: &[&str] = &[
        "token-expired",
        "token-invalid",
        "token-invalid-algorithm",
        "token-invalid-authorized-parties",
        "token-invalid-issuer",
        "token-invalid-signature",
        "token-not-active-yet",
        "token-iat-in-the-future",
        "token-verification-failed",
        "jwk-remote-failed-to-load",
        "jwk-kid-mismatch",
        "session-token-and-uat-missing",
        "token-type-mismatch",
        "unexpected-error",
    ];
    let reasons = [
        SignedOutReason::TokenMissing,
        SignedOutReason::TokenTooLarge,
        SignedOutReason::Malformed,
        SignedOutReason::AlgorithmNotAllowed,
        SignedOutReason::UnknownKey,
        SignedOutReason::BadSignature,
        SignedOutReason::Expired,
        SignedOutReason::NotYetValid,
        SignedOutReason::IssuedInFuture,
        SignedOutReason::MissingClaim("sub"),
        SignedOutReason::WrongAuthorizedParty,
        SignedOutReason::WrongIssuer,
        SignedOutReason::WrongAudience,
        SignedOutReason::TokenKindNotAccepted(TokenKind::ApiKey),
        SignedOutReason::UnrecognizedCategory,
        SignedOutReason::TokenInvalid,
        SignedOutReason::TokenRevoked,
        SignedOutReason::KeysUnavailable,
        SignedOutReason::BackendUnavailable,
    ];
    for reason in &reasons {
        assert!(CLERK.contains(&reason.clerk_code()), "{reason:?}");
    }
    assert_eq!(
        SignedOutReason::NotYetValid.clerk_code(),
        "token-not-active-yet"
    );
    assert_eq!(SignedOutReason::Malformed.clerk_code(), "token-invalid");
    assert_eq!(
        SignedOutReason::WrongAuthorizedParty.clerk_code(),
        "token-invalid-authorized-parties"
    );
}
