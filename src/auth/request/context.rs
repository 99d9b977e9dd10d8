//! What one request says: its URL as the browser sees it, its headers, and the Clerk cookies
//! and query parameters, with the choice between suffixed and unsuffixed cookies made.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use http::header::{ACCEPT, AUTHORIZATION, HOST, HeaderName, ORIGIN, REFERER};
use http::{HeaderMap, Method, Uri};
use url::Url;

use super::Inner;
use super::decode::{Unverified, truthy};
use super::settings::{Instance, ProxyUrl};
use crate::auth::cookies::Cookies;

pub(super) const SESSION: &str = "__session";
pub(super) const CLIENT_UAT: &str = "__client_uat";
pub(super) const REFRESH: &str = "__refresh";
pub(super) const DEV_BROWSER: &str = "__clerk_db_jwt";
pub(super) const LEGACY_DEV_BROWSER: &str = "__dev_session";
pub(super) const HANDSHAKE: &str = "__clerk_handshake";
pub(super) const HANDSHAKE_NONCE: &str = "__clerk_handshake_nonce";
pub(super) const HANDSHAKE_HELP: &str = "__clerk_help";
pub(super) const REDIRECT_COUNT: &str = "__clerk_redirect_count";
pub(super) const SYNCED: &str = "__clerk_synced";
pub(super) const REDIRECT_URL: &str = "__clerk_redirect_url";

// Header names as constants: looking one up by text parses the name on every call.
const SEC_FETCH_DEST: HeaderName = HeaderName::from_static("sec-fetch-dest");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// A token and what decoding it gave.
type Decoded<'r> = (Cow<'r, str>, Option<Arc<Unverified>>);

/// The facts of one request the decisions are taken on.
pub(super) struct Context<'r> {
    pub inner: &'r Inner,
    pub method: &'r Method,
    pub headers: &'r HeaderMap,
    pub cookies: &'r Cookies<'r>,
    uri: &'r Uri,
    /// The query may hold one of Clerk's parameters (it names `__clerk` or is
    /// percent-encoded): checked once instead of once per parameter.
    clerk_query: bool,
    /// The URL the browser asked for, rebuilt behind proxies, when first needed (most signed-in
    /// requests never need it).
    url: OnceLock<Option<Url>>,
    /// Tokens decoded so far: each is read by several rules, decoded once.
    decoded: Mutex<Vec<Decoded<'r>>>,
    pub token_in_header: Option<&'r str>,
    /// Where handshakes go: the proxy, the satellite's Frontend API, or the key's.
    pub frontend_api: Cow<'r, str>,
    pub uses_suffixed_cookies: bool,
    pub session_in_cookie: Option<&'r str>,
    pub refresh_in_cookie: Option<&'r str>,
    /// `__client_uat` as a number; 0 when absent or not a number.
    pub client_uat: f64,
    /// The dev-browser token (development instances only; `None` for others).
    pub dev_browser: Option<String>,
    pub handshake_token: Option<String>,
    pub handshake_nonce: Option<String>,
    /// `__clerk_redirect_count`; 0 when absent or not a number.
    pub loop_counter: f64,
}

impl<'r> Context<'r> {
    pub(super) fn new(
        inner: &'r Inner,
        method: &'r Method,
        uri: &'r Uri,
        headers: &'r HeaderMap,
        cookies: &'r Cookies<'r>,
    ) -> Self {
        let mut ctx = Self {
            inner,
            method,
            headers,
            cookies,
            uri,
            clerk_query: uri.query().is_some_and(may_name_clerk_parameter),
            url: OnceLock::new(),
            decoded: Mutex::new(Vec::new()),
            token_in_header: header(headers, AUTHORIZATION).and_then(parse_authorization),
            frontend_api: Cow::Borrowed(""),
            uses_suffixed_cookies: false,
            session_in_cookie: None,
            refresh_in_cookie: None,
            client_uat: 0.0,
            dev_browser: None,
            handshake_token: None,
            handshake_nonce: None,
            loop_counter: 0.0,
        };
        ctx.frontend_api = match &inner.proxy_url {
            Some(ProxyUrl::Absolute(proxy)) => Cow::Borrowed(proxy.as_str()),
            Some(ProxyUrl::Relative(path)) => match ctx.url() {
                Some(url) => Cow::Owned(format!("{}{path}", url.origin().ascii_serialization())),
                None => Cow::Borrowed(path.as_str()),
            },
            None => Cow::Borrowed(inner.original_frontend_api.as_str()),
        };
        if inner.publishable_key.is_none() {
            // Machine tokens only: no cookie is read.
            return ctx;
        }
        ctx.uses_suffixed_cookies = ctx.choose_suffixed_cookies();
        ctx.session_in_cookie = ctx.suffixed_or_not(SESSION);
        ctx.refresh_in_cookie = ctx.suffixed_cookie(REFRESH);
        ctx.client_uat = ctx
            .suffixed_or_not(CLIENT_UAT)
            .map(js_parse_int)
            .filter(|n| !n.is_nan())
            .unwrap_or(0.0);
        // Only development instances use the dev-browser token.
        if ctx.development() {
            ctx.dev_browser = ctx
                .query(DEV_BROWSER)
                .or_else(|| ctx.suffixed_or_not(DEV_BROWSER).map(str::to_owned));
        }
        ctx.handshake_token = ctx
            .query(HANDSHAKE)
            .or_else(|| cookies.non_empty(HANDSHAKE).map(str::to_owned));
        ctx.handshake_nonce = ctx
            .query(HANDSHAKE_NONCE)
            .or_else(|| cookies.non_empty(HANDSHAKE_NONCE).map(str::to_owned));
        ctx.loop_counter = cookies
            .non_empty(REDIRECT_COUNT)
            .map(js_number)
            .filter(|n| !n.is_nan())
            .unwrap_or(0.0);
        ctx
    }

    pub(super) fn development(&self) -> bool {
        self.inner
            .publishable_key
            .as_ref()
            .is_some_and(|pk| pk.instance == Instance::Development)
    }

    pub(super) fn production(&self) -> bool {
        self.inner
            .publishable_key
            .as_ref()
            .is_some_and(|pk| pk.instance == Instance::Production)
    }

    /// The URL the browser asked for, rebuilt behind proxies; `None` when the request names no
    /// usable host (then nothing can redirect back to it).
    pub(super) fn url(&self) -> Option<&Url> {
        self.url
            .get_or_init(|| request_url(self.uri, self.headers))
            .as_ref()
    }

    /// `token` decoded (unverified), once per request.
    pub(super) fn decoded(&self, token: &str) -> Option<Arc<Unverified>> {
        self.decoded_as(token, || Cow::Owned(token.to_owned()))
    }

    /// [`decoded`](Self::decoded) for a token the request carries, remembered without a copy.
    pub(super) fn decoded_in_request(&self, token: &'r str) -> Option<Arc<Unverified>> {
        self.decoded_as(token, || Cow::Borrowed(token))
    }

    fn decoded_as(
        &self,
        token: &str,
        key: impl FnOnce() -> Cow<'r, str>,
    ) -> Option<Arc<Unverified>> {
        let mut memo = self.decoded.lock().unwrap_or_else(PoisonError::into_inner);
        // The same slice of the request is found without comparing its bytes.
        let same = |t: &str| (t.as_ptr() == token.as_ptr() && t.len() == token.len()) || t == token;
        if let Some((_, decoded)) = memo.iter().find(|(t, _)| same(t)) {
            return decoded.clone();
        }
        let decoded = Unverified::decode(token).map(Arc::new);
        memo.push((key(), decoded.clone()));
        decoded
    }

    /// A request header, when present, text and not empty.
    pub(super) fn header(&self, name: HeaderName) -> Option<&'r str> {
        header(self.headers, name)
    }

    pub(super) fn sec_fetch_dest(&self) -> Option<&'r str> {
        self.header(SEC_FETCH_DEST)
    }

    pub(super) fn accept(&self) -> Option<&'r str> {
        self.header(ACCEPT)
    }

    pub(super) fn origin_header(&self) -> Option<&'r str> {
        self.header(ORIGIN)
    }

    /// The first value of a query parameter of the request URL, when not empty.
    pub(super) fn query(&self, name: &str) -> Option<String> {
        self.query_raw(name).filter(|v| !v.is_empty())
    }

    /// The first value of a query parameter, possibly empty.
    pub(super) fn query_raw(&self, name: &str) -> Option<String> {
        // Clerk's parameters all start with `__clerk`; most requests have none of them.
        debug_assert!(name.starts_with("__clerk"));
        if !self.clerk_query {
            return None;
        }
        let raw = self.uri.query()?;
        if !raw.contains('%') && !raw.contains(name) {
            return None;
        }
        self.url()?
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The cookie `<name>_<suffix>`, when not empty (looked up without building its name:
    /// this runs several times on every request).
    fn suffixed_cookie(&self, name: &str) -> Option<&'r str> {
        let suffix = self.inner.suffix.as_str();
        let cookies: &'r Cookies<'r> = self.cookies;
        cookies
            .iter()
            .find(|(cookie, _)| {
                cookie
                    .strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('_'))
                    == Some(suffix)
            })
            .map(|(_, value)| value)
            .filter(|value| !value.is_empty())
    }

    fn suffixed_or_not(&self, name: &str) -> Option<&'r str> {
        if self.uses_suffixed_cookies {
            self.suffixed_cookie(name)
        } else {
            self.cookies.non_empty(name)
        }
    }

    /// Clerk's rule for choosing between `__session_<suffix>` / `__client_uat_<suffix>` and
    /// the unsuffixed cookies, which older versions of Clerk's browser SDK write and which
    /// other applications on the same domain may share.
    fn choose_suffixed_cookies(&self) -> bool {
        let cookies = self.cookies;
        let suffixed_uat = self.suffixed_cookie(CLIENT_UAT);
        let uat = cookies.non_empty(CLIENT_UAT);
        let suffixed_session = self.suffixed_cookie(SESSION).unwrap_or("");
        let session = cookies.non_empty(SESSION).unwrap_or("");

        let decoded = (!session.is_empty())
            .then(|| self.decoded_in_request(session))
            .flatten();
        // A malformed unsuffixed token (no issuer): read the unsuffixed cookies, which signs
        // out instead of sending the browser to a handshake.
        if !session.is_empty() && !decoded.as_ref().is_some_and(|t| truthy(t.claim("iss"))) {
            return false;
        }
        // An unsuffixed token of another instance: only the suffixed cookies are ours.
        if !session.is_empty() && !self.belongs_to_instance(decoded.as_deref()) {
            return true;
        }
        if suffixed_uat.is_none() && suffixed_session.is_empty() {
            return false;
        }
        let iat = |t: Option<&Unverified>| t.and_then(|t| t.claim_number("iat")).unwrap_or(0.0);
        let suffixed_decoded = self.decoded_in_request(suffixed_session);
        let session_iat = iat(decoded.as_deref());
        let suffixed_iat = iat(suffixed_decoded.as_deref());
        // Both signed in, the unsuffixed token newer.
        if suffixed_uat != Some("0") && uat != Some("0") && session_iat > suffixed_iat {
            return false;
        }
        // Suffixed signed out, unsuffixed signed in: the unsuffixed cookie is the newer one.
        if suffixed_uat == Some("0") && uat != Some("0") {
            return false;
        }
        // Development: the suffixed `__client_uat` is written by the browser SDK, which may be
        // an older version that stopped updating it; an expired suffixed token is then stale.
        if !self.production() {
            let expired = suffixed_decoded.as_ref().is_some_and(|t| {
                t.claim_number("exp")
                    .is_some_and(|exp| exp <= self.inner.now_secs() as f64)
            });
            if suffixed_uat != Some("0") && uat == Some("0") && expired {
                return false;
            }
        }
        // A suffixed token without its `__client_uat`: suffixed cookies are switched off on
        // the Frontend API side.
        if suffixed_uat.is_none() && !suffixed_session.is_empty() {
            return false;
        }
        true
    }

    fn belongs_to_instance(&self, token: Option<&Unverified>) -> bool {
        let Some(iss) = token.and_then(|t| t.claim_str("iss")) else {
            return false;
        };
        strip_http_schemes(iss) == self.inner.original_frontend_api
    }

    /// The referrer is a page of another origin than the request's.
    pub(super) fn cross_origin_referrer(&self) -> bool {
        let Some(referrer) = self.header(REFERER) else {
            return false;
        };
        if same_origin_by_text(referrer, self.uri, self.headers) {
            return false;
        }
        // Only the origin is compared: the request's is read without rebuilding its whole
        // URL, which a signed-in request otherwise never needs.
        let request_origin = match self.url.get() {
            Some(url) => url.as_ref().map(Url::origin),
            None => request_base(self.uri, self.headers).map(|base| base.origin()),
        };
        let (Some(request_origin), Ok(referrer)) = (request_origin, Url::parse(referrer)) else {
            return false;
        };
        // Both are tuple origins (http and https URLs), so equality is that of their
        // serializations.
        referrer.origin() != request_origin
    }

    /// The referrer is Clerk's: the Frontend API, the instance's Account Portal, or (for
    /// development instances only) a development Account Portal.
    pub(super) fn known_clerk_referrer(&self) -> bool {
        let Some(referrer) = self.header(REFERER) else {
            return false;
        };
        let Ok(referrer) = Url::parse(referrer) else {
            return false;
        };
        let host = referrer.host_str().unwrap_or("");
        let fapi = &self.frontend_api;
        let fapi_host = if fapi.starts_with("http") {
            Url::parse(fapi)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
        } else {
            Some(fapi.to_string())
        };
        if !fapi.is_empty() && fapi_host.as_deref() == Some(host) {
            return true;
        }
        if !self.production() && (legacy_dev_portal(host) || current_dev_portal(host)) {
            return true;
        }
        accounts_portal(fapi)
            .and_then(|portal| Url::parse(&portal).ok())
            .is_some_and(|portal| {
                portal.origin().ascii_serialization() == referrer.origin().ascii_serialization()
            })
    }
}

fn header(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The query is percent-encoded or names `__clerk` somewhere: it may carry one of Clerk's
/// parameters. Checked at each `_`, which most queries have few of.
fn may_name_clerk_parameter(query: &str) -> bool {
    let bytes = query.as_bytes();
    memchr::memchr(b'%', bytes).is_some()
        || memchr::memchr_iter(b'_', bytes).any(|i| bytes[i..].starts_with(b"__clerk"))
}

/// `Authorization` as Clerk's SDK reads it: `Bearer <token>` (that exact spelling), or a bare
/// value without a space, taken as the token; other schemes are not a token.
fn parse_authorization(value: &str) -> Option<&str> {
    let mut parts = value.split(' ');
    let scheme = parts.next().unwrap_or("");
    match parts.next() {
        None | Some("") => Some(scheme).filter(|s| !s.is_empty()),
        Some(token) if scheme == "Bearer" => Some(token),
        Some(_) => None,
    }
}

/// The URL the browser asked for: the first `x-forwarded-host` and `x-forwarded-proto` values
/// when present, else the `Host` header and the request's own scheme (`http` when unknown).
pub(super) fn request_url(uri: &Uri, headers: &HeaderMap) -> Option<Url> {
    let mut url = request_base(uri, headers)?;
    // The path is set, not joined: `//evil.example/x` stays a path of this origin.
    url.set_path(uri.path());
    url.set_query(uri.query());
    Some(url)
}

/// The common case of a same-origin referrer, told without parsing URLs: the referrer is
/// `<scheme>://<host>` of the request, alone or followed by a path. Only a plain lowercase
/// host name or address, with a short port or none, is taken this way: such a base always
/// parses, and its authority ends where the referrer's does, so both have the same origin.
/// Anything else is left to the URL parser (`false` here means "not known to be same").
fn same_origin_by_text(referrer: &str, uri: &Uri, headers: &HeaderMap) -> bool {
    let Authority {
        forwarded: (Some(host), proto),
        ..
    } = Authority::of(uri, headers)
    else {
        return false;
    };
    if !matches!(proto, "http" | "https") || !plain_host(host) {
        return false;
    }
    let Some(rest) = referrer
        .strip_prefix(proto)
        .and_then(|r| r.strip_prefix("://"))
        .and_then(|r| r.strip_prefix(host))
    else {
        return false;
    };
    rest.is_empty() || rest.starts_with('/')
}

/// `name` or `name:port`: lowercase letters, digits, dots and hyphens, starting with a letter
/// or digit, and a port of at most four digits.
fn plain_host(host: &str) -> bool {
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let name_ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let port_ok =
        port.is_none_or(|p| (1..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    name_ok && port_ok
}

/// The scheme and host of [`request_url`], without its path and query.
fn request_base(uri: &Uri, headers: &HeaderMap) -> Option<Url> {
    let Authority {
        scheme,
        host,
        forwarded,
    } = Authority::of(uri, headers);
    let forwarded = match forwarded {
        (Some(host), proto) if !host.is_empty() => Url::parse(&format!("{proto}://{host}")).ok(),
        _ => None,
    };
    let url = match forwarded {
        Some(url) => url,
        None => Url::parse(&format!("{scheme}://{host}", host = host?)).ok()?,
    };
    (!url.cannot_be_a_base()).then_some(url)
}

/// Where the browser sent the request: the request's own scheme and `Host`, and the host and
/// scheme a proxy reports (the first `x-forwarded-host` / `x-forwarded-proto` values, each
/// falling back to the request's own).
struct Authority<'h> {
    scheme: &'h str,
    host: Option<&'h str>,
    forwarded: (Option<&'h str>, &'h str),
}

impl<'h> Authority<'h> {
    fn of(uri: &'h Uri, headers: &'h HeaderMap) -> Self {
        let first =
            |name: HeaderName| header(headers, name).map(|v| v.split(',').next().unwrap_or(""));
        let scheme = uri.scheme_str().unwrap_or("http");
        let host = header(headers, HOST).or_else(|| uri.authority().map(|a| a.as_str()));
        let proto = first(X_FORWARDED_PROTO)
            .filter(|p| !p.is_empty())
            .unwrap_or(scheme);
        Self {
            scheme,
            host,
            forwarded: (first(X_FORWARDED_HOST).or(host), proto),
        }
    }
}

/// Rewrites the query of `url` as the browser's `URLSearchParams` would after a change:
/// every pair decoded and encoded again, no `?` when none is left.
pub(super) fn rewrite_query(url: &mut Url, change: impl FnOnce(&mut Vec<(String, String)>)) {
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    change(&mut pairs);
    url.set_query(None);
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(&pairs);
    }
}

/// `url` without the named query parameters.
pub(super) fn without_params(url: &Url, names: &[&str]) -> Url {
    let mut url = url.clone();
    rewrite_query(&mut url, |pairs| {
        pairs.retain(|(k, _)| !names.contains(&k.as_str()))
    });
    url
}

/// Every `http://` and `https://` removed (any case), as the SDK compares issuers with hosts.
fn strip_http_schemes(iss: &str) -> Cow<'_, str> {
    if !iss.contains("://") {
        return Cow::Borrowed(iss);
    }
    let bytes = iss.as_bytes();
    let scheme_at = |i: usize| {
        let starts = |prefix: &[u8]| {
            bytes
                .get(i..i + prefix.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(prefix))
        };
        if starts(b"https://") {
            8
        } else if starts(b"http://") {
            7
        } else {
            0
        }
    };
    let mut out = String::with_capacity(iss.len());
    let (mut i, mut kept) = (0, 0);
    while i < bytes.len() {
        match scheme_at(i) {
            0 => i += 1,
            // A match starts with an ASCII letter, so `i` is a character boundary.
            len => {
                out.push_str(&iss[kept..i]);
                i += len;
                kept = i;
            }
        }
    }
    out.push_str(&iss[kept..]);
    Cow::Owned(out)
}

fn legacy_dev_portal(host: &str) -> bool {
    [".lcl.dev", ".lclstage.dev", ".lclclerk.com"]
        .iter()
        .any(|s| host.starts_with("accounts.") && host.ends_with(s))
}

fn current_dev_portal(host: &str) -> bool {
    [
        ".accounts.dev",
        ".accountsstage.dev",
        ".accounts.lclclerk.com",
    ]
    .iter()
    .any(|s| host.ends_with(s) && !host.ends_with(&format!(".clerk{s}")))
}

/// The Account Portal of a Frontend API host: `clerk.example.com` → `https://accounts.example.com`.
fn accounts_portal(frontend_api: &str) -> Option<String> {
    if frontend_api.is_empty() {
        return None;
    }
    let mut host = frontend_api.replacen("clerk.accountsstage.", "accountsstage.", 1);
    if let Some(at) = host.find("clerk.") {
        let len = if host[at..].starts_with("clerk.accounts.") {
            "clerk.accounts.".len()
        } else {
            "clerk.".len()
        };
        host.replace_range(at..at + len, "accounts.");
    }
    Some(format!("https://{host}"))
}

/// JavaScript's `parseInt` without a radix: leading digits, `0x` for hexadecimal.
pub(super) fn js_parse_int(text: &str) -> f64 {
    let text = text.trim_start();
    let (negative, text) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, text) = match text.get(..2) {
        Some("0x" | "0X") => (16, &text[2..]),
        _ => (10, text),
    };
    let value = text
        .chars()
        .map_while(|c| c.to_digit(radix))
        .fold(None, |acc: Option<f64>, d| {
            Some(acc.unwrap_or(0.0) * f64::from(radix) + f64::from(d))
        });
    match value {
        None => f64::NAN,
        Some(value) if negative => -value,
        Some(value) => value,
    }
}

/// JavaScript's `Number(text)` for the forms a cookie may hold.
pub(super) fn js_number(text: &str) -> f64 {
    let text = text.trim();
    if text.is_empty() {
        return 0.0;
    }
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).map_or(f64::NAN, |v| v as f64);
    }
    match text {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    if text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        text.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_textual_same_origin_check_agrees_with_the_url_parser() {
        let hosts = [
            "app.example.com",
            "app.example.com:8443",
            "app.example.com:443",
            "APP.example.com",
            "127.0.0.1:3000",
            "xn--bcher-kva.example",
            "a.b-c.example:99999",
            "evil.example@app.example.com",
            "app.example.com/x",
            "",
        ];
        let referrers = [
            "https://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/page?x=1",
            "https://app.example.com:443/",
            "https://app.example.com:8443/a",
            "http://app.example.com/",
            "https://app.example.com.evil.example/",
            "https://app.example.comx/",
            "https://app.example.com@evil.example/",
            "https://127.0.0.1:3000/",
            "https://127.0.0.1:30000/",
            "https://xn--bcher-kva.example/",
            "about:blank",
            "not a url",
        ];
        let mut fast = 0;
        for host in hosts {
            for proto in [None, Some("https"), Some("http"), Some("HTTPS")] {
                let mut headers = HeaderMap::new();
                if !host.is_empty() {
                    headers.insert(HOST, host.parse().expect("header value"));
                }
                if let Some(proto) = proto {
                    headers.insert("x-forwarded-proto", proto.parse().expect("header value"));
                }
                let uri: Uri = "/dashboard".parse().expect("uri");
                for referrer in referrers {
                    if !same_origin_by_text(referrer, &uri, &headers) {
                        continue;
                    }
                    fast += 1;
                    let request = request_base(&uri, &headers).expect("a base that parses");
                    let referrer_url = Url::parse(referrer).expect("a referrer that parses");
                    assert_eq!(
                        request.origin(),
                        referrer_url.origin(),
                        "{host} {proto:?} {referrer}"
                    );
                }
            }
        }
        // The common cases take the fast path: the plain hosts with their own scheme.
        assert_eq!(fast, 9);
    }

    #[test]
    fn authorization_header_as_clerk_reads_it() {
        assert_eq!(parse_authorization("Bearer abc"), Some("abc"));
        assert_eq!(parse_authorization("abc"), Some("abc"));
        assert_eq!(parse_authorization("bearer abc"), None);
        assert_eq!(parse_authorization("Basic abc"), None);
        assert_eq!(parse_authorization("Bearer"), Some("Bearer"));
        assert_eq!(parse_authorization("Bearer a b"), Some("a"));
    }

    #[test]
    fn queries_that_may_carry_clerk_parameters() {
        for (query, may) in [
            ("tab=overview", false),
            ("utm_source=x&a_b=c", false),
            ("__clerk_db_jwt=x", true),
            ("a=1&__clerk_synced=false", true),
            ("x___clerk=1", true),
            ("a=%5F%5Fclerk", true),
            ("_", false),
        ] {
            assert_eq!(may_name_clerk_parameter(query), may, "{query}");
        }
    }

    #[test]
    fn javascript_numbers() {
        assert_eq!(js_parse_int("1750000000"), 1_750_000_000.0);
        assert_eq!(js_parse_int(" 12abc"), 12.0);
        assert_eq!(js_parse_int("-5"), -5.0);
        assert_eq!(js_parse_int("0x10"), 16.0);
        assert!(js_parse_int("abc").is_nan());
        assert_eq!(js_number(""), 0.0);
        assert_eq!(js_number(" 3 "), 3.0);
        assert_eq!(js_number("2.5"), 2.5);
        assert!(js_number("3abc").is_nan());
        assert!(js_number("x").is_nan());
    }

    #[test]
    fn urls_are_rebuilt_behind_proxies() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "10.0.0.5:8080".parse().expect("valid"));
        let uri: Uri = "/a/b?x=1".parse().expect("valid");
        let url = request_url(&uri, &headers).expect("url");
        assert_eq!(url.as_str(), "http://10.0.0.5:8080/a/b?x=1");
        headers.insert(
            "x-forwarded-host",
            "app.example.com, lb".parse().expect("valid"),
        );
        headers.insert("x-forwarded-proto", "https,http".parse().expect("valid"));
        let url = request_url(&uri, &headers).expect("url");
        assert_eq!(url.as_str(), "https://app.example.com/a/b?x=1");
        // A path that looks like another host stays a path.
        let uri: Uri = "//evil.example/x".parse().expect("valid");
        let url = request_url(&uri, &headers).expect("url");
        assert_eq!(url.host_str(), Some("app.example.com"));
        assert_eq!(
            request_url(&"/".parse().expect("valid"), &HeaderMap::new()),
            None
        );
    }

    #[test]
    fn query_rewriting_matches_url_search_params() {
        let url = Url::parse("https://x.test/p?a=b%20c&flag&__clerk_db_jwt=1&x=%2F").expect("url");
        assert_eq!(
            without_params(&url, &[DEV_BROWSER]).as_str(),
            "https://x.test/p?a=b+c&flag=&x=%2F"
        );
        let url = Url::parse("https://x.test/p?__clerk_db_jwt=1").expect("url");
        assert_eq!(
            without_params(&url, &[DEV_BROWSER]).as_str(),
            "https://x.test/p"
        );
    }

    #[test]
    fn clerk_referrers() {
        assert_eq!(
            accounts_portal("clerk.example.com").as_deref(),
            Some("https://accounts.example.com")
        );
        assert_eq!(
            accounts_portal("foo-bar-13.clerk.accounts.dev").as_deref(),
            Some("https://foo-bar-13.accounts.dev")
        );
        assert!(current_dev_portal("foo-bar-13.accounts.dev"));
        assert!(!current_dev_portal("foo-bar-13.clerk.accounts.dev"));
        assert!(legacy_dev_portal("accounts.foo.lcl.dev"));
        assert_eq!(
            strip_http_schemes("https://clerk.example.com"),
            "clerk.example.com"
        );
        assert_eq!(strip_http_schemes("HTTP://a"), "a");
        // Every occurrence, anywhere, as a global case-insensitive replace does.
        for (iss, stripped) in [
            ("https://a/http://b", "a/b"),
            ("é https://x", "é x"),
            ("httphttps://a", "httpa"),
            ("hTtPs://https://a", "a"),
            ("https:/a", "https:/a"),
            ("ftp://a", "ftp://a"),
            ("https://", ""),
        ] {
            assert_eq!(strip_http_schemes(iss), stripped, "{iss}");
        }
    }
}
