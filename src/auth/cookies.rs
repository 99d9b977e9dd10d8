//! Reading the `Cookie` header, byte by byte and cookie by cookie.
//!
//! Browsers send whatever other code on the site stored: a `theme=café` cookie written by a
//! script arrives as raw bytes that are not visible ASCII, so `HeaderValue::to_str` refuses the
//! whole header. Parsing from the bytes keeps every other cookie: a cookie whose name or value
//! is not UTF-8 is skipped, and only that one.
//!
//! The rules are those of the `cookie` package Clerk's JavaScript SDK uses, so that both read
//! the same cookies from the same header: pairs are separated by `;`, a segment without `=` is
//! skipped, spaces and tabs around names and values are trimmed, quotes are kept, the first
//! cookie of a name wins, and a value containing `%` is percent-decoded when it decodes to
//! UTF-8 (it is kept as sent otherwise). Several `Cookie` headers (HTTP/2 splits them) are read
//! one after the other.

use std::borrow::Cow;

use http::HeaderMap;
use http::header::COOKIE;

/// The cookies of one request, in the order they were sent.
#[derive(Debug, Default, Clone)]
pub(crate) struct Cookies<'h> {
    pairs: Vec<(&'h str, Cow<'h, str>)>,
}

impl<'h> Cookies<'h> {
    /// Reads every `Cookie` header of `headers`.
    pub(crate) fn parse(headers: &'h HeaderMap) -> Self {
        // Room for the few cookies a site usually sets, without growing.
        let mut pairs = Vec::with_capacity(8);
        for value in headers.get_all(COOKIE) {
            parse_into(value.as_bytes(), &mut pairs);
        }
        Self { pairs }
    }

    /// The value of the first cookie named `name`, possibly empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The value of the first cookie named `name`, when it is not empty.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every cookie, first wins for equal names.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (*n, v.as_ref()))
    }
}

fn parse_into<'h>(header: &'h [u8], out: &mut Vec<(&'h str, Cow<'h, str>)>) {
    // The separators are found with `memchr`: the header is mostly one long session token,
    // which a byte-by-byte split would walk one byte at a time.
    let mut start = 0;
    for end in memchr::memchr_iter(b';', header).chain([header.len()]) {
        add_pair(&header[start..end], out);
        start = end + 1;
    }
}

fn add_pair<'h>(segment: &'h [u8], out: &mut Vec<(&'h str, Cow<'h, str>)>) {
    let Some(eq) = memchr::memchr(b'=', segment) else {
        return;
    };
    let name = trim(&segment[..eq]);
    let value = trim(&segment[eq + 1..]);
    // A cookie that is not text is lost on its own; the others stay.
    let (Ok(name), Ok(value)) = (std::str::from_utf8(name), std::str::from_utf8(value)) else {
        return;
    };
    if out.iter().any(|(n, _)| *n == name) {
        return;
    }
    out.push((name, percent_decode(value)));
}

/// Trims spaces and tabs, the only whitespace allowed around cookie pairs.
fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

/// Decodes `%XX` sequences when every one is well formed and the result is UTF-8; otherwise
/// the value is kept as sent (as `decodeURIComponent` failing would leave it).
pub(crate) fn percent_decode(value: &str) -> Cow<'_, str> {
    if memchr::memchr(b'%', value.as_bytes()).is_none() {
        return Cow::Borrowed(value);
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
            match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => return Cow::Borrowed(value),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(decoded) => Cow::Owned(decoded),
        Err(_) => Cow::Borrowed(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn jar(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                COOKIE,
                HeaderValue::from_bytes(value).expect("header bytes"),
            );
        }
        headers
    }

    #[test]
    fn a_non_utf8_cookie_loses_only_itself() {
        // `é` as a Latin-1 byte: not UTF-8, and not visible ASCII for `to_str`.
        let headers = jar(&[b"theme=caf\xe9; __session=abc.def.ghi; lang=en"]);
        assert!(headers.get(COOKIE).expect("set").to_str().is_err());
        let cookies = Cookies::parse(&headers);
        assert_eq!(cookies.get("__session"), Some("abc.def.ghi"));
        assert_eq!(cookies.get("lang"), Some("en"));
        assert_eq!(cookies.get("theme"), None);
        // The same character sent as UTF-8 is kept.
        let headers = jar(&["theme=café; __session=t".as_bytes()]);
        let cookies = Cookies::parse(&headers);
        assert_eq!(cookies.get("theme"), Some("café"));
        assert_eq!(cookies.get("__session"), Some("t"));
    }

    #[test]
    fn clerk_package_rules() {
        let headers = jar(&[b" a = 1 ;b=\"q\";novalue; c=; a=2;\td=x=y", b"e=5; b=6"]);
        let cookies = Cookies::parse(&headers);
        let all: Vec<_> = cookies.iter().collect();
        assert_eq!(
            all,
            [
                ("a", "1"),
                ("b", "\"q\""),
                ("c", ""),
                ("d", "x=y"),
                ("e", "5")
            ]
        );
        assert_eq!(cookies.non_empty("c"), None);
        assert_eq!(cookies.non_empty("a"), Some("1"));
    }

    #[test]
    fn empty_segments_and_edges() {
        for (header, expected) in [
            (&b""[..], &[][..]),
            (b";", &[]),
            (b";;a=1;", &[("a", "1")]),
            (b"=v; a=", &[("", "v"), ("a", "")]),
            (b"a=1;b", &[("a", "1")]),
        ] {
            let headers = jar(&[header]);
            let cookies = Cookies::parse(&headers);
            let all: Vec<_> = cookies.iter().collect();
            assert_eq!(all, expected, "{}", String::from_utf8_lossy(header));
        }
    }

    #[test]
    fn percent_decoding_is_all_or_nothing() {
        assert_eq!(percent_decode("a%20b%3Bc"), "a b;c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%20"), "%zz%20");
        assert_eq!(percent_decode("%C3%A9"), "é");
        // Decodes to bytes that are not UTF-8: kept as sent.
        assert_eq!(percent_decode("%E9"), "%E9");
        assert_eq!(percent_decode("plain+text"), "plain+text");
    }

    #[test]
    fn a_semicolon_inside_an_encoded_value_is_no_delimiter() {
        let headers = jar(&[b"x=a%3B__session%3Devil; __session=good"]);
        let cookies = Cookies::parse(&headers);
        assert_eq!(cookies.get("x"), Some("a;__session=evil"));
        assert_eq!(cookies.get("__session"), Some("good"));
    }
}
