//! Users: the [`User`] shown to clients, and the row it is read from, whose password hash never leaves `auth`.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::password::PasswordHash;
use crate::email::Email;
use crate::ids::UserId;

/// A registered user, as shown to clients (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The email address, in canonical form (an account the upgrade to canonical emails left alone keeps its old
    /// spelling: see `store/canonical_emails.rs`).
    pub email: Email,
    /// When the account was created.
    pub created_at: OffsetDateTime,
    /// When the user proved they receive mail at this address (a verification or password-reset link), if ever.
    pub email_verified_at: Option<OffsetDateTime>,
    /// Whether the account has a password. One made by an identity provider's sign-in has none until its owner sets
    /// one through "forgot password"; it signs in through its provider, a sign-in link or a passkey.
    pub has_password: bool,
}

/// The start of every statement that reads a [`UserRow`] (a string literal, for `concat!`).
macro_rules! select_user {
    () => {
        "SELECT id, email, password_hash, created_at, email_verified_at FROM users"
    };
}
pub(crate) use select_user;

/// A user as stored: with the hash.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    password_hash: String,
    created_at: OffsetDateTime,
    email_verified_at: Option<OffsetDateTime>,
}

/// A user and their password hash (none for an account without a password), as read for a password check.
pub(crate) struct StoredUser {
    pub(crate) user: User,
    pub(crate) hash: Option<PasswordHash>,
}

impl From<UserRow> for StoredUser {
    fn from(row: UserRow) -> Self {
        // An account without a password keeps an empty hash (migration 0009): no bcrypt hash is empty.
        let hash = (!row.password_hash.is_empty()).then(|| PasswordHash::from_stored(row.password_hash));
        let user = User {
            id: UserId::from_uuid(row.id),
            email: Email::from_trusted(row.email),
            created_at: row.created_at,
            email_verified_at: row.email_verified_at,
            has_password: hash.is_some(),
        };
        StoredUser { user, hash }
    }
}
