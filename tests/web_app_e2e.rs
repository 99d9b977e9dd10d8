//! End to end: a cookie-keeping HTTP client (a browser without scripts) signs in to the example
//! app (`examples/axum_web_app.rs`) through the mock's Frontend API, the session token expires
//! (both clocks move forward), and the next page load is signed in again after exactly one
//! handshake, or with session refresh on, after none.
#![cfg(feature = "axum")]

#[path = "../examples/axum_web_app.rs"]
#[allow(dead_code)]
mod example;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use clerk_backend_api::Clerk;
use clerk_mock::MockServer;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};

/// A test clock: the system's plus an offset moved by the test.
fn offset_clock() -> (Arc<AtomicU64>, example::Clock) {
    let offset = Arc::new(AtomicU64::new(0));
    let clock_offset = offset.clone();
    let clock: example::Clock = Arc::new(move || {
        SystemTime::now() + Duration::from_secs(clock_offset.load(Ordering::Relaxed))
    });
    (offset, clock)
}

struct Browser {
    http: reqwest::Client,
    /// Every URL the browser was redirected to, in order.
    redirects: Arc<Mutex<Vec<String>>>,
    base: String,
}

impl Browser {
    fn new(app: SocketAddr) -> Self {
        let redirects = Arc::new(Mutex::new(Vec::new()));
        let seen = redirects.clone();
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml"),
        );
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            // The app is `localhost` and the mock `127.0.0.1`: two hosts, two cookie jars, as
            // an application and Clerk's Frontend API are.
            .resolve("localhost", app)
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                seen.lock().expect("lock").push(attempt.url().to_string());
                if attempt.previous().len() > 20 {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .expect("client");
        Browser {
            http,
            redirects,
            base: format!("http://localhost:{}", app.port()),
        }
    }

    /// Loads a page, following redirects; returns its status, body and the redirects taken.
    async fn load(&self, path: &str) -> (StatusCode, String, Vec<String>) {
        self.redirects.lock().expect("lock").clear();
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the app answers");
        let status = response.status();
        let body = response.text().await.expect("body");
        let redirects = self.redirects.lock().expect("lock").clone();
        (status, body, redirects)
    }
}

fn handshakes(redirects: &[String]) -> usize {
    redirects
        .iter()
        .filter(|url| url.contains("/v1/client/handshake?"))
        .count()
}

fn signed_in_user(body: &str) -> Option<&str> {
    let start = body.find("<b id=\"user\">")? + "<b id=\"user\">".len();
    body[start..].split('<').next()
}

async fn start(refresh: bool) -> (MockServer, Arc<AtomicU64>, Browser) {
    let mock = MockServer::builder()
        .session_refresh(refresh)
        .start()
        .await
        .expect("mock starts");
    let (offset, clock) = offset_clock();
    let authenticator = example::mock_authenticator(&mock, Some(clock)).expect("settings");
    let clerk = Clerk::builder(mock.secret_key())
        .base_url(mock.base_url())
        .build()
        .expect("client");
    let state = example::AppState {
        clerk: Some(clerk),
        sign_in_url: None,
        frontend_api: Some(mock.frontend_api_url().to_owned()),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, example::app(authenticator, state)).await;
    });
    (mock, offset, Browser::new(address))
}

/// Signs the browser in; returns the user id the page shows.
async fn sign_in(browser: &Browser) -> String {
    // First visit: the development instance fetches its dev-browser token in one handshake,
    // then the page renders signed out.
    let (status, body, redirects) = browser.load("/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Signed out"), "{body}");
    assert_eq!(handshakes(&redirects), 1, "{redirects:#?}");

    // Sign in at the mock's Frontend API, come back, sync through one handshake.
    let (status, body, redirects) = browser.load("/sign-in").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(handshakes(&redirects), 1, "{redirects:#?}");
    let user = signed_in_user(&body).unwrap_or_else(|| panic!("signed in: {body}"));
    assert!(user.starts_with("user_"), "{user}");
    // The address bar ends clean: no handshake or dev-browser parameter.
    let last = redirects.last().expect("redirected");
    assert_eq!(last, &format!("{}/", browser.base), "{redirects:#?}");
    user.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_stays_signed_in_across_token_expiry_with_one_handshake() {
    let (mock, offset, browser) = start(false).await;
    let user = sign_in(&browser).await;

    // Within the token's minute: no redirect at all.
    let (_, body, redirects) = browser.load("/").await;
    assert_eq!(signed_in_user(&body), Some(user.as_str()));
    assert!(redirects.is_empty(), "{redirects:#?}");
    let (status, body, _) = browser.load("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&user), "{body}");

    // Two minutes later on both clocks: the token has expired.
    mock.advance_clock(Duration::from_secs(120));
    offset.fetch_add(120, Ordering::Relaxed);
    let (status, body, redirects) = browser.load("/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(signed_in_user(&body), Some(user.as_str()), "{body}");
    assert_eq!(handshakes(&redirects), 1, "{redirects:#?}");
    assert!(
        redirects[0].contains(
            "__clerk_hs_reason=session-token-expired-refresh-non-eligible-no-refresh-cookie"
        ),
        "{redirects:#?}"
    );
    // And the page after it needs none.
    let (_, body, redirects) = browser.load("/").await;
    assert_eq!(signed_in_user(&body), Some(user.as_str()));
    assert!(redirects.is_empty(), "{redirects:#?}");

    // Three handshakes ran within two seconds: the redirect-loop counter cookie stands at 3
    // and would sign the next request out instead of syncing. A person does not click that
    // fast; wait for the cookie to lapse.
    tokio::time::sleep(Duration::from_millis(2100)).await;

    // Signing out at the Frontend API: the app syncs once and renders signed out.
    let (_, body, redirects) = browser.load("/sign-out").await;
    assert!(body.contains("Signed out"), "{body}");
    assert_eq!(handshakes(&redirects), 1, "{redirects:#?}");
    let (status, _, redirects) = browser.load("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(redirects, [format!("{}/", browser.base)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_session_refresh_expiry_needs_no_handshake() {
    let (mock, offset, browser) = start(true).await;
    let user = sign_in(&browser).await;

    mock.advance_clock(Duration::from_secs(120));
    offset.fetch_add(120, Ordering::Relaxed);
    let (status, body, redirects) = browser.load("/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(signed_in_user(&body), Some(user.as_str()), "{body}");
    assert!(redirects.is_empty(), "refreshed in place: {redirects:#?}");
    // The refreshed cookies were kept: still signed in without anything.
    let (_, body, redirects) = browser.load("/").await;
    assert_eq!(signed_in_user(&body), Some(user.as_str()));
    assert!(redirects.is_empty(), "{redirects:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_routes_keep_the_401_mode() {
    let (_mock, _offset, browser) = start(false).await;
    let response = browser
        .http
        .get(format!("{}/api/me", browser.base))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(browser.redirects.lock().expect("lock").is_empty());
}
