//! Values that are one of several object shapes (`oneOf`/`anyOf` in the spec).
//!
//! Every such type is generated through [`one_of!`]: an enum with one variant
//! per shape plus `Unknown(serde_json::Value)`. Decoding never guesses
//! silently and never drops a field:
//!
//! - When the spec names a discriminator (the `object` of a verification, say),
//!   its value selects the variant. A value this crate does not know yet (a
//!   kind Clerk added later) decodes to `Unknown` with the whole object, and is
//!   sent back unchanged. When several variants share a value, or the object
//!   does not carry the discriminator, the choice falls back to the fields.
//! - Otherwise the variant that defines the most of the object's fields and
//!   decodes wins (an EC key with `x` and `y` is the EC variant, not the
//!   Ed25519 one, which also accepts `x` alone); when none decodes, the JSON
//!   is kept in `Unknown`.
//!
//! Whatever variant is chosen, the fields it does not define are kept in its
//! `extra` map, so encoding gives back the object that was received.

use serde_json::{Map, Value};

/// Defines a union enum: the listed variants plus `Unknown(Value)`.
///
/// `tag "object"` names the discriminator property; each variant lists the
/// tag values that select it, the properties it defines, those it requires
/// and the values its string enums list (used to rank variants when the tag
/// does not decide).
macro_rules! one_of {
    (
        $(#[$meta:meta])*
        $name:ident $(tag $tag:literal)? description $description:literal {
            $(
                $(#[$vmeta:meta])*
                $variant:ident($ty:ty)
                    tags [$($value:literal),*]
                    fields [$($field:literal),*]
                    required [$($required:literal),*]
                    enums [$($property:literal = [$($known:literal),*]),*],
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant($ty), )*
            /// An object this version of the crate cannot type (a kind Clerk
            /// added later); kept as received and sent back unchanged.
            Unknown(::serde_json::Value),
        }

        impl $name {
            const VARIANTS: &'static [$crate::one_of::Variant<Self>] = &[
                $(
                    $crate::one_of::Variant {
                        name: stringify!($variant),
                        tags: &[$($value),*],
                        fields: &[$($field),*],
                        required: &[$($required),*],
                        enums: &[$(($property, &[$($known),*])),*],
                        decode: |value| ::serde_json::from_value::<$ty>(value).map(Self::$variant),
                    },
                )*
            ];
            const TAG: ::std::option::Option<&'static str> = $crate::one_of::tag(&[$($tag)?]);
        }

        $(
            impl ::std::convert::From<$ty> for $name {
                fn from(value: $ty) -> Self {
                    Self::$variant(value)
                }
            }
        )*

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(value) => ::serde::Serialize::serialize(value, s), )*
                    Self::Unknown(value) => ::serde::Serialize::serialize(value, s),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(d)?;
                $crate::one_of::decode(stringify!($name), value, Self::TAG, Self::VARIANTS, Self::Unknown)
                    .map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }

        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::string::String {
                stringify!($name).to_owned()
            }
            fn json_schema(generator: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                $crate::one_of::schema(
                    $description,
                    ::std::vec![$( generator.subschema_for::<$ty>() ),*],
                )
            }
        }
    };
}
pub(crate) use one_of;

/// One variant of a union, for [`decode`].
#[doc(hidden)]
pub struct Variant<T> {
    pub name: &'static str,
    /// Values of the discriminator that select this variant.
    pub tags: &'static [&'static str],
    /// The properties the variant defines.
    pub fields: &'static [&'static str],
    /// The properties it requires.
    pub required: &'static [&'static str],
    /// Its string properties with listed values, and those values.
    pub enums: &'static [(&'static str, &'static [&'static str])],
    pub decode: fn(Value) -> Result<T, serde_json::Error>,
}

/// The discriminator property, from the macro's optional `tag`.
#[doc(hidden)]
pub const fn tag(tag: &[&'static str]) -> Option<&'static str> {
    match tag {
        [name] => Some(name),
        _ => None,
    }
}

/// Decodes `value` as one of `variants` (see the [module docs](self)).
#[doc(hidden)]
pub fn decode<T>(
    type_name: &str,
    value: Value,
    tag: Option<&str>,
    variants: &[Variant<T>],
    unknown: fn(Value) -> T,
) -> Result<T, String> {
    let selected: Option<String> = match (tag, &value) {
        (Some(key), Value::Object(map)) => map.get(key).and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let Some(selected) = selected else {
        // No discriminator to go by: the fields decide.
        return Ok(best_fit(&value, variants).unwrap_or_else(|| unknown(value)));
    };
    let candidates: Vec<&Variant<T>> = variants
        .iter()
        .filter(|v| v.tags.contains(&selected.as_str()))
        .collect();
    match candidates.as_slice() {
        [] => Ok(unknown(value)),
        [only] => (only.decode)(value).map_err(|e| {
            format!(
                "{type_name}: `{key}` is `{selected}` but the object is not a valid {variant}: {e}",
                key = tag.unwrap_or_default(),
                variant = only.name,
            )
        }),
        several => match best_fit(&value, several.iter().copied()) {
            Some(decoded) => Ok(decoded),
            None => Err(format!(
                "{type_name}: `{key}` is `{selected}` but the object is none of {names}",
                key = tag.unwrap_or_default(),
                names = several
                    .iter()
                    .map(|v| v.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        },
    }
}

/// How well a variant fits an object, best first when sorted in reverse:
/// (all required fields present, fields defined, enum values listed,
/// required fields present).
type Rank = (bool, usize, usize, usize);

/// The variant that decodes the object and fits it best: first one whose
/// required fields are all there (a required field that may be null also
/// decodes when absent, so decoding alone does not tell), then the one that
/// defines the most of the object's fields, then the one whose listed enum
/// values the object uses most (`strategy: "saml"`), then the one that
/// requires the most of its fields (the more specific), then the one listed
/// first.
fn best_fit<'a, T: 'a>(
    value: &Value,
    variants: impl IntoIterator<Item = &'a Variant<T>>,
) -> Option<T> {
    let empty = Map::new();
    let object = value.as_object().unwrap_or(&empty);
    let mut ranked: Vec<(Rank, &Variant<T>)> = variants
        .into_iter()
        .map(|v| {
            let explained = object
                .keys()
                .filter(|k| v.fields.contains(&k.as_str()))
                .count();
            let known = v
                .enums
                .iter()
                .filter(|(property, values)| {
                    object
                        .get(*property)
                        .and_then(Value::as_str)
                        .is_some_and(|value| values.contains(&value))
                })
                .count();
            let required = v
                .required
                .iter()
                .filter(|r| object.contains_key(**r))
                .count();
            (
                (required == v.required.len(), explained, known, required),
                v,
            )
        })
        .collect();
    // Stable: equal ranks keep the spec's order.
    ranked.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
    ranked
        .into_iter()
        .find_map(|(_, v)| (v.decode)(value.clone()).ok())
}

/// The JSON Schema of a union: one of its variants' schemas.
#[doc(hidden)]
pub fn schema(
    description: &str,
    variants: Vec<schemars::schema::Schema>,
) -> schemars::schema::Schema {
    use schemars::schema::{Metadata, SchemaObject, SubschemaValidation};
    SchemaObject {
        metadata: Some(Box::new(Metadata {
            description: Some(description.to_owned()),
            ..Default::default()
        })),
        subschemas: Some(Box::new(SubschemaValidation {
            one_of: Some(variants),
            ..Default::default()
        })),
        ..Default::default()
    }
    .into()
}
