//! The server's in-memory state.
//!
//! Resources are kept as the JSON objects the API returns (so answers are copies of stored
//! values), in tables that remember insertion order for stable listing.

use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// Rows keyed by id, kept in insertion order for listing.
#[derive(Debug)]
pub(crate) struct Table<T> {
    /// Insertion sequence number of each id.
    index: HashMap<String, u64>,
    /// Rows by sequence number, so that iterating gives insertion order without sorting.
    rows: BTreeMap<u64, T>,
    next: u64,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            index: HashMap::new(),
            rows: BTreeMap::new(),
            next: 0,
        }
    }
}

impl<T> Table<T> {
    pub fn insert(&mut self, id: String, value: T) {
        if let Some(old) = self.index.remove(&id) {
            self.rows.remove(&old);
        }
        self.next += 1;
        self.index.insert(id, self.next);
        self.rows.insert(self.next, value);
    }

    pub fn get(&self, id: &str) -> Option<&T> {
        self.index.get(id).and_then(|seq| self.rows.get(seq))
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.index.get(id).and_then(|seq| self.rows.get_mut(seq))
    }

    pub fn remove(&mut self, id: &str) -> Option<T> {
        self.index.remove(id).and_then(|seq| self.rows.remove(&seq))
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Rows in insertion order.
    pub fn ordered(&self) -> Vec<&T> {
        self.rows.values().collect()
    }

    /// Rows in insertion order, as an iterator.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.rows.values()
    }

    /// Ids of all rows.
    pub fn ids(&self) -> Vec<String> {
        self.index.keys().cloned().collect()
    }

    /// Mutable rows in insertion order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.rows.values_mut()
    }
}

/// An actor or sign-in token, with what its JSON does not show.
#[derive(Debug)]
pub(crate) struct TokenRow {
    /// The `ActorToken` or `SignInToken` object.
    pub json: Value,
    pub expires_at_ms: i64,
    /// How long the session it starts lasts.
    pub session_lifetime_ms: i64,
}

/// Email addresses and phone numbers: the user owning each id, and which values are taken
/// (so that uniqueness checks do not scan every user).
#[derive(Debug, Default)]
pub(crate) struct Identifications {
    /// Identification id -> (owner's user id, lower-cased value).
    by_id: HashMap<String, (String, String)>,
    /// Lower-cased value -> owner's user id.
    by_value: HashMap<String, String>,
}

impl Identifications {
    pub fn add(&mut self, id: &str, value: &str, user_id: &str) {
        let value = value.to_lowercase();
        self.by_value.insert(value.clone(), user_id.to_string());
        self.by_id
            .insert(id.to_string(), (user_id.to_string(), value));
    }

    pub fn remove(&mut self, id: &str) {
        if let Some((_, value)) = self.by_id.remove(id) {
            self.by_value.remove(&value);
        }
    }

    /// Forgets every identification of a user.
    pub fn remove_user(&mut self, user_id: &str) {
        self.by_id.retain(|_, (owner, _)| owner != user_id);
        self.by_value.retain(|_, owner| owner != user_id);
    }

    /// The user owning an identification id.
    pub fn owner(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(|(owner, _)| owner.as_str())
    }

    /// The user owning an email address or phone number (case-insensitive).
    pub fn owner_of_value(&self, value: &str) -> Option<&str> {
        self.by_value.get(&value.to_lowercase()).map(String::as_str)
    }
}

/// Everything a server remembers.
#[derive(Debug, Default)]
pub(crate) struct Store {
    /// `User` objects, with their email addresses and phone numbers embedded.
    pub users: Table<Value>,
    /// Owners of email addresses and phone numbers.
    pub identifications: Identifications,
    /// Passwords set through the API, for `verify_password`.
    pub passwords: HashMap<String, String>,
    /// `Session` objects.
    pub sessions: Table<Value>,
    pub actor_tokens: Table<TokenRow>,
    pub sign_in_tokens: Table<TokenRow>,
    /// The token each ticket (the `token` field) stands for: its `object` kind and id.
    pub tickets: HashMap<String, (&'static str, String)>,
    /// `Organization` objects (counts are filled in when answering).
    pub organizations: Table<Value>,
    /// Memberships as stored: `{id, organization_id, user_id, role, public_metadata, private_metadata, created_at, updated_at}`.
    pub memberships: Table<Value>,
    /// `OrganizationInvitation` objects.
    pub organization_invitations: Table<Value>,
    /// `Invitation` objects.
    pub invitations: Table<Value>,
    pub allowlist: Table<Value>,
    pub blocklist: Table<Value>,
    /// API keys, machines, M2M tokens, OAuth applications and their access tokens.
    pub machine_auth: crate::handlers::machine_auth::MachineAuth,
    /// JWT templates, with their custom signing keys.
    pub jwt_templates: Table<crate::handlers::jwt_templates::TemplateRow>,
    /// Instance configuration, organization roles and domains, connections, templates,
    /// sign-ups and second factors (see `handlers/managed`).
    pub managed: crate::handlers::managed::State,
    /// Browsers' clients, handshake nonces and refresh tokens (see `handlers/frontend.rs`).
    pub frontend: crate::handlers::frontend::FrontendState,
}

/// A parsed `order_by` value: field and direction.
#[derive(Debug, Clone)]
pub(crate) struct OrderBy {
    pub field: String,
    pub descending: bool,
}

impl OrderBy {
    /// Parses `-field`, `+field` or `field` (ascending).
    pub fn parse(raw: &str) -> OrderBy {
        match raw.as_bytes().first() {
            Some(b'-') => OrderBy {
                field: raw[1..].to_string(),
                descending: true,
            },
            Some(b'+') => OrderBy {
                field: raw[1..].to_string(),
                descending: false,
            },
            _ => OrderBy {
                field: raw.to_string(),
                descending: false,
            },
        }
    }
}

/// Orders JSON values of the same field: nulls first, then numbers, then strings.
pub(crate) fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x
            .chars()
            .flat_map(char::to_lowercase)
            .cmp(y.chars().flat_map(char::to_lowercase)),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// Sorts `rows` (already in insertion order) by a key; equal keys keep insertion order, reversed
/// when descending, so that newest-first listings stay newest-first. Keys are computed once per
/// row, not once per comparison.
pub(crate) fn sort_rows<T>(rows: &mut Vec<T>, order: &OrderBy, key: impl Fn(&T) -> Value) {
    let mut keyed: Vec<(Value, T)> = rows.drain(..).map(|row| (key(&row), row)).collect();
    if order.descending {
        keyed.reverse();
        keyed.sort_by(|a, b| compare_values(&b.0, &a.0));
    } else {
        keyed.sort_by(|a, b| compare_values(&a.0, &b.0));
    }
    rows.extend(keyed.into_iter().map(|(_, row)| row));
}

/// Merges `patch` into `target` the way Clerk merges metadata: objects merge key by key,
/// `null` removes a key, anything else replaces.
pub(crate) fn deep_merge(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(target), Some(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else if value.is_object() && target.get(key).is_some_and(Value::is_object) {
                    if let Some(slot) = target.get_mut(key) {
                        deep_merge(slot, value);
                    }
                } else {
                    target.insert(key.clone(), value.clone());
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deep_merge_merges_nested_and_deletes_null() {
        let mut target = json!({ "a": 1, "nested": { "x": 1, "y": 2 }, "gone": true });
        deep_merge(
            &mut target,
            &json!({ "b": 2, "nested": { "y": null, "z": 3 }, "gone": null }),
        );
        assert_eq!(
            target,
            json!({ "a": 1, "b": 2, "nested": { "x": 1, "z": 3 } })
        );
    }

    #[test]
    fn sorting_is_stable_in_both_directions() {
        let mut rows = vec![(1, 10), (2, 10), (3, 5)];
        sort_rows(&mut rows, &OrderBy::parse("-created_at"), |r| json!(r.1));
        assert_eq!(rows, vec![(2, 10), (1, 10), (3, 5)]);
        let mut rows = vec![(1, 10), (2, 10), (3, 5)];
        sort_rows(&mut rows, &OrderBy::parse("+created_at"), |r| json!(r.1));
        assert_eq!(rows, vec![(3, 5), (1, 10), (2, 10)]);
    }

    #[test]
    fn table_keeps_insertion_order() {
        let mut t = Table::default();
        t.insert("b".into(), 1);
        t.insert("a".into(), 2);
        assert_eq!(t.ordered(), vec![&1, &2]);
        assert_eq!(t.remove("b"), Some(1));
        assert_eq!(t.ordered(), vec![&2]);
    }
}
