//! Typed views of a verified session token's claims.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::jwt::ClaimSet;

/// The claims of a verified session token (or of a token from a custom JWT template).
///
/// Standard and Clerk claims are typed fields; organization claims of both token versions are
/// normalized into [`organization`](Self::organization). Every claim, including the typed ones
/// and any custom claim of a JWT template, stays readable as JSON through [`get`](Self::get)
/// and [`raw`](Self::raw).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionClaims {
    /// `sub`: the user id (`user_…`).
    pub sub: String,
    /// `sid`: the session id (`sess_…`); absent in some JWT-template tokens.
    pub sid: Option<String>,
    /// `iss`: the instance's Frontend API URL.
    pub iss: Option<String>,
    /// `azp`: the origin that asked for the token.
    pub azp: Option<String>,
    /// `exp`: expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// `nbf`: start of validity, seconds since the Unix epoch.
    pub nbf: Option<i64>,
    /// `iat`: issue time, seconds since the Unix epoch.
    pub iat: Option<i64>,
    /// `sts`: the session status (e.g. `active`, `pending`), kept as sent.
    pub sts: Option<String>,
    /// `fva`: minutes since the first and the second factor were last verified.
    pub fva: Option<FactorVerificationAge>,
    /// `act`: who is acting as the user during impersonation.
    pub act: Option<Actor>,
    /// Token version: the `v` claim, 1 when absent.
    pub version: u64,
    /// The active organization, from `org_*` claims (version 1) or `o` (version 2).
    pub organization: Option<OrganizationClaims>,
    /// `fea` (version 2): features, each with the scope it applies to.
    pub features: Vec<Entitlement>,
    /// `pla` (version 2): plans, each with the scope it applies to.
    pub plans: Vec<Entitlement>,
    /// Shared, so that handing out a cached verification's claims copies no JSON tree.
    raw: Arc<Map<String, Value>>,
}

impl SessionClaims {
    /// The JSON value of any claim, typed or not (e.g. a custom claim of a JWT template).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// All claims of the token as JSON, exactly as signed.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// The user id (`sub`).
    pub fn user_id(&self) -> &str {
        &self.sub
    }

    /// True when the active organization grants `permission` (e.g. `org:invoices:read`).
    pub fn has_org_permission(&self, permission: &str) -> bool {
        self.organization
            .as_ref()
            .is_some_and(|org| org.permissions.iter().any(|p| p == permission))
    }

    /// True when the active organization role is `role` (e.g. `org:admin`).
    pub fn has_org_role(&self, role: &str) -> bool {
        self.organization
            .as_ref()
            .is_some_and(|org| org.role.as_deref() == Some(role))
    }

    /// Builds the typed view from verified claims. `sub` and `exp` were checked by the caller.
    pub(crate) fn from_verified(raw: ClaimSet, sub: String, times: Times) -> Self {
        let version = raw.get("v").and_then(Value::as_u64).unwrap_or(1);
        let (organization, features, plans) = if version >= 2 {
            let features = raw
                .get("fea")
                .and_then(Value::as_str)
                .map(parse_entitlements)
                .unwrap_or_default();
            let plans = raw
                .get("pla")
                .and_then(Value::as_str)
                .map(parse_entitlements)
                .unwrap_or_default();
            let org = raw
                .get("o")
                .and_then(Value::as_object)
                .and_then(|o| OrganizationClaims::from_v2(o, &features));
            (org, features, plans)
        } else {
            (OrganizationClaims::from_v1(&raw), Vec::new(), Vec::new())
        };
        Self {
            sub,
            sid: string_claim(&raw, "sid"),
            iss: string_claim(&raw, "iss"),
            azp: string_claim(&raw, "azp"),
            exp: times.exp,
            nbf: times.nbf,
            iat: times.iat,
            sts: string_claim(&raw, "sts"),
            fva: raw.get("fva").and_then(FactorVerificationAge::from_json),
            act: raw.get("act").and_then(Actor::from_json),
            version,
            organization,
            features,
            plans,
            raw,
        }
    }
}

/// The time claims, already checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Times {
    pub exp: i64,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
}

fn string_claim(raw: &Map<String, Value>, name: &str) -> Option<String> {
    raw.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// The `fva` claim: minutes since each factor was last verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FactorVerificationAge {
    /// Minutes since the first factor was verified.
    pub first_factor_minutes: i64,
    /// Minutes since the second factor was verified; negative when the user has none.
    pub second_factor_minutes: i64,
}

impl FactorVerificationAge {
    fn from_json(value: &Value) -> Option<Self> {
        match value.as_array()?.as_slice() {
            [first, second] => Some(Self {
                first_factor_minutes: first.as_i64()?,
                second_factor_minutes: second.as_i64()?,
            }),
            _ => None,
        }
    }
}

/// The `act` claim: the actor impersonating the user.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Actor {
    /// The actor's id (`sub` of the actor payload).
    pub sub: String,
    /// Every other key of the actor payload, as given when the actor token was created.
    pub extra: Map<String, Value>,
}

impl Actor {
    fn from_json(value: &Value) -> Option<Self> {
        let mut extra = value.as_object()?.clone();
        let sub = match extra.remove("sub")? {
            Value::String(s) => s,
            _ => return None,
        };
        Some(Self { sub, extra })
    }
}

/// The active organization of a session, the same shape for both token versions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrganizationClaims {
    /// Organization id (`org_…`).
    pub id: String,
    /// The member's role, prefixed `org:` (e.g. `org:admin`).
    pub role: Option<String>,
    /// Organization slug.
    pub slug: Option<String>,
    /// Permissions the member holds, e.g. `org:invoices:read`. In version 2 tokens they are
    /// decoded from `o.per`, `o.fpm` and the organization-scoped entries of `fea`.
    pub permissions: Vec<String>,
}

impl OrganizationClaims {
    fn from_v1(raw: &Map<String, Value>) -> Option<Self> {
        let id = string_claim(raw, "org_id")?;
        let permissions = raw
            .get("org_permissions")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            id,
            role: string_claim(raw, "org_role"),
            slug: string_claim(raw, "org_slug"),
            permissions,
        })
    }

    fn from_v2(o: &Map<String, Value>, features: &[Entitlement]) -> Option<Self> {
        let id = string_claim(o, "id")?;
        let per = o.get("per").and_then(Value::as_str).unwrap_or("");
        let fpm = o.get("fpm").and_then(Value::as_str).unwrap_or("");
        Some(Self {
            id,
            role: o
                .get("rol")
                .and_then(Value::as_str)
                .filter(|r| !r.is_empty())
                .map(|r| format!("org:{r}")),
            slug: string_claim(o, "slg"),
            permissions: decode_org_permissions(per, fpm, features),
        })
    }
}

/// Expands the compact permission encoding of version 2 tokens.
///
/// `per` lists permission names; `fpm` holds one decimal number per organization-scoped
/// feature of `fea`, in order. Bit `i` (least significant first) of a feature's number grants
/// permission `i` of `per` for that feature, as `org:<feature>:<permission>`. A number that is
/// not a decimal integer grants nothing rather than failing the whole token.
pub(crate) fn decode_org_permissions(
    per: &str,
    fpm: &str,
    features: &[Entitlement],
) -> Vec<String> {
    if per.is_empty() || fpm.is_empty() {
        return Vec::new();
    }
    let permissions: Vec<&str> = per.split(',').map(str::trim).collect();
    let org_features = features.iter().filter(|f| f.scope.includes_organization());
    let mut out = Vec::new();
    for (feature, number) in org_features.zip(fpm.split(',')) {
        let Some(bits) = decimal_to_bits(number.trim()) else {
            continue;
        };
        for (bit, permission) in bits.iter().zip(&permissions) {
            if *bit {
                out.push(format!("org:{}:{permission}", feature.name));
            }
        }
    }
    out
}

/// Binary digits of a non-negative decimal integer of any length, least significant first.
fn decimal_to_bits(decimal: &str) -> Option<Vec<bool>> {
    if decimal.is_empty() || !decimal.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: Vec<u8> = decimal.bytes().map(|b| b - b'0').collect();
    let mut bits = Vec::new();
    // Long division by two, keeping the remainder, until the number is zero.
    while digits.iter().any(|&d| d != 0) {
        let mut remainder = 0;
        for digit in &mut digits {
            let value = remainder * 10 + *digit;
            *digit = value / 2;
            remainder = value % 2;
        }
        bits.push(remainder == 1);
    }
    Some(bits)
}

/// A feature or plan from the `fea`/`pla` claims, e.g. `o:reports`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entitlement {
    /// Who the entry applies to.
    pub scope: EntitlementScope,
    /// Feature or plan name.
    pub name: String,
}

/// Who a feature or plan applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntitlementScope {
    /// `o`: the active organization.
    Organization,
    /// `u`: the user.
    User,
    /// `ou` or `uo`: both.
    OrganizationAndUser,
    /// A scope this version of the crate does not know, kept as sent.
    Other(String),
}

impl EntitlementScope {
    fn parse(scope: &str) -> Self {
        match scope {
            "o" => Self::Organization,
            "u" => Self::User,
            "ou" | "uo" => Self::OrganizationAndUser,
            other => Self::Other(other.to_owned()),
        }
    }

    /// True for scopes covering the organization (`o`, `ou`, `uo`, or an unknown one naming `o`).
    pub fn includes_organization(&self) -> bool {
        match self {
            Self::Organization | Self::OrganizationAndUser => true,
            Self::User => false,
            Self::Other(s) => s.contains('o'),
        }
    }

    /// True for scopes covering the user (`u`, `ou`, `uo`, or an unknown one naming `u`).
    pub fn includes_user(&self) -> bool {
        match self {
            Self::User | Self::OrganizationAndUser => true,
            Self::Organization => false,
            Self::Other(s) => s.contains('u'),
        }
    }
}

fn parse_entitlements(list: &str) -> Vec<Entitlement> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once(':') {
            Some((scope, name)) => Entitlement {
                scope: EntitlementScope::parse(scope),
                name: name.to_owned(),
            },
            None => Entitlement {
                scope: EntitlementScope::Other(String::new()),
                name: entry.to_owned(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_to_bits_handles_long_numbers() {
        assert_eq!(decimal_to_bits("0"), Some(vec![]));
        assert_eq!(decimal_to_bits("6"), Some(vec![false, true, true]));
        // 2^70 + 1: beyond u64, still exact.
        let bits = decimal_to_bits("1180591620717411303425").expect("digits");
        assert_eq!(bits.len(), 71);
        assert!(bits[0] && bits[70] && !bits[1..70].iter().any(|b| *b));
        assert_eq!(decimal_to_bits("1a"), None);
        assert_eq!(decimal_to_bits(""), None);
    }

    #[test]
    fn permissions_follow_org_scoped_features_only() {
        let features = parse_entitlements("u:profile,o:invoices,ou:reports,o:empty");
        // invoices: bits 0 and 2 (read, delete); reports: bit 1 (write); empty: none.
        let perms = decode_org_permissions("read,write,delete", "5,2,0", &features);
        assert_eq!(
            perms,
            [
                "org:invoices:read",
                "org:invoices:delete",
                "org:reports:write"
            ]
        );
        assert!(decode_org_permissions("", "5", &features).is_empty());
        // A bad number only loses that feature's permissions.
        let perms = decode_org_permissions("read", "x,1", &features);
        assert_eq!(perms, ["org:reports:read"]);
    }
}
