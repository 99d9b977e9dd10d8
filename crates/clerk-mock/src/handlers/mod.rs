//! Stateful operations, one module per resource. Every other operation gets a synthesized
//! answer (see `synth.rs`).

pub(crate) mod actor_tokens;
pub(crate) mod api_keys;
pub(crate) mod clients;
pub(crate) mod exists;
pub(crate) mod filters;
pub(crate) mod frontend;
pub(crate) mod handshake_payload;
pub(crate) mod identifiers;
pub(crate) mod invitations;
pub(crate) mod jwks;
pub(crate) mod jwt_templates;
pub(crate) mod lists;
pub(crate) mod m2m;
pub(crate) mod machine_auth;
pub(crate) mod machines;
pub(crate) mod managed;
pub(crate) mod oauth;
pub(crate) mod oauth_flow;
pub(crate) mod organizations;
pub(crate) mod session_refresh;
pub(crate) mod sessions;
pub(crate) mod tickets;
pub(crate) mod tokens;
pub(crate) mod users;

use crate::error::ApiError;
use crate::ids::now_ms;
use crate::request::Req;
use crate::server::Env;
use crate::store::{OrderBy, Store};
use crate::webhooks::Event;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// A stateful operation: reads the checked request, updates the store, answers.
pub(crate) type Handler = fn(&mut Ctx<'_>, &Req) -> Result<Reply, ApiError>;

/// What a handler works with besides the request.
pub(crate) struct Ctx<'a> {
    pub store: &'a mut Store,
    pub env: &'a Env,
    user_agent: &'a str,
    webhooks: bool,
    events: Vec<Event>,
}

impl<'a> Ctx<'a> {
    pub fn new(store: &'a mut Store, env: &'a Env, user_agent: &'a str, webhooks: bool) -> Self {
        Ctx {
            store,
            env,
            user_agent,
            webhooks,
            events: Vec::new(),
        }
    }

    /// A new id with Clerk's prefix for the kind.
    pub fn id(&self, prefix: &str) -> String {
        self.env.ids.next(prefix)
    }

    /// Queues a webhook event; `data` is only built when webhooks are configured.
    pub fn emit(&mut self, kind: &'static str, data: impl FnOnce(&Store) -> Value) {
        if self.webhooks {
            let data = data(self.store);
            self.events.push(Event {
                kind,
                data,
                user_agent: self.user_agent.to_string(),
            });
        }
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

/// The `order_by` parameter, checked against the fields a listing can sort by.
pub(crate) fn order_by(req: &Req, allowed: &[&str], default: &str) -> Result<OrderBy, ApiError> {
    let order = OrderBy::parse(req.query("order_by").unwrap_or(default));
    if !allowed.contains(&order.field.as_str()) {
        return Err(ApiError::param_value(
            "order_by",
            &format!(
                "must name one of {} (with an optional + or - prefix)",
                allowed.join(", ")
            ),
        ));
    }
    Ok(order)
}

/// Parses an RFC 3339 date-time (`2024-05-01T10:00:00Z`, `...+02:00`, fractions allowed) into
/// milliseconds since the epoch.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> { text.get(range)?.parse().ok() };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0i64;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = padded.parse().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.get(3..4) == Some(":") =>
        {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest.get(1..3)?.parse::<i64>().ok()? * 60
                + rest.get(4..6)?.parse::<i64>().ok()?)
        }
        _ => return None,
    };
    // Days from the civil date (proleptic Gregorian), after Howard Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// A date-time body field given as RFC 3339 text, in milliseconds.
pub(crate) fn time_field(req: &Req, name: &str) -> Result<Option<i64>, ApiError> {
    match req.str_field(name) {
        None => Ok(None),
        Some(text) => parse_rfc3339(text).map(Some).ok_or_else(|| {
            ApiError::param_format(
                name,
                "a date-time in RFC 3339 format (e.g. 2024-05-01T10:00:00Z)",
            )
        }),
    }
}

/// True for text shaped like an email address (`local@domain.tld`, no spaces).
pub(crate) fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

/// True for an E.164 phone number: `+` and 7 to 15 digits.
pub(crate) fn looks_like_phone(text: &str) -> bool {
    text.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// A handler's answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub html: Option<&'static str>,
    pub cookie: Option<String>,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Self {
        Reply::json(StatusCode::OK, body)
    }

    pub fn json(status: StatusCode, body: Value) -> Self {
        Reply {
            status,
            body: Some(body),
            html: None,
            cookie: None,
        }
    }

    pub fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            body: None,
            html: None,
            cookie: None,
        }
    }

    pub fn html(markup: &'static str) -> Self {
        Reply {
            status: StatusCode::OK,
            body: None,
            html: Some(markup),
            cookie: None,
        }
    }
}

/// The answer to a deletion.
pub(crate) fn deleted(object: &str, id: &str) -> Value {
    json!({ "object": object, "id": id, "deleted": true })
}

/// `{data, total_count}` for one page of `rows`.
pub(crate) fn paginated(rows: Vec<Value>, limit: usize, offset: usize) -> Value {
    let total = rows.len();
    let data: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    json!({ "data": data, "total_count": total })
}

/// One page of `rows` as a bare array.
pub(crate) fn page_array(rows: Vec<Value>, limit: usize, offset: usize) -> Value {
    Value::Array(rows.into_iter().skip(offset).take(limit).collect())
}

/// Milliseconds now.
pub(crate) fn now() -> i64 {
    now_ms()
}

/// A metadata field from the body, which must be an object (null and absent give `{}`).
pub(crate) fn metadata(req: &Req, name: &str) -> Value {
    match req.field(name) {
        Some(v @ Value::Object(_)) => v.clone(),
        _ => json!({}),
    }
}

/// Stateful handlers by operation id.
static HANDLERS: &[(&str, Handler)] = &[
    // Users.
    ("GetUserList", users::list),
    ("GetUsersCount", users::count),
    ("CreateUser", users::create),
    ("GetUser", users::get),
    ("UpdateUser", users::update),
    ("DeleteUser", users::delete),
    ("BanUser", users::ban),
    ("UnbanUser", users::unban),
    ("UsersBan", users::ban_many),
    ("UsersUnban", users::unban_many),
    ("LockUser", users::lock),
    ("UnlockUser", users::unlock),
    ("UpdateUserMetadata", users::merge_metadata),
    ("ReplaceUserMetadata", users::replace_metadata),
    ("SetUserProfileImage", users::set_profile_image),
    ("DeleteUserProfileImage", users::delete_profile_image),
    ("VerifyPassword", users::verify_password),
    ("RemoveUserPassword", users::remove_password),
    (
        "UsersGetOrganizationMemberships",
        organizations::user_memberships,
    ),
    (
        "UsersGetOrganizationInvitations",
        organizations::user_invitations,
    ),
    // Email addresses and phone numbers.
    ("CreateEmailAddress", identifiers::create_email),
    ("GetEmailAddress", identifiers::get),
    ("UpdateEmailAddress", identifiers::update),
    ("DeleteEmailAddress", identifiers::delete),
    ("ReplaceUserEmailAddress", identifiers::replace_email),
    ("CreatePhoneNumber", identifiers::create_phone),
    ("GetPhoneNumber", identifiers::get),
    ("UpdatePhoneNumber", identifiers::update),
    ("DeletePhoneNumber", identifiers::delete),
    ("ReplaceUserPhoneNumber", identifiers::replace_phone),
    // Sessions and tokens.
    ("GetSessionList", sessions::list),
    ("createSession", sessions::create),
    ("GetSession", sessions::get),
    ("RevokeSession", sessions::revoke),
    ("RefreshSession", session_refresh::refresh),
    ("CreateSessionToken", sessions::token),
    (
        "CreateSessionTokenFromTemplate",
        jwt_templates::session_token,
    ),
    ("CreateActorToken", actor_tokens::create),
    ("RevokeActorToken", actor_tokens::revoke),
    ("CreateSignInToken", tokens::create_sign_in_token),
    ("RevokeSignInToken", tokens::revoke_sign_in_token),
    ("CreateTestingToken", tokens::create_testing_token),
    ("GetJWKS", jwks::get),
    // Organizations.
    ("ListOrganizations", organizations::list),
    ("CreateOrganization", organizations::create),
    ("GetOrganization", organizations::get),
    ("UpdateOrganization", organizations::update),
    ("DeleteOrganization", organizations::delete),
    ("MergeOrganizationMetadata", organizations::merge_metadata),
    (
        "ReplaceOrganizationMetadata",
        organizations::replace_metadata,
    ),
    ("UploadOrganizationLogo", organizations::upload_logo),
    ("DeleteOrganizationLogo", organizations::delete_logo),
    (
        "CreateOrganizationMembership",
        organizations::create_membership,
    ),
    (
        "ListOrganizationMemberships",
        organizations::list_memberships,
    ),
    (
        "UpdateOrganizationMembership",
        organizations::update_membership,
    ),
    (
        "DeleteOrganizationMembership",
        organizations::delete_membership,
    ),
    (
        "UpdateOrganizationMembershipMetadata",
        organizations::membership_metadata,
    ),
    (
        "InstanceGetOrganizationMemberships",
        organizations::instance_memberships,
    ),
    (
        "CreateOrganizationInvitation",
        organizations::create_invitation,
    ),
    (
        "CreateOrganizationInvitationBulk",
        organizations::create_invitations_bulk,
    ),
    (
        "ListOrganizationInvitations",
        organizations::list_invitations,
    ),
    (
        "ListPendingOrganizationInvitations",
        organizations::list_pending_invitations,
    ),
    ("GetOrganizationInvitation", organizations::get_invitation),
    (
        "RevokeOrganizationInvitation",
        organizations::revoke_invitation,
    ),
    (
        "ListInstanceOrganizationInvitations",
        organizations::instance_invitations,
    ),
    // Allow-list, block-list, invitations.
    ("ListAllowlistIdentifiers", lists::list_allowlist),
    ("CreateAllowlistIdentifier", lists::create_allowlist),
    ("DeleteAllowlistIdentifier", lists::delete_allowlist),
    ("ListBlocklistIdentifiers", lists::list_blocklist),
    ("CreateBlocklistIdentifier", lists::create_blocklist),
    ("DeleteBlocklistIdentifier", lists::delete_blocklist),
    ("CreateInvitation", invitations::create),
    ("CreateBulkInvitations", invitations::create_bulk),
    ("ListInvitations", invitations::list),
    ("RevokeInvitation", invitations::revoke),
    // Machine authentication: API keys, machines, M2M tokens, OAuth applications.
    ("createApiKey", api_keys::create),
    ("getApiKeys", api_keys::list),
    ("getApiKey", api_keys::get),
    ("updateApiKey", api_keys::update),
    ("deleteApiKey", api_keys::delete),
    ("getApiKeySecret", api_keys::secret),
    ("revokeApiKey", api_keys::revoke),
    ("verifyApiKey", api_keys::verify),
    ("ListMachines", machines::list),
    ("CreateMachine", machines::create),
    ("GetMachine", machines::get),
    ("UpdateMachine", machines::update),
    ("DeleteMachine", machines::delete),
    ("GetMachineSecretKey", machines::secret_key),
    ("RotateMachineSecretKey", machines::rotate_secret_key),
    ("CreateMachineScope", machines::create_scope),
    ("DeleteMachineScope", machines::delete_scope),
    ("createM2MToken", m2m::create),
    ("getM2MTokens", m2m::list),
    ("revokeM2MToken", m2m::revoke),
    ("verifyM2MToken", m2m::verify),
    ("ListOAuthApplications", oauth::list),
    ("CreateOAuthApplication", oauth::create),
    ("GetOAuthApplication", oauth::get),
    ("UpdateOAuthApplication", oauth::update),
    ("DeleteOAuthApplication", oauth::delete),
    ("UploadOAuthApplicationLogo", oauth::upload_logo),
    ("RotateOAuthApplicationSecret", oauth::rotate_secret),
    ("RevokeOAuthApplicationToken", oauth::revoke_token),
    ("verifyOAuthAccessToken", oauth::verify),
    // Clients and JWT templates.
    ("GetClientList", clients::list),
    ("GetClient", clients::get),
    ("VerifyClient", clients::verify),
    ("ListJWTTemplates", jwt_templates::list),
    ("CreateJWTTemplate", jwt_templates::create),
    ("GetJWTTemplate", jwt_templates::get),
    ("UpdateJWTTemplate", jwt_templates::update),
    ("DeleteJWTTemplate", jwt_templates::delete),
];

/// True for the operations a machine's secret key may call instead of the instance's key.
pub(crate) fn takes_machine_key(operation_id: &str) -> bool {
    m2m::MACHINE_KEY_OPERATIONS.contains(&operation_id)
}

/// The stateful handler of an operation, if it has one.
pub(crate) fn lookup(operation_id: &str) -> Option<Handler> {
    HANDLERS
        .iter()
        .chain(managed::HANDLERS)
        .find(|(id, _)| *id == operation_id)
        .map(|(_, h)| *h)
}

/// Ids of the operations that keep state.
pub(crate) fn stateful_ids() -> impl Iterator<Item = &'static str> {
    HANDLERS.iter().chain(managed::HANDLERS).map(|(id, _)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parses_to_epoch_millis() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2024-02-29T12:30:15.5Z"),
            Some(1_709_209_815_500)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T14:30:15+02:00"),
            Some(1_709_209_815_000)
        );
        assert_eq!(parse_rfc3339("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        // Multi-byte characters where digits or separators belong: rejected, not a panic.
        assert_eq!(parse_rfc3339("2024-02-29T14:30:15+0é:0"), None);
        assert_eq!(parse_rfc3339("2024-02-29T14:30:1é+02:00"), None);
    }

    #[test]
    fn identifier_shapes() {
        assert!(looks_like_email("a.b@example.com"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("a b@example.com"));
        assert!(looks_like_phone("+15555550100"));
        assert!(!looks_like_phone("5555550100"));
    }
}
