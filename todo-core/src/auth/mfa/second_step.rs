//! The second step of a sign-in.
//!
//! When a first factor succeeds for an account with a confirmed factor, no session starts: a challenge does. Its
//! `mfa_token` (32 random bytes, kept as a SHA-256 hash) lives [`MFA_TOKEN_TTL`] and is used once. Each code tried
//! with it first takes an attempt, in the statement that checks the token (`UPDATE … SET attempts = attempts + 1
//! WHERE attempts < 5`), and a slot of the account's password-check budgets, so a burst of guesses gets no more
//! than five checks per token and no more than the budgets allow per account; the fifth wrong code voids the token.
//! The right code deletes the challenge (the database decides the single use) and starts a two-factor session.

use std::time::Duration;

use uuid::Uuid;

use super::recovery;
use super::totp::{matching_step, TotpRow};
use crate::abuse::Client;
use crate::auth::accounts::{Accounts, Login};
use crate::auth::assurance::{Assurance, Method};
use crate::clock::{millis, now, unix_ms};
use crate::error::{Error, Result, SecondStep, SecondStepMethod};
use crate::ids::UserId;
use crate::secret::{random_token, token_hash};
use crate::store::on_connection;

/// How long an `mfa_token` works.
pub const MFA_TOKEN_TTL: Duration = Duration::from_secs(5 * 60);
/// Codes tried with one `mfa_token`; the fifth wrong one voids it.
const MAX_ATTEMPTS: i32 = 5;

/// A challenge whose attempt was just taken.
#[derive(sqlx::FromRow)]
pub(super) struct Attempt {
    /// The user signing in.
    pub(super) user_id: Uuid,
    /// The first factor's `amr` name.
    pub(super) first_factor: String,
    /// The user agent the first step came with, for the session to come.
    pub(super) user_agent: Option<String>,
    /// Attempts taken so far, this one included.
    pub(super) attempts: i32,
}

impl Accounts {
    /// After a first factor (`first`) for `user`: a [`SecondStep`] when the account has a confirmed factor (the
    /// challenge is stored, remembering `user_agent` for the session to come), `None` when it has none.
    pub(crate) async fn second_step_for(
        &self,
        user: UserId,
        first: Method,
        user_agent: Option<&str>,
    ) -> Result<Option<SecondStep>> {
        let (totp, passkeys, codes): (i64, i64, i64) = on_connection!(reading self.store, |conn| {
            sqlx::query_as(
                "SELECT \
                 (SELECT COUNT(*) FROM mfa_factors WHERE user_id = $1 AND kind = 'totp' AND confirmed_at IS NOT NULL), \
                 (SELECT COUNT(*) FROM mfa_factors WHERE user_id = $1 AND kind = 'passkey' AND confirmed_at IS NOT NULL), \
                 (SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1)",
            )
            .bind(user.as_uuid())
            .fetch_one(conn)
            .await
        })?;
        if totp == 0 && passkeys == 0 {
            return Ok(None);
        }
        let methods = [
            (totp, SecondStepMethod::Totp),
            (codes, SecondStepMethod::RecoveryCode),
            (passkeys, SecondStepMethod::Passkey),
        ]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(_, method)| method)
        .collect();
        let token = random_token()?;
        let expires_at_ms = unix_ms(now()).saturating_add(millis(MFA_TOKEN_TTL));
        let user_agent = crate::auth::sessions::clean_user_agent(user_agent);
        on_connection!(self.store, |conn| {
            sqlx::query(
                "INSERT INTO mfa_challenges (token_hash, user_id, first_factor, user_agent, expires_at_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash(&token))
            .bind(user.as_uuid())
            .bind(first.amr())
            .bind(user_agent)
            .bind(expires_at_ms)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        Ok(Some(SecondStep::new(token, methods)))
    }

    /// Finishes a sign-in's second step with a `code`: a TOTP code from one of the account's authenticators, or
    /// one of its recovery codes (each works once). Returns the tokens of a new two-factor session.
    ///
    /// An `mfa_token` that is unknown, used, expired or voided is [`Error::InvalidMfaToken`]; a wrong code is
    /// [`Error::WrongCode`], and the fifth wrong code voids the token. Every code tried takes a slot of the
    /// account's password-check budgets from `client` first ([`Error::RateLimited`] when spent), given back when
    /// the code is right.
    pub async fn verify_second_step(&self, mfa_token: &str, code: &str, client: &Client) -> Result<Login> {
        let hash = token_hash(mfa_token);
        let attempt = self.take_attempt(&hash).await?;
        let user = UserId::from_uuid(attempt.user_id);
        let stored = self.find_stored(user).await?.ok_or(Error::InvalidMfaToken)?;
        let admission = self.limiter.admit_password_check(stored.user.email.as_str(), client).await?;
        let Some(method) = self.check_code(user, code).await? else {
            return Err(self.wrong_attempt(&hash, &attempt).await);
        };
        admission.succeeded().await;
        self.finish_second_step(&hash, stored, attempt.first_factor, attempt.user_agent, method).await
    }

    /// The answer to an attempt that proved nothing: [`Error::WrongCode`], once the challenge is voided if it was its
    /// last attempt (or the error that voiding it met).
    pub(super) async fn wrong_attempt(&self, hash: &[u8], attempt: &Attempt) -> Error {
        if attempt.attempts >= MAX_ATTEMPTS {
            if let Err(error) = self.void_challenge(hash).await {
                return error;
            }
        }
        Error::WrongCode
    }

    /// The user of the live challenge with this hash (one with attempts left), without taking an attempt;
    /// [`Error::InvalidMfaToken`] when there is none.
    pub(super) async fn live_challenge_user(&self, hash: &[u8]) -> Result<UserId> {
        let user = on_connection!(reading self.store, |conn| {
            sqlx::query_scalar::<_, Uuid>(
                "SELECT user_id FROM mfa_challenges WHERE token_hash = $1 AND attempts < $2 AND expires_at_ms > $3",
            )
            .bind(hash)
            .bind(MAX_ATTEMPTS)
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        user.map(UserId::from_uuid).ok_or(Error::InvalidMfaToken)
    }

    /// Spends the challenge with this hash and starts the two-factor session it leads to.
    pub(super) async fn finish_second_step(
        &self,
        hash: &[u8],
        stored: crate::auth::users::StoredUser,
        first_factor: String,
        user_agent: Option<String>,
        method: Method,
    ) -> Result<Login> {
        if self.void_challenge(hash).await? == 0 {
            // A concurrent second step with the same token finished first.
            return Err(Error::InvalidMfaToken);
        }
        let assurance = Assurance::from_columns(1, &first_factor).with_second_step(method);
        let issued = self.sessions.start(stored.user.id, user_agent.as_deref(), assurance).await?;
        tracing::info!(user = %stored.user.id, method = method.amr(), "second step passed");
        self.signed_in(stored.user, issued)
    }

    /// Takes an attempt of the live challenge with this hash; [`Error::InvalidMfaToken`] when there is none (or it
    /// has no attempt left).
    pub(super) async fn take_attempt(&self, hash: &[u8]) -> Result<Attempt> {
        let attempt = on_connection!(self.store, |conn| {
            sqlx::query_as::<_, Attempt>(
                "UPDATE mfa_challenges SET attempts = attempts + 1 \
                 WHERE token_hash = $1 AND attempts < $2 AND expires_at_ms > $3 \
                 RETURNING user_id, first_factor, user_agent, attempts",
            )
            .bind(hash)
            .bind(MAX_ATTEMPTS)
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        attempt.ok_or(Error::InvalidMfaToken)
    }

    /// Deletes the challenge with this hash; how many rows went (0 or 1).
    async fn void_challenge(&self, hash: &[u8]) -> Result<u64> {
        Ok(on_connection!(self.store, |conn| {
            sqlx::query("DELETE FROM mfa_challenges WHERE token_hash = $1")
                .bind(hash)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?)
    }

    /// Which method `code` proves for `user`, spending it (a TOTP step, a recovery code); `None` when it proves
    /// nothing.
    async fn check_code(&self, user: UserId, code: &str) -> Result<Option<Method>> {
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(self.spend_totp_code(user, &digits).await?.then_some(Method::Totp));
        }
        let Some(normalized) = recovery::normalize(code) else { return Ok(None) };
        let used = on_connection!(self.store, |conn| {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
                .bind(user.as_uuid())
                .bind(recovery::hash(user.as_uuid(), &normalized))
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok((used == 1).then_some(Method::RecoveryCode))
    }

    /// Whether `code` is a current code of one of `user`'s TOTP factors for a step later than that factor's last
    /// accepted one; if so, that step is now the last accepted.
    async fn spend_totp_code(&self, user: UserId, code: &str) -> Result<bool> {
        let factors = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, TotpRow>(
                "SELECT id, totp_secret FROM mfa_factors \
                 WHERE user_id = $1 AND kind = 'totp' AND confirmed_at IS NOT NULL ORDER BY id",
            )
            .bind(user.as_uuid())
            .fetch_all(conn)
            .await
        })?;
        for factor in factors {
            let Some(secret) = self.mfa.sealer.open(&factor.totp_secret, factor.id.as_bytes()) else {
                tracing::warn!(factor = %factor.id, "a TOTP secret does not open with any accepted signing secret");
                continue;
            };
            let Some(step) = matching_step(secret, code)? else { continue };
            let now = now();
            let spent = on_connection!(self.store, |conn| {
                sqlx::query(
                    "UPDATE mfa_factors SET totp_last_step = $1, last_used_at = $2 \
                     WHERE id = $3 AND (totp_last_step IS NULL OR totp_last_step < $1)",
                )
                .bind(step)
                .bind(now)
                .bind(factor.id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
            })?;
            if spent == 1 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
