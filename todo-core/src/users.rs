//! Users, their ids, and [`Owner`]: the proof of identity that every task operation needs.

use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::email::Email;
use crate::error::{Result, TokenError};
use crate::store::{on_backend, Store};

/// A user's id (a UUIDv7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(Uuid);

impl UserId {
    pub(crate) fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A registered user, as shown to clients (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The normalised email address.
    pub email: Email,
    /// When the account was created.
    pub created_at: OffsetDateTime,
}

/// The user on whose behalf task operations run, and the token generation they were allowed under.
///
/// There is no public constructor: an `Owner` comes only from [`crate::Accounts::login`],
/// [`crate::Accounts::authenticate`] or [`crate::Accounts::authorize`], so code that reads or writes tasks without
/// having checked a password or a token does not compile.
///
/// Every task statement, and every account change made with an `Owner`, also checks in the same statement that
/// the account still exists and that its token generation is still this one; so once the password changes, the
/// user logs out everywhere or the account is deleted, an `Owner` obtained before stops working at once
/// ([`crate::TokenError::Revoked`] or [`crate::TokenError::UnknownUser`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner {
    id: UserId,
    generation: i64,
}

impl Owner {
    pub(crate) fn new(id: UserId, generation: i64) -> Self {
        Self { id, generation }
    }

    /// The id of the authenticated user.
    pub fn user_id(&self) -> UserId {
        self.id
    }

    /// The token generation this owner was allowed under.
    pub(crate) fn generation(&self) -> i64 {
        self.generation
    }
}

/// Whether `owner` is no longer current: `Some(UnknownUser)` when the account is gone, `Some(Revoked)` when its
/// token generation moved on (password change, log out everywhere), `None` while it still holds. Statements check
/// this inline; this lookup only explains a statement that matched no row.
pub(crate) async fn stale_owner(store: &Store, owner: &Owner) -> Result<Option<TokenError>> {
    let generation = on_backend!(store, |pool| {
        sqlx::query_scalar::<_, i64>("SELECT token_generation FROM users WHERE id = $1")
            .bind(owner.user_id().as_uuid())
            .fetch_optional(pool)
            .await
    })?;
    Ok(match generation {
        None => Some(TokenError::UnknownUser),
        Some(generation) if generation != owner.generation() => Some(TokenError::Revoked),
        Some(_) => None,
    })
}
