//! Sign-in with an identity provider (OpenID Connect): the authorization code flow with PKCE, `state` and `nonce`
//! held in the database, the ID token validated by the `openidconnect` crate, identities linked to accounts by the
//! rule below, and a one-time code that carries the result to the front end (never a token in a URL).
//!
//! The linking rule: a known identity (provider, `sub`) signs its account in. An unknown one whose provider asserts
//! a verified email makes a new account (email verified, no password), unless an account has that email: that
//! one is linked only when its own email is verified too; otherwise neither side proves the mailbox, and linking
//! would hand the account to whoever holds the provider's identity.
//!
//! The providers themselves, as OpenID Connect clients, are a leaf of `auth` (`oidc_clients`), which [`Accounts`]
//! holds. Here, `flows` starts and finishes a sign-in; `linking` decides the account;
//! `exchange` hands the result over; `identities` lists and unlinks what is linked.

/// The one-time codes that carry a finished sign-in to the front end, and their exchange for a session.
mod exchange;
/// Why a callback did not sign anyone in: the `error` codes of the redirect to the front end.
mod failure;
/// Starting a sign-in at a provider, and its callback.
mod flows;
/// The linked identities of an account: listing and unlinking.
mod identities;
/// Which account a provider's identity signs in: the linking rule.
mod linking;

use time::OffsetDateTime;

pub use self::exchange::EXCHANGE_CODE_TTL;
pub use self::flows::{ProviderCallback, ProviderSignIn, OIDC_FLOW_TTL};
use crate::ids::IdentityId;
#[cfg(doc)]
use crate::Accounts;

/// A configured identity provider, as a front end shows it: a button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    /// The name in the routes (`/auth/oidc/{name}/authorize`).
    pub name: String,
    /// The button's text.
    pub label: String,
}

/// An identity at a provider, linked to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The link's id (to unlink it).
    pub id: IdentityId,
    /// The provider's configured name.
    pub provider: String,
    /// The email the provider asserted when the identity was linked.
    pub email: String,
    /// When it was linked.
    pub created_at: OffsetDateTime,
}
