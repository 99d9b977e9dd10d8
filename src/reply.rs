//! From a reply to the result of a call: every generated `send()` goes
//! through here, so each operation returns [`crate::Result`] with the reply
//! itself, and a body that does not decode says where (the JSON path of the
//! failing value, found by `serde_path_to_error`, and the text around it).

use crate::api::types::ClerkErrors;
use crate::error::excerpt;
use crate::transport::{self, Reply};
use crate::{Error, Result, api};
use progenitor_client::{ClientInfo as _, OperationInfo};
use reqwest::Request;
use serde::de::DeserializeOwned;

/// Sends a request as the client's hooks do (headers, retries, tracing),
/// keeping the reply as read rather than rebuilding a `reqwest::Response`.
pub(crate) async fn send(
    client: &api::Client,
    mut request: Request,
    info: &OperationInfo,
) -> Result<Reply> {
    transport::set_headers(&mut request, client.inner());
    Ok(transport::execute(client.client(), client.inner(), request, info.operation_id).await?)
}

/// The whole body of a reply (read already, within the retry loop).
pub(crate) async fn body(reply: Reply) -> Result<bytes::Bytes> {
    Ok(reply.body)
}

/// Decodes a success body as the reply type of `operation`.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], operation: &'static str) -> Result<T> {
    serde_json::from_slice(body).map_err(|source| {
        // Only on failure: decode again, tracking the path. (This is the
        // one place that instantiates the tracking deserializer, for the
        // reply types of the operations a program calls.)
        let path = match serde_path_to_error::deserialize::<_, T>(
            &mut serde_json::Deserializer::from_slice(body),
        ) {
            Err(e) => e.path().to_string(),
            Ok(_) => ".".to_string(),
        };
        decode_error(body, operation, path, source)
    })
}

/// The error of a body that did not decode: where, and the text around
/// the spot where serde_json stopped.
#[cold]
pub(crate) fn decode_error(
    body: &[u8],
    operation: &'static str,
    path: String,
    source: serde_json::Error,
) -> Error {
    let at = offset(body, source.line(), source.column());
    Error::Decode {
        operation,
        path,
        excerpt: excerpt_around(body, at),
        source,
    }
}

/// An error reply (4xx, 5xx): Clerk's errors, or the start of the body when
/// it is not Clerk's JSON.
pub(crate) async fn error(reply: Reply) -> Error {
    let Reply {
        status,
        headers,
        body,
        ..
    } = reply;
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
pub(crate) async fn unexpected(reply: Reply) -> Error {
    let Reply {
        status,
        headers,
        body,
        ..
    } = reply;
    let mut error = Error::api_from_parts(status, &headers, empty_errors());
    if let Error::Api(api) = &mut error {
        api.body_excerpt =
            Some(crate::error::redirect_note(&headers).unwrap_or_else(|| excerpt(&body)));
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn paths_reach_into_values_decoded_from_a_buffer() {
        // `verification` is decoded from a buffered copy (a union): the path
        // still names it, not the object around it.
        use crate::api::types::User;
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bapi/user.json");
        let mut user: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        user["email_addresses"][0]["verification"]["status"] = 5.into();
        let body = serde_json::to_vec_pretty(&user).unwrap();
        match decode::<User>(&body, "get_user") {
            Err(Error::Decode {
                operation, path, ..
            }) => {
                assert_eq!(operation, "get_user");
                assert!(
                    path.starts_with("email_addresses[0].verification"),
                    "{path}"
                );
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn offsets_from_lines_and_columns() {
        let body = b"{\n  \"a\": 1,\n  \"b\": x\n}";
        let e = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
        let at = offset(body, e.line(), e.column());
        assert_eq!(body[at - 1], b'x');
    }
}
