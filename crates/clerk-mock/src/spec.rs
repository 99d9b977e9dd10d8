//! The operation table generated from the OpenAPI description by `build.rs`.

use serde_json::Value;
use std::sync::OnceLock;

/// One operation of the Backend API.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The `operationId`, e.g. `CreateUser`.
    pub id: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template below `/v1`, with `{name}` parameters.
    pub path: &'static str,
    /// True when the operation needs no secret key.
    pub public: bool,
    /// The query parameters the operation accepts.
    pub query: &'static [QueryParam],
    /// What the operation takes as a body.
    pub body: Body,
    /// The success status code.
    pub status: u16,
    /// An example success body (JSON text), `None` when the success answer has no body.
    pub response: Option<&'static str>,
    /// The path parameter naming the resource the success answer describes.
    pub echo_id_param: Option<&'static str>,
    /// The error statuses the description lists for the operation.
    pub errors: &'static [u16],
}

impl Operation {
    /// The status Clerk answers a request it cannot take with: 422, except for operations
    /// whose description lists 400 and not 422 for bad input.
    pub fn invalid_input_status(&self) -> u16 {
        if self.errors.contains(&400) && !self.errors.contains(&422) {
            400
        } else {
            422
        }
    }
}

/// A query parameter and the values it accepts.
#[derive(Debug)]
pub(crate) struct QueryParam {
    pub name: &'static str,
    pub shape: Shape,
    pub ty: ParamType,
    pub required: bool,
    /// Allowed values, empty when any value of the type is fine.
    pub values: &'static [&'static str],
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
}

/// Whether a query parameter takes one value or a list (sent as repeated keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Single,
    Array,
}

/// The type of each value of a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamType {
    String,
    Integer,
    Number,
    Boolean,
}

/// The request body an operation takes.
#[derive(Debug)]
pub(crate) enum Body {
    None,
    Json {
        schema: &'static str,
    },
    Multipart {
        required_parts: &'static [&'static str],
    },
}

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// The request body schema of operation `index`, parsed once per process.
pub(crate) fn body_schema(index: usize) -> Option<&'static Value> {
    static PARSED: OnceLock<Vec<OnceLock<Option<Value>>>> = OnceLock::new();
    let slots = PARSED.get_or_init(|| OPERATIONS.iter().map(|_| OnceLock::new()).collect());
    let op = OPERATIONS.get(index)?;
    slots
        .get(index)?
        .get_or_init(|| match op.body {
            Body::Json { schema, .. } => serde_json::from_str(schema).ok(),
            _ => None,
        })
        .as_ref()
}

/// The operation with the given id.
pub(crate) fn find(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == id)
}
