//! Which addresses may receive the secret key: `https://` anywhere, plain
//! `http://` only to this machine.
//!
//! Every request this crate sends to the Backend API carries the secret key
//! (`Authorization: Bearer sk_…`). Over plain HTTP anyone on the path reads
//! it, so a base URL with `http://` is refused unless its host is a loopback
//! address (`127.0.0.0/8`, `::1`) or `localhost`, where the bytes never leave
//! the machine: a local mock server or a sidecar proxy. Anything else needs
//! an explicit opt-in whose name says what it is
//! (`danger_allow_insecure_http`), for the rare TLS-terminating proxy on a
//! trusted network.
//!
//! The API client ([`crate::Clerk`]) and the token verifier
//! ([`crate::auth::Verifier`]) both run their URL through [`check`], from a
//! builder or from `CLERK_API_URL` alike.

use reqwest::Url;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Why a URL may not receive the secret key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrlProblem {
    /// Not an absolute URL.
    Invalid(String),
    /// A scheme other than `https` or `http`.
    Scheme(String),
    /// No host to connect to.
    NoHost,
    /// Plain `http://` to a host that is not this machine; the host is given.
    Cleartext(String),
}

impl std::fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "not a valid absolute URL ({e})"),
            Self::Scheme(s) => write!(
                f,
                "the scheme `{s}` is not supported: use https:// (or http:// to a local server)"
            ),
            Self::NoHost => f.write_str("the URL has no host"),
            Self::Cleartext(host) => write!(
                f,
                "plain http:// to `{host}` would send the secret key in cleartext; use https://, \
                 or http:// only to 127.0.0.1, ::1 or localhost. A TLS-terminating proxy on a \
                 trusted network can be allowed with `danger_allow_insecure_http(true)` on the builder"
            ),
        }
    }
}

/// Parses `url` and checks that the secret key may be sent there.
///
/// `allow_insecure_http` lifts the loopback rule for `http://`; the other
/// checks stay.
pub(crate) fn check(url: &str, allow_insecure_http: bool) -> Result<Url, UrlProblem> {
    let parsed = Url::parse(url.trim()).map_err(|e| UrlProblem::Invalid(e.to_string()))?;
    let host = parsed.host_str().ok_or(UrlProblem::NoHost)?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(host) => {}
        "http" => return Err(UrlProblem::Cleartext(host.to_string())),
        other => return Err(UrlProblem::Scheme(other.to_string())),
    }
    Ok(parsed)
}

/// Whether connecting to `host` stays on this machine.
///
/// Only names that cannot resolve elsewhere count: loopback IP literals and
/// `localhost` itself (not its subdomains, which some resolvers send out).
/// `host` is as the URL parser wrote it: IPv4 in dotted form (`127.1` has
/// become `127.0.0.1`), IPv6 in brackets, names in lower case.
fn is_loopback(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return v4.is_loopback();
    }
    host.strip_suffix('.').unwrap_or(host) == "localhost"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_goes_anywhere_http_only_to_loopback() {
        for ok in [
            "https://api.clerk.com/v1",
            "http://127.0.0.1:8080/v1",
            "http://127.9.8.7/v1",
            "http://[::1]:3000",
            "http://localhost:3000/v1",
            "http://LOCALHOST./v1",
        ] {
            assert!(check(ok, false).is_ok(), "{ok}");
        }
        for cleartext in [
            "http://api.example.com/v1",
            "http://10.0.0.1/v1",
            "http://128.0.0.1/v1",
            "http://[::2]/v1",
            "http://localhost.example.com/v1",
            "http://evil.localhost/v1",
            "http://0.0.0.0/v1",
        ] {
            assert!(
                matches!(check(cleartext, false), Err(UrlProblem::Cleartext(_))),
                "{cleartext}"
            );
            assert!(check(cleartext, true).is_ok(), "{cleartext}");
        }
        assert!(matches!(
            check("ftp://x/v1", true),
            Err(UrlProblem::Scheme(_))
        ));
        assert!(matches!(
            check("api.clerk.com", false),
            Err(UrlProblem::Invalid(_))
        ));
    }

    #[test]
    fn the_message_says_what_to_do() {
        let message = check("http://api.example.com", false)
            .unwrap_err()
            .to_string();
        assert!(message.contains("api.example.com"), "{message}");
        assert!(message.contains("https://"), "{message}");
        assert!(message.contains("danger_allow_insecure_http"), "{message}");
    }
}
