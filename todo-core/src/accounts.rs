//! Accounts: signup, login and token authentication.

use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::email::Email;
use crate::error::{Error, Result, TokenError};
use crate::password::{Password, PasswordHash, PasswordHasher};
use crate::store::{is_unique_violation, on_backend, Store};
use crate::timestamp::now;
use crate::token::{AccessToken, Claims, TokenKeys};
use crate::users::{Owner, User, UserId};

/// A successful login: the user, the [`Owner`] for task operations, and the token to hand to the client.
#[derive(Debug, Clone)]
pub struct Login {
    /// The user who logged in.
    pub user: User,
    /// Proof of identity for [`crate::Todo::tasks`].
    pub owner: Owner,
    /// The bearer token and its lifetime.
    pub token: AccessToken,
}

/// A request whose bearer token checked out, and whose user still exists.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The user the token belongs to, as stored now.
    pub user: User,
    /// Proof of identity for [`crate::Todo::tasks`].
    pub owner: Owner,
    /// The verified claims.
    pub claims: Claims,
}

/// Signup, login, token checks and user lookup. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Accounts {
    store: Store,
    keys: Arc<TokenKeys>,
    hasher: PasswordHasher,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    password_hash: String,
    created_at: OffsetDateTime,
}

impl UserRow {
    fn into_user(self) -> (User, PasswordHash) {
        let user = User {
            id: UserId::from_uuid(self.id),
            email: Email::from_trusted(self.email),
            created_at: self.created_at,
        };
        (user, PasswordHash::from_stored(self.password_hash))
    }
}

impl Accounts {
    /// Accounts over `store`, minting with `keys` and hashing with `hasher`.
    pub fn new(store: Store, keys: TokenKeys, hasher: PasswordHasher) -> Self {
        Self { store, keys: Arc::new(keys), hasher }
    }

    /// Registers a user. The email is trimmed and lower-cased; both fields are checked and every broken rule is
    /// reported in one [`Error::Validation`]. A taken email is [`Error::EmailTaken`], decided by the database.
    pub async fn signup(&self, email: &str, password: &str) -> Result<User> {
        let (email, password) = match (Email::parse(email), Password::new(password)) {
            (Ok(email), Ok(password)) => (email, password),
            (email, password) => {
                let errors = [email.err(), password.err()]
                    .into_iter()
                    .flatten()
                    .flat_map(|error| error.field_errors().to_vec())
                    .collect();
                return Err(Error::Validation(errors));
            }
        };
        let hash = self.hasher.hash(&password).await?;
        let user = User { id: UserId::from_uuid(Uuid::now_v7()), email, created_at: now() };
        let inserted = on_backend!(self.store, |pool| {
            sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(user.id.as_uuid())
                .bind(user.email.as_str())
                .bind(hash.as_str())
                .bind(user.created_at)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match inserted {
            Ok(_) => Ok(user),
            Err(error) if is_unique_violation(&error) => Err(Error::EmailTaken),
            Err(error) => Err(error.into()),
        }
    }

    /// Checks an email and password and mints a token.
    ///
    /// Unknown emails and wrong passwords give the same [`Error::InvalidCredentials`] after the same amount of
    /// bcrypt work (an unknown email is verified against a dummy hash), so neither the answer nor its timing tells
    /// an attacker which emails are registered.
    pub async fn login(&self, email: &str, password: &str) -> Result<Login> {
        let found = match Email::parse(email) {
            Ok(email) => self.find_by_email(&email).await?,
            Err(_) => None,
        };
        let Some((user, hash)) = found else {
            self.hasher.verify_dummy(password).await?;
            return Err(Error::InvalidCredentials);
        };
        if !self.hasher.verify(password, &hash).await? {
            return Err(Error::InvalidCredentials);
        }
        let token = self.keys.mint(&user)?;
        Ok(Login { owner: Owner::new(user.id), user, token })
    }

    /// Verifies a bearer token (signature, algorithm, expiry) and loads its user, who must still exist.
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated> {
        let claims = self.keys.verify(token)?;
        let id = claims.user_id()?;
        let user = self.find(id).await?.ok_or(TokenError::UnknownUser)?;
        Ok(Authenticated { owner: Owner::new(user.id), user, claims })
    }

    /// The user with this id, if there is one.
    pub async fn find(&self, id: UserId) -> Result<Option<User>> {
        let row = on_backend!(self.store, |pool| {
            sqlx::query_as::<_, UserRow>("SELECT id, email, password_hash, created_at FROM users WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(|row| row.into_user().0))
    }

    /// The token keys, for adapters that verify tokens themselves.
    pub fn token_keys(&self) -> &TokenKeys {
        &self.keys
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<(User, PasswordHash)>> {
        let row = on_backend!(self.store, |pool| {
            sqlx::query_as::<_, UserRow>("SELECT id, email, password_hash, created_at FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(UserRow::into_user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    async fn accounts() -> Accounts {
        let store = Store::connect("sqlite::memory:").await.expect("opens");
        store.migrate().await.expect("migrates");
        let config = Config::new("unit test secret of at least 32 bytes").expect("valid");
        Accounts::new(store, TokenKeys::new(&config), PasswordHasher::new(4))
    }

    #[tokio::test]
    async fn an_unknown_email_is_checked_against_the_dummy_hash() {
        let accounts = accounts().await;
        assert!(!accounts.hasher.dummy_was_used());
        let error = accounts.login("nobody@example.com", "some password").await.unwrap_err();
        assert!(matches!(error, Error::InvalidCredentials));
        assert!(accounts.hasher.dummy_was_used());
    }

    #[tokio::test]
    async fn a_known_email_with_a_wrong_password_does_not_need_the_dummy_hash() {
        let accounts = accounts().await;
        accounts.signup("ann@example.com", "right password").await.expect("signs up");
        let error = accounts.login("ann@example.com", "wrong password").await.unwrap_err();
        assert!(matches!(error, Error::InvalidCredentials));
        assert!(!accounts.hasher.dummy_was_used());
    }
}
