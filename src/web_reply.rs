//! A response of the framework adapters as plain data: status, headers and a text body.
//!
//! The framework-neutral code (`auth::route`, `webhooks::receive`) decides what a refused
//! request is answered; each web framework adapter only turns a [`Reply`] into its own response
//! type, here, so that the frameworks cannot answer differently.

use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};

/// What to answer, before any framework is involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Reply {
    /// A status with neither headers nor body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: String::new(),
        }
    }

    /// A status with a short plain-text body.
    pub(crate) fn text(status: StatusCode, body: String) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        Self {
            status,
            headers,
            body,
        }
    }
}

#[cfg(feature = "axum")]
impl From<Reply> for axum::response::Response {
    fn from(reply: Reply) -> Self {
        let mut response = axum::response::Response::new(axum::body::Body::from(reply.body));
        *response.status_mut() = reply.status;
        *response.headers_mut() = reply.headers;
        response
    }
}

/// actix-web 4 is built on version 0.2 of the `http` crate and this crate on version 1: the
/// two share the wire format, so names, values and statuses are carried over byte for byte.
#[cfg(feature = "actix")]
pub(crate) mod actix {
    use actix_web::http::header as actix_header;

    use super::Reply;

    impl From<Reply> for actix_web::HttpResponse {
        fn from(reply: Reply) -> Self {
            let status = actix_web::http::StatusCode::from_u16(reply.status.as_u16())
                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = actix_web::HttpResponse::with_body(status, reply.body);
            let headers = response.headers_mut();
            // A name seen once and then `None`s for its further values, as `HeaderMap` iterates
            // when consumed: keep the last name to append every value of a repeated header.
            let mut name = None;
            for (next, value) in reply.headers {
                if let Some(next) = next {
                    name = actix_header::HeaderName::from_bytes(next.as_str().as_bytes()).ok();
                }
                let (Some(name), Ok(value)) = (
                    name.clone(),
                    actix_header::HeaderValue::from_bytes(value.as_bytes()),
                ) else {
                    continue;
                };
                headers.append(name, value);
            }
            response.map_into_boxed_body()
        }
    }

    /// The request's headers as the `http` 1 map the verifiers read. Every header is copied
    /// (order and repeated names kept), so the core sees what the client sent.
    pub(crate) fn headers(from: &actix_header::HeaderMap) -> http::HeaderMap {
        let mut headers = http::HeaderMap::with_capacity(from.len());
        for (name, value) in from.iter() {
            let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_str().as_bytes()),
                http::HeaderValue::from_bytes(value.as_bytes()),
            ) else {
                continue;
            };
            headers.append(name, value);
        }
        headers
    }

    /// The request's method as the `http` 1 type.
    pub(crate) fn method(from: &actix_web::http::Method) -> http::Method {
        // Both parse the same token grammar; an extension method carries over as it is.
        http::Method::from_bytes(from.as_str().as_bytes()).unwrap_or_default()
    }

    /// The request's URI as the `http` 1 type: the request target as received (path and
    /// query, or the absolute form), which parses the same in both versions.
    pub(crate) fn uri(from: &actix_web::http::Uri) -> http::Uri {
        http::Uri::try_from(from.to_string()).unwrap_or_default()
    }

    impl crate::auth::web_route::ResponseHeaders for actix_header::HeaderMap {
        fn has(&self, name: &http::HeaderName) -> bool {
            self.contains_key(name.as_str())
        }

        fn append(&mut self, name: http::HeaderName, value: http::HeaderValue) {
            let (Ok(name), Ok(value)) = (
                actix_header::HeaderName::from_bytes(name.as_str().as_bytes()),
                actix_header::HeaderValue::from_bytes(value.as_bytes()),
            ) else {
                return;
            };
            actix_header::HeaderMap::append(self, name, value);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use http::StatusCode;

        #[test]
        fn repeated_headers_survive_both_ways() {
            let mut reply = Reply::text(StatusCode::PAYLOAD_TOO_LARGE, "too big".into());
            reply
                .headers
                .append("set-cookie", http::HeaderValue::from_static("a=1"));
            reply
                .headers
                .append("set-cookie", http::HeaderValue::from_static("b=2"));
            let response = actix_web::HttpResponse::from(reply);
            assert_eq!(response.status().as_u16(), 413);
            let cookies: Vec<_> = response
                .headers()
                .get_all("set-cookie")
                .map(|v| v.to_str().unwrap())
                .collect();
            assert_eq!(cookies, ["a=1", "b=2"]);
            assert_eq!(
                response.headers().get("content-type").unwrap(),
                "text/plain; charset=utf-8"
            );

            let mut request = actix_header::HeaderMap::new();
            request.append(
                actix_header::COOKIE,
                actix_header::HeaderValue::from_static("a=1"),
            );
            request.append(
                actix_header::COOKIE,
                actix_header::HeaderValue::from_static("b=2"),
            );
            let copied = headers(&request);
            let cookies: Vec<_> = copied.get_all("cookie").iter().collect();
            assert_eq!(cookies, ["a=1", "b=2"]);
        }
    }
}
