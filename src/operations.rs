//! The table of every operation: its Rust method, Clerk's operation id, HTTP
//! method, path template and tag. Generated from the spec; used to name
//! tracing spans and to check that the client covers the whole API.

/// One operation of the Backend API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The method on the client, such as `get_user_list`.
    pub method_name: &'static str,
    /// Clerk's `operationId`, such as `GetUserList`.
    pub operation_id: &'static str,
    /// `GET`, `POST`, `PATCH`, `PUT` or `DELETE`.
    pub http_method: &'static str,
    /// The path template below the base URL, such as `/users/{user_id}`.
    pub path: &'static str,
    /// The resource group (the spec's first tag), such as `Users`.
    pub tag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// The operations of [`EXCLUDED_OPERATIONS`] that [`crate::uploads`]
/// implements by hand.
pub static HAND_WRITTEN: &[Operation] = &[
    Operation {
        method_name: "set_user_profile_image",
        operation_id: "SetUserProfileImage",
        http_method: "POST",
        path: "/users/{user_id}/profile_image",
        tag: "Users",
    },
    Operation {
        method_name: "upload_oauth_application_logo",
        operation_id: "UploadOAuthApplicationLogo",
        http_method: "PUT",
        path: "/oauth_applications/{oauth_application_id}/logo",
        tag: "OAuth Applications",
    },
    Operation {
        method_name: "upload_organization_logo",
        operation_id: "UploadOrganizationLogo",
        http_method: "PUT",
        path: "/organizations/{organization_id}/logo",
        tag: "Organizations",
    },
];

/// The operation whose client method is `method_name`.
pub fn find(method_name: &str) -> Option<&'static Operation> {
    OPERATIONS
        .binary_search_by(|op| op.method_name.cmp(method_name))
        .ok()
        .map(|i| &OPERATIONS[i])
        .or_else(|| HAND_WRITTEN.iter().find(|op| op.method_name == method_name))
}
