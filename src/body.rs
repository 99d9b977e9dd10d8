//! Reading a reply body with a size limit, enforced as the bytes arrive.
//!
//! A reply is never read whole and checked afterwards: a server (or anything
//! posing as one) could otherwise make this process hold gigabytes before
//! the check runs. An announced `Content-Length` over the limit is refused
//! before the first byte is read, and a body without one is refused as soon
//! as the bytes received pass the limit; the connection is then dropped.

use bytes::{Bytes, BytesMut};

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The body is longer than the limit (in bytes).
    TooLarge { limit: usize },
    /// The connection failed, stalled past a timeout or was reset.
    Transport(reqwest::Error),
}

/// Reads the whole body of `response`, or stops once it exceeds `limit` bytes.
pub(crate) async fn read_limited(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Bytes, ReadError> {
    let announced = response.content_length().or_else(|| {
        response
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .parse()
            .ok()
    });
    if announced.is_some_and(|len| len > limit as u64) {
        return Err(ReadError::TooLarge { limit });
    }
    // Most replies arrive in one chunk: keep it as is, without a copy.
    let first = match response.chunk().await.map_err(ReadError::Transport)? {
        Some(chunk) => chunk,
        None => return Ok(Bytes::new()),
    };
    if first.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let Some(second) = response.chunk().await.map_err(ReadError::Transport)? else {
        return Ok(first);
    };
    let expected = announced.map_or(0, |len| len as usize);
    let mut body = BytesMut::with_capacity(expected.max(first.len() + second.len()));
    body.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
        next = response.chunk().await.map_err(ReadError::Transport)?;
    }
    Ok(body.freeze())
}

/// Reads the first `n` bytes of a body, or all of a shorter one.
///
/// For bodies that are only quoted (error replies): the rest is left unread,
/// and a failure while reading keeps what arrived.
pub(crate) async fn read_prefix(response: &mut reqwest::Response, n: usize) -> Bytes {
    let mut body = BytesMut::new();
    while body.len() < n {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(n);
    body.freeze()
}

/// A `reqwest::Error` whose source chain holds `cause`.
///
/// progenitor's request hook can only fail with a `reqwest::Error`, which has
/// no public constructor; reading a body whose only item is `cause` yields
/// one. [`crate::Error`] looks for the cause in the chain to report it.
pub(crate) async fn error_carrying(
    cause: Box<dyn std::error::Error + Send + Sync>,
) -> reqwest::Error {
    let failing = futures::stream::once(async move { Err::<Bytes, _>(cause) });
    let response =
        reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(failing)));
    match response.bytes().await {
        Err(error) => error,
        Ok(_) => unreachable!("a body made of one error cannot be read successfully"),
    }
}

/// Finds an error of type `T` in the source chain of `error`.
pub(crate) fn find_cause<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(found) = current.downcast_ref::<T>() {
            return Some(found);
        }
        next = current.source();
    }
    None
}

/// A byte count for messages: `1 MiB`, `32 MiB`, `1500 bytes`.
pub(crate) fn human_size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    const KIB: usize = 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(chunks: Vec<&'static [u8]>, content_length: Option<usize>) -> reqwest::Response {
        let stream = futures::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::io::Error>(Bytes::from_static(c))),
        );
        let mut builder = http::Response::builder();
        if let Some(len) = content_length {
            builder = builder.header(http::header::CONTENT_LENGTH, len);
        }
        reqwest::Response::from(
            builder
                .body(reqwest::Body::wrap_stream(stream))
                .expect("valid response"),
        )
    }

    fn read(
        chunks: Vec<&'static [u8]>,
        len: Option<usize>,
        limit: usize,
    ) -> Result<Bytes, ReadError> {
        futures::executor::block_on(read_limited(&mut response(chunks, len), limit))
    }

    #[test]
    fn bodies_within_the_limit_are_read_whole() {
        assert_eq!(read(vec![], None, 4).unwrap(), Bytes::new());
        assert_eq!(read(vec![b"abcd"], None, 4).unwrap(), &b"abcd"[..]);
        assert_eq!(
            read(vec![b"ab", b"c", b"d"], Some(4), 4).unwrap(),
            &b"abcd"[..]
        );
    }

    #[test]
    fn longer_bodies_are_refused() {
        // Announced too long: refused before reading.
        assert!(matches!(
            read(vec![b"ab"], Some(5), 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        // Not announced: refused once the bytes pass the limit.
        assert!(matches!(
            read(vec![b"abcde"], None, 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        assert!(matches!(
            read(vec![b"ab", b"cd", b"e"], None, 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(1024 * 1024), "1 MiB");
        assert_eq!(human_size(64 * 1024), "64 KiB");
        assert_eq!(human_size(1500), "1500 bytes");
    }
}
