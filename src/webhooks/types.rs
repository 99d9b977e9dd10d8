//! The data carried by webhook events, generated at build time from `openapi/webhooks/`.
//!
//! Every struct keeps fields it does not know in `extra`, and every string enum keeps
//! values it does not know in its `Unknown` variant, so events from a newer Clerk still
//! decode and encode back without loss.

use crate::open_enum::open_enum;
use crate::webhooks::macros::tagged_union;

include!(concat!(env!("OUT_DIR"), "/webhooks_types.rs"));
