//! The axum layer and extractors and the actix-web middleware and extractors, driven by one
//! table of cases (needs `--features axum`, `--features actix`, or both).
//!
//! Every case describes an application (routes, the auth guard in front of each, the
//! verifiers) and one request; each framework that is compiled in builds that application,
//! serves the request in process, and must answer exactly the expected status, body and
//! headers. With both features on, both frameworks are therefore held to the same answers.
#![cfg(any(feature = "axum", feature = "actix"))]

mod auth_support;
mod webauth_support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use auth_support::*;
use clerk_backend_api::auth::{
    self, AuthState, MachineClaims, Principal, RequestAuthenticator, RequestOutcome, SessionClaims,
    TokenKinds,
};
use clerk_backend_api::webhooks::{self, Event, SigningSecret, VerifiedEvent};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ---------------------------------------------------------------------------------------------
// Applications and requests, whatever the framework.

/// What runs in front of a route's handler.
#[derive(Clone)]
enum Guard {
    /// No auth layer or middleware at all.
    Nothing,
    /// The layer or middleware, built from this core.
    Auth(auth::RouteAuth),
    /// The web-app layer or middleware, with the authenticator's accepted kinds.
    Web(RequestAuthenticator),
}

/// The handlers under test; each framework has its own copy with the same output. All take
/// any method but the webhook receiver, which takes `POST`.
#[derive(Debug, Clone, Copy)]
enum Handler {
    /// `SessionClaims`: "sub org".
    Me,
    /// `Principal`: "Kind subject".
    Principal,
    /// The raw request extension the layer left (`Extension` / `web::ReqData`).
    Extension,
    /// `Option<Principal>`: the subject or "anonymous".
    Maybe,
    /// `AuthState`: "in:subject" or "out:reason-code".
    State,
    /// `MachineClaims`: the subject.
    Machine,
    /// `VerifiedEvent` (POST): "user id" or "other type".
    Webhook,
    /// `RequestOutcome` (any method): "status reason subject".
    Page,
    /// `RequestOutcome` (any method): the same text, with a cookie and a `Cache-Control` of
    /// its own, which the outcome's headers must join without replacing.
    PageWithHeaders,
}

/// The path of a route that takes every path.
const ANY_PATH: &str = "*";

#[derive(Clone)]
struct Route {
    path: &'static str,
    guard: Guard,
    handler: Handler,
}

#[derive(Clone, Default)]
struct App {
    routes: Vec<Route>,
    webhooks: Option<webhooks::Verifier>,
}

#[derive(Clone)]
enum Body {
    Bytes(Vec<u8>),
    /// Sent in chunks of this many bytes, without a `Content-Length`.
    Chunked(Vec<u8>, usize),
}

#[derive(Clone)]
struct Request {
    method: String,
    path: String,
    /// Values as bytes: a request may carry any byte a header allows.
    headers: Vec<(String, Vec<u8>)>,
    body: Body,
}

impl Request {
    fn get(path: &str) -> Self {
        Self {
            method: "GET".to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
        }
    }

    fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
        self
    }
}

impl From<&http::Request<()>> for Request {
    fn from(request: &http::Request<()>) -> Self {
        Self {
            method: request.method().to_string(),
            path: request.uri().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
                .collect(),
            body: Body::Bytes(Vec::new()),
        }
    }
}

/// What the cases check of a response: status, headers (but `date` and `content-length`,
/// which the in-process test servers do not write anyway), body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    headers: BTreeMap<String, Vec<String>>,
    body: String,
}

/// Headers a framework may add on its own; not compared.
const IGNORED_HEADERS: [&str; 2] = ["date", "content-length"];

impl Answer {
    fn new(status: u16, headers: &[(&str, &str)], body: &str) -> Self {
        let mut map = BTreeMap::<String, Vec<String>>::new();
        for (name, value) in headers {
            map.entry((*name).to_owned())
                .or_default()
                .push((*value).to_owned());
        }
        Self {
            status,
            headers: map,
            body: body.to_owned(),
        }
    }
}

const TEXT: (&str, &str) = ("content-type", "text/plain; charset=utf-8");

/// A handler's text answer.
fn ok(body: &str) -> Answer {
    Answer::new(200, &[TEXT], body)
}

/// The refusal of an unauthenticated request: the challenge, nothing else.
fn unauthorized() -> Answer {
    Answer::new(401, &[("www-authenticate", "Bearer")], "")
}

struct Case {
    name: String,
    app: App,
    request: Request,
    expect: Answer,
}

/// Runs every case on every compiled-in framework; reports all mismatches at once.
async fn run(cases: Vec<Case>) {
    let failures = check(&cases).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The mismatches of `cases`, on every compiled-in framework.
async fn check(cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        for (framework, answer) in answers(&case.app, &case.request).await {
            if answer != case.expect {
                failures.push(format!(
                    "{} on {framework}:\n  expected {:?}\n  got      {:?}",
                    case.name, case.expect, answer
                ));
            }
        }
    }
    failures
}

async fn answers(app: &App, request: &Request) -> Vec<(&'static str, Answer)> {
    #[allow(unused_mut)]
    let mut all = Vec::new();
    #[cfg(feature = "axum")]
    all.push(("axum", with_axum::answer(app, request).await));
    #[cfg(feature = "actix")]
    all.push(("actix-web", with_actix::answer(app, request).await));
    all
}

fn describe(principal: &Principal) -> String {
    format!("{:?} {}", principal.kind(), principal.subject())
}

fn me_text(claims: SessionClaims) -> String {
    let org = claims.organization.map(|o| o.id).unwrap_or_default();
    format!("{} {org}", claims.sub)
}

fn maybe_text(principal: Option<Principal>) -> String {
    principal.map_or_else(|| "anonymous".to_owned(), |p| p.subject().to_owned())
}

fn state_text(state: AuthState) -> String {
    match state {
        AuthState::SignedIn(p) => format!("in:{}", p.subject()),
        AuthState::SignedOut(reason) => format!("out:{}", reason.code()),
    }
}

fn page_text(outcome: &RequestOutcome) -> String {
    format!(
        "{} {} {}",
        outcome.status(),
        outcome
            .reason()
            .map(ToString::to_string)
            .unwrap_or_default(),
        outcome
            .principal()
            .map(Principal::subject)
            .unwrap_or_default()
    )
}

/// The headers of [`Handler::PageWithHeaders`]'s own response.
const PAGE_HEADERS: [(&str, &str); 2] =
    [("set-cookie", "theme=dark"), ("cache-control", "private")];

fn event_text(event: Event) -> String {
    match event {
        Event::UserCreated(created) => format!("user {}", created.data.id),
        other => format!("other {}", other.event_type()),
    }
}

// ---------------------------------------------------------------------------------------------
// axum

#[cfg(feature = "axum")]
mod with_axum {
    use super::*;
    use axum::body::to_bytes;
    use axum::response::IntoResponse;
    use axum::routing::{MethodRouter, any, post};
    use axum::{Extension, Router};
    use clerk_backend_api::auth::axum::{AuthLayer, WebAuthLayer};
    use tower::ServiceExt as _;

    async fn me(claims: SessionClaims) -> String {
        me_text(claims)
    }
    async fn principal(principal: Principal) -> String {
        describe(&principal)
    }
    async fn extension(Extension(principal): Extension<Principal>) -> String {
        describe(&principal)
    }
    async fn maybe(principal: Option<Principal>) -> String {
        maybe_text(principal)
    }
    async fn state(state: AuthState) -> String {
        state_text(state)
    }
    async fn machine(claims: MachineClaims) -> String {
        claims.subject
    }
    async fn webhook(VerifiedEvent(event): VerifiedEvent) -> String {
        event_text(event)
    }
    async fn page(outcome: RequestOutcome) -> String {
        page_text(&outcome)
    }
    async fn page_with_headers(outcome: RequestOutcome) -> impl IntoResponse {
        (PAGE_HEADERS, page_text(&outcome))
    }

    /// One route; for [`ANY_PATH`], the root and every path under it.
    fn one_route(path: &str, handler: MethodRouter) -> Router {
        if path == ANY_PATH {
            return Router::new()
                .route("/", handler.clone())
                .route("/{*rest}", handler);
        }
        Router::new().route(path, handler)
    }

    fn router(app: &App) -> Router {
        let mut router = Router::new();
        for route in &app.routes {
            let handler = match route.handler {
                Handler::Me => any(me),
                Handler::Principal => any(principal),
                Handler::Extension => any(extension),
                Handler::Maybe => any(maybe),
                Handler::State => any(state),
                Handler::Machine => any(machine),
                Handler::Page => any(page),
                Handler::PageWithHeaders => any(page_with_headers),
                Handler::Webhook => {
                    post(webhook).with_state(app.webhooks.clone().expect("a webhook verifier"))
                }
            };
            let one = one_route(route.path, handler);
            let one = match &route.guard {
                Guard::Nothing => one,
                Guard::Auth(core) => one.layer(AuthLayer::from(core.clone())),
                Guard::Web(authenticator) => one.layer(WebAuthLayer::new(authenticator.clone())),
            };
            router = router.merge(one);
        }
        router
    }

    pub(super) async fn answer(app: &App, request: &Request) -> Answer {
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(request.path.as_str());
        for (name, value) in &request.headers {
            let value = http::HeaderValue::from_bytes(value).expect("header value");
            builder = builder.header(name, value);
        }
        let body = match &request.body {
            Body::Bytes(bytes) => axum::body::Body::from(bytes.clone()),
            Body::Chunked(bytes, size) => {
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                    bytes.chunks(*size).map(|c| Ok(c.to_vec())).collect();
                axum::body::Body::from_stream(futures::stream::iter(chunks))
            }
        };
        let response = router(app)
            .oneshot(builder.body(body).expect("request"))
            .await
            .expect("infallible");
        let status = response.status().as_u16();
        let mut headers = BTreeMap::<String, Vec<String>>::new();
        for (name, value) in response.headers() {
            if !IGNORED_HEADERS.contains(&name.as_str()) {
                headers
                    .entry(name.as_str().to_owned())
                    .or_default()
                    .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
            }
        }
        let body = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// actix-web

#[cfg(feature = "actix")]
mod with_actix {
    use super::*;
    use actix_web::dev::Payload;
    use actix_web::test::{TestRequest, call_service, init_service, read_body};
    use actix_web::{HttpResponse, web};
    use clerk_backend_api::auth::actix::{AuthMiddleware, WebAuthMiddleware};

    async fn me(claims: SessionClaims) -> String {
        me_text(claims)
    }
    async fn principal(principal: Principal) -> String {
        describe(&principal)
    }
    async fn extension(principal: web::ReqData<Principal>) -> String {
        describe(&principal)
    }
    async fn maybe(principal: Option<Principal>) -> String {
        maybe_text(principal)
    }
    async fn state(state: AuthState) -> String {
        state_text(state)
    }
    async fn machine(claims: MachineClaims) -> String {
        claims.subject
    }
    async fn webhook(VerifiedEvent(event): VerifiedEvent) -> String {
        event_text(event)
    }
    async fn page(outcome: RequestOutcome) -> String {
        page_text(&outcome)
    }
    async fn page_with_headers(outcome: RequestOutcome) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        for header in PAGE_HEADERS {
            response.append_header(header);
        }
        response
            .content_type("text/plain; charset=utf-8")
            .body(page_text(&outcome))
    }

    pub(super) async fn answer(app: &App, request: &Request) -> Answer {
        let mut actix = actix_web::App::new();
        if let Some(verifier) = &app.webhooks {
            actix = actix.app_data(verifier.clone());
        }
        for route in &app.routes {
            // For ANY_PATH: the root and every path under it.
            let path = if route.path == ANY_PATH {
                "/{rest:.*}"
            } else {
                route.path
            };
            let resource = web::resource(path);
            let resource = match route.handler {
                Handler::Me => resource.route(web::route().to(me)),
                Handler::Principal => resource.route(web::route().to(principal)),
                Handler::Extension => resource.route(web::route().to(extension)),
                Handler::Maybe => resource.route(web::route().to(maybe)),
                Handler::State => resource.route(web::route().to(state)),
                Handler::Machine => resource.route(web::route().to(machine)),
                Handler::Webhook => resource.route(web::post().to(webhook)),
                Handler::Page => resource.route(web::route().to(page)),
                Handler::PageWithHeaders => resource.route(web::route().to(page_with_headers)),
            };
            actix = match &route.guard {
                Guard::Nothing => actix.service(resource),
                Guard::Auth(core) => {
                    actix.service(resource.wrap(AuthMiddleware::from(core.clone())))
                }
                Guard::Web(authenticator) => {
                    actix.service(resource.wrap(WebAuthMiddleware::new(authenticator.clone())))
                }
            };
        }
        let service = init_service(actix).await;

        let method =
            actix_web::http::Method::from_bytes(request.method.as_bytes()).expect("method");
        let mut test = TestRequest::default().method(method).uri(&request.path);
        for (name, value) in &request.headers {
            let value = actix_web::http::header::HeaderValue::from_bytes(value).expect("value");
            test = test.append_header((name.as_str(), value));
        }
        let mut incoming = test.to_request();
        let payload = match &request.body {
            Body::Bytes(bytes) => Payload::from(bytes.clone()),
            Body::Chunked(bytes, size) => {
                let chunks: Vec<Result<actix_web::web::Bytes, actix_web::error::PayloadError>> =
                    bytes
                        .chunks(*size)
                        .map(|c| Ok(actix_web::web::Bytes::copy_from_slice(c)))
                        .collect();
                let stream: std::pin::Pin<Box<dyn futures::Stream<Item = _>>> =
                    Box::pin(futures::stream::iter(chunks));
                Payload::from(stream)
            }
        };
        *incoming.payload() = payload;
        let response = call_service(&service, incoming).await;
        let status = response.status().as_u16();
        let mut headers = BTreeMap::<String, Vec<String>>::new();
        for (name, value) in response.headers() {
            if !IGNORED_HEADERS.contains(&name.as_str()) {
                headers
                    .entry(name.as_str().to_owned())
                    .or_default()
                    .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
            }
        }
        let body = read_body(response).await;
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Request authentication

fn route(path: &'static str, guard: Guard, handler: Handler) -> Route {
    Route {
        path,
        guard,
        handler,
    }
}

fn required(verifier: &auth::Verifier) -> Guard {
    Guard::Auth(auth::RouteAuth::new(verifier.clone()))
}

/// The routes of a typical API: session routes, a route for API keys and M2M tokens, pages
/// open to everyone, a route whose handler wrongly has no layer in front.
fn api(verifier: auth::Verifier) -> App {
    let optional = Guard::Auth(auth::RouteAuth::new(verifier.clone()).optional());
    let machines = Guard::Auth(
        auth::RouteAuth::new(verifier.clone()).accept(TokenKinds::API_KEY | TokenKinds::M2M),
    );
    App {
        routes: vec![
            route("/me", required(&verifier), Handler::Me),
            route("/whoami", required(&verifier), Handler::Principal),
            route("/ext", required(&verifier), Handler::Extension),
            route("/maybe", optional.clone(), Handler::Maybe),
            route("/state", optional.clone(), Handler::State),
            route("/optional-me", optional, Handler::Me),
            route("/machine", machines.clone(), Handler::Machine),
            route("/machine-as-user", machines, Handler::Me),
            route("/user-as-machine", required(&verifier), Handler::Machine),
            route("/no-layer", Guard::Nothing, Handler::Me),
            route("/no-layer-maybe", Guard::Nothing, Handler::Maybe),
        ],
        webhooks: None,
    }
}

const API_KEY: &str = "ak_3beecc9c60adb5f9b850e91a8ee1e992";
const M2M_TOKEN: &str = "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e";

/// A stub Backend API that knows one API key and one M2M token.
async fn backend() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api_keys/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "api_key", "id": "ak_1", "subject": "user_9", "scopes": [],
            "revoked": false, "expired": false, "expiration": null,
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/m2m_tokens/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "machine_to_machine_token", "id": M2M_TOKEN,
            "subject": "mch_2xhF", "claims": null, "scopes": [], "revoked": false,
            "revocation_reason": null, "expired": false, "expiration": null,
            "created_at": 1, "updated_at": 1,
        })))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn request_authentication_answers_the_same_on_every_framework() {
    let key = TestKey::instance();
    let session = key.session_token();
    let with_org = key.sign(
        &rs256_header(KID),
        &claims_with(json!({"org_id": "org_7", "org_role": "org:member"})),
    );
    let expired = key.sign(&rs256_header(KID), &claims_with(json!({"exp": NOW - 3600})));
    let other_party = key.sign(
        &rs256_header(KID),
        &claims_with(json!({"azp": "https://evil.example.com"})),
    );
    let forged = TestKey::other().session_token();
    // The suffix Clerk derives from PUBLISHABLE_KEY.
    let suffix_cookie = "__session_l2OS3d9k";

    let server = backend().await;
    let with_backend = auth::Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .publishable_key(PUBLISHABLE_KEY)
        .authorized_parties([APP_ORIGIN])
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .clock(fixed_clock)
        .build()
        .expect("valid settings");
    let app = api(with_backend);

    let unreachable = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&unreachable)
        .await;
    let no_keys = api(auth::Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(unreachable.uri())
        .clock(fixed_clock)
        .build()
        .expect("valid settings"));

    let case = |name: &str, request: Request, expect| Case {
        name: name.to_owned(),
        app: app.clone(),
        request,
        expect,
    };
    let cases = vec![
        // Tokens in the header and in cookies reach the handlers.
        case(
            "header token",
            Request::get("/me").bearer(&with_org),
            ok("user_2abc org_7"),
        ),
        case(
            "lower-case bearer scheme",
            Request::get("/me").header("authorization", &format!("bearer {session}")),
            ok("user_2abc "),
        ),
        case(
            "__session cookie",
            Request::get("/me").header("cookie", &format!("theme=dark; __session={session}")),
            ok("user_2abc "),
        ),
        case(
            "suffixed session cookie",
            Request::get("/me").header("cookie", &format!("{suffix_cookie}={session}")),
            ok("user_2abc "),
        ),
        case(
            "the header wins over the cookie",
            Request::get("/me")
                .bearer(&with_org)
                .header("cookie", &format!("__session={expired}")),
            ok("user_2abc org_7"),
        ),
        case(
            "principal extractor",
            Request::get("/whoami").bearer(&session),
            ok("SessionToken user_2abc"),
        ),
        case(
            "raw extension",
            Request::get("/ext").bearer(&session),
            ok("SessionToken user_2abc"),
        ),
        // Every refusal is a bare 401 with the challenge.
        case("no token", Request::get("/me"), unauthorized()),
        case(
            "expired",
            Request::get("/me").bearer(&expired),
            unauthorized(),
        ),
        case(
            "expired cookie",
            Request::get("/me").header("cookie", &format!("__session={expired}")),
            unauthorized(),
        ),
        case(
            "another instance's key",
            Request::get("/me").bearer(&forged),
            unauthorized(),
        ),
        case(
            "unauthorized party",
            Request::get("/me").bearer(&other_party),
            unauthorized(),
        ),
        case(
            "garbage",
            Request::get("/me").bearer("garbage"),
            unauthorized(),
        ),
        case(
            "another scheme",
            Request::get("/me").header("authorization", &format!("Basic {session}")),
            unauthorized(),
        ),
        case(
            "principal extractor, no token",
            Request::get("/whoami"),
            unauthorized(),
        ),
        // Machine tokens, per route.
        case(
            "API key on a machine route",
            Request::get("/machine").bearer(API_KEY),
            ok("user_9"),
        ),
        case(
            "M2M token on a machine route",
            Request::get("/machine").bearer(M2M_TOKEN),
            ok("mch_2xhF"),
        ),
        case(
            "session on a machine route",
            Request::get("/machine").bearer(&session),
            unauthorized(),
        ),
        case(
            "API key on a session route",
            Request::get("/me").bearer(API_KEY),
            unauthorized(),
        ),
        case(
            "API key in a cookie on a machine route",
            Request::get("/machine").header("cookie", &format!("__session={API_KEY}")),
            unauthorized(),
        ),
        case(
            "session claims wanted, machine admitted",
            Request::get("/machine-as-user").bearer(API_KEY),
            unauthorized(),
        ),
        case(
            "machine claims wanted, session admitted",
            Request::get("/user-as-machine").bearer(&session),
            unauthorized(),
        ),
        // Optional routes let everyone through; the handler decides.
        case(
            "optional, anonymous",
            Request::get("/maybe"),
            ok("anonymous"),
        ),
        case(
            "optional, signed in",
            Request::get("/maybe").bearer(&session),
            ok("user_2abc"),
        ),
        case(
            "optional, expired",
            Request::get("/maybe").bearer(&expired),
            ok("anonymous"),
        ),
        case(
            "optional state, no token",
            Request::get("/state"),
            ok("out:token-missing"),
        ),
        case(
            "optional state, malformed",
            Request::get("/state").bearer("a.b.c"),
            ok("out:token-malformed"),
        ),
        case(
            "optional state, expired",
            Request::get("/state").bearer(&expired),
            ok("out:token-expired"),
        ),
        case(
            "optional state, signed in",
            Request::get("/state").bearer(&session),
            ok("in:user_2abc"),
        ),
        case(
            "required extractor behind an optional layer",
            Request::get("/optional-me"),
            unauthorized(),
        ),
        // A handler that needs the layer but has none is a server bug, not the client's.
        case(
            "no layer",
            Request::get("/no-layer").bearer(&session),
            Answer::new(500, &[], ""),
        ),
        case(
            "no layer, optional extractor",
            Request::get("/no-layer-maybe").bearer(&session),
            ok("anonymous"),
        ),
        // Keys that cannot be fetched: 503, no challenge, no detail.
        Case {
            name: "keys unreachable".to_owned(),
            app: no_keys.clone(),
            request: Request::get("/me").bearer(&session),
            expect: Answer::new(503, &[], ""),
        },
        Case {
            name: "keys unreachable, optional route".to_owned(),
            app: no_keys,
            request: Request::get("/state").bearer(&session),
            expect: ok("out:keys-unavailable"),
        },
    ];
    run(cases).await;
}

// ---------------------------------------------------------------------------------------------
// Webhooks, with deliveries signed by the Python `svix` package

struct Delivery {
    id: String,
    timestamp: i64,
    signature: String,
    body: Vec<u8>,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webhooks")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("deliveries.json")).expect("manifest");
    serde_json::from_str(&text).expect("JSON manifest")
}

fn delivery(entry: &Value) -> Delivery {
    Delivery {
        id: entry["svix_id"].as_str().expect("id").to_owned(),
        timestamp: entry["timestamp"].as_i64().expect("timestamp"),
        signature: entry["signature"].as_str().expect("signature").to_owned(),
        body: std::fs::read(fixture_dir().join(entry["file"].as_str().expect("file")))
            .expect("fixture"),
    }
}

fn receiver(secret: &str, at: i64, limit: Option<usize>) -> App {
    let at = UNIX_EPOCH + Duration::from_secs(at as u64);
    let mut builder = webhooks::Verifier::builder()
        .secret(secret)
        .clock(move || at);
    if let Some(limit) = limit {
        builder = builder.max_body_size(limit);
    }
    App {
        routes: vec![route("/webhooks/clerk", Guard::Nothing, Handler::Webhook)],
        webhooks: Some(builder.build().expect("valid settings")),
    }
}

fn post(d: &Delivery, signature: &str, body: Body) -> Request {
    Request {
        method: "POST".to_owned(),
        path: "/webhooks/clerk".to_owned(),
        headers: Vec::new(),
        body,
    }
    .header("content-type", "application/json")
    .header("svix-id", &d.id)
    .header("svix-timestamp", &d.timestamp.to_string())
    .header("svix-signature", signature)
}

fn refused(status: u16, text: &str) -> Answer {
    Answer::new(status, &[TEXT], text)
}

#[tokio::test]
async fn webhook_receipt_answers_the_same_on_every_framework() {
    let manifest = manifest();
    let secret = manifest["secret"].as_str().expect("secret").to_owned();
    let other_secret = manifest["other_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let d = delivery(
        manifest["events"]
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["type"] == "user.created")
            .expect("a user.created delivery"),
    );
    let unknown = delivery(&manifest["unknown_type"]);
    let at = d.timestamp;
    let len = d.body.len();
    let sign = |body: &[u8]| {
        SigningSecret::new(&secret)
            .expect("secret")
            .sign(d.id.as_bytes(), d.timestamp, body)
    };
    let bytes = |b: &[u8]| Body::Bytes(b.to_vec());
    let with_length = |request: Request, n: usize| request.header("content-length", &n.to_string());

    let mut changed = d.body.clone();
    changed.push(b'\n');
    let not_an_event = b"{\"hello\": \"world\"}".to_vec();
    // Validly signed and larger than axum's own 2 MB default: only the verifier's limit counts.
    let mut big = d.body.clone();
    big.truncate(big.len() - 1);
    big.extend_from_slice(b", \"padding\": \"");
    big.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
    big.extend_from_slice(b"\"}");

    let user = "user user_2Zk8QpTbN4xVfJ0aPq7RrLwY3cD";
    let case = |name: &str, app, request, expect| Case {
        name: name.to_owned(),
        app,
        request,
        expect,
    };
    let cases = vec![
        case(
            "verified event",
            receiver(&secret, at, None),
            post(&d, &d.signature, bytes(&d.body)),
            ok(user),
        ),
        case(
            "verified event, in chunks",
            receiver(&secret, at, None),
            post(&d, &d.signature, Body::Chunked(d.body.clone(), 100)),
            ok(user),
        ),
        case(
            "unknown event type",
            receiver(&secret, unknown.timestamp, None),
            post(&unknown, &unknown.signature, bytes(&unknown.body)),
            ok("other agent.summoned"),
        ),
        case(
            "changed body",
            receiver(&secret, at, None),
            post(&d, &d.signature, bytes(&changed)),
            refused(401, "invalid webhook signature"),
        ),
        case(
            "an hour late",
            receiver(&secret, at + 3600, None),
            post(&d, &d.signature, bytes(&d.body)),
            refused(401, "invalid webhook signature"),
        ),
        case(
            "another secret",
            receiver(&other_secret, at, None),
            post(&d, &d.signature, bytes(&d.body)),
            refused(401, "invalid webhook signature"),
        ),
        case(
            "no signature headers",
            receiver(&secret, at, None),
            Request {
                method: "POST".to_owned(),
                path: "/webhooks/clerk".to_owned(),
                headers: Vec::new(),
                body: bytes(&d.body),
            },
            refused(401, "invalid webhook signature"),
        ),
        case(
            "authentic, not an event",
            receiver(&secret, at, None),
            post(&d, &sign(&not_an_event), bytes(&not_an_event)),
            refused(400, "invalid webhook payload"),
        ),
        // The body limit is the verifier's; past it, 413 naming the limit.
        case(
            "3 MiB under a 4 MiB limit",
            receiver(&secret, at, Some(4 * 1024 * 1024)),
            post(&d, &sign(&big), bytes(&big)),
            ok(user),
        ),
        case(
            "3 MiB under the default limit",
            receiver(&secret, at, None),
            post(&d, &sign(&big), bytes(&big)),
            refused(413, "webhook body larger than the 2097152-byte limit"),
        ),
        case(
            "exactly at the limit",
            receiver(&secret, at, Some(len)),
            post(&d, &d.signature, bytes(&d.body)),
            ok(user),
        ),
        case(
            "one byte over the limit",
            receiver(&secret, at, Some(len - 1)),
            post(&d, &d.signature, bytes(&d.body)),
            refused(
                413,
                &format!("webhook body larger than the {}-byte limit", len - 1),
            ),
        ),
        case(
            "one byte over the limit, in chunks",
            receiver(&secret, at, Some(len - 1)),
            post(&d, &d.signature, Body::Chunked(d.body.clone(), 100)),
            refused(
                413,
                &format!("webhook body larger than the {}-byte limit", len - 1),
            ),
        ),
        case(
            "declared length over the limit",
            receiver(&secret, at, Some(len - 1)),
            with_length(post(&d, &d.signature, bytes(&d.body)), len),
            refused(
                413,
                &format!("webhook body larger than the {}-byte limit", len - 1),
            ),
        ),
    ];
    run(cases).await;
}

#[test]
fn the_rejection_names_the_limit() {
    use clerk_backend_api::webhooks::WebhookRejection;
    let rejection = WebhookRejection::TooLarge { limit: 1024 };
    assert_eq!(rejection.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
    assert!(rejection.to_string().contains("1024 bytes"));
    assert!(rejection.to_string().contains("max_body_size"));
}

/// actix-web finds the webhook verifier in the application data when a request comes, so a
/// missing one is a server error (axum checks the state when the router is built).
#[cfg(feature = "actix")]
#[tokio::test]
async fn actix_without_a_webhook_verifier_is_a_server_error() {
    use actix_web::test::{TestRequest, call_service, init_service, read_body};
    async fn handle(VerifiedEvent(event): VerifiedEvent) -> String {
        event_text(event)
    }
    let service = init_service(
        actix_web::App::new().route("/webhooks/clerk", actix_web::web::post().to(handle)),
    )
    .await;
    let response = call_service(
        &service,
        TestRequest::post()
            .uri("/webhooks/clerk")
            .set_payload("{}")
            .to_request(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 500);
    assert!(read_body(response).await.is_empty());

    // `web::Data<Verifier>` is found as well as a bare `Verifier`.
    let manifest = manifest();
    let secret = manifest["secret"].as_str().expect("secret");
    let verifier = webhooks::Verifier::builder()
        .secret(secret)
        .build()
        .expect("valid settings");
    let service = init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(verifier))
            .route("/webhooks/clerk", actix_web::web::post().to(handle)),
    )
    .await;
    let response = call_service(
        &service,
        TestRequest::post()
            .uri("/webhooks/clerk")
            .set_payload("{}")
            .to_request(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 401);
}

// ---------------------------------------------------------------------------------------------
// Web-app mode, over every scenario recorded from Clerk's JavaScript SDK

/// What an adapter must answer for `outcome` with `handler`, worked out from the outcome alone
/// (which `tests/web_auth_fixtures.rs` holds to Clerk's verdicts): a `Location` is a `307`
/// with the outcome's headers and nothing else; otherwise the handler answers, and the
/// outcome's headers join its response: every cookie after the handler's own, the others
/// unless the handler set that header.
fn web_answer(mut outcome: RequestOutcome, handler: Handler) -> Answer {
    fn add(headers: &mut BTreeMap<String, Vec<String>>, name: &str, value: &[u8]) {
        headers
            .entry(name.to_owned())
            .or_default()
            .push(String::from_utf8_lossy(value).into_owned());
    }
    let carried = outcome.take_headers();
    let mut headers = BTreeMap::new();
    if carried.contains_key("location") {
        for (name, value) in &carried {
            add(&mut headers, name.as_str(), value.as_bytes());
        }
        return Answer {
            status: 307,
            headers,
            body: String::new(),
        };
    }
    let (status, body) = match handler {
        Handler::Page | Handler::PageWithHeaders => {
            add(&mut headers, TEXT.0, TEXT.1.as_bytes());
            (200, page_text(&outcome))
        }
        Handler::Me => match outcome.principal().and_then(Principal::session) {
            Some(claims) => {
                add(&mut headers, TEXT.0, TEXT.1.as_bytes());
                (200, me_text(claims.clone()))
            }
            None => {
                add(&mut headers, "www-authenticate", b"Bearer");
                (401, String::new())
            }
        },
        other => panic!("{other:?} is not a page handler"),
    };
    if let Handler::PageWithHeaders = handler {
        for (name, value) in PAGE_HEADERS {
            add(&mut headers, name, value.as_bytes());
        }
    }
    let own: Vec<String> = headers.keys().cloned().collect();
    for (name, value) in &carried {
        if name == "set-cookie" || !own.iter().any(|o| o == name.as_str()) {
            add(&mut headers, name.as_str(), value.as_bytes());
        }
    }
    Answer {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn web_app_mode_answers_the_same_on_every_framework() {
    let fixtures = webauth_support::fixtures();
    let now = fixtures["now"].as_u64().expect("now");
    let kid = fixtures["kid"].as_str().expect("kid");
    let mut failures = Vec::new();
    // (handler, expected answer) of every case, to show what the scenarios reach.
    let mut reached = Vec::new();
    for scenario in fixtures["scenarios"].as_array().expect("scenarios") {
        let name = scenario["name"].as_str().expect("name");
        if name.starts_with("config_") {
            // Settings refused when building: no request reaches an adapter.
            continue;
        }
        // One stub per scenario, alive while its cases run (the frameworks call it too).
        let server = webauth_support::stub_api(scenario, kid).await;
        let authenticator = webauth_support::build(scenario, &format!("{}/v1", server.uri()), now)
            .expect("valid settings");
        let request = webauth_support::request(scenario);
        let outcome = authenticator.authenticate_request(&request).await;
        let cases: Vec<Case> = [Handler::Page, Handler::PageWithHeaders, Handler::Me]
            .into_iter()
            .map(|handler| Case {
                name: format!("{name} ({handler:?})"),
                app: App {
                    routes: vec![route(ANY_PATH, Guard::Web(authenticator.clone()), handler)],
                    webhooks: None,
                },
                request: Request::from(&request),
                expect: web_answer(outcome.clone(), handler),
            })
            .collect();
        failures.extend(check(&cases).await);
        reached.extend(cases.into_iter().map(|c| (c.name, c.expect)));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The scenarios reach every path of the adapters: handshake redirects, cookies carried
    // onto a page, debug headers carried onto a refusal.
    let count = |test: &dyn Fn(&str, &Answer) -> bool| {
        reached
            .iter()
            .filter(|(name, answer)| test(name, answer))
            .count()
    };
    assert!(count(&|_, a| a.status == 307) >= 10);
    assert!(
        count(&|name, a| name.ends_with("(Page)")
            && a.status == 200
            && a.headers.contains_key("set-cookie"))
            >= 3
    );
    assert!(count(&|_, a| a.status == 401 && a.headers.contains_key("x-clerk-auth-status")) >= 10);
}
