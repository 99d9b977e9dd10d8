//! The shapes the build step emits for webhook types that must tolerate values this
//! version of the SDK does not know: tagged unions and the event enum. String enums use
//! the crate's `open_enum!` macro, shared with the API types.
//!
//! The generated code only lists variants; the behaviour lives here, written once.

/// Declares an enum of object kinds chosen by a tag field (OpenAPI's discriminator).
/// An object whose tag is missing or unknown decodes to `Unknown`, kept as received; an
/// object with a known tag must match that kind's type.
macro_rules! tagged_union {
    (
        $(#[$meta:meta])*
        $name:ident, tag = $tag:literal {
            $( $(#[$vmeta:meta])* $variant:ident($ty:ty) => $value:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant($ty), )*
            /// A kind this version of the SDK does not know, or an object without the tag,
            /// kept as received.
            Unknown(::serde_json::Value),
        }

        impl $name {
            /// The tag field's name.
            pub const TAG: &'static str = $tag;

            /// The tag value: the kind of object this is, when known or present.
            pub fn tag(&self) -> ::std::option::Option<&str> {
                match self {
                    $( Self::$variant(_) => Some($value), )*
                    Self::Unknown(value) => value.get($tag).and_then(::serde_json::Value::as_str),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(inner) => ::serde::Serialize::serialize(inner, serializer), )*
                    Self::Unknown(value) => ::serde::Serialize::serialize(value, serializer),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                let tag = value
                    .get($tag)
                    .and_then(::serde_json::Value::as_str)
                    .map(str::to_owned);
                match tag.as_deref() {
                    $(
                        Some($value) => <$ty as ::serde::Deserialize>::deserialize(value)
                            .map(Self::$variant)
                            .map_err(<D::Error as ::serde::de::Error>::custom),
                    )*
                    _ => Ok(Self::Unknown(value)),
                }
            }
        }
    };
}
pub(crate) use tagged_union;

/// Declares [`Event`](crate::webhooks::Event): one variant per known event `type`, each
/// with its typed `data`, and `Other` for the rest.
macro_rules! webhook_events {
    ( $( $(#[$vmeta:meta])* $variant:ident($data:ty) => $name:literal, )* ) => {
        /// A webhook event, by its `type`.
        ///
        /// Each known type has a variant holding an [`EventPayload`] with the typed `data`.
        /// Events of a type this version does not know, and events whose `data` does not
        /// fit the type expected for their `type`, become [`Event::Other`] with the JSON
        /// kept, so a handler never fails on something Clerk added later.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            $( $(#[$vmeta])* $variant($crate::webhooks::EventPayload<$data>), )*
            /// An event of an unknown type, or whose `data` did not decode; see
            /// [`UnrecognizedEvent::decode_error`] to tell the two apart.
            Other($crate::webhooks::UnrecognizedEvent),
        }

        impl Event {
            /// Every event `type` that decodes to a typed variant.
            pub const KNOWN_TYPES: &'static [&'static str] = &[$($name),*];

            /// Decodes an event from JSON already parsed.
            ///
            /// Fails only when the value is not an object or the fields around `data`
            /// (`type`, `object`, `timestamp`, `instance_id`) are missing or mistyped.
            pub fn from_value(value: ::serde_json::Value) -> ::std::result::Result<Self, ::serde_json::Error> {
                let ::serde_json::Value::Object(mut object) = value else {
                    return Err(<::serde_json::Error as ::serde::de::Error>::custom(
                        "a webhook event must be a JSON object",
                    ));
                };
                let data = object.remove("data").unwrap_or(::serde_json::Value::Null);
                let envelope: $crate::webhooks::types::WebhookEventPayload =
                    ::serde_json::from_value(::serde_json::Value::Object(object))?;
                let other = |envelope, data, decode_error| {
                    Self::Other($crate::webhooks::UnrecognizedEvent { envelope, data, decode_error })
                };
                Ok(match envelope.type_.as_str() {
                    $(
                        $name => match <$data as ::serde::Deserialize>::deserialize(&data) {
                            Ok(data) => Self::$variant($crate::webhooks::EventPayload { envelope, data }),
                            Err(error) => other(envelope, data, Some(error.to_string())),
                        },
                    )*
                    _ => other(envelope, data, None),
                })
            }

            /// The event's `type`, such as `user.created`.
            pub fn event_type(&self) -> &str {
                &self.envelope().type_
            }

            /// The `type` this variant stands for; `None` for [`Event::Other`].
            pub fn known_type(&self) -> ::std::option::Option<&'static str> {
                match self {
                    $( Self::$variant(_) => Some($name), )*
                    Self::Other(_) => None,
                }
            }

            /// The fields around `data`: type, timestamp, instance, request attributes.
            pub fn envelope(&self) -> &$crate::webhooks::types::WebhookEventPayload {
                match self {
                    $( Self::$variant(payload) => &payload.envelope, )*
                    Self::Other(event) => &event.envelope,
                }
            }
        }

        impl ::serde::Serialize for Event {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(payload) => ::serde::Serialize::serialize(payload, serializer), )*
                    Self::Other(event) => ::serde::Serialize::serialize(event, serializer),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for Event {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::from_value(value).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}
pub(crate) use webhook_events;
