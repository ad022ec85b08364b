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
use crate::users::{stale_owner, Owner, User, UserId};

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

/// A user as stored: with the hash and the token generation, which never leave this module.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    password_hash: String,
    created_at: OffsetDateTime,
    token_generation: i64,
}

struct StoredUser {
    user: User,
    hash: PasswordHash,
    generation: i64,
}

impl From<UserRow> for StoredUser {
    fn from(row: UserRow) -> Self {
        let user =
            User { id: UserId::from_uuid(row.id), email: Email::from_trusted(row.email), created_at: row.created_at };
        StoredUser { user, hash: PasswordHash::from_stored(row.password_hash), generation: row.token_generation }
    }
}

const SELECT_USER: &str = "SELECT id, email, password_hash, created_at, token_generation FROM users";

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
        let Some(stored) = found else {
            self.hasher.verify_dummy(password).await?;
            return Err(Error::InvalidCredentials);
        };
        if !self.hasher.verify(password, &stored.hash).await? {
            return Err(Error::InvalidCredentials);
        }
        let token = self.keys.mint(&stored.user, stored.generation)?;
        Ok(Login { owner: Owner::new(stored.user.id, stored.generation), user: stored.user, token })
    }

    /// Verifies a bearer token (signature, algorithm, expiry) and loads its user, who must still exist and must
    /// not have revoked the token (password change, log out everywhere) since it was minted.
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated> {
        let claims = self.keys.verify(token)?;
        let stored = self.find_stored(claims.user_id()?).await?.ok_or(TokenError::UnknownUser)?;
        if claims.generation != stored.generation {
            return Err(TokenError::Revoked.into());
        }
        Ok(Authenticated { owner: Owner::new(stored.user.id, stored.generation), user: stored.user, claims })
    }

    /// Verifies a bearer token (signature, algorithm, expiry) without asking the database, and returns the
    /// [`Owner`] it names: for handlers that only touch tasks.
    ///
    /// Whether the account still exists and the token is not revoked is then checked by each task statement
    /// itself (see [`Owner`]), so an authenticated task request is one database statement, not two.
    /// Use [`Accounts::authenticate`] when you need the stored user, or want a revoked token refused before
    /// anything else happens.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{Config, ErrorKind, TaskInput, Todo};
    ///
    /// let config = Config::new("use at least 32 random bytes here!!")?
    ///     .with_bcrypt_cost(4)? // fast for the example
    ///     .with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// let login = todo.accounts().login("ann@example.com", "correct horse battery").await?;
    ///
    /// let owner = todo.accounts().authorize(&login.token.access_token)?;
    /// todo.tasks(&owner).create(TaskInput::new("Buy milk")).await?;
    ///
    /// todo.accounts().logout_everywhere(&owner).await?;
    /// let refused = todo.tasks(&owner).create(TaskInput::new("Too late")).await.unwrap_err();
    /// assert_eq!(refused.kind(), ErrorKind::Unauthorized);
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn authorize(&self, token: &str) -> Result<Owner> {
        let claims = self.keys.verify(token)?;
        Ok(Owner::new(claims.user_id()?, claims.generation))
    }

    /// Changes the password after checking the current one, revokes every token minted before, and returns a
    /// fresh token. A wrong current password is [`Error::WrongPassword`]; the new one obeys the signup rules
    /// (reported on the `new_password` field).
    pub async fn change_password(&self, owner: &Owner, current: &str, new: &str) -> Result<AccessToken> {
        let new = Password::for_field("new_password", new.to_owned())?;
        let stored = self.confirm_password(owner, current).await?;
        let hash = self.hasher.hash(&new).await?;
        let generation = on_backend!(self.store, |pool| {
            sqlx::query_scalar::<_, i64>(
                "UPDATE users SET password_hash = $1, token_generation = token_generation + 1 \
                 WHERE id = $2 AND token_generation = $3 RETURNING token_generation",
            )
            .bind(hash.as_str())
            .bind(owner.user_id().as_uuid())
            .bind(owner.generation())
            .fetch_optional(pool)
            .await
        })?;
        match generation {
            Some(generation) => self.keys.mint(&stored.user, generation),
            None => Err(self.refusal(owner).await),
        }
    }

    /// Revokes every token of this user minted so far ("log out everywhere"), on every server instance.
    pub async fn logout_everywhere(&self, owner: &Owner) -> Result<()> {
        self.execute_for(
            owner,
            "UPDATE users SET token_generation = token_generation + 1 WHERE id = $1 AND token_generation = $2",
        )
        .await
    }

    /// Deletes the account and all its tasks after checking the password; its tokens stop working at once.
    pub async fn delete_account(&self, owner: &Owner, password: &str) -> Result<()> {
        self.confirm_password(owner, password).await?;
        self.execute_for(owner, "DELETE FROM users WHERE id = $1 AND token_generation = $2").await
    }

    /// Runs a statement on the owner's row whose parameters are the owner's id (`$1`) and token generation
    /// (`$2`); no row affected means the owner is no longer current.
    async fn execute_for(&self, owner: &Owner, sql: &'static str) -> Result<()> {
        let affected = on_backend!(self.store, |pool| {
            sqlx::query(sql)
                .bind(owner.user_id().as_uuid())
                .bind(owner.generation())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if affected == 0 {
            return Err(self.refusal(owner).await);
        }
        Ok(())
    }

    /// Why an owner-keyed statement touched no row: the account is gone, or the owner's tokens were revoked
    /// (also if the owner looks current again by now: the generation only grows, so it moved under the statement).
    async fn refusal(&self, owner: &Owner) -> Error {
        match stale_owner(&self.store, owner).await {
            Ok(stale) => stale.unwrap_or(TokenError::Revoked).into(),
            Err(error) => error,
        }
    }

    /// The user with this id, if there is one.
    pub async fn find(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.find_stored(id).await?.map(|stored| stored.user))
    }

    /// Loads the owner and checks `password` against their hash (on the blocking pool).
    async fn confirm_password(&self, owner: &Owner, password: &str) -> Result<StoredUser> {
        let stored = self.find_stored(owner.user_id()).await?.ok_or(TokenError::UnknownUser)?;
        if stored.generation != owner.generation() {
            return Err(TokenError::Revoked.into());
        }
        if !self.hasher.verify(password, &stored.hash).await? {
            return Err(Error::WrongPassword);
        }
        Ok(stored)
    }

    async fn find_stored(&self, id: UserId) -> Result<Option<StoredUser>> {
        let row = on_backend!(self.store, |pool| {
            sqlx::query_as::<_, UserRow>(&format!("{SELECT_USER} WHERE id = $1"))
                .bind(id.as_uuid())
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(StoredUser::from))
    }

    /// The token keys, for adapters that verify tokens themselves.
    pub fn token_keys(&self) -> &TokenKeys {
        &self.keys
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<StoredUser>> {
        let row = on_backend!(self.store, |pool| {
            sqlx::query_as::<_, UserRow>(&format!("{SELECT_USER} WHERE email = $1"))
                .bind(email.as_str())
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(StoredUser::from))
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
