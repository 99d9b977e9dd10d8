//! What the setters of request builders and body builders accept.
//!
//! A setter takes the value a Rust programmer has at hand and converts it to
//! the type of the field:
//!
//! | field type | accepted |
//! |---|---|
//! | `String` | `&str`, `String`, `&String`, `Cow<str>`, `Box<str>` |
//! | `i64`, `u64`, `NonZeroU64`, `f64` | any integer (a literal too); `f64` also takes `f32` and `f64` |
//! | `bool` | `bool` |
//! | `Vec<String>` | arrays, slices, `Vec`s and iterators of the strings above |
//! | JSON object (`Map<String, Value>`) | `serde_json::Map`, or a `serde_json::Value` that is an object (`json!({…})`) |
//! | JSON value | `serde_json::Value`, `serde_json::Map` |
//! | string enum | a variant, or its string form (`"active"`) |
//! | `Option<T>` | what `T` accepts, or an `Option` of it (`None` leaves the field out) |
//! | `Option<Nullable<T>>` | the same, plus [`Nullable::Null`] to send `null` |
//!
//! Conversions that can fail (a `0` for a `NonZeroU64`, a negative number
//! for a `u64`, a JSON array where an object is expected) do not panic: the
//! setter keeps the error and `send()` returns
//! [`Error::InvalidRequest`](crate::Error::InvalidRequest) naming the field,
//! without sending anything. A value of the wrong type does not compile.
//!
//! ```
//! use clerk_backend_api::{Nullable, types::CreateOrganizationBody};
//! use serde_json::json;
//!
//! let body = CreateOrganizationBody::builder()
//!     .name("Acme")                              // &str for a String
//!     .slug(Some(String::from("acme")))          // an Option for an optional field
//!     .public_metadata(json!({"plan": "pro"}))   // a JSON object, for a nullable field
//!     .private_metadata(Nullable::Null)          // an explicit null
//!     .max_allowed_memberships(50);              // an integer literal
//! let body = CreateOrganizationBody::try_from(body).unwrap();
//! assert_eq!(body.name, "Acme");
//! assert_eq!(body.private_metadata, Some(Nullable::Null));
//! ```
//!
//! What is wrong in type does not compile:
//!
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // A string for a number.
//! let _ = clerk.get_user_list().limit("ten");
//! # }
//! ```
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // A float for an integer.
//! let _ = clerk.get_user_list().offset(1.5);
//! # }
//! ```
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // A string for a bool.
//! let _ = clerk.get_user_list().banned("yes");
//! # }
//! ```
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // A number for a string.
//! let _ = clerk.get_user().user_id(42);
//! # }
//! ```
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // One string for a list of strings.
//! let _ = clerk.get_user_list().email_address("ada@example.test");
//! # }
//! ```
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // A number for an enum.
//! let _ = clerk.get_session_list().status(5);
//! # }
//! ```
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // A number for a nullable string.
//! let _ = UpdateUserBody::builder().first_name(5);
//! # }
//! ```
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // A nullable number for a nullable string.
//! let _ = UpdateUserBody::builder().first_name(Nullable::Value(5));
//! # }
//! ```
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // A number for a list of strings.
//! let _ = CreateUserBody::builder().email_address(5);
//! # }
//! ```
//! ```compile_fail,E0277
//! # use clerk_backend_api::prelude::*;
//! # use clerk_backend_api::types::{CreateUserBody, UpdateUserBody};
//! # fn f(clerk: Clerk) {
//! // A list for a JSON object.
//! let _ = CreateUserBody::builder().public_metadata(vec![1, 2]);
//! # }
//! ```
//!
//! The traits are implemented for the types above; implement
//! [`IntoArg`] for a type of yours (an id newtype, say) to pass it directly:
//! `IntoOptionalArg` and `IntoNullableArg` follow for the field types that
//! take them.

use crate::Nullable;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::num::NonZeroU64;

/// A value a setter of a field of type `T` accepts. See the
/// [module docs](self).
pub trait IntoArg<T> {
    /// The value as a `T`, or why it cannot be one.
    fn into_arg(self) -> Result<T, String>;
}

/// A value a setter of an optional field (`Option<T>`) accepts: what
/// [`IntoArg<T>`] accepts, or an `Option` of it.
pub trait IntoOptionalArg<T> {
    /// The value as an `Option<T>`, or why it cannot be one.
    fn into_optional_arg(self) -> Result<Option<T>, String>;
}

/// A value a setter of a field that can be cleared (`Option<Nullable<T>>`)
/// accepts: what [`IntoOptionalArg<T>`] accepts, or a [`Nullable<T>`]
/// ([`Nullable::Null`] sends `null`).
pub trait IntoNullableArg<T> {
    /// The value as an `Option<Nullable<T>>`, or why it cannot be one.
    fn into_nullable_arg(self) -> Result<Option<Nullable<T>>, String>;
}

// Strings.

impl IntoArg<String> for String {
    fn into_arg(self) -> Result<String, String> {
        Ok(self)
    }
}

impl IntoArg<String> for &str {
    fn into_arg(self) -> Result<String, String> {
        Ok(self.to_owned())
    }
}

impl IntoArg<String> for &String {
    fn into_arg(self) -> Result<String, String> {
        Ok(self.clone())
    }
}

impl IntoArg<String> for &&str {
    fn into_arg(self) -> Result<String, String> {
        Ok((*self).to_owned())
    }
}

impl IntoArg<String> for Cow<'_, str> {
    fn into_arg(self) -> Result<String, String> {
        Ok(self.into_owned())
    }
}

impl IntoArg<String> for Box<str> {
    fn into_arg(self) -> Result<String, String> {
        Ok(self.into())
    }
}

/// Lists of strings: anything that iterates over strings.
impl<I> IntoArg<Vec<String>> for I
where
    I: IntoIterator,
    I::Item: IntoArg<String>,
{
    fn into_arg(self) -> Result<Vec<String>, String> {
        self.into_iter().map(IntoArg::into_arg).collect()
    }
}

// Numbers. Every integer type is accepted so that a literal (an `i32` unless
// told otherwise) works everywhere; the range is checked.

macro_rules! integers {
    ($target:ty: $($source:ty),+) => {$(
        impl IntoArg<$target> for $source {
            fn into_arg(self) -> Result<$target, String> {
                <$target>::try_from(self).map_err(|_| {
                    format!("{self} is out of range (expected {})", stringify!($target))
                })
            }
        }
    )+};
}

integers!(i64: i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
integers!(u64: i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

macro_rules! positive_integers {
    ($($source:ty),+) => {$(
        impl IntoArg<NonZeroU64> for $source {
            fn into_arg(self) -> Result<NonZeroU64, String> {
                u64::try_from(self)
                    .ok()
                    .and_then(NonZeroU64::new)
                    .ok_or_else(|| format!("{self} is not allowed (expected a number of at least 1)"))
            }
        }
    )+};
}

positive_integers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl IntoArg<NonZeroU64> for NonZeroU64 {
    fn into_arg(self) -> Result<NonZeroU64, String> {
        Ok(self)
    }
}

macro_rules! floats {
    (exact: $($source:ty),+) => {$(
        impl IntoArg<f64> for $source {
            fn into_arg(self) -> Result<f64, String> {
                Ok(f64::from(self))
            }
        }
    )+};
    (checked: $($source:ty),+) => {$(
        impl IntoArg<f64> for $source {
            fn into_arg(self) -> Result<f64, String> {
                // Above 2^53 not every integer has an f64.
                let value = self as f64;
                if value as $source == self && value.abs() < 9_007_199_254_740_992.0 {
                    Ok(value)
                } else {
                    Err(format!("{self} cannot be sent exactly as a JSON number"))
                }
            }
        }
    )+};
}

floats!(exact: f32, f64, i8, i16, i32, u8, u16, u32);
floats!(checked: i64, u64, isize, usize);

impl IntoArg<bool> for bool {
    fn into_arg(self) -> Result<bool, String> {
        Ok(self)
    }
}

// JSON.

impl IntoArg<Map<String, Value>> for Map<String, Value> {
    fn into_arg(self) -> Result<Map<String, Value>, String> {
        Ok(self)
    }
}

impl IntoArg<Map<String, Value>> for Value {
    fn into_arg(self) -> Result<Map<String, Value>, String> {
        match self {
            Value::Object(map) => Ok(map),
            other => Err(format!(
                "expected a JSON object, got {} (use Nullable::Null to send null)",
                json_kind(&other)
            )),
        }
    }
}

impl IntoArg<Value> for Value {
    fn into_arg(self) -> Result<Value, String> {
        Ok(self)
    }
}

impl IntoArg<Value> for Map<String, Value> {
    fn into_arg(self) -> Result<Value, String> {
        Ok(Value::Object(self))
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `Option<T>` and `Option<Nullable<T>>` setters for the field types `$t`.
/// Written per type rather than once for every `T`: a blanket impl over `T`
/// would overlap with itself for the iterator impls.
macro_rules! optional_and_nullable {
    ($($t:ty),+ $(,)?) => {$(
        impl<V: $crate::convert::IntoArg<$t>> $crate::convert::IntoOptionalArg<$t> for V {
            fn into_optional_arg(self) -> ::std::result::Result<Option<$t>, String> {
                self.into_arg().map(Some)
            }
        }

        impl<V: $crate::convert::IntoArg<$t>> $crate::convert::IntoOptionalArg<$t> for Option<V> {
            fn into_optional_arg(self) -> ::std::result::Result<Option<$t>, String> {
                self.map($crate::convert::IntoArg::into_arg).transpose()
            }
        }

        impl<V: $crate::convert::IntoArg<$t>> $crate::convert::IntoNullableArg<$t> for V {
            fn into_nullable_arg(
                self,
            ) -> ::std::result::Result<Option<$crate::Nullable<$t>>, String> {
                self.into_arg().map(|v| Some($crate::Nullable::Value(v)))
            }
        }

        impl<V: $crate::convert::IntoArg<$t>> $crate::convert::IntoNullableArg<$t> for Option<V> {
            fn into_nullable_arg(
                self,
            ) -> ::std::result::Result<Option<$crate::Nullable<$t>>, String> {
                match self {
                    Some(v) => v.into_arg().map(|v| Some($crate::Nullable::Value(v))),
                    None => Ok(None),
                }
            }
        }

        impl $crate::convert::IntoNullableArg<$t> for $crate::Nullable<$t> {
            fn into_nullable_arg(
                self,
            ) -> ::std::result::Result<Option<$crate::Nullable<$t>>, String> {
                Ok(Some(self))
            }
        }
    )+};
}
pub(crate) use optional_and_nullable;

optional_and_nullable!(
    String,
    bool,
    i64,
    u64,
    NonZeroU64,
    f64,
    Map<String, Value>,
    Value
);

// Lists of strings: no `Option<V>` impl (an `Option` is itself an iterator).
impl<V: IntoArg<Vec<String>>> IntoOptionalArg<Vec<String>> for V {
    fn into_optional_arg(self) -> Result<Option<Vec<String>>, String> {
        self.into_arg().map(Some)
    }
}

impl<V: IntoArg<Vec<String>>> IntoNullableArg<Vec<String>> for V {
    fn into_nullable_arg(self) -> Result<Option<Nullable<Vec<String>>>, String> {
        self.into_arg().map(|v| Some(Nullable::Value(v)))
    }
}

impl IntoNullableArg<Vec<String>> for Nullable<Vec<String>> {
    fn into_nullable_arg(self) -> Result<Option<Nullable<Vec<String>>>, String> {
        Ok(Some(self))
    }
}

/// A string type of the API (an enum or a string newtype): the value itself
/// or its string form; lists of them; and the optional shapes. Emitted by the
/// build for every such type a setter takes.
macro_rules! string_type {
    ($($t:ty),+ $(,)?) => {$(
        impl $crate::convert::IntoArg<$t> for $t {
            fn into_arg(self) -> ::std::result::Result<$t, String> {
                Ok(self)
            }
        }

        impl $crate::convert::IntoArg<$t> for &str {
            fn into_arg(self) -> ::std::result::Result<$t, String> {
                <$t as ::std::str::FromStr>::from_str(self).map_err(|e| e.to_string())
            }
        }

        impl $crate::convert::IntoArg<$t> for String {
            fn into_arg(self) -> ::std::result::Result<$t, String> {
                <$t as ::std::str::FromStr>::from_str(&self).map_err(|e| e.to_string())
            }
        }

        impl $crate::convert::IntoArg<$t> for &String {
            fn into_arg(self) -> ::std::result::Result<$t, String> {
                <$t as ::std::str::FromStr>::from_str(self).map_err(|e| e.to_string())
            }
        }

        impl<I> $crate::convert::IntoArg<Vec<$t>> for I
        where
            I: IntoIterator,
            I::Item: $crate::convert::IntoArg<$t>,
        {
            fn into_arg(self) -> ::std::result::Result<Vec<$t>, String> {
                self.into_iter().map($crate::convert::IntoArg::into_arg).collect()
            }
        }

        $crate::convert::optional_and_nullable!($t);
    )+};
}
pub(crate) use string_type;

/// Any other type of an optional body field (a nested object, a timestamp):
/// the value itself, and the optional shapes. Emitted by the build.
macro_rules! exact_type {
    ($($t:ty),+ $(,)?) => {$(
        impl $crate::convert::IntoArg<$t> for $t {
            fn into_arg(self) -> ::std::result::Result<$t, String> {
                Ok(self)
            }
        }

        $crate::convert::optional_and_nullable!($t);
    )+};
}
pub(crate) use exact_type;

/// The message of a setter's conversion error: which field, and why.
#[doc(hidden)]
pub fn field_error(field: &str, reason: String) -> String {
    format!("{field}: {reason}")
}
