//! TOTP authenticators (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one step either side accepted).
//!
//! Enrolment draws a 160-bit secret, keeps it sealed in a pending factor, and hands the user the secret and its
//! `otpauth://` URI (for a QR code). The factor is in force once a code from the app confirms it. A code is accepted
//! once: the factor keeps the last step a code was accepted for, and a later code must be of a later step, decided
//! by the database (`UPDATE … WHERE totp_last_step < $step`), so two requests with one code cannot both pass.
//! `totp-rs` computes the codes.

use std::fmt;
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder, Totp};
use uuid::Uuid;

use super::{clean_name, recovery, replace_recovery_codes, Factor, FactorRow, MAX_FACTORS};
use crate::abuse::Client;
use crate::auth::accounts::Accounts;
use crate::auth::assurance::Method;
use crate::clock::{millis, now, unix_ms};
use crate::email::Email;
use crate::error::{Error, Result};
use crate::ids::FactorId;
use crate::store::{not_found_or_refusal, on_connection, owner_is_current, refusal, BindOwner as _, Owner};

/// How long an enrolment waits for its first code before it is dropped.
pub const PENDING_TOTP_TTL: Duration = Duration::from_secs(15 * 60);
/// Random bytes in a TOTP secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;
/// The name a TOTP factor gets when the user gives none.
const DEFAULT_NAME: &str = "Authenticator app";

/// A TOTP factor being enrolled: show the secret (or a QR code of the URI) to the user once, then confirm it with
/// a code from their app ([`Accounts::confirm_totp`]). Its `Debug` output hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpEnrolment {
    /// The pending factor's id.
    pub factor_id: FactorId,
    secret: String,
    otpauth_uri: String,
}

impl TotpEnrolment {
    /// The secret in base32, for typing into an app.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The `otpauth://totp/…` URI, for a QR code.
    pub fn otpauth_uri(&self) -> &str {
        &self.otpauth_uri
    }
}

impl fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpEnrolment").field("factor_id", &self.factor_id).finish_non_exhaustive()
    }
}

/// A factor just confirmed, and the recovery codes when it was the account's first (shown once; its `Debug`
/// output hides them).
#[derive(Clone, PartialEq, Eq)]
pub struct Confirmed {
    /// The factor, now in force.
    pub factor: Factor,
    /// Ten recovery codes when this was the account's first factor, `None` otherwise.
    pub recovery_codes: Option<Vec<String>>,
}

impl fmt::Debug for Confirmed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Confirmed")
            .field("factor", &self.factor)
            .field("recovery_codes", &self.recovery_codes.as_ref().map(|codes| codes.len()))
            .finish()
    }
}

/// The RFC 6238 parameters over `secret`.
fn rfc6238(secret: Vec<u8>) -> Builder {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
}

fn build(builder: Builder) -> Result<Totp> {
    builder.build().map_err(|error| Error::internal(std::io::Error::other(error.to_string())))
}

/// The RFC 6238 parameters over `secret`, labelled for `account` at `issuer` (for the `otpauth://` URI).
fn labelled(secret: Vec<u8>, issuer: &str, account: &Email) -> Result<Totp> {
    build(
        rfc6238(secret).with_issuer(Some(issuer.replace(':', ""))).with_account_name(account.as_str().replace(':', "")),
    )
}

/// The step `code` is valid for under `secret` at the current time (one step either side), if it is one; spaces
/// are ignored.
pub(crate) fn matching_step(secret: Vec<u8>, code: &str) -> Result<Option<i64>> {
    let totp = build(rfc6238(secret))?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let Ok(now) = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()) else { return Ok(None) };
    Ok(totp.check(&code, now).and_then(|step| i64::try_from(step).ok()))
}

/// A pending or confirmed TOTP factor's secret, as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct TotpRow {
    pub(crate) id: Uuid,
    pub(crate) totp_secret: Vec<u8>,
}

/// Raises the owner's session to two factors (adding `$method` to its `amr`) and ends every other session of the
/// user, on `$tx` (a transaction of either engine, inside [`on_connection!`]): what the account's first factor
/// does. Evaluates to `Result<(), sqlx::Error>`.
macro_rules! raise_session {
    ($tx:expr, $owner:expr, $method:expr) => {
        async {
            let owner: &$crate::store::Owner = $owner;
            let current: Option<(i16, String)> = sqlx::query_as("SELECT aal, amr FROM sessions WHERE id = $1")
                .bind(owner.session_id().as_uuid())
                .fetch_optional(&mut *$tx)
                .await?;
            let (aal, amr) = current.unwrap_or((1, String::new()));
            let (aal, amr) =
                $crate::auth::assurance::Assurance::from_columns(aal, &amr).with_second_step($method).to_columns();
            sqlx::query("UPDATE sessions SET aal = $1, amr = $2 WHERE id = $3")
                .bind(aal)
                .bind(amr)
                .bind(owner.session_id().as_uuid())
                .execute(&mut *$tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
                .bind(owner.user_id().as_uuid())
                .bind(owner.session_id().as_uuid())
                .execute(&mut *$tx)
                .await?;
            Ok::<(), sqlx::Error>(())
        }
    };
}
pub(crate) use raise_session;

impl Accounts {
    /// Starts adding a TOTP authenticator to the owner's account: a pending factor that works once
    /// [`Accounts::confirm_totp`] confirms it with a code, within [`PENDING_TOTP_TTL`]. A new enrolment replaces a
    /// pending one.
    ///
    /// In a two-factor session nothing else is asked; otherwise `password` must be the account's (its check counts
    /// against the password budgets of `client`, as a login's; [`Error::WrongPassword`] when wrong, a validation
    /// error on `password` when missing). An account has at most [`MAX_FACTORS`] factors.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{Client, Config, Error, Todo};
    ///
    /// let config = Config::new("use at least 32 random bytes here!!")?.with_bcrypt_cost(4)?.with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// let login = todo.accounts().login("ann@example.com", "correct horse battery").await?;
    ///
    /// let client = Client::default();
    /// let enrolment = todo.accounts().enroll_totp(&login.owner, Some("correct horse battery"), None, &client).await?;
    /// assert!(enrolment.otpauth_uri().starts_with("otpauth://totp/"));
    /// // The user types the secret into their app (or scans the URI) and sends back the code it shows:
    /// let code = totp_code(enrolment.secret());
    /// let confirmed = todo.accounts().confirm_totp(&login.owner, enrolment.factor_id, &code).await?;
    /// assert_eq!(confirmed.recovery_codes.map(|codes| codes.len()), Some(10)); // shown once
    ///
    /// // From now on a password alone is not enough.
    /// let second = todo.accounts().login("ann@example.com", "correct horse battery").await.unwrap_err();
    /// assert!(matches!(second, Error::SecondStepRequired(_)));
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// # fn totp_code(secret: &str) -> String {
    /// #     let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    /// #     let totp = totp_rs::Builder::new().with_secret(secret.to_vec()).build().unwrap();
    /// #     totp.generate(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).to_string()
    /// # }
    /// ```
    pub async fn enroll_totp(
        &self,
        owner: &Owner,
        password: Option<&str>,
        name: Option<&str>,
        client: &Client,
    ) -> Result<TotpEnrolment> {
        let stored = if self.session_assurance(owner).await?.aal() >= 2 {
            self.find_stored(owner.user_id()).await?.ok_or(crate::error::TokenError::UnknownUser)?
        } else {
            let password = password
                .ok_or_else(|| Error::invalid("password", "is required: this session was won with one factor"))?;
            self.confirm_password(owner, password, client).await?
        };
        let mut secret = vec![0u8; SECRET_BYTES];
        SystemRandom::new().fill(&mut secret).map_err(Error::internal)?;
        let factor = Uuid::now_v7();
        let totp = labelled(secret.clone(), &self.mfa.issuer, &stored.user.email)?;
        let otpauth_uri = totp.to_url().map_err(|error| Error::internal(std::io::Error::other(error.to_string())))?;
        let sealed = self.mfa.sealer.seal(&secret, factor.as_bytes())?;
        let now = now();
        let expires_at_ms = unix_ms(now).saturating_add(millis(PENDING_TOTP_TTL));
        let name = clean_name(name, DEFAULT_NAME);
        let added = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            sqlx::query("DELETE FROM mfa_factors WHERE user_id = $1 AND kind = 'totp' AND confirmed_at IS NULL")
                .bind(owner.user_id().as_uuid())
                .execute(&mut *tx)
                .await?;
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mfa_factors WHERE user_id = $1")
                .bind(owner.user_id().as_uuid())
                .fetch_one(&mut *tx)
                .await?;
            if count >= MAX_FACTORS {
                tx.rollback().await?;
                return Ok(None);
            }
            let inserted = sqlx::query(concat!(
                "INSERT INTO mfa_factors (id, user_id, kind, name, created_at, pending_expires_at_ms, totp_secret) \
                 SELECT $4, $1, 'totp', $5, $6, $7, $8 WHERE ",
                owner_is_current!()
            ))
            .bind_owner_at(owner, unix_ms(now))
            .bind(factor)
            .bind(&name)
            .bind(now)
            .bind(expires_at_ms)
            .bind(&sealed)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some(inserted))
        }
        .await)?;
        match added {
            None => Err(Error::invalid("factors", format!("an account has at most {MAX_FACTORS} factors"))),
            Some(0) => Err(refusal(&self.store, owner).await),
            Some(_) => Ok(TotpEnrolment {
                factor_id: FactorId::from_uuid(factor),
                secret: totp.secret().to_base32(),
                otpauth_uri,
            }),
        }
    }

    /// Confirms a pending TOTP factor of the owner with a `code` from the app: the factor is in force from now on
    /// (that code, and earlier ones, will not work again). A wrong code is a validation error on `code`; a factor
    /// that is not the owner's, not pending, or whose enrolment expired is [`Error::NotFound`].
    ///
    /// The account's first factor also raises the owner's session to two factors, ends every other session of the
    /// user, and returns the ten recovery codes.
    pub async fn confirm_totp(&self, owner: &Owner, factor: FactorId, code: &str) -> Result<Confirmed> {
        let pending = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, TotpRow>(
                "SELECT id, totp_secret FROM mfa_factors WHERE id = $1 AND user_id = $2 AND kind = 'totp' \
                 AND confirmed_at IS NULL AND pending_expires_at_ms > $3",
            )
            .bind(factor.as_uuid())
            .bind(owner.user_id().as_uuid())
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        let Some(pending) = pending else { return Err(not_found_or_refusal(&self.store, owner).await) };
        let secret = self.mfa.sealer.open(&pending.totp_secret, pending.id.as_bytes()).ok_or(Error::NotFound)?;
        let step = matching_step(secret, code)?.ok_or_else(|| {
            Error::invalid("code", "does not match: enter the code the app shows now (check the device's clock)")
        })?;
        let codes = recovery::generate()?;
        let now = now();
        let user_id = owner.user_id().as_uuid();
        let confirmed = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // The user's row lock (a write on SQLite): confirmations of one account run one after the other, so
            // exactly one of them is the first.
            sqlx::query("UPDATE users SET email_verified_at = email_verified_at WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let before: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
                    .bind(user_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let row = sqlx::query_as::<_, FactorRow>(concat!(
                "UPDATE mfa_factors SET confirmed_at = $5, last_used_at = $5, pending_expires_at_ms = NULL, \
                 totp_last_step = $6 WHERE id = $4 AND user_id = $1 AND confirmed_at IS NULL \
                 AND pending_expires_at_ms > $3 AND ",
                owner_is_current!(),
                " RETURNING id, kind, name, created_at, last_used_at"
            ))
            .bind_owner_at(owner, unix_ms(now))
            .bind(factor.as_uuid())
            .bind(now)
            .bind(step)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                tx.rollback().await?;
                return Ok(None);
            };
            let first = before == 0;
            if first {
                replace_recovery_codes!(tx, user_id, &codes).await?;
                raise_session!(tx, owner, Method::Totp).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some((row, first)))
        }
        .await)?;
        let Some((row, first)) = confirmed else { return Err(not_found_or_refusal(&self.store, owner).await) };
        tracing::info!(user = %owner.user_id(), factor = %factor, first, "TOTP factor confirmed");
        Ok(Confirmed { factor: Factor::from(row), recovery_codes: first.then_some(codes) })
    }
}
