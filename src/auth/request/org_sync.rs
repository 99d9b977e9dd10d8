//! Organization sync: URL path patterns that name the organization (or the personal account)
//! a page belongs to.
//!
//! The patterns follow the syntax of `path-to-regexp` 6, which Clerk's SDK uses, for the part
//! Clerk documents: literal text, `:name` parameters matching one path segment (optional with
//! `?`), and `(.*)` matching any rest (alone or as `:name(.*)`). Matching ignores ASCII case and
//! allows one trailing `/`. Other syntax is refused when the authenticator is built rather than
//! guessed at; a regular-expression engine is not worth its weight for it.

use crate::auth::ConfigError;

/// What a URL asks to activate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// `organization_id` given as an id (`:id`).
    OrganizationId(String),
    /// `organization_id` given as a slug (`:slug`).
    OrganizationSlug(String),
    /// The personal account.
    PersonalAccount,
}

impl Target {
    /// The `organization_id` query parameter of the handshake URL.
    pub(super) fn query_value(&self) -> &str {
        match self {
            Self::OrganizationId(v) | Self::OrganizationSlug(v) => v,
            Self::PersonalAccount => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Param {
        name: Option<String>,
        /// `/` or `.` before the parameter, part of what is optional with `?`.
        prefix: String,
        /// `(.*)`: anything, `/` included; otherwise one segment.
        any: bool,
        optional: bool,
    },
}

#[derive(Debug, Clone)]
struct Pattern {
    pieces: Vec<Piece>,
}

/// The compiled patterns.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrgMatcher {
    organization: Vec<Pattern>,
    personal: Vec<Pattern>,
}

const UNSUPPORTED: ConfigError = ConfigError::InvalidOption(
    "organization_patterns",
    "a pattern uses syntax this crate does not support: use literal text, `:name` parameters (optionally `?`) and `(.*)`",
);

impl OrgMatcher {
    pub(super) fn new(organization: &[String], personal: &[String]) -> Result<Self, ConfigError> {
        let compile = |list: &[String]| -> Result<Vec<Pattern>, ConfigError> {
            list.iter().map(|p| Pattern::parse(p)).collect()
        };
        Ok(Self {
            organization: compile(organization)?,
            personal: compile(personal)?,
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.organization.is_empty() && self.personal.is_empty()
    }

    /// The target of a URL path (percent-encoded, as it appears in the URL).
    pub(super) fn find(&self, path: &str) -> Option<Target> {
        for pattern in &self.organization {
            if let Some(params) = pattern.matches(path) {
                let get = |name: &str| {
                    params
                        .iter()
                        .find(|(n, _)| n.as_deref() == Some(name))
                        .map(|(_, v)| v.clone())
                        .filter(|v| !v.is_empty())
                };
                if let Some(id) = get("id") {
                    return Some(Target::OrganizationId(id));
                }
                if let Some(slug) = get("slug") {
                    return Some(Target::OrganizationSlug(slug));
                }
                // A match without `id` or `slug` names no organization, and a later pattern
                // of the list is not tried (`path-to-regexp` joins them into one expression,
                // whose first matching branch wins); the personal account patterns still are.
                break;
            }
        }
        self.personal
            .iter()
            .any(|p| p.matches(path).is_some())
            .then_some(Target::PersonalAccount)
    }
}

impl Pattern {
    fn parse(source: &str) -> Result<Self, ConfigError> {
        let chars: Vec<char> = source.chars().collect();
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\\' => {
                    let escaped = chars.get(i + 1).ok_or(UNSUPPORTED)?;
                    literal.push(*escaped);
                    i += 2;
                }
                ':' | '(' => {
                    let mut name = None;
                    if c == ':' {
                        let start = i + 1;
                        let mut end = start;
                        while end < chars.len()
                            && (chars[end].is_ascii_alphanumeric() || chars[end] == '_')
                        {
                            end += 1;
                        }
                        if end == start {
                            return Err(UNSUPPORTED);
                        }
                        name = Some(chars[start..end].iter().collect::<String>());
                        i = end;
                    }
                    let mut any = false;
                    if chars.get(i) == Some(&'(') {
                        let rest: String = chars[i..].iter().collect();
                        if !rest.starts_with("(.*)") {
                            return Err(UNSUPPORTED);
                        }
                        any = true;
                        i += 4;
                    }
                    let optional = match chars.get(i) {
                        Some('?') => {
                            i += 1;
                            true
                        }
                        Some('*' | '+') => return Err(UNSUPPORTED),
                        _ => false,
                    };
                    // A `/` or `.` right before a parameter belongs to it.
                    let prefix = match literal.chars().last() {
                        Some(p @ ('/' | '.')) => {
                            literal.pop();
                            p.to_string()
                        }
                        _ => String::new(),
                    };
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    } else if prefix.is_empty()
                        && matches!(pieces.last(), Some(Piece::Param { .. }))
                    {
                        // Two parameters need text between them.
                        return Err(UNSUPPORTED);
                    }
                    pieces.push(Piece::Param {
                        name,
                        prefix,
                        any,
                        optional,
                    });
                }
                '{' | '}' | '*' | '+' | '?' | ')' => return Err(UNSUPPORTED),
                _ => {
                    literal.push(c);
                    i += 1;
                }
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Self { pieces })
    }

    /// The parameters when `path` matches the whole pattern.
    fn matches(&self, path: &str) -> Option<Vec<(Option<String>, String)>> {
        let mut params = Vec::new();
        match_from(&self.pieces, path, &mut params).then_some(params)
    }
}

/// Backtracking match of `pieces` against all of `rest`; one-segment parameters take as few
/// characters as they can and `(.*)` as many, like the regular expression it stands for.
fn match_from(pieces: &[Piece], rest: &str, params: &mut Vec<(Option<String>, String)>) -> bool {
    let Some((piece, later)) = pieces.split_first() else {
        // The end, after at most one trailing delimiter.
        return rest.is_empty() || (rest.len() == 1 && matches!(rest, "/" | "#" | "?"));
    };
    match piece {
        Piece::Literal(text) => match strip_prefix_ignore_case(rest, text) {
            Some(after) => match_from(later, after, params),
            None => false,
        },
        Piece::Param {
            name,
            prefix,
            any,
            optional,
        } => {
            if let Some(after_prefix) = strip_prefix_ignore_case(rest, prefix) {
                let forbidden =
                    |c: char| matches!(c, '/' | '#' | '?') || (prefix == "." && c == '.');
                let segment_len = if *any {
                    after_prefix.len()
                } else {
                    after_prefix.find(forbidden).unwrap_or(after_prefix.len())
                };
                let boundaries: Vec<usize> = after_prefix
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([after_prefix.len()])
                    .filter(|&end| end <= segment_len && (*any || end > 0))
                    .collect();
                let candidates: Box<dyn Iterator<Item = usize>> = if *any {
                    Box::new(boundaries.into_iter().rev())
                } else {
                    Box::new(boundaries.into_iter())
                };
                for end in candidates {
                    params.push((name.clone(), after_prefix[..end].to_owned()));
                    if match_from(later, &after_prefix[end..], params) {
                        return true;
                    }
                    params.pop();
                }
            }
            *optional && match_from(later, rest, params)
        }
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(orgs: &[&str], personal: &[&str]) -> OrgMatcher {
        let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        OrgMatcher::new(&owned(orgs), &owned(personal)).expect("valid patterns")
    }

    #[test]
    fn clerk_documented_patterns() {
        let m = matcher(
            &["/orgs/:slug", "/orgs/:slug/(.*)", "/team/:id"],
            &["/me", "/me/(.*)"],
        );
        let slug = |s: &str| Some(Target::OrganizationSlug(s.to_owned()));
        assert_eq!(m.find("/orgs/acme"), slug("acme"));
        assert_eq!(m.find("/orgs/acme/"), slug("acme"));
        assert_eq!(m.find("/ORGS/acme/settings/billing"), slug("acme"));
        assert_eq!(m.find("/orgs/acme%20co"), slug("acme%20co"));
        assert_eq!(m.find("/orgs"), None);
        assert_eq!(m.find("/orgs/"), None);
        assert_eq!(
            m.find("/team/org_1"),
            Some(Target::OrganizationId("org_1".into()))
        );
        assert_eq!(m.find("/team/org_1/x"), None);
        assert_eq!(m.find("/me"), Some(Target::PersonalAccount));
        assert_eq!(m.find("/me/profile/x"), Some(Target::PersonalAccount));
        assert_eq!(m.find("/meet"), None);
        assert_eq!(m.find("/"), None);
    }

    #[test]
    fn optional_and_named_rest_parameters() {
        let m = matcher(&["/o/:slug?/x", "/p/:slug(.*)"], &["/o/x"]);
        assert_eq!(
            m.find("/o/x"),
            Some(Target::PersonalAccount),
            "an organization pattern matching without a slug names nothing"
        );
        let m = matcher(&["/o/:slug?", "/p/:slug(.*)"], &[]);
        assert_eq!(m.find("/o/a"), Some(Target::OrganizationSlug("a".into())));
        assert_eq!(m.find("/o"), None);
        assert_eq!(
            m.find("/p/a/b"),
            Some(Target::OrganizationSlug("a/b".into()))
        );
    }

    #[test]
    fn unsupported_syntax_is_a_configuration_error() {
        for bad in [
            "/orgs/*",
            "/orgs/:slug+",
            "/orgs/([a-z]+)",
            "/orgs/{:slug}",
            "/orgs/:",
            "/:a:b",
        ] {
            assert!(
                OrgMatcher::new(&[bad.to_owned()], &[]).is_err(),
                "{bad} should be refused"
            );
        }
    }
}
