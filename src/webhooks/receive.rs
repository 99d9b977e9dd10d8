//! Receiving a delivery over HTTP, whatever the web framework: the body is read under the
//! verifier's size limit, then verified and decoded; a refused delivery gets a status and a
//! short generic text.
//!
//! The axum and actix-web extractors are thin adapters over [`Verifier::read_event`] and
//! [`WebhookRejection`]: both frameworks read, refuse and answer the same way.

use std::error::Error as StdError;
use std::fmt;

use futures::{Stream, StreamExt as _};
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, StatusCode};

use super::{Event, Verifier, WebhookError};

/// The error of a body stream, whichever framework produced it.
pub type BodyError = Box<dyn StdError + Send + Sync>;

/// A webhook [`Event`] whose delivery passed verification, as extracted by the `axum` and
/// `actix` features' extractors.
///
/// The extractor reads the body under the verifier's
/// [`max_body_size`](super::VerifierBuilder::max_body_size) (2 MiB by default), verifies the
/// signature, decodes the event, and otherwise answers with a [`WebhookRejection`]:
///
/// - `401 Unauthorized` when the delivery fails verification (a replay included, with a
///   replay guard);
/// - `503 Service Unavailable` when the replay guard cannot be consulted;
/// - `400 Bad Request` when its body cannot be read or is not an event;
/// - `413 Payload Too Large` when its body is longer than the limit, which replaces the
///   framework's own body limit for this extractor.
///
/// The response says nothing more than the status and a short generic message (naming the
/// limit for 413); the reason is logged at `debug` level through `tracing`. With axum the
/// [`Verifier`] comes from the router state (`Verifier: FromRef<S>`); with actix-web from the
/// application data (`app_data(verifier)` or `app_data(web::Data::new(verifier))`).
#[cfg(any(feature = "axum", feature = "actix"))]
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEvent(pub Event);

impl Verifier {
    /// Reads a delivery's body from a stream of chunks, at most
    /// [`max_body_size`](Self::max_body_size) bytes, then verifies it and decodes its event:
    /// what the framework extractors do, for any framework whose body is such a stream.
    ///
    /// A `Content-Length` over the limit is refused before anything is read; a body that turns
    /// out longer is refused as soon as the chunk that crosses the limit arrives.
    ///
    /// ```
    /// use clerk_backend_api::webhooks::{Verifier, WebhookRejection};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let verifier = Verifier::builder()
    ///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    ///     .max_body_size(16)
    ///     .build()?;
    /// let chunks = futures::stream::iter([
    ///     Ok::<_, std::io::Error>(&b"{\"type\":"[..]),
    ///     Ok(&b"\"user.created\", \"data\": {}}"[..]),
    /// ]);
    /// # futures::executor::block_on(async {
    /// let refused = verifier.read_event(&http::HeaderMap::new(), chunks).await.unwrap_err();
    /// assert!(matches!(refused, WebhookRejection::TooLarge { limit: 16 }));
    /// assert_eq!(refused.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
    /// # });
    /// # Ok(()) }
    /// ```
    pub async fn read_event<S, B, E>(
        &self,
        headers: &HeaderMap,
        body: S,
    ) -> Result<Event, WebhookRejection>
    where
        S: Stream<Item = Result<B, E>>,
        B: AsRef<[u8]>,
        E: Into<BodyError>,
    {
        let limit = self.max_body_size();
        if declared_length(headers).is_some_and(|len| len > limit as u64) {
            return Err(WebhookRejection::TooLarge { limit });
        }
        let body = read_bounded(body, limit).await?;
        self.verify_event(headers, &body)
            .map_err(WebhookRejection::Webhook)
    }
}

/// The `Content-Length` the client declared, when it is a number.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Reads at most `limit` bytes; more is [`WebhookRejection::TooLarge`].
async fn read_bounded<S, B, E>(body: S, limit: usize) -> Result<Vec<u8>, WebhookRejection>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: Into<BodyError>,
{
    let mut body = std::pin::pin!(body);
    let mut buffer = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| WebhookRejection::Body(e.into()))?;
        let chunk = chunk.as_ref();
        if buffer.len() + chunk.len() > limit {
            return Err(WebhookRejection::TooLarge { limit });
        }
        buffer.extend_from_slice(chunk);
    }
    Ok(buffer)
}

/// Why a delivery was refused by [`Verifier::read_event`] or a webhook extractor. Its
/// response carries only a [status](Self::status) and a
/// [generic text](Self::response_body); the details stay here, for logs.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The body could not be read (connection closed, ...): 400.
    Body(BodyError),
    /// The body is longer than the verifier's
    /// [`max_body_size`](super::VerifierBuilder::max_body_size): 413.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The delivery failed verification (401), is not an event (400), or the replay guard
    /// could not be consulted (503).
    Webhook(WebhookError),
    /// No webhook verifier was configured for the route (a server bug; actix-web finds it
    /// in the application data only when the request comes): 500, logged at error level.
    MissingVerifier,
}

impl WebhookRejection {
    /// The status the response carries.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Body(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Webhook(error) => error.status(),
            Self::MissingVerifier => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body the response carries: a short generic text that names no failed check (the
    /// limit, for 413), or nothing for a server fault.
    pub fn response_body(&self) -> String {
        match self {
            Self::TooLarge { limit } => format!("webhook body larger than the {limit}-byte limit"),
            Self::MissingVerifier => String::new(),
            _ => match self.status() {
                StatusCode::UNAUTHORIZED => "invalid webhook signature".to_owned(),
                StatusCode::SERVICE_UNAVAILABLE => "try again later".to_owned(),
                _ => "invalid webhook payload".to_owned(),
            },
        }
    }

    /// The response, as the adapters send it; the reason is logged here, once.
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn reply(&self) -> crate::web_reply::Reply {
        use crate::web_reply::Reply;
        if let Self::MissingVerifier = self {
            tracing::error!("{self}");
            return Reply::empty(self.status());
        }
        tracing::debug!(error = %self, "rejected a webhook delivery");
        Reply::text(self.status(), self.response_body())
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Body(error) => write!(f, "could not read the webhook body: {error}"),
            Self::TooLarge { limit } => write!(
                f,
                "the webhook body is larger than the verifier's limit of {limit} bytes; \
                 raise it with `VerifierBuilder::max_body_size` if such deliveries are expected"
            ),
            Self::Webhook(error) => error.fmt(f),
            Self::MissingVerifier => f.write_str(
                "no webhook verifier is configured for this route; add one to the application \
                 data (actix-web) or the router state (axum)",
            ),
        }
    }
}

impl StdError for WebhookRejection {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Body(error) => Some(error.as_ref()),
            Self::Webhook(error) => Some(error),
            Self::TooLarge { .. } | Self::MissingVerifier => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(limit: usize) -> Verifier {
        Verifier::builder()
            .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .max_body_size(limit)
            .build()
            .unwrap()
    }

    fn read(
        limit: usize,
        headers: &HeaderMap,
        chunks: Vec<Result<&'static [u8], std::io::Error>>,
    ) -> Result<Event, WebhookRejection> {
        futures::executor::block_on(
            verifier(limit).read_event(headers, futures::stream::iter(chunks)),
        )
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, "11".parse().unwrap());
        // The stream fails if read: the refusal must come first.
        let failing = vec![Err(std::io::Error::other("must not be read"))];
        assert!(matches!(
            read(10, &headers, failing),
            Err(WebhookRejection::TooLarge { limit: 10 })
        ));
    }

    #[test]
    fn chunks_are_counted_and_a_broken_body_is_400() {
        let headers = HeaderMap::new();
        let over = vec![Ok(&b"12345"[..]), Ok(&b"678901"[..])];
        assert!(matches!(
            read(10, &headers, over),
            Err(WebhookRejection::TooLarge { limit: 10 })
        ));
        let broken = vec![Ok(&b"12"[..]), Err(std::io::Error::other("reset"))];
        let refused = read(10, &headers, broken).unwrap_err();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert_eq!(refused.response_body(), "invalid webhook payload");
        // At the limit, the body is read and goes on to verification (no headers: 401).
        let at_limit = vec![Ok(&b"12345"[..]), Ok(&b"67890"[..])];
        let refused = read(10, &headers, at_limit).unwrap_err();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(refused.response_body(), "invalid webhook signature");
    }

    #[test]
    fn texts_name_no_check() {
        let too_large = WebhookRejection::TooLarge { limit: 1024 };
        assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            too_large.response_body(),
            "webhook body larger than the 1024-byte limit"
        );
        assert!(too_large.to_string().contains("max_body_size"));
        let missing = WebhookRejection::MissingVerifier;
        assert_eq!(missing.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(missing.response_body().is_empty());
    }
}
