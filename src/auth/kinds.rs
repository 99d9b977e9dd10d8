//! Token kinds and the sets of kinds a route accepts.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// The kind of a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// A session token (JWT) issued to a signed-in user, or a token from a JWT template.
    SessionToken,
    /// An API key (`ak_…`), verified by the Backend API.
    ApiKey,
    /// A machine-to-machine token: opaque `mt_…` (verified by the Backend API) or a JWT whose
    /// `sub` is a machine (`mch_…`, verified locally).
    M2mToken,
    /// An OAuth access token: opaque `oat_…` (verified by the Backend API) or a JWT with header
    /// `typ` `at+jwt` (verified locally).
    OAuthToken,
}

impl TokenKind {
    const fn bit(self) -> u8 {
        match self {
            Self::SessionToken => 1,
            Self::ApiKey => 2,
            Self::M2mToken => 4,
            Self::OAuthToken => 8,
        }
    }

    /// True for the machine kinds (everything but session tokens).
    pub fn is_machine(self) -> bool {
        self != Self::SessionToken
    }

    /// The kind of an opaque machine token, from its prefix.
    pub(crate) fn from_opaque_prefix(token: &str) -> Option<Self> {
        if token.starts_with("ak_") {
            Some(Self::ApiKey)
        } else if token.starts_with("mt_") {
            Some(Self::M2mToken)
        } else if token.starts_with("oat_") {
            Some(Self::OAuthToken)
        } else {
            None
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SessionToken => "session",
            Self::ApiKey => "API key",
            Self::M2mToken => "M2M",
            Self::OAuthToken => "OAuth access",
        })
    }
}

/// The token kinds a route accepts; combine with `|`.
///
/// The default is [`TokenKinds::SESSION`]: machine tokens must be opted into per route.
///
/// ```
/// use clerk_backend_api::auth::{TokenKind, TokenKinds};
///
/// let accepted = TokenKinds::SESSION | TokenKinds::API_KEY;
/// assert!(accepted.contains(TokenKind::ApiKey));
/// assert!(!accepted.contains(TokenKind::OAuthToken));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenKinds(u8);

impl TokenKinds {
    /// No kind at all; every token is refused.
    pub const NONE: Self = Self(0);
    /// Session tokens.
    pub const SESSION: Self = Self(TokenKind::SessionToken.bit());
    /// API keys.
    pub const API_KEY: Self = Self(TokenKind::ApiKey.bit());
    /// M2M tokens, opaque or JWT.
    pub const M2M: Self = Self(TokenKind::M2mToken.bit());
    /// OAuth access tokens, opaque or JWT.
    pub const OAUTH: Self = Self(TokenKind::OAuthToken.bit());
    /// All machine kinds.
    pub const MACHINE: Self = Self(Self::API_KEY.0 | Self::M2M.0 | Self::OAUTH.0);
    /// Every kind.
    pub const ANY: Self = Self(Self::SESSION.0 | Self::MACHINE.0);

    /// True when `kind` is in the set.
    pub fn contains(self, kind: TokenKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// True when the set accepts at least one machine kind.
    pub fn any_machine(self) -> bool {
        self.0 & Self::MACHINE.0 != 0
    }
}

impl Default for TokenKinds {
    fn default() -> Self {
        Self::SESSION
    }
}

impl From<TokenKind> for TokenKinds {
    fn from(kind: TokenKind) -> Self {
        Self(kind.bit())
    }
}

impl BitOr for TokenKinds {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for TokenKinds {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for TokenKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds = [
            TokenKind::SessionToken,
            TokenKind::ApiKey,
            TokenKind::M2mToken,
            TokenKind::OAuthToken,
        ];
        f.debug_set()
            .entries(kinds.into_iter().filter(|k| self.contains(*k)))
            .finish()
    }
}
