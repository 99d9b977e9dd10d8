//! Decoding a reply and encoding it again gives back what was received, for
//! every generated operation.
//!
//! Replies are generated at random from the success schemas of our spec
//! (`openapi/bapi`, read independently of the build's rules) with a fixed
//! seed, so a failure is reproducible. They cover optional fields present and
//! absent, nullable values null and not, every variant of every union (and
//! an object of an unknown kind where a discriminator allows one), fields and
//! enum values the spec does not list. Each reply is decoded into the
//! operation's generated reply type (the table build.rs writes to
//! `OUT_DIR/replies.rs`), encoded again and compared with the original,
//! ignoring key order, how a number is spelled (`3` and `3.0`) and how a
//! timestamp is spelled (`…Z` and `…+00:00`).
//!
//! The differences the types make on purpose are listed in [`EXCEPTIONS`],
//! each with its reason; the expected JSON applies them, and every one must
//! still occur (a stale exception fails the test). Anything else is data loss.
//!
//! `ROUND_TRIP_SEED=<n> cargo test --test round_trip -- --nocapture` explores
//! another seed; the figures are printed with `--nocapture`.

#[path = "../build/bundle.rs"]
#[allow(dead_code)]
mod bundle;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

type RoundTrip = fn(Value) -> Result<Value, String>;

fn round_trip<T: DeserializeOwned + Serialize>(value: Value) -> Result<Value, String> {
    let decoded: T = serde_json::from_value(value).map_err(|e| format!("decode: {e}"))?;
    serde_json::to_value(&decoded).map_err(|e| format!("encode: {e}"))
}

/// (Clerk's operation id, decode-then-encode with its reply type, the type's name)
macro_rules! replies {
    ($($id:literal => $ty:ty,)*) => {
        const REPLIES: &[(&str, RoundTrip, &str)] = &[
            $( ($id, round_trip::<$ty>, stringify!($ty)), )*
        ];
    };
}
include!(concat!(env!("OUT_DIR"), "/replies.rs"));

/// Replies generated per operation (and per success schema).
const CASES: usize = 32;
const SEED: u64 = 0x0c1e_2c5e_ed20_2605;

/// Where the encoded reply differs from the received one by design.
const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "optional_null",
        "an optional field that may be null decodes to None whether it was null or left out, \
         and None is left out when encoding: both mean \"no value\", and telling them apart \
         would make every such field an Option<Option<T>>",
    ),
    (
        "optional_empty_list",
        "an optional list decodes to an empty Vec whether it was [] or left out, and an empty \
         Vec is left out when encoding: both mean \"none\"",
    ),
    (
        "optional_empty_map",
        "an optional free-form object decodes to an empty map whether it was {} or left out, \
         and an empty map is left out when encoding",
    ),
    (
        "absent_required_nullable",
        "Clerk sometimes leaves out a field the spec lists as required but nullable (not \
         schema-valid, but seen): it decodes as None, like null, and is sent back as null",
    ),
    (
        "absent_default",
        "an optional field with a default in the spec decodes to that default when left out, \
         and is then sent with it: the spec states that the two mean the same",
    ),
];

/// A small, seeded generator (SplitMix64): reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// How a case fills optional parts.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    /// Only what is required; nullable values null; nothing unknown.
    Minimal,
    /// Everything present, nullable values not null, unknown fields and enum
    /// values everywhere they are allowed.
    Maximal,
    /// Containers (objects, lists of objects) present and as long as allowed,
    /// optional values inside them absent and nullable ones null: so that
    /// the fields of nested objects are also seen absent and null.
    Sparse,
    /// Each choice at random.
    Random,
}

/// What the generated replies covered, by place in the spec.
#[derive(Default)]
struct Coverage {
    /// (place, variant) of every union variant generated, and every union's variant count.
    variants: BTreeSet<(String, usize)>,
    unions: BTreeMap<String, usize>,
    visits: BTreeMap<String, usize>,
    /// Optional properties seen present / absent.
    present: BTreeSet<String>,
    absent: BTreeSet<String>,
    /// Nullable places seen null / not null.
    null: BTreeSet<String>,
    not_null: BTreeSet<String>,
    unknown_fields: usize,
    unknown_enum_values: usize,
    unknown_kinds: usize,
}

struct Gen<'a> {
    schemas: &'a Map<String, Value>,
    rng: Rng,
    mode: Mode,
    cov: &'a mut Coverage,
    /// The next object is a union's variant.
    variant: bool,
}

/// The generated reply and what encoding its decoded form must give.
struct Pair {
    sent: Value,
    expected: Value,
}

impl<'a> Gen<'a> {
    /// The schema a `$ref` points to (or the schema itself).
    fn target<'s>(&self, schema: &'s Value) -> &'s Value
    where
        'a: 's,
    {
        let schemas: &'a Map<String, Value> = self.schemas;
        let mut s = schema;
        while let Some(r) = s["$ref"].as_str() {
            s = &schemas[r.trim_start_matches("#/components/schemas/")];
        }
        s
    }

    fn choose(&mut self, percent: u64, minimal: bool, maximal: bool) -> bool {
        match self.mode {
            Mode::Minimal | Mode::Sparse => minimal,
            Mode::Maximal => maximal,
            Mode::Random => self.rng.chance(percent),
        }
    }

    fn is_nullable(&self, schema: &Value) -> bool {
        schema["nullable"] == json!(true) || self.target(schema)["nullable"] == json!(true)
    }

    /// Whether `schema` holds objects: an object with properties, a union, or
    /// a list of those.
    fn is_container(&self, schema: &Value) -> bool {
        let schema = self.target(schema);
        if schema["allOf"].as_array().is_some_and(|l| l.len() == 1) {
            return self.is_container(&schema["allOf"][0]);
        }
        schema.get("properties").is_some()
            || schema.get("oneOf").is_some()
            || schema.get("anyOf").is_some()
            || schema.get("allOf").is_some()
            || (schema["type"] == json!("array") && self.is_container(&schema["items"]))
    }

    /// A value for `schema` at `place`.
    fn value(&mut self, schema: &Value, place: &str, depth: usize) -> Pair {
        // Places are counted per named schema, whichever reply holds it.
        let place = match schema["$ref"].as_str() {
            Some(r) => r.trim_start_matches("#/components/schemas/").to_string(),
            None => place.to_string(),
        };
        let place = place.as_str();
        let schema = self.target(schema);
        // `nullable` applies to the schema it is written on and, through an
        // `allOf` of one reference, to the referenced type.
        if schema["nullable"] == json!(true) {
            // (Sparse cases fill nullable containers, to reach their insides.)
            let sparse_container = self.mode == Mode::Sparse && self.is_container(schema);
            let null = depth > 8 || (!sparse_container && self.choose(30, true, false));
            if null {
                self.cov.null.insert(place.to_string());
                return Pair {
                    sent: Value::Null,
                    expected: Value::Null,
                };
            }
            self.cov.not_null.insert(place.to_string());
        }
        if let Some(list) = schema["allOf"].as_array() {
            if list.len() == 1 && schema.get("properties").is_none() {
                return self.value(&list[0], place, depth);
            }
            let merged = self.merge(schema);
            return self.object(&merged, place, depth);
        }
        let union = schema["oneOf"].as_array().or(schema["anyOf"].as_array());
        if let Some(list) = union {
            let alternatives_only = list.iter().all(|a| {
                a.as_object()
                    .is_some_and(|a| a.len() == 1 && a.contains_key("required"))
            });
            if !alternatives_only {
                return self.union(schema, list, place, depth);
            }
        }
        if let Some(values) = schema["enum"].as_array() {
            return self.enumerated(schema, values);
        }
        match schema["type"].as_str() {
            Some("object") => self.object(schema, place, depth),
            Some("array") => self.array(schema, place, depth),
            Some("string") => same(self.string(schema)),
            Some("integer") => same(self.integer(schema)),
            Some("number") => same(self.number(schema)),
            Some("boolean") => same(json!(self.rng.chance(50))),
            _ if schema.get("properties").is_some() => self.object(schema, place, depth),
            _ => same(self.any(depth)),
        }
    }

    /// One object schema from the parts of an `allOf`.
    fn merge(&self, schema: &Value) -> Value {
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        let mut parts = vec![schema];
        while let Some(part) = parts.pop() {
            let part = self.target(part);
            for p in part["allOf"].as_array().into_iter().flatten() {
                parts.push(p);
            }
            for (k, v) in part["properties"].as_object().into_iter().flatten() {
                properties.insert(k.clone(), v.clone());
            }
            required.extend(part["required"].as_array().into_iter().flatten().cloned());
        }
        json!({ "type": "object", "properties": properties, "required": required })
    }

    fn union(&mut self, schema: &Value, list: &[Value], place: &str, depth: usize) -> Pair {
        let tagged = schema.pointer("/discriminator/propertyName").is_some();
        // A discriminated union may also receive a kind added later.
        let count = list.len() + usize::from(tagged);
        *self.cov.unions.entry(place.to_string()).or_default() = count;
        // Each place takes its variants in turn, so that all of them come up.
        let visits = self.cov.visits.entry(place.to_string()).or_default();
        let pick = *visits % count;
        *visits += 1;
        self.cov.variants.insert((place.to_string(), pick));
        if pick == list.len() {
            self.cov.unknown_kinds += 1;
            let tag = schema["discriminator"]["propertyName"]
                .as_str()
                .unwrap_or("object");
            let mut object = Map::new();
            object.insert(
                tag.into(),
                json!(format!("kind_added_later_{}", self.rng.below(100))),
            );
            object.insert("status".into(), json!("verified"));
            object.insert("feathers".into(), self.any(depth + 1));
            return same(Value::Object(object));
        }
        self.variant = true;
        let pair = self.value(&list[pick], &format!("{place}<{pick}>"), depth + 1);
        self.variant = false;
        pair
    }

    fn enumerated(&mut self, schema: &Value, values: &[Value]) -> Pair {
        if schema["type"] == json!("string") && self.choose(10, false, true) {
            self.cov.unknown_enum_values += 1;
            return same(json!(format!("value_added_later_{}", self.rng.below(1000))));
        }
        same(values[self.rng.below(values.len())].clone())
    }

    fn object(&mut self, schema: &Value, place: &str, depth: usize) -> Pair {
        // The object of a union variant: leaving out a required field could
        // make another variant the better fit, so it is not tried there.
        let variant = std::mem::take(&mut self.variant);
        let Some(properties) = schema["properties"].as_object() else {
            return self.map(schema, depth);
        };
        let mut required: BTreeSet<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        // "One of these must be present" constraints: satisfy one at random.
        if let Some(alternatives) = schema["anyOf"].as_array() {
            let alt = &alternatives[self.rng.below(alternatives.len())];
            required.extend(
                alt["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            );
        }
        // What the object itself requires (not its "one of these" rules,
        // which the types leave to the server).
        let own_required: BTreeSet<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut sent = Map::new();
        let mut expected = Map::new();
        for (name, prop) in properties {
            let at = format!("{place}.{name}");
            let is_required = required.contains(name.as_str());
            if is_required && own_required.contains(name.as_str()) && self.is_nullable(prop) {
                // Also try the field left out (listed as an exception).
                if !variant && self.mode == Mode::Random && self.rng.chance(10) {
                    expected.insert(
                        name.clone(),
                        exception("absent_required_nullable", Value::Null),
                    );
                    continue;
                }
            }
            if !is_required {
                let present = depth <= 8
                    && if self.mode == Mode::Sparse {
                        // (Nullable values are present too: as null.)
                        self.is_container(prop) || self.is_nullable(prop)
                    } else {
                        self.choose(50, false, true)
                    };
                if !present {
                    self.cov.absent.insert(at.clone());
                    if let Some(default) = self.default_of(prop) {
                        expected.insert(name.clone(), exception("absent_default", default));
                    }
                    continue;
                }
                self.cov.present.insert(at.clone());
            }
            let pair = self.value(prop, &at, depth + 1);
            let target = self.target(prop);
            let optional = !own_required.contains(name.as_str());
            let nullable = self.is_nullable(prop);
            let kind = match &pair.sent {
                Value::Null if optional && nullable => Some("optional_null"),
                Value::Array(a) if optional && a.is_empty() => Some("optional_empty_list"),
                Value::Object(o)
                    if optional && o.is_empty() && target.get("properties").is_none() =>
                {
                    Some("optional_empty_map")
                }
                _ => None,
            };
            let expect = match kind {
                Some(kind) => exception(kind, pair.expected),
                None => pair.expected,
            };
            sent.insert(name.clone(), pair.sent);
            expected.insert(name.clone(), expect);
        }
        // Required names the schema does not define: any value.
        for name in required {
            if !properties.contains_key(name) {
                let v = self.any(depth + 1);
                sent.insert(name.into(), v.clone());
                expected.insert(name.into(), v);
            }
        }
        if self.choose(25, false, true) {
            self.cov.unknown_fields += 1;
            let v = self.any(depth + 1);
            let key = format!("field_added_later_{}", self.rng.below(1000));
            sent.insert(key.clone(), v.clone());
            expected.insert(key, v);
        }
        Pair {
            sent: Value::Object(sent),
            expected: Value::Object(expected),
        }
    }

    /// The default the spec gives an optional property, as encoded back.
    fn default_of(&self, prop: &Value) -> Option<Value> {
        let default = prop
            .get("default")
            .or_else(|| self.target(prop).get("default"))?;
        // An empty list default is left out when encoding, like an empty list.
        (default != &json!([])).then(|| default.clone())
    }

    /// A free-form object, or a map whose values follow `additionalProperties`.
    fn map(&mut self, schema: &Value, depth: usize) -> Pair {
        let values = schema
            .get("additionalProperties")
            .filter(|v| v.is_object() && v != &&json!({}));
        let n = if depth > 8 { 0 } else { self.rng.below(4) };
        let mut sent = Map::new();
        let mut expected = Map::new();
        for i in 0..n {
            let key = format!("key_{i}_{}", self.rng.below(100));
            let pair = match values {
                Some(v) => self.value(v, "map value", depth + 1),
                None => same(self.any(depth + 1)),
            };
            sent.insert(key.clone(), pair.sent);
            expected.insert(key, pair.expected);
        }
        Pair {
            sent: Value::Object(sent),
            expected: Value::Object(expected),
        }
    }

    fn array(&mut self, schema: &Value, place: &str, depth: usize) -> Pair {
        let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
        let max = schema["maxItems"]
            .as_u64()
            .map(|m| m as usize)
            .unwrap_or(3)
            .min(3)
            .max(min);
        let n = match self.mode {
            _ if depth > 8 => min,
            Mode::Minimal => min,
            Mode::Maximal | Mode::Sparse => max.max(1).max(min),
            Mode::Random => min + self.rng.below(max - min + 1),
        };
        let unique = schema["uniqueItems"] == json!(true);
        let mut sent = Vec::new();
        let mut expected = Vec::new();
        let at = format!("{place}[]");
        for _ in 0..n {
            let pair = self.value(&schema["items"], &at, depth + 1);
            if unique && sent.contains(&pair.sent) {
                continue;
            }
            sent.push(pair.sent);
            expected.push(pair.expected);
        }
        Pair {
            sent: Value::Array(sent),
            expected: Value::Array(expected),
        }
    }

    fn string(&mut self, schema: &Value) -> Value {
        match schema["format"].as_str() {
            Some("date-time") => {
                let secs = 1_600_000_000 + self.rng.below(300_000_000) as i64;
                let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
                // Equivalent spellings of the same instant.
                let text = match self.rng.below(4) {
                    0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    1 => t.format("%Y-%m-%dT%H:%M:%S.%3fZ").to_string(),
                    2 => t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
                    _ => t
                        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
                        .to_rfc3339(),
                };
                json!(text)
            }
            Some("date") => json!(format!(
                "20{:02}-0{}-1{}",
                10 + self.rng.below(20),
                1 + self.rng.below(9),
                self.rng.below(10)
            )),
            Some("email") => json!(format!("user{}@example.test", self.rng.below(1000))),
            Some("uri") => json!(format!("https://example.test/{}", self.rng.below(1000))),
            _ => {
                let words = [
                    "ada",
                    "lovelace",
                    "é✓",
                    "with \"quotes\"",
                    "line\nbreak",
                    "",
                    "x",
                ];
                json!(format!(
                    "{}{}",
                    words[self.rng.below(words.len())],
                    self.rng.below(100)
                ))
            }
        }
    }

    fn integer(&mut self, schema: &Value) -> Value {
        let int32 = schema["format"] == json!("int32");
        let mut lo =
            schema["minimum"]
                .as_i64()
                .unwrap_or(if int32 { i32::MIN as i64 } else { -1_000_000 });
        if schema["exclusiveMinimum"] == json!(true) {
            lo += 1;
        }
        let hi = schema["maximum"].as_i64().unwrap_or(if int32 {
            i32::MAX as i64
        } else {
            i64::MAX / 2
        });
        let span = (hi - lo) as u64;
        let v = match self.rng.below(4) {
            0 => lo,
            1 => hi,
            _ => lo + (self.rng.next() % span.max(1)) as i64,
        };
        json!(v)
    }

    fn number(&mut self, schema: &Value) -> Value {
        let lo = schema["minimum"].as_f64().unwrap_or(-1e6);
        let hi = schema["maximum"].as_f64().unwrap_or(1e12);
        let v = match self.rng.below(4) {
            // Whole numbers, sent without a fraction.
            0 => return json!((lo.max(0.0) as i64) + self.rng.below(1000) as i64),
            // A value f32 would round.
            1 => 0.1 + lo.max(0.0),
            _ => lo + (hi - lo) * (self.rng.next() as f64 / u64::MAX as f64),
        };
        json!(v.clamp(lo, hi))
    }

    /// Any JSON value, for places the spec leaves open.
    fn any(&mut self, depth: usize) -> Value {
        match self.rng.below(if depth > 8 { 5 } else { 7 }) {
            0 => Value::Null,
            1 => json!(self.rng.chance(50)),
            2 => json!(self.rng.below(1_000_000)),
            3 => json!(1.5),
            4 => json!(format!("text {}", self.rng.below(100))),
            5 => json!([self.any(depth + 1), self.any(depth + 1)]),
            _ => json!({ "nested": self.any(depth + 1) }),
        }
    }
}

/// Marks an expected value that the encoded reply may leave out, under the
/// listed exception `name`.
fn exception(name: &'static str, value: Value) -> Value {
    assert!(
        EXCEPTIONS.iter().any(|(n, _)| *n == name),
        "{name} is not listed"
    );
    json!({ MAY_BE_ABSENT: name, "value": value })
}

const MAY_BE_ABSENT: &str = "\u{0}may be absent under";

fn as_exception(v: &Value) -> Option<(&str, &Value)> {
    let name = v.get(MAY_BE_ABSENT)?.as_str()?;
    Some((name, &v["value"]))
}

fn same(v: Value) -> Pair {
    Pair {
        sent: v.clone(),
        expected: v,
    }
}

/// Compares JSON ignoring key order, number spelling and timestamp spelling;
/// returns the path of the first difference.
fn equivalent(
    expected: &Value,
    actual: &Value,
    path: &str,
    applied: &mut BTreeMap<String, usize>,
) -> Result<(), String> {
    let differ = || {
        Err(format!(
            "at {path}: expected {}, got {}",
            excerpt(expected),
            excerpt(actual)
        ))
    };
    match (expected, actual) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let at = format!("{path}/{key}");
                // Exceptions for fields that were left out when sent: the
                // encoded reply adds them.
                let added =
                    |name: &str| matches!(name, "absent_default" | "absent_required_nullable");
                match (a.get(key), b.get(key)) {
                    // Left out under an exception (or, for a default, left
                    // out as it was sent).
                    (Some(x), None)
                        if as_exception(x)
                            .is_some_and(|(n, _)| n != "absent_required_nullable") =>
                    {
                        if let Some((name, _)) = as_exception(x)
                            && !added(name)
                        {
                            *applied.entry(name.to_string()).or_default() += 1;
                        }
                    }
                    (Some(x), Some(y)) => match as_exception(x) {
                        Some((name, inner)) => {
                            if added(name) {
                                *applied.entry(name.to_string()).or_default() += 1;
                            }
                            equivalent(inner, y, &at, applied)?
                        }
                        None => equivalent(x, y, &at, applied)?,
                    },
                    (Some(_), None) => return Err(format!("at {path}/{key}: lost")),
                    (None, Some(y)) => {
                        return Err(format!("at {path}/{key}: added {}", excerpt(y)));
                    }
                    (None, None) => unreachable!(),
                }
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                equivalent(x, y, &format!("{path}/{i}"), applied)?;
            }
            Ok(())
        }
        (Value::Number(a), Value::Number(b)) => {
            // `3` and `3.0` are the same number, as long as a float can hold
            // the integer exactly (so that a lost digit is not hidden).
            let exact = |n: &serde_json::Number| {
                n.is_f64() || n.as_i64().is_some_and(|i| i.unsigned_abs() <= 1 << 53)
            };
            let same = if a.is_f64() || b.is_f64() {
                exact(a) && exact(b) && a.as_f64() == b.as_f64()
            } else {
                a == b
            };
            if same { Ok(()) } else { differ() }
        }
        (Value::String(a), Value::String(b)) if a != b => {
            match (
                chrono::DateTime::parse_from_rfc3339(a),
                chrono::DateTime::parse_from_rfc3339(b),
            ) {
                (Ok(x), Ok(y)) if x == y => Ok(()),
                _ => differ(),
            }
        }
        _ if expected == actual => Ok(()),
        _ => differ(),
    }
}

fn excerpt(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// The spec's operations by id: their JSON success schemas.
fn success_schemas(spec: &Value) -> BTreeMap<String, Vec<(String, Value)>> {
    let mut out = BTreeMap::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let Some(id) = op["operationId"].as_str() else {
                continue;
            };
            let mut schemas = Vec::new();
            for (code, response) in op["responses"].as_object().into_iter().flatten() {
                if !code.starts_with('2') {
                    continue;
                }
                let response = match response["$ref"].as_str() {
                    Some(r) => {
                        &spec["components"]["responses"]
                            [r.trim_start_matches("#/components/responses/")]
                    }
                    None => response,
                };
                if let Some(schema) = response.pointer("/content/application~1json/schema") {
                    schemas.push((code.clone(), schema.clone()));
                }
            }
            out.insert(id.to_string(), schemas);
        }
    }
    out
}

#[test]
fn every_reply_survives_decoding_and_encoding() {
    let spec = bundle::bundle(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/openapi/bapi"
    )))
    .unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let by_id = success_schemas(&spec);
    let seed = std::env::var("ROUND_TRIP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);

    let mut cov = Coverage::default();
    let mut failures: Vec<String> = Vec::new();
    let mut failed_ops = BTreeSet::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    // Exceptions that made a difference, by name.
    let mut applied: BTreeMap<String, usize> = BTreeMap::new();
    // ROUND_TRIP_SHOW=<operation id> prints each reply of that operation.
    let show = std::env::var("ROUND_TRIP_SHOW").ok();
    let (mut operations, mut cases, mut bodiless) = (0, 0, 0);
    for (op_index, (id, decode, type_name)) in REPLIES.iter().enumerate() {
        let success = by_id
            .get(*id)
            .unwrap_or_else(|| panic!("{id} is generated but not in the spec"));
        if success.is_empty() {
            assert_eq!(*type_name, "()", "{id} has no JSON reply but decodes one");
            bodiless += 1;
            continue;
        }
        operations += 1;
        for (code, schema) in success {
            for case in 0..CASES {
                let mode = match case {
                    0 => Mode::Minimal,
                    1..=3 => Mode::Maximal,
                    4..=6 => Mode::Sparse,
                    _ => Mode::Random,
                };
                let mut generator = Gen {
                    schemas,
                    rng: Rng(seed ^ ((op_index as u64) << 32) ^ case as u64),
                    mode,
                    cov: &mut cov,
                    variant: false,
                };
                let pair = generator.value(schema, &format!("{id} {code}"), 0);
                cases += 1;
                let outcome = decode(pair.sent.clone()).and_then(|again| {
                    if show.as_deref() == Some(*id) {
                        println!(
                            "{id} case {case}\n sent     {}\n expected {}\n again    {}",
                            pair.sent, pair.expected, again
                        );
                    }
                    equivalent(&pair.expected, &again, "", &mut applied)
                });
                if let Err(e) = outcome {
                    failed_ops.insert(*id);
                    failures.push(format!(
                        "{id} ({type_name}), case {case}, seed {seed}: {e}\n  sent: {}",
                        excerpt(&pair.sent)
                    ));
                    // One line per kind of difference, whatever the item index.
                    let kind: String = e
                        .split('/')
                        .map(|part| match part.rsplit_once('_') {
                            _ if part.parse::<usize>().is_ok() => "N".to_string(),
                            Some((stem, n))
                                if stem.ends_with("added_later") && n.parse::<usize>().is_ok() =>
                            {
                                format!("{stem}_N")
                            }
                            _ => part.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join("/");
                    *kinds
                        .entry(format!("{id}: {}", excerpt(&json!(kind))))
                        .or_default() += 1;
                }
            }
        }
    }

    let variants_missed: Vec<String> = cov
        .unions
        .iter()
        .flat_map(|(place, &n)| (0..n).map(move |i| (place.clone(), i)))
        .filter(|key| !cov.variants.contains(key))
        .map(|(place, i)| format!("{place} variant {i}"))
        .collect();
    let never_absent: Vec<&String> = cov.present.difference(&cov.absent).collect();
    let never_present: Vec<&String> = cov.absent.difference(&cov.present).collect();
    let never_null: Vec<&String> = cov.not_null.difference(&cov.null).collect();
    let never_not_null: Vec<&String> = cov.null.difference(&cov.not_null).collect();
    println!(
        "round trip: {operations} operations with a JSON reply ({bodiless} without), {cases} \
         replies, {} failing in {} operations, {} fields left out under an exception",
        failures.len(),
        failed_ops.len(),
        applied.values().sum::<usize>()
    );
    println!(
        "coverage: {} union places, {} variants (unknown kinds {}); {} optional places both \
         present and absent; {} nullable places both null and not; {} unknown fields, {} \
         unknown enum values",
        cov.unions.len(),
        cov.variants.len(),
        cov.unknown_kinds,
        cov.present.intersection(&cov.absent).count(),
        cov.null.intersection(&cov.not_null).count(),
        cov.unknown_fields,
        cov.unknown_enum_values
    );
    for (name, reason) in EXCEPTIONS {
        println!(
            "exception {name}: applied {} times ({reason})",
            applied.get(*name).copied().unwrap_or(0)
        );
    }
    for (kind, n) in &kinds {
        println!("{n:>5} × {kind}");
    }
    assert!(
        failures.is_empty(),
        "{} replies lost or changed data ({} kinds, listed above), first:\n{}",
        failures.len(),
        kinds.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(REPLIES.len(), operations + bodiless);
    assert!(
        variants_missed.is_empty(),
        "never generated: {variants_missed:?}"
    );
    assert!(never_absent.is_empty(), "never absent: {never_absent:?}");
    assert!(never_present.is_empty(), "never present: {never_present:?}");
    assert!(never_null.is_empty(), "never null: {never_null:?}");
    assert!(
        never_not_null.is_empty(),
        "never non-null: {never_not_null:?}"
    );
    assert!(cov.unknown_fields > 0 && cov.unknown_enum_values > 0 && cov.unknown_kinds > 0);
    for (name, _) in EXCEPTIONS {
        assert!(
            applied.contains_key(*name),
            "exception {name} never applied: remove it"
        );
    }
}

/// What a reply sent as `sent` may encode back to when no schema is at hand:
/// the same JSON, where a field that is `null`, `[]` or `{}` may be left out.
fn leniently(sent: &Value) -> Value {
    match sent {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let empty = v.is_null() || v == &json!([]) || v == &json!({});
                    let v = leniently(v);
                    (
                        k.clone(),
                        if empty {
                            exception("optional_null", v)
                        } else {
                            v
                        },
                    )
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(leniently).collect()),
        other => other.clone(),
    }
}

fn reply_of(id: &str) -> RoundTrip {
    REPLIES
        .iter()
        .find(|(op, ..)| *op == id)
        .map(|(_, f, _)| *f)
        .unwrap_or_else(|| panic!("no reply type for {id}"))
}

/// The replies the mock synthesizes from the spec (a different generator,
/// the smallest reply each schema allows), which its stateful handlers also
/// start new resources from, survive too: every operation with a reply body.
#[test]
fn mock_replies_survive_decoding_and_encoding() {
    use clerk_backend_api::operations::OPERATIONS;
    let spec = bundle::bundle(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/openapi/bapi"
    )))
    .unwrap();
    let mut defaults = BTreeSet::new();
    property_defaults(&spec, &mut defaults);
    let (mut checked, mut without_body) = (0, Vec::new());
    for op in OPERATIONS {
        let Some(sent) = clerk_mock::synthesized_reply(op.operation_id) else {
            without_body.push(op.operation_id);
            continue;
        };
        let mut again = reply_of(op.operation_id)(sent.clone())
            .unwrap_or_else(|e| panic!("{}: {e}\n{sent}", op.operation_id));
        // The `absent_default` exception: without a schema at hand, a field
        // the reply left out may come back with a default the spec gives a
        // property of that name.
        drop_added_defaults(&sent, &mut again, &defaults);
        equivalent(&leniently(&sent), &again, "", &mut BTreeMap::new())
            .unwrap_or_else(|e| panic!("{}: {e}\n{sent}", op.operation_id));
        checked += 1;
    }
    println!("mock: {checked} synthesized replies checked; without a reply body: {without_body:?}");
    assert!(checked >= 200, "only {checked} replies checked");
}

/// Every (property name, default) pair of the spec, as JSON text.
fn property_defaults(node: &Value, out: &mut BTreeSet<(String, String)>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                for (name, prop) in props {
                    if let Some(default) = prop.get("default") {
                        out.insert((name.clone(), default.to_string()));
                    }
                }
            }
            map.values().for_each(|v| property_defaults(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| property_defaults(v, out)),
        _ => {}
    }
}

/// Removes from `encoded` the fields `sent` did not have whose value is a
/// default the spec gives a property of that name.
fn drop_added_defaults(sent: &Value, encoded: &mut Value, defaults: &BTreeSet<(String, String)>) {
    match (sent, encoded) {
        (Value::Object(a), Value::Object(b)) => {
            b.retain(|k, v| a.contains_key(k) || !defaults.contains(&(k.clone(), v.to_string())));
            for (k, v) in b.iter_mut() {
                if let Some(x) = a.get(k) {
                    drop_added_defaults(x, v, defaults);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (x, y) in a.iter().zip(b.iter_mut()) {
                drop_added_defaults(x, y, defaults);
            }
        }
        _ => {}
    }
}

/// The `data` of the webhook fixtures (Svix-signed samples shaped like
/// Clerk's events) decodes into the API's own types and encodes back.
#[test]
fn webhook_fixture_data_survives_the_api_types() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/webhooks/events"
    );
    let mut checked = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("data-mismatch") {
            // Its data is wrong on purpose (a webhook test of decode errors).
            continue;
        }
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let data = &event["data"];
        let round_trip: RoundTrip = match (data["object"].as_str(), data["deleted"].as_bool()) {
            (Some(_), Some(true)) => round_trip::<clerk_backend_api::types::DeletedObject>,
            (Some("user"), _) => round_trip::<clerk_backend_api::types::User>,
            (Some("organization"), _) => round_trip::<clerk_backend_api::types::Organization>,
            (Some("organization_membership"), _) => {
                round_trip::<clerk_backend_api::types::OrganizationMembership>
            }
            (Some("organization_domain"), _) => {
                round_trip::<clerk_backend_api::types::OrganizationDomain>
            }
            (Some("permission"), _) => round_trip::<clerk_backend_api::types::Permission>,
            (Some("role"), _) => round_trip::<clerk_backend_api::types::Role>,
            (Some("session"), _) => round_trip::<clerk_backend_api::types::Session>,
            (Some("waitlist_entry"), _) => round_trip::<clerk_backend_api::types::WaitlistEntry>,
            // Billing events and messages have shapes of their own.
            _ => continue,
        };
        let again = round_trip(data.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        equivalent(&leniently(data), &again, "", &mut BTreeMap::new())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        checked.push(name);
    }
    println!("webhook fixtures checked: {checked:?}");
    assert!(checked.len() >= 20, "{checked:?}");
}
