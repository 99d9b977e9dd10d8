//! Reading a request: authentication, query parameters and body, each checked against the
//! operation's description before any handler runs. Problems become Clerk-shaped errors.

use crate::error::ApiError;
use crate::spec::{self, Body, Operation, ParamType, Shape};
use crate::validate;
use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

/// A request that passed the checks of its operation.
#[derive(Debug)]
pub(crate) struct Req {
    pub op: &'static Operation,
    /// Path parameters, percent-decoded.
    pub path: Vec<(String, String)>,
    /// Query parameters with `[]` suffixes removed, in the order sent.
    pub query: Vec<(String, String)>,
    /// The JSON body; an empty object when none was sent.
    pub body: Value,
    pub user_agent: String,
    /// The bearer token when the caller used a machine secret key instead of the instance's
    /// secret key (only operations that take one get here; the handler checks the key).
    pub machine_key: Option<String>,
}

impl Req {
    /// The value of a path parameter (empty when the operation has no such parameter).
    pub fn path_param(&self, name: &str) -> &str {
        self.path
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a (repeatable) query parameter.
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// An integer query parameter (already checked to parse).
    pub fn query_i64(&self, name: &str) -> Option<i64> {
        self.query(name).and_then(|v| v.parse().ok())
    }

    /// A boolean query parameter (already checked to parse).
    pub fn query_bool(&self, name: &str) -> Option<bool> {
        self.query(name).and_then(parse_bool)
    }

    /// `limit` and `offset`, with Clerk's defaults (10 and 0).
    pub fn page(&self) -> (usize, usize) {
        let limit = self.query_i64("limit").unwrap_or(10).clamp(1, 500) as usize;
        let offset = self.query_i64("offset").unwrap_or(0).max(0) as usize;
        (limit, offset)
    }

    /// A body field, treating JSON null as absent.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.body.get(name).filter(|v| !v.is_null())
    }

    /// A string body field.
    pub fn str_field(&self, name: &str) -> Option<&str> {
        self.field(name).and_then(Value::as_str)
    }

    /// A boolean body field.
    pub fn bool_field(&self, name: &str) -> Option<bool> {
        self.field(name).and_then(Value::as_bool)
    }

    /// An integer body field.
    pub fn i64_field(&self, name: &str) -> Option<i64> {
        self.field(name).and_then(Value::as_i64)
    }

    /// A required string body field (the schema check makes it present for most operations).
    pub fn required_str(&self, name: &str) -> Result<&str, ApiError> {
        self.str_field(name)
            .ok_or_else(|| ApiError::param_missing(name))
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Checks the `Authorization` header of an operation: the instance's secret key (`Ok(None)`),
/// or, when `machine_keys` is true, a machine secret key (`ak_...`, returned for the handler to
/// look up).
pub(crate) fn authenticate_caller(
    headers: &HeaderMap,
    secret_key: &str,
    machine_keys: bool,
) -> Result<Option<String>, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = value
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(ApiError::header_format)?;
    if token == secret_key {
        Ok(None)
    } else if machine_keys && token.starts_with("ak_") {
        Ok(Some(token.to_string()))
    } else {
        Err(ApiError::secret_key_invalid())
    }
}

/// Parses and checks the query string of `op`.
pub(crate) fn parse_query(
    op: &Operation,
    raw: Option<&str>,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        // Some clients send lists as `name[]=a&name[]=b`.
        let name = key.strip_suffix("[]").unwrap_or(&key).to_string();
        if name.is_empty() {
            continue;
        }
        pairs.push((name, value.into_owned()));
    }
    for (i, (name, value)) in pairs.iter().enumerate() {
        let Some(param) = op.query.iter().find(|p| p.name == name) else {
            if crate::handlers::session_refresh::undocumented_query(op.id, name) {
                continue;
            }
            return Err(ApiError::param_unknown(name));
        };
        // Only list parameters may be repeated; of several `order_by`, the first counts, as
        // Clerk documents.
        if param.shape == Shape::Single
            && name != "order_by"
            && pairs[..i].iter().any(|(k, _)| k == name)
        {
            return Err(ApiError::param_duplicate(name));
        }
        check_query_value(param, name, value)?;
    }
    for param in op.query.iter().filter(|p| p.required) {
        if !pairs.iter().any(|(k, _)| k == param.name) {
            return Err(ApiError::query_param_missing(param.name));
        }
    }
    Ok(pairs)
}

fn check_query_value(param: &spec::QueryParam, name: &str, value: &str) -> Result<(), ApiError> {
    match param.ty {
        ParamType::Integer => {
            let n: i64 = value
                .parse()
                .map_err(|_| ApiError::param_format(name, "an integer"))?;
            if let Some(min) = param.minimum
                && n < min
            {
                return Err(ApiError::param_value(
                    name,
                    &format!("must be at least {min}"),
                ));
            }
            if let Some(max) = param.maximum
                && n > max
            {
                return Err(ApiError::param_too_large(name, max));
            }
        }
        ParamType::Number => {
            value
                .parse::<f64>()
                .map_err(|_| ApiError::param_format(name, "a number"))?;
        }
        ParamType::Boolean => {
            parse_bool(value).ok_or_else(|| ApiError::param_format(name, "true or false"))?;
        }
        ParamType::String => {}
    }
    if !param.values.is_empty() && !param.values.contains(&value) {
        return Err(ApiError::param_value(
            name,
            &format!("must be one of {}", param.values.join(", ")),
        ));
    }
    Ok(())
}

/// Reads and checks the body of `op` (`bytes` already bounded by the size limit).
pub(crate) fn parse_body(
    op_index: usize,
    op: &Operation,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Result<Value, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let media = content_type.split(';').next().unwrap_or("").trim();
    match op.body {
        Body::None => Ok(Value::Object(Map::new())),
        Body::Multipart { required_parts } => {
            if bytes.is_empty() {
                let part = required_parts.first().copied().unwrap_or("file");
                return Err(
                    ApiError::param_missing(part).with_status(axum::http::StatusCode::BAD_REQUEST)
                );
            }
            if media != "multipart/form-data" {
                return Err(ApiError::content_type(media, "multipart/form-data"));
            }
            for part in required_parts {
                let marker = format!("name=\"{part}\"");
                if !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                    return Err(ApiError::param_missing(part)
                        .with_status(axum::http::StatusCode::BAD_REQUEST));
                }
            }
            Ok(Value::Object(Map::new()))
        }
        Body::Json { .. } => {
            let body = if bytes.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Map::new())
            } else {
                if media != "application/json" && !media.ends_with("+json") {
                    return Err(ApiError::content_type(
                        if media.is_empty() { "(none)" } else { media },
                        "application/json",
                    ));
                }
                serde_json::from_slice(bytes).map_err(|e| ApiError::body_invalid(&e.to_string()))?
            };
            if let Some(schema) = spec::body_schema(op_index) {
                // An absent body checks like an empty object, so required fields are reported
                // as missing; a schema that wants a list reports the body itself as missing.
                let wants_list = schema.get("type").and_then(Value::as_str) == Some("array");
                if wants_list && body.as_object().is_some_and(Map::is_empty) {
                    return Err(ApiError::param_missing("request body"));
                }
                validate::check(schema, &body, "")?;
            }
            Ok(body)
        }
    }
}
