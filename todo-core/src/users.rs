//! Users, their ids, and [`Owner`]: the proof of identity that every task operation needs.

use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::email::Email;
use crate::error::{Result, TokenError};
use crate::sessions::{session_is_current, unix_ms, SessionId};
use crate::store::{on_connection, Store};
use crate::timestamp::now;

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
    /// When the user proved they receive mail at this address (a verification or password-reset link), if ever.
    pub email_verified_at: Option<OffsetDateTime>,
}

/// The user on whose behalf task operations run, and the session they act in.
///
/// There is no public constructor: an `Owner` comes only from [`crate::Accounts::login`],
/// [`crate::Accounts::refresh`], [`crate::Accounts::authenticate`] or [`crate::Accounts::authorize`], so code that
/// reads or writes tasks without having checked a password or a token does not compile.
///
/// Every task statement, and every account change made with an `Owner`, also checks in the same statement that
/// the owner's session still exists, belongs to them and has not expired; so once the session is revoked (log out,
/// a password change, refresh-token reuse) or the account is deleted, an `Owner` obtained before stops working at
/// once ([`crate::TokenError::Revoked`] or [`crate::TokenError::UnknownUser`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner {
    id: UserId,
    session: SessionId,
}

impl Owner {
    pub(crate) fn new(id: UserId, session: SessionId) -> Self {
        Self { id, session }
    }

    /// The id of the authenticated user.
    pub fn user_id(&self) -> UserId {
        self.id
    }

    /// The session this owner acts in (the `sid` claim of the token).
    pub fn session_id(&self) -> SessionId {
        self.session
    }
}

/// Whether `owner` is no longer current: `Some(UnknownUser)` when the account is gone, `Some(Revoked)` when its
/// session was revoked or has expired, `None` while it still holds. Statements check this inline; this lookup
/// only explains a statement that matched no row.
pub(crate) async fn stale_owner(store: &Store, owner: &Owner) -> Result<Option<TokenError>> {
    let (users, sessions) = on_connection!(reading store, |conn| {
        sqlx::query_as::<_, (i64, i64)>(concat!(
            "SELECT (SELECT COUNT(*) FROM users WHERE id = $1), CAST(CASE WHEN ",
            session_is_current!("$1", "$2", "$3"),
            " THEN 1 ELSE 0 END AS BIGINT)"
        ))
        .bind(owner.user_id().as_uuid())
        .bind(owner.session_id().as_uuid())
        .bind(unix_ms(now()))
        .fetch_one(conn)
        .await
    })?;
    Ok(match (users, sessions) {
        (0, _) => Some(TokenError::UnknownUser),
        (_, 0) => Some(TokenError::Revoked),
        _ => None,
    })
}
