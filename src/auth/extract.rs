//! Finding the token in a request's headers.

use std::borrow::Cow;

use http::HeaderMap;
use http::header::AUTHORIZATION;

use super::cookies::Cookies;

/// The cookie a browser sends the session token in.
pub(crate) const SESSION_COOKIE: &str = "__session";

/// Where a token was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// `Authorization: Bearer …`
    Header,
    /// `__session` or `__session_<suffix>` cookie.
    Cookie,
}

/// Finds the request's token: the `Authorization: Bearer` header first, then the session
/// cookie.
///
/// Cookie choice: when the instance's cookie suffix is known (derived from the publishable key),
/// `__session_<suffix>` wins over `__session`, as Clerk's own SDKs do. Without it, `__session`
/// is used, else a single `__session_<anything>` cookie; several suffixed cookies without a
/// known suffix are ambiguous and none is picked.
///
/// Cookies are read from the header bytes one by one (see [`Cookies`]): a cookie that is not
/// text, set by some other code of the site, does not hide the session cookie.
pub(crate) fn find_token<'h>(
    headers: &'h HeaderMap,
    cookie_suffix: Option<&str>,
) -> Option<(Cow<'h, str>, TokenSource)> {
    if let Some(token) = bearer_token(headers) {
        return Some((Cow::Borrowed(token), TokenSource::Header));
    }
    let cookies = Cookies::parse(headers);
    session_cookie(&cookies, cookie_suffix).map(|t| (Cow::Owned(t.to_owned()), TokenSource::Cookie))
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers.get_all(AUTHORIZATION).iter().find_map(|value| {
        let value = value.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    })
}

/// Cookies with a value, quotes removed.
fn cookies<'c>(jar: &'c Cookies<'_>) -> impl Iterator<Item = (&'c str, &'c str)> {
    jar.iter().filter_map(|(name, value)| {
        let value = value.trim_matches('"');
        (!value.is_empty()).then_some((name, value))
    })
}

fn session_cookie<'c>(headers: &'c Cookies<'_>, suffix: Option<&str>) -> Option<&'c str> {
    if let Some(suffix) = suffix {
        let suffixed = cookies(headers).find(|(name, _)| {
            name.strip_prefix(SESSION_COOKIE)
                .and_then(|rest| rest.strip_prefix('_'))
                == Some(suffix)
        });
        if let Some((_, value)) = suffixed {
            return Some(value);
        }
    }
    if let Some((_, value)) = cookies(headers).find(|(name, _)| *name == SESSION_COOKIE) {
        return Some(value);
    }
    if suffix.is_some() {
        // The suffix is known, so other suffixed cookies belong to other applications.
        return None;
    }
    let mut suffixed = cookies(headers).filter(|(name, _)| {
        name.strip_prefix(SESSION_COOKIE)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|s| !s.is_empty())
    });
    match (suffixed.next(), suffixed.next()) {
        (Some((_, value)), None) => Some(value),
        _ => None,
    }
}

/// The cookie suffix Clerk derives from a publishable key: the first 8 characters of the
/// URL-safe base64 of SHA-1 over the key.
pub(crate) fn cookie_suffix(publishable_key: &str) -> String {
    use base64::Engine as _;
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        publishable_key.as_bytes(),
    );
    let encoded = base64::engine::general_purpose::URL_SAFE.encode(digest.as_ref());
    encoded.chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn find(h: &HeaderMap, suffix: Option<&str>) -> Option<(String, TokenSource)> {
        find_token(h, suffix).map(|(t, s)| (t.into_owned(), s))
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_other_schemes_ignored() {
        let h = headers(&[("authorization", "bearer abc")]);
        assert_eq!(find(&h, None), Some(("abc".into(), TokenSource::Header)));
        let h = headers(&[("authorization", "Basic abc"), ("cookie", "__session=xyz")]);
        assert_eq!(find(&h, None), Some(("xyz".into(), TokenSource::Cookie)));
        let h = headers(&[("authorization", "Bearer ")]);
        assert_eq!(find(&h, None), None);
    }

    #[test]
    fn suffixed_cookies() {
        let h = headers(&[("cookie", "a=1; __session_Ab12Cd34=tok")]);
        assert_eq!(find(&h, None), Some(("tok".into(), TokenSource::Cookie)));
        let h = headers(&[("cookie", "__session_x=1; __session_y=2")]);
        assert_eq!(find(&h, None), None, "ambiguous without a known suffix");
        assert_eq!(find(&h, Some("y")), Some(("2".into(), TokenSource::Cookie)));
        let h = headers(&[("cookie", "__session=plain"), ("cookie", "__session_y=2")]);
        assert_eq!(find(&h, Some("y")), Some(("2".into(), TokenSource::Cookie)));
        assert_eq!(
            find(&h, Some("z")),
            Some(("plain".into(), TokenSource::Cookie))
        );
        assert_eq!(find(&h, None), Some(("plain".into(), TokenSource::Cookie)));
    }

    #[test]
    fn a_non_ascii_cookie_does_not_hide_the_session_cookie() {
        // `theme=café` written by a script as Latin-1 bytes, then a valid session cookie.
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            HeaderValue::from_bytes(b"theme=caf\xe9; __session=tok").expect("header bytes"),
        );
        assert_eq!(find(&h, None), Some(("tok".into(), TokenSource::Cookie)));
        // Percent-encoded UTF-8 in another cookie, and the suffixed cookie in a second header.
        let mut h = headers(&[("cookie", "theme=caf%C3%A9")]);
        h.append(
            http::header::COOKIE,
            HeaderValue::from_bytes("x=café; __session_y=2".as_bytes()).expect("header bytes"),
        );
        assert_eq!(find(&h, Some("y")), Some(("2".into(), TokenSource::Cookie)));
    }

    #[test]
    fn suffix_matches_clerk_derivation() {
        // Computed independently: SHA-1 of the key, base64 with `-`/`_`, first 8 characters.
        assert_eq!(
            cookie_suffix("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k"),
            "l2OS3d9k"
        );
    }
}
