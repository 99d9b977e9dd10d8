//! Walking through list operations page by page.
//!
//! Every operation that takes `limit` and `offset` has two more methods on
//! its request builder:
//!
//! - `stream()`: a [`Stream`] of every item, across pages;
//! - `pages()`: a [`Stream`] of whole pages (the reply type of the operation).
//!
//! ```no_run
//! use clerk_backend_api::prelude::*;
//! use futures::TryStreamExt;
//!
//! # async fn run(clerk: Clerk) -> clerk_backend_api::Result<()> {
//! let users: Vec<_> = clerk
//!     .get_user_list()
//!     .order_by("-created_at")
//!     .stream()
//!     .try_collect()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! Pages are requested with the largest `limit` the operation allows (500 for
//! most), so walking a list takes as few requests as possible. Some replies
//! carry `total_count`, others are a bare array (users, for instance). The
//! stream ends after a page that is empty, after the page that reaches
//! `total_count` when the reply has one, or after a page shorter than the
//! limit when it does not. An error ends the stream after yielding it.

use crate::{Error, Result};
use futures::Stream;
use std::future::Future;

/// A reply of a list operation.
pub trait Page {
    /// What the list contains.
    type Item;
    /// The items of this page.
    fn into_items(self) -> Vec<Self::Item>;
    /// How many items this page has.
    fn len(&self) -> usize;
    /// Whether this page has no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The size of the whole list, when the reply states it.
    fn total_count(&self) -> Option<i64>;
}

impl<T> Page for Vec<T> {
    type Item = T;
    fn into_items(self) -> Vec<T> {
        self
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn total_count(&self) -> Option<i64> {
        None
    }
}

/// The window a page fetch asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page.
    pub limit: u64,
    /// Items to skip.
    pub offset: u64,
}

/// Pages from `fetch`, `limit` items at a time, until the list ends.
pub fn pages<P, F, Fut, E>(limit: u64, fetch: F) -> impl Stream<Item = Result<P>>
where
    P: Page,
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = std::result::Result<P, E>>,
    Error: From<E>,
{
    let limit = limit.max(1);
    let state = (fetch, Some(0u64));
    futures::stream::unfold(state, move |(mut fetch, next)| async move {
        let offset = next?;
        match fetch(PageRequest { limit, offset }).await {
            Ok(page) => {
                let got = page.len() as u64;
                let seen = offset + got;
                let done = got == 0
                    || match page.total_count() {
                        Some(total) => seen >= total.max(0) as u64,
                        None => got < limit,
                    };
                let next = (!done).then_some(seen);
                Some((Ok(page), (fetch, next)))
            }
            Err(e) => Some((Err(Error::from(e)), (fetch, None))),
        }
    })
}

/// The items of a stream of pages.
pub fn items<P: Page>(pages: impl Stream<Item = Result<P>>) -> impl Stream<Item = Result<P::Item>> {
    use futures::StreamExt;
    pages.flat_map(|page| {
        let items: Vec<Result<P::Item>> = match page {
            Ok(page) => page.into_items().into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        futures::stream::iter(items)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{StreamExt, TryStreamExt};

    struct Counted(Vec<u64>, i64);
    impl Page for Counted {
        type Item = u64;
        fn into_items(self) -> Vec<u64> {
            self.0
        }
        fn len(&self) -> usize {
            self.0.len()
        }
        fn total_count(&self) -> Option<i64> {
            Some(self.1)
        }
    }

    fn window(total: u64, req: PageRequest) -> Vec<u64> {
        (req.offset..(req.offset + req.limit).min(total)).collect()
    }

    #[tokio::test]
    async fn bare_arrays_stop_on_a_short_page() {
        let mut calls = 0;
        let all: Vec<u64> = items(pages(10, |req| {
            calls += 1;
            async move { Ok::<_, Error>(window(25, req)) }
        }))
        .try_collect()
        .await
        .unwrap();
        assert_eq!(all, (0..25).collect::<Vec<_>>());
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn bare_arrays_of_exact_multiples_end_on_an_empty_page() {
        let all: Vec<Vec<u64>> = pages(10, |req| async move { Ok::<_, Error>(window(20, req)) })
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![10, 10, 0]
        );
    }

    #[tokio::test]
    async fn total_count_saves_the_last_request() {
        let all: Vec<Counted> = pages(10, |req| async move {
            Ok::<_, Error>(Counted(window(20, req), 20))
        })
        .try_collect()
        .await
        .unwrap();
        assert_eq!(all.len(), 2);
    }

    #[tokio::test]
    async fn an_error_ends_the_stream() {
        let results: Vec<Result<Vec<u64>>> = pages(10, |req| async move {
            if req.offset == 0 {
                Ok(window(100, req))
            } else {
                Err(Error::InvalidRequest("boom".into()))
            }
        })
        .collect()
        .await;
        assert_eq!(results.len(), 2);
        assert!(results[1].is_err());
    }
}
