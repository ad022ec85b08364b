//! Accounts: signup, login, sessions and token authentication.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::assurance::{Assurance, Method};
use super::limits::Limiter;
use super::oidc_clients::Providers;
use super::password::{Password, PasswordHasher};
use super::relying_party::PasskeySettings;
use super::sealed::Sealer;
use super::sessions::{
    insert_session, Issued, LogoutScope, NewSession, RefreshToken, Session, SessionPolicy, SessionStore,
};
use super::token::{AccessToken, Claims, TokenKeys};
use super::users::{select_user, StoredUser, User, UserRow};
use crate::abuse::Client;
use crate::clock::now;
use crate::config::{Config, DEFAULT_APP_URL};
use crate::email::Email;
use crate::error::{Error, Result, TokenError};
use crate::ids::{SessionId, UserId};
use crate::mail::{Links, Mailer};
use crate::store::{
    forget_account_in_tasks, hand_over_owned_lists, is_unique_violation, on_connection, owner_is_current, refusal,
    stale_owner,
};
use crate::store::{BindOwner as _, Owner, Store, INSERT_INBOX, INSERT_INBOX_OWNER};

/// A new session: the user, the [`Owner`] for task operations, and the tokens to hand to the client. What a
/// login, a refresh and a password change return.
#[derive(Debug, Clone)]
pub struct Login {
    /// The user who logged in.
    pub user: User,
    /// Proof of identity for [`crate::Todo::tasks`], in the new session.
    pub owner: Owner,
    /// The bearer access token and its lifetime.
    pub token: AccessToken,
    /// The refresh token: exchange it at [`Accounts::refresh`] for new tokens before the session expires. It works
    /// once; each refresh returns its successor.
    pub refresh_token: RefreshToken,
}

/// A request whose bearer token checked out, and whose user and session are still current.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The user the token belongs to, as stored now.
    pub user: User,
    /// Proof of identity for [`crate::Todo::tasks`].
    pub owner: Owner,
    /// The verified claims.
    pub claims: Claims,
}

/// Signup, login, sessions, token checks, user lookup, and the mails that verify an email or reset a password.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Accounts {
    pub(crate) store: Store,
    keys: Arc<TokenKeys>,
    pub(crate) hasher: PasswordHasher,
    pub(crate) sessions: SessionStore,
    pub(crate) mail: MailSettings,
    pub(crate) limiter: Limiter,
    pub(crate) mfa: MfaSettings,
    pub(crate) oidc: OidcSettings,
}

/// What the mail flows need: where links point, how long they work, who sends, and whether logins wait for a
/// verified email.
#[derive(Clone, Debug)]
pub(crate) struct MailSettings {
    pub(crate) links: Links,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) verification_ttl: Duration,
    pub(crate) reset_ttl: Duration,
    pub(crate) sign_in_link_ttl: Duration,
    pub(crate) require_verified_email: bool,
}

/// What the factor flows need: the TOTP secrets' sealer, the issuer name authenticator apps show, and the passkeys'
/// relying party.
#[derive(Clone, Debug)]
pub(crate) struct MfaSettings {
    pub(crate) sealer: Sealer,
    pub(crate) issuer: String,
    pub(crate) passkeys: PasskeySettings,
}

impl MfaSettings {
    /// The settings of `config`: the issuer is the host of `APP_URL` (what the user recognises in their app).
    pub(crate) fn new(config: &Config) -> Self {
        let app_url = config.app_url().unwrap_or(DEFAULT_APP_URL);
        let issuer = url::Url::parse(app_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "todo".to_owned());
        Self { sealer: Sealer::new(config), issuer, passkeys: PasskeySettings::new(config) }
    }
}

/// What sign-in with an identity provider needs: the providers, and the front end the callback sends browsers to.
#[derive(Clone, Debug)]
pub(crate) struct OidcSettings {
    pub(crate) providers: Providers,
    /// `APP_URL` without a trailing slash.
    pub(crate) app_url: String,
}

impl OidcSettings {
    /// The settings of `config`: redirect URIs under `API_URL` (or, unset, [`DEFAULT_APP_URL`]: a server that knows
    /// its own address sets `API_URL` itself).
    pub(crate) fn new(config: &Config) -> Self {
        let app_url = config.app_url().unwrap_or(DEFAULT_APP_URL).trim_end_matches('/').to_owned();
        let api_url = config.api_url().unwrap_or(DEFAULT_APP_URL);
        Self { providers: Providers::new(config.identity_providers(), api_url), app_url }
    }
}

/// The two ways a user is looked up.
#[derive(Clone, Copy)]
enum UserKey<'a> {
    Id(UserId),
    Email(&'a Email),
}

impl Accounts {
    /// Accounts over `store`, with the keys, bcrypt cost and session lifetimes of `config`.
    pub fn new(store: Store, config: &Config) -> Self {
        Self {
            sessions: SessionStore::new(store.clone(), SessionPolicy::new(config)),
            limiter: Limiter::new(&store, config.abuse_limits().clone()),
            mfa: MfaSettings::new(config),
            oidc: OidcSettings::new(config),
            store,
            keys: Arc::new(TokenKeys::new(config)),
            hasher: PasswordHasher::new(config.bcrypt_cost()),
            mail: MailSettings {
                links: Links::new(config.app_url().unwrap_or(DEFAULT_APP_URL)),
                mailer: Arc::clone(config.mailer()),
                verification_ttl: config.verification_ttl(),
                reset_ttl: config.reset_ttl(),
                sign_in_link_ttl: config.sign_in_link_ttl(),
                require_verified_email: config.require_verified_email(),
            },
        }
    }

    /// Registers a user. The email is stored in canonical form (see [`Email`]: any spelling of one mailbox is one
    /// account); both fields are checked and every broken rule is reported in one [`Error::Validation`]. A taken
    /// email is [`Error::EmailTaken`], decided by the database.
    ///
    /// A signup from an unknown client: no per-network budget applies. Servers call [`Accounts::signup_from`].
    pub async fn signup(&self, email: &str, password: &str) -> Result<User> {
        self.signup_from(email, password, &Client::default()).await
    }

    /// [`Accounts::signup`] from `client`, counted against its network's signup budget ([`Error::RateLimited`]
    /// over it, checked before anything else).
    pub async fn signup_from(&self, email: &str, password: &str, client: &Client) -> Result<User> {
        self.limiter.count_signup(client).await?;
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
        let user = User {
            id: UserId::from_uuid(Uuid::now_v7()),
            email,
            created_at: now(),
            email_verified_at: None,
            has_password: true,
        };
        // The account and its inbox, together.
        let inserted = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(user.id.as_uuid())
                .bind(user.email.as_str())
                .bind(hash.as_str())
                .bind(user.created_at)
                .execute(&mut *tx)
                .await?;
            let inbox = Uuid::now_v7();
            for statement in [INSERT_INBOX, INSERT_INBOX_OWNER] {
                sqlx::query(statement)
                    .bind(inbox)
                    .bind(user.id.as_uuid())
                    .bind(user.created_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        .await);
        match inserted {
            Ok(_) => Ok(user),
            Err(error) if is_unique_violation(&error) => Err(Error::EmailTaken),
            Err(error) => Err(error.into()),
        }
    }

    /// Checks an email and password and starts a session, for a client the caller knows nothing of: only the
    /// per-email password budgets apply. Servers call [`Accounts::login_from`].
    pub async fn login(&self, email: &str, password: &str) -> Result<Login> {
        self.login_from(email, password, &Client::default()).await
    }

    /// [`Accounts::login_from`] with a client known only by its user agent.
    pub async fn login_with_user_agent(&self, email: &str, password: &str, user_agent: Option<&str>) -> Result<Login> {
        self.login_from(email, password, &Client::default().with_user_agent(user_agent)).await
    }

    /// Checks an email and password from `client`, starts a session that remembers its user agent (for the user's
    /// list of sessions; cut at 256 characters), and mints its tokens.
    ///
    /// The check is admitted first: it takes a slot of the password budgets of (email, the client's network), the
    /// email, and the network, and gets it back only if the password is right, so concurrent wrong guesses get no
    /// more checks than the budget ([`Error::RateLimited`] for the rest, before any bcrypt work).
    ///
    /// Unknown emails and wrong passwords give the same [`Error::InvalidCredentials`] after the same amount of
    /// bcrypt work (an unknown email is verified against a dummy hash), so neither the answer nor its timing tells
    /// an attacker which emails are registered.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{AbuseLimits, Client, Config, Error, Todo};
    ///
    /// let limits = AbuseLimits { password_failures_per_email_and_client: 2, ..AbuseLimits::default() };
    /// let config = Config::new("use at least 32 random bytes here!!")?
    ///     .with_bcrypt_cost(4)? // fast for the example
    ///     .with_abuse_limits(limits)?
    ///     .with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    ///
    /// let guesser = Client::default().with_address(Some("198.51.100.7".parse().unwrap()));
    /// for _ in 0..2 {
    ///     let wrong = todo.accounts().login_from("ann@example.com", "guess", &guesser).await.unwrap_err();
    ///     assert!(matches!(wrong, Error::InvalidCredentials));
    /// }
    /// let refused = todo.accounts().login_from("ann@example.com", "guess", &guesser).await.unwrap_err();
    /// assert!(matches!(refused, Error::RateLimited { .. }));
    ///
    /// // The owner, on another network, is not locked out.
    /// let owner = Client::default().with_address(Some("203.0.113.9".parse().unwrap()));
    /// todo.accounts().login_from("ann@example.com", "correct horse battery", &owner).await?;
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn login_from(&self, email: &str, password: &str, client: &Client) -> Result<Login> {
        let admission = self.limiter.admit_password_check(email, client).await?;
        let found = match Email::parse(email) {
            Ok(email) => self.find_by_email(&email).await?,
            Err(_) => None,
        };
        // An unknown email, or an account without a password: the same answer after the same bcrypt work.
        let Some((stored, hash)) = found.and_then(|stored| stored.hash.clone().map(|hash| (stored, hash))) else {
            self.hasher.verify_dummy(password).await?;
            return Err(Error::InvalidCredentials);
        };
        if !self.hasher.verify(password, &hash).await? {
            return Err(Error::InvalidCredentials);
        }
        admission.succeeded().await;
        // Only after the password: otherwise the answer would tell who has verified.
        if self.mail.require_verified_email && stored.user.email_verified_at.is_none() {
            return Err(Error::EmailNotVerified);
        }
        if let Some(step) = self.second_step_for(stored.user.id, Method::Password, client.user_agent()).await? {
            return Err(Error::SecondStepRequired(step));
        }
        let issued = self.sessions.start(stored.user.id, client.user_agent(), Assurance::password()).await?;
        self.signed_in(stored.user, issued)
    }

    /// Exchanges a refresh token for new tokens in the same session, and spends it (rotation).
    ///
    /// Refused with [`Error::InvalidRefreshToken`] when the token is unknown, expired, or of a revoked session.
    /// A token that was already spent is honoured again only within the reuse interval (`REFRESH_REUSE_INTERVAL_SECONDS`,
    /// for two tabs refreshing at once); later, it is taken as stolen and its whole session is revoked.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{Config, Error, RefreshTokenError, Todo};
    ///
    /// let config = Config::new("use at least 32 random bytes here!!")?
    ///     .with_bcrypt_cost(4)? // fast for the example
    ///     .with_refresh_reuse_interval(std::time::Duration::ZERO) // no grace, to show reuse detection
    ///     .with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// let login = todo.accounts().login("ann@example.com", "correct horse battery").await?;
    ///
    /// let refreshed = todo.accounts().refresh(login.refresh_token.as_str()).await?;
    /// assert_eq!(refreshed.owner.session_id(), login.owner.session_id()); // same session, new tokens
    ///
    /// // The spent token again: taken as stolen, and the session ends with all its tokens.
    /// let reused = todo.accounts().refresh(login.refresh_token.as_str()).await.unwrap_err();
    /// assert!(matches!(reused, Error::InvalidRefreshToken(RefreshTokenError::Reused)));
    /// assert!(todo.accounts().refresh(refreshed.refresh_token.as_str()).await.is_err());
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn refresh(&self, refresh_token: &str) -> Result<Login> {
        let issued = self.sessions.refresh(refresh_token).await?;
        // The session cascades away with its user, so a refreshed session's user exists unless deleted just now.
        let stored = self.find_stored(issued.user).await?.ok_or(TokenError::UnknownUser)?;
        self.signed_in(stored.user, issued)
    }

    pub(crate) fn signed_in(&self, user: User, issued: Issued) -> Result<Login> {
        let token = self.keys.mint(&user, issued.session, &issued.assurance)?;
        Ok(Login { owner: Owner::new(user.id, issued.session), user, token, refresh_token: issued.refresh_token })
    }

    /// Verifies a bearer token (signature, algorithm, expiry) and loads its user, who must still exist, in a
    /// session that is still current (not revoked, not expired).
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated> {
        let claims = self.keys.verify(token)?;
        let owner = Owner::new(claims.user_id()?, claims.session_id()?);
        let row = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, UserRow>(concat!(select_user!(), " WHERE id = $1 AND ", owner_is_current!()))
                .bind_owner(&owner)
                .fetch_optional(conn)
                .await
        })?;
        match row {
            Some(row) => Ok(Authenticated { user: StoredUser::from(row).user, owner, claims }),
            None => Err(refusal(&self.store, &owner).await),
        }
    }

    /// Verifies a bearer token (signature, algorithm, expiry) without asking the database, and returns the
    /// [`Owner`] it names: for handlers that only touch tasks.
    ///
    /// Whether the account still exists and the token's session is still current is then checked by each task
    /// statement itself (see [`Owner`]), so an authenticated task request is one database statement, not two.
    /// Use [`Accounts::authenticate`] when you need the stored user, or want a revoked token refused before
    /// anything else happens.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{Config, ErrorKind, LogoutScope, TaskInput, Todo};
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
    /// todo.accounts().logout(&owner, LogoutScope::Local).await?;
    /// let refused = todo.tasks(&owner).create(TaskInput::new("Too late")).await.unwrap_err();
    /// assert_eq!(refused.kind(), ErrorKind::Unauthorized);
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn authorize(&self, token: &str) -> Result<Owner> {
        let claims = self.keys.verify(token)?;
        Ok(Owner::new(claims.user_id()?, claims.session_id()?))
    }

    /// The owner's active sessions, newest first; the owner's own is marked `current`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{Config, Todo};
    ///
    /// let config = Config::new("use at least 32 random bytes here!!")?.with_bcrypt_cost(4)?.with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// let phone = todo.accounts().login_with_user_agent("ann@example.com", "correct horse battery", Some("Phone")).await?;
    /// let laptop = todo.accounts().login_with_user_agent("ann@example.com", "correct horse battery", Some("Laptop")).await?;
    ///
    /// let sessions = todo.accounts().sessions(&laptop.owner).await?;
    /// assert_eq!(sessions.len(), 2);
    /// assert_eq!((sessions[0].user_agent.as_deref(), sessions[0].current), (Some("Laptop"), true));
    ///
    /// // Log the phone out from the laptop: its tokens stop working at once.
    /// todo.accounts().revoke_session(&laptop.owner, phone.owner.session_id()).await?;
    /// assert!(todo.accounts().authenticate(&phone.token.access_token).await.is_err());
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn sessions(&self, owner: &Owner) -> Result<Vec<Session>> {
        self.sessions.list(owner).await
    }

    /// Ends one of the owner's sessions (its access and refresh tokens stop working at once); a session that is
    /// not the owner's is [`Error::NotFound`]. Ending the owner's own session is allowed (a local logout).
    pub async fn revoke_session(&self, owner: &Owner, session: SessionId) -> Result<()> {
        self.sessions.revoke(owner, session).await
    }

    /// Ends the sessions `scope` names: all of the user's ([`LogoutScope::Global`]), the owner's own
    /// ([`LogoutScope::Local`]), or all but the owner's ([`LogoutScope::Others`]). Their access and refresh tokens
    /// are refused from then on, on every server instance.
    pub async fn logout(&self, owner: &Owner, scope: LogoutScope) -> Result<()> {
        self.sessions.logout(owner, scope).await
    }

    /// Ends every session of this user ("log out everywhere"): [`Accounts::logout`] with [`LogoutScope::Global`].
    pub async fn logout_everywhere(&self, owner: &Owner) -> Result<()> {
        self.logout(owner, LogoutScope::Global).await
    }

    /// Changes the password after checking the current one, ends every session of the user (the owner's too),
    /// voids every outstanding password-reset link of the user, and starts a new one on the same device, whose
    /// tokens are returned. A wrong current password is
    /// [`Error::WrongPassword`]; the new one obeys the signup rules (reported on the `new_password` field).
    ///
    /// For a client the caller knows nothing of: only the per-email password budgets apply. Servers call
    /// [`Accounts::change_password_from`].
    pub async fn change_password(&self, owner: &Owner, current: &str, new: &str) -> Result<Login> {
        self.change_password_from(owner, current, new, &Client::default()).await
    }

    /// [`Accounts::change_password`] from `client`: the check of the current password takes a slot of the same
    /// budgets as a login's (see [`Accounts::login_from`]), so a stolen access token cannot be used to guess it.
    pub async fn change_password_from(
        &self,
        owner: &Owner,
        current: &str,
        new: &str,
        client: &Client,
    ) -> Result<Login> {
        let new = Password::for_field("new_password", new.to_owned())?;
        let stored = self.confirm_password(owner, current, client).await?;
        let hash = self.hasher.hash(&new).await?;
        let user_agent = self.session_user_agent(owner).await?;
        // The new session keeps how the owner's was won: a password change adds no factor and removes none.
        let assurance = self.session_assurance(owner).await?;
        let session = NewSession::new(self.sessions.policy(), owner.user_id(), user_agent.as_deref(), assurance)?;
        let changed = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            let changed =
                sqlx::query(concat!("UPDATE users SET password_hash = $4 WHERE id = $1 AND ", owner_is_current!()))
                    .bind_owner_at(owner, session.now_ms)
                    .bind(hash.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if changed == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(owner.user_id().as_uuid())
                .execute(&mut *tx)
                .await?;
            // A reset link mailed before the change must not undo it.
            sqlx::query("DELETE FROM email_tokens WHERE user_id = $1 AND purpose = 'reset_password'")
                .bind(owner.user_id().as_uuid())
                .execute(&mut *tx)
                .await?;
            insert_session!(tx, &session).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(true)
        }
        .await)?;
        if !changed {
            return Err(refusal(&self.store, owner).await);
        }
        self.signed_in(stored.user, session.issued())
    }

    /// Deletes the account after checking the password: its sessions, its inbox and every list no one else is a
    /// member of, with their tasks; its tokens stop working at once. A shared list it owns is not deleted but handed
    /// to another member (the highest role, then the longest-standing), and tasks it created in other people's
    /// lists stay there (their `created_by` reads as none, their `assignee_id` too where it was the assignee, and
    /// their version moves on). For a client the caller knows nothing of; servers call [`Accounts::delete_account_from`].
    pub async fn delete_account(&self, owner: &Owner, password: &str) -> Result<()> {
        self.delete_account_from(owner, password, &Client::default()).await
    }

    /// [`Accounts::delete_account`] from `client`: the password check takes a slot of the same budgets as a
    /// login's (see [`Accounts::login_from`]).
    pub async fn delete_account_from(&self, owner: &Owner, password: &str, client: &Client) -> Result<()> {
        self.confirm_password(owner, password, client).await?;
        // Shared lists the account owns go to a member first (one transaction with the deletion); a member who
        // leaves at that very moment makes it try again.
        for _ in 0..3 {
            let deleted = on_connection!(self.store, |conn| async {
                let mut tx = conn.begin().await?;
                if !hand_over_owned_lists!(tx, owner.user_id().as_uuid())? {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(None);
                }
                forget_account_in_tasks!(tx, owner.user_id().as_uuid(), now())?;
                let deleted = sqlx::query(concat!("DELETE FROM users WHERE id = $1 AND ", owner_is_current!()))
                    .bind_owner(owner)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                // A session ended meanwhile: nothing of the above happens either.
                if deleted == 0 {
                    tx.rollback().await?;
                } else {
                    tx.commit().await?;
                }
                Ok(Some(deleted))
            }
            .await)?;
            match deleted {
                Some(0) => return Err(refusal(&self.store, owner).await),
                Some(_) => return Ok(()),
                None => continue,
            }
        }
        // Three successors in a row left at the very moment of the hand-over: a retry later will do.
        Err(Error::Unavailable(sqlx::Error::PoolTimedOut))
    }

    /// The user with this id, if there is one.
    pub async fn find(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.find_stored(id).await?.map(|stored| stored.user))
    }

    /// Checks that the owner is current (before any bcrypt work), admits the check against the budgets of the
    /// owner's email and `client`, then checks `password` against their hash.
    pub(crate) async fn confirm_password(&self, owner: &Owner, password: &str, client: &Client) -> Result<StoredUser> {
        if let Some(stale) = stale_owner(&self.store, owner).await? {
            return Err(stale.into());
        }
        let stored = self.find_stored(owner.user_id()).await?.ok_or(TokenError::UnknownUser)?;
        let admission = self.limiter.admit_password_check(stored.user.email.as_str(), client).await?;
        // An account without a password has nothing to confirm with (its owner sets one through "forgot password").
        let right = match &stored.hash {
            Some(hash) => self.hasher.verify(password, hash).await?,
            None => {
                self.hasher.verify_dummy(password).await?;
                false
            }
        };
        if !right {
            return Err(Error::WrongPassword);
        }
        admission.succeeded().await;
        Ok(stored)
    }

    /// The user agent the owner's session was started with.
    async fn session_user_agent(&self, owner: &Owner) -> Result<Option<String>> {
        let user_agent = on_connection!(reading self.store, |conn| {
            sqlx::query_scalar::<_, Option<String>>("SELECT user_agent FROM sessions WHERE id = $1 AND user_id = $2")
                .bind(owner.session_id().as_uuid())
                .bind(owner.user_id().as_uuid())
                .fetch_optional(conn)
                .await
        })?;
        Ok(user_agent.flatten())
    }

    /// The user with this id, and their password hash.
    pub(crate) async fn find_stored(&self, id: UserId) -> Result<Option<StoredUser>> {
        self.find_user(UserKey::Id(id)).await
    }

    /// The token keys, for adapters that verify tokens themselves.
    pub fn token_keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// The user with this email, and their password hash.
    pub(crate) async fn find_by_email(&self, email: &Email) -> Result<Option<StoredUser>> {
        self.find_user(UserKey::Email(email)).await
    }

    async fn find_user(&self, key: UserKey<'_>) -> Result<Option<StoredUser>> {
        let row = on_connection!(reading self.store, |conn| {
            match key {
                UserKey::Id(id) => {
                    sqlx::query_as::<_, UserRow>(concat!(select_user!(), " WHERE id = $1")).bind(id.as_uuid())
                }
                UserKey::Email(email) => {
                    sqlx::query_as::<_, UserRow>(concat!(select_user!(), " WHERE email = $1")).bind(email.as_str())
                }
            }
            .fetch_optional(conn)
            .await
        })?;
        Ok(row.map(StoredUser::from))
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    async fn accounts() -> Accounts {
        let store = Store::connect("sqlite::memory:").await.expect("opens");
        store.migrate().await.expect("migrates");
        let config =
            Config::new("unit test secret of at least 32 bytes").expect("valid").with_bcrypt_cost(4).expect("valid");
        Accounts::new(store, &config)
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
