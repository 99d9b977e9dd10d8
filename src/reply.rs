//! From a reply to the result of a call: every generated `send()` goes
//! through here, so each operation returns [`crate::Result`] with the reply
//! itself, and a body that does not decode says where.

use crate::api::types::ClerkErrors;
use crate::error::excerpt;
use crate::{Error, Result, api};
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::{Request, Response};
use serde::de::DeserializeOwned;

/// Sends a request through the client's hooks (headers, retries, tracing).
pub(crate) async fn send(
    client: &api::Client,
    mut request: Request,
    info: &OperationInfo,
) -> Result<Response> {
    client.pre::<ClerkErrors>(&mut request, info).await?;
    let result = client.exec(request, info).await;
    client.post::<ClerkErrors>(&result, info).await?;
    Ok(result?)
}

/// The whole body of a reply.
pub(crate) async fn body(response: Response) -> Result<bytes::Bytes> {
    Ok(response.bytes().await?)
}

/// Decodes a success body as the reply type of `operation`.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], operation: &'static str) -> Result<T> {
    serde_json::from_slice(body).map_err(|source| decode_error(body, operation, source))
}

/// The error of a body that did not decode: the JSON path of the value being
/// decoded where it failed, and the text around that spot.
#[cold]
pub(crate) fn decode_error(
    body: &[u8],
    operation: &'static str,
    source: serde_json::Error,
) -> Error {
    let at = offset(body, source.line(), source.column());
    Error::Decode {
        operation,
        path: json_path(body, at),
        excerpt: excerpt_around(body, at),
        source,
    }
}

/// An error reply (4xx, 5xx): Clerk's errors, or the start of the body when
/// it is not Clerk's JSON.
pub(crate) async fn error(response: Response) -> Error {
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(e) => return Error::from(e),
    };
    match serde_json::from_slice::<ClerkErrors>(&body) {
        Ok(errors) => Error::api_from_parts(status, &headers, errors),
        Err(_) => {
            let mut error = Error::api_from_parts(status, &headers, empty_errors());
            if let Error::Api(api) = &mut error {
                api.body_excerpt = Some(excerpt(&body));
            }
            error
        }
    }
}

/// A status the operation does not define (an informational or redirect
/// status, or a success status other than the documented one).
pub(crate) async fn unexpected(response: Response) -> Error {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap_or_default();
    let mut error = Error::api_from_parts(status, &headers, empty_errors());
    if let Error::Api(api) = &mut error {
        api.body_excerpt = Some(excerpt(&body));
    }
    error
}

fn empty_errors() -> ClerkErrors {
    ClerkErrors {
        clerk_trace_id: None,
        errors: Vec::new(),
        meta: None,
    }
}

/// The byte offset of serde_json's (line, column): the next byte it had not
/// read when it failed.
fn offset(body: &[u8], line: usize, column: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let mut start = 0;
    for _ in 1..line {
        match body[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => return body.len(),
        }
    }
    (start + column).min(body.len())
}

/// How many bytes of context an excerpt shows on each side of the spot.
const CONTEXT: usize = 60;

/// The text around byte `at`, marked `⟨here⟩`, with `…` where cut.
fn excerpt_around(body: &[u8], at: usize) -> String {
    let start = floor_char(body, at.saturating_sub(CONTEXT));
    let end = floor_char(body, (at + CONTEXT).min(body.len()));
    let at = floor_char(body, at).max(start);
    let text = |range: std::ops::Range<usize>| String::from_utf8_lossy(&body[range]).into_owned();
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&text(start..at));
    out.push_str("⟨here⟩");
    out.push_str(&text(at..end));
    if end < body.len() {
        out.push('…');
    }
    out.replace(['\n', '\r'], " ")
}

/// The largest index at or before `i` that starts a UTF-8 character.
fn floor_char(body: &[u8], mut i: usize) -> usize {
    while i > 0 && i < body.len() && (body[i] & 0b1100_0000) == 0b1000_0000 {
        i -= 1;
    }
    i
}

/// The JSON path of the innermost value open at byte `at` of `body`, written
/// as `serde_path_to_error` does: `data[3].email_addresses[0].id`, `.` for
/// the whole body. serde_json stops right after the value it could not
/// decode (after the closing brace of an object that lacks a field), so
/// this is the path of the failing field.
fn json_path(body: &[u8], at: usize) -> String {
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    let end = at.min(body.len());
    // Whether the string being read is a key of the enclosing object.
    let mut expecting_key = false;
    while i < end {
        match body[i] {
            b'{' => {
                stack.push(Frame::Object(None));
                expecting_key = true;
            }
            b'[' => {
                stack.push(Frame::Array(0));
                expecting_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expecting_key = false;
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(index)) => *index += 1,
                Some(Frame::Object(_)) => expecting_key = true,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < end && body[i] != b'"' {
                    if body[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if expecting_key {
                    let raw = &body[start..i.min(end)];
                    let key = serde_json::from_slice::<String>(&[b"\"", raw, b"\""].concat())
                        .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned());
                    if let Some(Frame::Object(current)) = stack.last_mut() {
                        *current = Some(key);
                    }
                    expecting_key = false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Array(index) => path.push_str(&format!("[{index}]")),
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => {}
        }
    }
    if path.is_empty() {
        path.push('.');
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_keys_and_indices() {
        let body = br#"{"data": [{"id": "a"}, {"id": "b", "n": "x"}], "total": 2}"#;
        let at = body.windows(3).position(|w| w == b"\"x\"").unwrap() + 3;
        assert_eq!(json_path(body, at), "data[1].n");
        assert_eq!(json_path(body, 0), ".");
        // After the closing brace of the second item: the item itself.
        let after = body.windows(2).position(|w| w == b"}]").unwrap() + 1;
        assert_eq!(json_path(body, after), "data[1]");
    }

    #[test]
    fn keys_with_escapes_and_braces_in_strings() {
        let body = br#"{"a\"b": {"c": "}{,", "d": 1}}"#;
        assert_eq!(json_path(body, body.len() - 3), "a\"b.d");
    }

    #[test]
    fn excerpts_are_short_and_marked() {
        let body = format!(
            "{{\"pad\": \"{}\", \"n\": \"x\", \"more\": \"{}\"}}",
            "é".repeat(400),
            "z".repeat(400)
        );
        let at = body.find("\"x\"").unwrap() + 3;
        let text = excerpt_around(body.as_bytes(), at);
        assert!(text.contains("\"n\": \"x\"⟨here⟩"), "{text}");
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(text.chars().count() < 2 * CONTEXT + 10, "{text}");
    }

    #[test]
    fn offsets_from_lines_and_columns() {
        let body = b"{\n  \"a\": 1,\n  \"b\": x\n}";
        let e = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
        let at = offset(body, e.line(), e.column());
        assert_eq!(body[at - 1], b'x');
    }
}
