//! The event enum and the envelope around each event's data.

use crate::webhooks::macros::webhook_events;
use crate::webhooks::types::WebhookEventPayload;
use serde::{Deserialize, Serialize};

include!(concat!(env!("OUT_DIR"), "/webhooks_events.rs"));

/// An event with its typed `data` and the fields around it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPayload<D> {
    /// The fields every event carries: `type`, `object`, `timestamp`, `instance_id`,
    /// `event_attributes`, and any field this version does not know.
    #[serde(flatten)]
    pub envelope: WebhookEventPayload,
    /// What the event is about, such as the user that was created.
    pub data: D,
}

/// An event that did not decode to a typed variant of [`Event`]; its JSON is kept.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnrecognizedEvent {
    /// The fields around `data`.
    #[serde(flatten)]
    pub envelope: WebhookEventPayload,
    /// The event's `data` as received (`null` when it had none).
    pub data: serde_json::Value,
    /// For a known `type` whose `data` did not match its type, why decoding failed;
    /// `None` for a `type` this version does not know.
    #[serde(skip)]
    pub decode_error: Option<String>,
}
