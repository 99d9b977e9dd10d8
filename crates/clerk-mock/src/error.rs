//! Errors in the shape Clerk answers them:
//! `{"errors":[{"code","message","long_message","meta"}],"clerk_trace_id"}`.
//!
//! Codes and status codes follow Clerk's published list of Backend API errors; the messages
//! are the mock's own wording.

use axum::http::StatusCode;
use serde_json::{Value, json};

/// One failed request, turned into a JSON answer by the router.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub long_message: String,
    pub meta: Value,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        long: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            long_message: long.into(),
            meta: json!({}),
        }
    }

    /// Adds `meta.param_name`, naming the offending parameter.
    pub fn param(mut self, name: &str) -> Self {
        self.meta = json!({ "param_name": name });
        self
    }

    /// The same error answered with another status code.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The JSON body, with the given trace id.
    pub fn body(&self, trace_id: &str) -> Value {
        json!({
            "errors": [{
                "code": self.code,
                "message": self.message,
                "long_message": self.long_message,
                "meta": self.meta,
            }],
            "clerk_trace_id": trace_id,
        })
    }

    // Authentication.

    pub fn header_format() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authorization_header_format_invalid",
            "Invalid Authorization header format",
            "The Authorization header must read 'Bearer <secret key>'.",
        )
    }

    pub fn secret_key_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "clerk_key_invalid",
            "The secret key is not valid for this instance",
            "The secret key in the Authorization header does not belong to this instance. Check which key the client uses.",
        )
    }

    // Resources.

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            format!("There is no {what} with id '{id}'."),
        )
    }

    pub fn route_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            "No resource answers at this path and method.",
        )
    }

    // Request shape.

    pub fn body_invalid(detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "request_body_invalid",
            "Request body invalid",
            format!("The request body could not be read as JSON: {detail}."),
        )
    }

    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_body_too_large",
            "Request body too large",
            format!("The request body is larger than the {limit} bytes this server accepts."),
        )
    }

    pub fn content_type(actual: &str, expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            "Content-Type is unsupported",
            format!("Content-Type '{actual}' cannot be used here; send {expected}."),
        )
    }

    pub fn malformed_parameters(detail: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_request_parameters",
            "Malformed request parameters",
            format!("The request parameters could not be parsed: {detail}."),
        )
    }

    pub fn query_param_missing(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "missing_query_parameter",
            "Missing query parameter",
            format!("The query parameter '{name}' is required for this request."),
        )
        .param(name)
    }

    // Parameters (Clerk reports these with 422).

    pub fn param_missing(name: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_missing",
            "is missing",
            format!("{name} is required and was not given."),
        )
        .param(name)
    }

    pub fn param_unknown(name: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_unknown",
            "is unknown",
            format!("{name} is not a parameter of this request."),
        )
        .param(name)
    }

    pub fn param_duplicate(name: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_duplicate",
            "is duplicate",
            format!("{name} was given more than once; it takes a single value."),
        )
        .param(name)
    }

    pub fn param_type(name: &str, received: &str, expected: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_value_invalid",
            "is invalid",
            format!("{name} has the wrong type: got {received}, expected {expected}."),
        )
        .param(name)
    }

    pub fn param_format(name: &str, expected: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_format_invalid",
            "is invalid",
            format!("{name} must be {expected}."),
        )
        .param(name)
    }

    pub fn param_value(name: &str, detail: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_value_invalid",
            "is invalid",
            format!("{name} {detail}."),
        )
        .param(name)
    }

    pub fn param_too_large(name: &str, maximum: i64) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_value_too_large",
            "Value too large",
            format!("{name} may be at most {maximum}."),
        )
        .param(name)
    }

    pub fn identifier_exists(name: &str, what: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_identifier_exists",
            format!("That {what} is taken"),
            format!("Another account already uses this {what}; pick a different one."),
        )
        .param(name)
    }

    pub fn resource_not_found_param(name: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_resource_not_found",
            "is missing",
            format!("Nothing was found for the given {name}."),
        )
        .param(name)
    }

    pub fn password_too_short(name: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_password_length_too_short",
            "Password too short",
            "Passwords need at least 8 characters.",
        )
        .param(name)
    }

    pub fn duplicate_record(detail: String) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "duplicate_record",
            "duplicate record",
            detail,
        )
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests",
            format!(
                "This instance sent more requests than its rate limit allows; retry in {retry_after} s (see Retry-After)."
            ),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_clerk_error",
            "Unexpected error",
            "The mock server hit an internal error while answering this request.",
        )
    }
}
