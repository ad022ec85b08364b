//! Statements run on behalf of an [`Owner`]: the owner itself, the SQL condition every such statement carries
//! (the owner's session exists, is theirs, and has not expired), and the one helper that binds the owner's values
//! for it.
//!
//! The owner's values are always the statement's first three parameters: `$1` the user id, `$2` the session id,
//! `$3` now in Unix milliseconds. [`owner_is_current!`] is written against those numbers once, so a statement
//! appends it with `concat!` (its text stays a compile-time string next to the method that runs it), numbers its
//! own parameters from `$4`, and binds the owner first with [`BindOwner::bind_owner`]:
//!
//! ```text
//! sqlx::query_as::<_, TaskRow>(concat!("SELECT … FROM tasks WHERE id = $4 AND user_id = $1 AND ", owner_is_current!()))
//!     .bind_owner(&owner)
//!     .bind(id.as_uuid())
//! ```
//!
//! Checking the session inside the statement is what lets a revoked session (log out, a password change,
//! refresh-token reuse) or a deleted account stop an [`Owner`] at once, without a lookup per request. Only when a
//! statement matches no row does [`stale_owner`] ask why.

use sqlx::{Database, Encode, Type};
use uuid::Uuid;

use super::{on_connection, Store};
use crate::clock::{now, unix_ms};
use crate::error::{Error, Result, TokenError};
use crate::ids::{SessionId, UserId};

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

/// The SQL condition "the owner's session is current": it exists, belongs to the owner, and has not expired, over
/// the owner's values at `$1` (user id), `$2` (session id) and `$3` (now, Unix milliseconds), as
/// [`BindOwner::bind_owner`] binds them. A string literal, for `concat!`.
macro_rules! owner_is_current {
    () => {
        "EXISTS (SELECT 1 FROM sessions AS caller_session WHERE caller_session.id = $2 \
         AND caller_session.user_id = $1 AND caller_session.expires_at_ms > $3)"
    };
}
pub(crate) use owner_is_current;

/// A statement made on behalf of an owner: binds the owner's values as its parameters `$1` to `$3` (see the module
/// docs), so they must be its first binds.
pub(crate) trait BindOwner: Sized {
    /// Binds the owner's user id, session id and the current time.
    fn bind_owner(self, owner: &Owner) -> Self {
        self.bind_owner_at(owner, unix_ms(now()))
    }

    /// Binds the owner's user id, session id and `now_ms`, for a statement that writes the same instant elsewhere.
    fn bind_owner_at(self, owner: &Owner, now_ms: i64) -> Self;
}

/// Implements [`BindOwner`] for sqlx's statement types, on either engine.
macro_rules! bind_owner_for {
    ($($statement:ident $(<$out:ident>)?),+) => {$(
        impl<'q, DB: Database, $($out)?> BindOwner for sqlx::query::$statement<'q, DB, $($out,)? DB::Arguments<'q>>
        where
            Uuid: Encode<'q, DB> + Type<DB>,
            i64: Encode<'q, DB> + Type<DB>,
        {
            fn bind_owner_at(self, owner: &Owner, now_ms: i64) -> Self {
                self.bind(owner.id.as_uuid()).bind(owner.session.as_uuid()).bind(now_ms)
            }
        }
    )+};
}
bind_owner_for!(Query, QueryAs<O>, QueryScalar<O>);

/// Runs `sql`, a statement made on behalf of `owner` whose only parameter besides the owner's is `target` (`$4`,
/// when given), and returns how many rows it touched.
pub(crate) async fn execute_as_owner(store: &Store, sql: &str, owner: &Owner, target: Option<Uuid>) -> Result<u64> {
    let affected = on_connection!(store, |conn| {
        let mut statement = sqlx::query(sql).bind_owner(owner);
        if let Some(target) = target {
            statement = statement.bind(target);
        }
        statement.execute(conn).await.map(|done| done.rows_affected())
    })?;
    Ok(affected)
}

/// Whether `owner` is no longer current: `Some(UnknownUser)` when the account is gone, `Some(Revoked)` when its
/// session was revoked or has expired, `None` while it still holds. Statements check this inline; this lookup
/// only explains a statement that matched no row.
pub(crate) async fn stale_owner(store: &Store, owner: &Owner) -> Result<Option<TokenError>> {
    let (users, sessions) = on_connection!(reading store, |conn| {
        sqlx::query_as::<_, (i64, i64)>(concat!(
            "SELECT (SELECT COUNT(*) FROM users WHERE id = $1), CAST(CASE WHEN ",
            owner_is_current!(),
            " THEN 1 ELSE 0 END AS BIGINT)"
        ))
        .bind_owner(owner)
        .fetch_one(conn)
        .await
    })?;
    Ok(match (users, sessions) {
        (0, _) => Some(TokenError::UnknownUser),
        (_, 0) => Some(TokenError::Revoked),
        _ => None,
    })
}

/// `rows`, read by a statement on behalf of `owner` that carries [`owner_is_current!`]: when there is none, either
/// the owner has none or the owner is no longer current, and only the second is an error (asked only then).
pub(crate) async fn owned_rows<T>(store: &Store, owner: &Owner, rows: Vec<T>) -> Result<Vec<T>> {
    if rows.is_empty() {
        if let Some(stale) = stale_owner(store, owner).await? {
            return Err(stale.into());
        }
    }
    Ok(rows)
}

/// Why an owner-keyed statement that cannot miss touched no row: the account is gone or the session ended (also if
/// the owner looks current again by now, which cannot happen: a session, once gone, never comes back).
pub(crate) async fn refusal(store: &Store, owner: &Owner) -> Error {
    match stale_owner(store, owner).await {
        Ok(stale) => stale.unwrap_or(TokenError::Revoked).into(),
        Err(error) => error,
    }
}

/// Why a statement on one of the owner's rows touched none: the account is gone
/// ([`crate::TokenError::UnknownUser`]), the session ended ([`crate::TokenError::Revoked`]), or the row is not the
/// owner's ([`Error::NotFound`]: another user's row looks exactly like a missing one). Asked only on that path.
pub(crate) async fn not_found_or_refusal(store: &Store, owner: &Owner) -> Error {
    match stale_owner(store, owner).await {
        Ok(Some(stale)) => stale.into(),
        Ok(None) => Error::NotFound,
        Err(error) => error,
    }
}
