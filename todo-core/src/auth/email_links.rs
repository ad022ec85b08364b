//! Email verification and password recovery: the tokens in mail links, and the flows that issue and use them.
//!
//! A link's token is 32 random bytes (base64url); the database keeps only its SHA-256 hash, with its purpose and
//! expiry (verification 24 hours, reset 1 hour, by default). Using a token deletes it in the statement that
//! checks it (`DELETE … RETURNING`), so the database decides the single use. Issuing a token deletes the user's
//! other tokens of that purpose, in one transaction that first takes the user's row lock, so that two requests
//! at once cannot both pass the resend interval, and at most one link of each kind works at a time.
//!
//! Mails are composed here and returned as an [`OutgoingMail`](crate::OutgoingMail): the caller sends it after answering its
//! request, so that answering costs the same whether or not a mail goes out.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::accounts::{Accounts, Login};
use super::assurance::{Assurance, Method};
use super::password::Password;
use super::sessions::{insert_session, NewSession};
use super::users::User;
use crate::abuse::Client;
use crate::clock::{millis, now, unix_ms};
use crate::email::Email;
use crate::error::{Error, Result, TokenError};
use crate::ids::UserId;
use crate::mail::{MailKind, OutgoingMail};
use crate::secret::{random_token, token_hash};
use crate::store::{on_connection, Owner};

/// The least time between two verification mails to one user.
pub const RESEND_INTERVAL: Duration = Duration::from_secs(60);

impl MailKind {
    /// The `purpose` column's value.
    pub(crate) fn purpose(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "verify_email",
            MailKind::ResetPassword => "reset_password",
            MailKind::SignIn => "sign_in",
        }
    }
}

/// Spends the unexpired token of `$kind` whose hash is `$hash` on `$tx` (a transaction of either engine, inside
/// [`on_connection!`]): deletes it and evaluates to a future of its user's id, `None` when there is no such token.
/// The delete decides the single use, so two requests with one token cannot both get its user.
macro_rules! spend_token {
    ($tx:expr, $hash:expr, $kind:expr, $now_ms:expr) => {
        sqlx::query_scalar::<_, Uuid>(
            "DELETE FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at_ms > $3 RETURNING user_id",
        )
        .bind($hash)
        .bind($kind.purpose())
        .bind($now_ms)
        .fetch_optional(&mut *$tx)
    };
}

/// Why a token could not be issued.
pub(crate) enum Refused {
    NoSuchUser,
    TooSoon(Duration),
}

impl Accounts {
    /// A verification mail for `user` (just signed up): a new link, which voids the user's older ones.
    pub async fn verification_mail(&self, user: &User) -> Result<OutgoingMail> {
        match self.issue(user.id, MailKind::VerifyEmail, None).await? {
            Ok(token) => Ok(self.outgoing(user, MailKind::VerifyEmail, &token)),
            // Without an interval, the only refusal is a user deleted meanwhile.
            Err(Refused::NoSuchUser | Refused::TooSoon(_)) => Err(TokenError::UnknownUser.into()),
        }
    }

    /// Another verification mail for the owner: [`Error::EmailAlreadyVerified`] when there is nothing to verify,
    /// [`Error::MailTooSoon`] within [`RESEND_INTERVAL`] of the last one.
    pub async fn resend_verification_mail(&self, owner: &Owner) -> Result<OutgoingMail> {
        let user = self.find(owner.user_id()).await?.ok_or(TokenError::UnknownUser)?;
        if user.email_verified_at.is_some() {
            return Err(Error::EmailAlreadyVerified);
        }
        match self.issue(user.id, MailKind::VerifyEmail, Some(RESEND_INTERVAL)).await? {
            Ok(token) => Ok(self.outgoing(&user, MailKind::VerifyEmail, &token)),
            Err(Refused::NoSuchUser) => Err(TokenError::UnknownUser.into()),
            Err(Refused::TooSoon(retry_after)) => Err(Error::MailTooSoon { retry_after }),
        }
    }

    /// Uses a verification link's token: marks the email verified (keeping the first time) and returns the user.
    /// A token that is unknown, used, voided or expired is a validation error on `token`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use todo_core::{mail::Outbox, Config, Todo};
    ///
    /// let outbox = Outbox::default();
    /// let config = Config::new("use at least 32 random bytes here!!")?
    ///     .with_bcrypt_cost(4)? // fast for the example
    ///     .with_app_url("https://app.example.com")?
    ///     .with_mailer(Arc::new(outbox.clone()))
    ///     .with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// let user = todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// todo.accounts().verification_mail(&user).await?.send().await.expect("the outbox takes it");
    ///
    /// // The link in the mail: https://app.example.com/verify-email?token=…
    /// let text = &outbox.mails()[0].text;
    /// let token = text.split("verify-email?token=").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap();
    /// let verified = todo.accounts().verify_email(token).await?;
    /// assert!(verified.email_verified_at.is_some());
    /// assert!(todo.accounts().verify_email(token).await.is_err()); // single use
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn verify_email(&self, token: &str) -> Result<User> {
        let user = self.spend_proving_the_address(token, MailKind::VerifyEmail).await?;
        self.find(user).await?.ok_or_else(Error::invalid_link_token)
    }

    /// Spends an unexpired token of `kind` (a link that proves its reader holds the mailbox) and marks its user's
    /// email verified (keeping the first time), in one transaction; the user. A token that is unknown, used,
    /// voided or expired is a validation error on `token`.
    pub(crate) async fn spend_proving_the_address(&self, token: &str, kind: MailKind) -> Result<UserId> {
        let hash = token_hash(token);
        let now = now();
        let user = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            let user = spend_token!(tx, &hash, kind, unix_ms(now)).await?;
            if let Some(user) = user {
                sqlx::query("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2")
                    .bind(now)
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(user)
        }
        .await)?;
        user.map(UserId::from_uuid).ok_or_else(Error::invalid_link_token)
    }

    /// Counts a request for a password-reset mail for `email` from `client` against the reset budgets of
    /// (email, the client's network), the email, and the network; [`Error::RateLimited`] over one of them. Every
    /// request counts, whether or not an account has the email, so the answer tells nothing. Call it before
    /// answering, then [`Accounts::password_reset_mail`] after.
    pub async fn admit_password_reset(&self, email: &Email, client: &Client) -> Result<()> {
        self.limiter.count_password_reset(email.as_str(), client).await
    }

    /// The password-reset mail for `email`, or `None` when no account has that email. Whoever asks, answer the
    /// same and send the mail afterwards, so that neither the answer nor its timing tells who has an account.
    /// Admit the request first ([`Accounts::admit_password_reset`]).
    pub async fn password_reset_mail(&self, email: &Email) -> Result<Option<OutgoingMail>> {
        self.link_mail(email, MailKind::ResetPassword).await
    }

    /// A mail of `kind` with a new link for the account of `email` (voiding its older ones), or `None` when no
    /// account has that email.
    pub(crate) async fn link_mail(&self, email: &Email, kind: MailKind) -> Result<Option<OutgoingMail>> {
        let Some(stored) = self.find_by_email(email).await? else { return Ok(None) };
        match self.issue(stored.user.id, kind, None).await? {
            Ok(token) => Ok(Some(self.outgoing(&stored.user, kind, &token))),
            // Deleted between the lookup and the issue: as if it had never been there.
            Err(_) => Ok(None),
        }
    }

    /// Uses a password-reset link's token: sets the new password, ends every session of the user, and starts a
    /// new one (remembering `user_agent`) whose tokens are returned. Following the link also proves the address,
    /// so the email counts as verified from then on. The new password obeys the signup rules (errors on
    /// `new_password`); a token that is unknown, used, voided or expired is a validation error on `token`.
    ///
    /// For an account with a second factor the link is only a first factor: the password is set and the sessions
    /// end all the same, but the answer is [`Error::SecondStepRequired`] instead of a session, so a stolen mailbox
    /// alone does not open the account.
    pub async fn reset_password(&self, token: &str, new_password: &str, user_agent: Option<&str>) -> Result<Login> {
        let password = Password::for_field("new_password", new_password.to_owned())?;
        let hash = token_hash(token);
        // Check the token before paying for bcrypt, so that guessing tokens costs the server nothing.
        let holder = self.token_holder(&hash, MailKind::ResetPassword).await?.ok_or_else(Error::invalid_link_token)?;
        let password_hash = self.hasher.hash(&password).await?;
        let second_step = self.has_factors(holder).await?;
        let session = NewSession::new(self.sessions.policy(), holder, user_agent, Assurance::first(Method::EmailLink))?;
        let reset = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            let user = spend_token!(tx, &hash, MailKind::ResetPassword, session.now_ms).await?;
            if user != Some(holder.as_uuid()) {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(
                "UPDATE users SET password_hash = $1, email_verified_at = COALESCE(email_verified_at, $2) \
                 WHERE id = $3",
            )
            .bind(password_hash.as_str())
            .bind(session.now)
            .bind(holder.as_uuid())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(holder.as_uuid()).execute(&mut *tx).await?;
            if !second_step {
                insert_session!(tx, &session).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(true)
        }
        .await)?;
        if !reset {
            return Err(Error::invalid_link_token());
        }
        let issued = if second_step {
            match self.second_step_for(holder, Method::EmailLink, user_agent).await? {
                Some(step) => return Err(Error::SecondStepRequired(step)),
                // The last factor went in the meantime: a session as for any account.
                None => self.sessions.start(holder, user_agent, Assurance::first(Method::EmailLink)).await?,
            }
        } else {
            session.issued()
        };
        let stored = self.find_stored(holder).await?.ok_or_else(Error::invalid_link_token)?;
        self.signed_in(stored.user, issued)
    }

    /// The user an unexpired token of this purpose belongs to.
    async fn token_holder(&self, hash: &[u8], kind: MailKind) -> Result<Option<UserId>> {
        let user: Option<Uuid> = on_connection!(reading self.store, |conn| {
            sqlx::query_scalar(
                "SELECT user_id FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at_ms > $3",
            )
            .bind(hash)
            .bind(kind.purpose())
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        Ok(user.map(UserId::from_uuid))
    }

    /// Stores a new token of `kind` for `user`, voiding the older ones; refused when the last one is younger
    /// than `min_interval`.
    pub(crate) async fn issue(
        &self,
        user: UserId,
        kind: MailKind,
        min_interval: Option<Duration>,
    ) -> Result<std::result::Result<String, Refused>> {
        let token = random_token()?;
        let ttl = match kind {
            MailKind::VerifyEmail => self.mail.verification_ttl,
            MailKind::ResetPassword => self.mail.reset_ttl,
            MailKind::SignIn => self.mail.sign_in_link_ttl,
        };
        let now_ms = unix_ms(now());
        let issued = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // The user's row lock (a write on SQLite): issuances for one user run one after the other.
            let exists = sqlx::query("UPDATE users SET email_verified_at = email_verified_at WHERE id = $1")
                .bind(user.as_uuid())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if exists == 0 {
                tx.rollback().await?;
                return Ok(Err(Refused::NoSuchUser));
            }
            if let Some(min_interval) = min_interval {
                let last: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(created_at_ms) FROM email_tokens WHERE user_id = $1 AND purpose = $2",
                )
                .bind(user.as_uuid())
                .bind(kind.purpose())
                .fetch_one(&mut *tx)
                .await?;
                let wait = last.map_or(0, |last| last.saturating_add(millis(min_interval)).saturating_sub(now_ms));
                if wait > 0 {
                    tx.rollback().await?;
                    return Ok(Err(Refused::TooSoon(Duration::from_millis(wait.unsigned_abs()))));
                }
            }
            sqlx::query("DELETE FROM email_tokens WHERE user_id = $1 AND purpose = $2")
                .bind(user.as_uuid())
                .bind(kind.purpose())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at_ms, expires_at_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash(&token))
            .bind(user.as_uuid())
            .bind(kind.purpose())
            .bind(now_ms)
            .bind(now_ms.saturating_add(millis(ttl)))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Ok(()))
        }
        .await)?;
        Ok(issued.map(|()| token))
    }

    pub(crate) fn outgoing(&self, user: &User, kind: MailKind, token: &str) -> OutgoingMail {
        OutgoingMail::new(
            self.mail.links.mail(kind, &user.email, token),
            Arc::clone(&self.mail.mailer),
            Some(user.id),
            kind.purpose(),
        )
    }
}
