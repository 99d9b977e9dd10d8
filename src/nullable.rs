//! Sending an explicit `null`.
//!
//! In an update, leaving a field out keeps its value, and `null` clears it.
//! Request fields that the API lets you clear have the type
//! `Option<Nullable<T>>`: `None` leaves the field out, `Some(Nullable::Null)`
//! sends `null`, `Some(Nullable::Value(v))` sends `v`.
//!
//! ```
//! use clerk_backend_api::{Nullable, types::UpdateUserBody};
//!
//! let body = UpdateUserBody::builder()
//!     .external_id(Nullable::Null)              // clears the external id
//!     .first_name("Ada");                       // sets the first name
//! let body = UpdateUserBody::try_from(body).unwrap();
//! let json = serde_json::to_value(&body).unwrap();
//! assert_eq!(json["external_id"], serde_json::Value::Null);
//! assert_eq!(json["first_name"], "Ada");
//! assert!(json.get("last_name").is_none()); // left out: unchanged
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value, or an explicit `null`. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    /// Sends `null`: clears the field.
    Null,
    /// Sends the value.
    Value(T),
}

impl<T> Nullable<T> {
    /// The value, or `None` for [`Nullable::Null`].
    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Null => None,
            Nullable::Value(v) => Some(v),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Nullable::Value(value)
    }
}

impl From<&str> for Nullable<String> {
    fn from(value: &str) -> Self {
        Nullable::Value(value.to_string())
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Null => s.serialize_none(),
            Nullable::Value(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Nullable::Null,
            Some(v) => Nullable::Value(v),
        })
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Nullable<T> {
    fn schema_name() -> String {
        format!("Nullable_{}", T::schema_name())
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        <Option<T>>::json_schema(generator)
    }
}
