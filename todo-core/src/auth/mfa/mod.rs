//! Second factors: TOTP authenticators, recovery codes, and passkeys; the second step of a sign-in that they make
//! necessary, and the sign-in with a passkey alone.
//!
//! The rules (API.md, "Second factors, passkeys and sign-in links"):
//! - Once an account has a confirmed factor, a first factor (a password, a sign-in link) no longer yields a session:
//!   it yields a [`SecondStep`](crate::SecondStep), finished at [`Accounts::verify_second_step`].
//! - The first confirmed factor raises the session that confirmed it to two factors, ends every other session, and
//!   hands out the recovery codes (shown once, stored hashed).
//! - Changing factors needs a two-factor session ([`Error::TwoFactorSessionRequired`]); adding the first one needs
//!   the password instead for a TOTP authenticator, and only a current session for a passkey (as API.md has it).
//! - A passkey alone signs in with two factors (possession and user verification): no second step follows.
//! - Removing the last factor also removes the recovery codes: the second step is off again.

/// Passkeys (WebAuthn): registration, sign-in with a passkey alone, and the passkey of a second step.
mod passkeys;
/// Recovery codes: generated, normalised as typed, and hashed.
mod recovery;
/// The second step of a sign-in: the `mfa_token`, its attempts, and the codes it accepts.
mod second_step;
/// TOTP authenticators: enrolment, confirmation, and the check of a code (each step once).
mod totp;

use time::OffsetDateTime;
use uuid::Uuid;

use super::accounts::Accounts;
use super::assurance::Assurance;
use crate::error::{Error, Result};
use crate::ids::FactorId;
use crate::store::{not_found_or_refusal, on_connection, owner_is_current, refusal, BindOwner as _, Owner};

pub use self::passkeys::PasskeyOptions;
pub use self::recovery::RECOVERY_CODE_COUNT;
pub use self::second_step::MFA_TOKEN_TTL;
pub use self::totp::{Confirmed, TotpEnrolment, PENDING_TOTP_TTL};

/// The most factors (TOTP authenticators and passkeys) one account may have.
pub const MAX_FACTORS: i64 = 10;
/// The most characters of a factor's name; longer ones are cut.
pub const MAX_FACTOR_NAME_CHARS: usize = 64;

/// What kind of factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorKind {
    /// A TOTP authenticator app.
    Totp,
    /// A passkey (WebAuthn).
    Passkey,
}

impl FactorKind {
    /// The kind's name on the wire and in the database: `totp` or `passkey`.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Totp => "totp",
            FactorKind::Passkey => "passkey",
        }
    }

    fn from_column(kind: &str) -> Self {
        if kind == "passkey" {
            FactorKind::Passkey
        } else {
            FactorKind::Totp
        }
    }
}

/// A confirmed second factor, as listed to its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    /// The factor's id.
    pub id: FactorId,
    /// TOTP or passkey.
    pub kind: FactorKind,
    /// The name the user gave it (or the default: "Authenticator app", "Passkey").
    pub name: String,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it last finished a sign-in (or was confirmed).
    pub last_used_at: Option<OffsetDateTime>,
}

/// A factor row as listed.
#[derive(sqlx::FromRow)]
pub(crate) struct FactorRow {
    id: Uuid,
    kind: String,
    name: String,
    created_at: OffsetDateTime,
    last_used_at: Option<OffsetDateTime>,
}

impl From<FactorRow> for Factor {
    fn from(row: FactorRow) -> Self {
        Self {
            id: FactorId::from_uuid(row.id),
            kind: FactorKind::from_column(&row.kind),
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// The columns of [`FactorRow`], for `concat!`.
macro_rules! select_factor {
    () => {
        "SELECT id, kind, name, created_at, last_used_at FROM mfa_factors"
    };
}

/// A factor's name as kept: control characters dropped, trimmed, at most [`MAX_FACTOR_NAME_CHARS`] characters;
/// `default` when nothing is left.
pub(crate) fn clean_name(name: Option<&str>, default: &str) -> String {
    let kept: String =
        name.unwrap_or_default().chars().filter(|c| !c.is_control()).take(MAX_FACTOR_NAME_CHARS).collect();
    match kept.trim() {
        "" => default.to_owned(),
        kept => kept.to_owned(),
    }
}

/// Replaces the recovery codes of `$user` (a `Uuid`) by `$codes` on `$tx` (a transaction of either engine, inside
/// [`on_connection!`]). Evaluates to `Result<(), sqlx::Error>`.
macro_rules! replace_recovery_codes {
    ($tx:expr, $user:expr, $codes:expr) => {
        async {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind($user).execute(&mut *$tx).await?;
            for code in $codes.iter() {
                let normalized = $crate::auth::mfa::recovery::normalize(code).unwrap_or_default();
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind($user)
                    .bind($crate::auth::mfa::recovery::hash($user, &normalized))
                    .execute(&mut *$tx)
                    .await?;
            }
            Ok::<(), sqlx::Error>(())
        }
    };
}
pub(crate) use replace_recovery_codes;

impl Accounts {
    /// The owner's confirmed factors, oldest first.
    pub async fn factors(&self, owner: &Owner) -> Result<Vec<Factor>> {
        let rows = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, FactorRow>(concat!(
                select_factor!(),
                " WHERE user_id = $1 AND confirmed_at IS NOT NULL AND ",
                owner_is_current!(),
                " ORDER BY id"
            ))
            .bind_owner(owner)
            .fetch_all(conn)
            .await
        })?;
        let rows = crate::store::owned_rows(&self.store, owner, rows).await?;
        Ok(rows.into_iter().map(Factor::from).collect())
    }

    /// Whether `user` has a confirmed factor (and so signs in in two steps).
    pub(crate) async fn has_factors(&self, user: crate::ids::UserId) -> Result<bool> {
        let count: i64 = on_connection!(reading self.store, |conn| {
            sqlx::query_scalar("SELECT COUNT(*) FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
                .bind(user.as_uuid())
                .fetch_one(conn)
                .await
        })?;
        Ok(count > 0)
    }

    /// How the owner's session was won ([`crate::TokenError::Revoked`] and the like when it is no longer current).
    pub async fn session_assurance(&self, owner: &Owner) -> Result<Assurance> {
        let row = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, (i16, String)>(
                "SELECT aal, amr FROM sessions WHERE id = $2 AND user_id = $1 AND expires_at_ms > $3",
            )
            .bind_owner(owner)
            .fetch_optional(conn)
            .await
        })?;
        match row {
            Some((aal, amr)) => Ok(Assurance::from_columns(aal, &amr)),
            None => Err(refusal(&self.store, owner).await),
        }
    }

    /// Refuses with [`Error::TwoFactorSessionRequired`] unless the owner's session was won with two factors.
    pub(crate) async fn require_two_factor_session(&self, owner: &Owner) -> Result<()> {
        if self.session_assurance(owner).await?.aal() < 2 {
            return Err(Error::TwoFactorSessionRequired);
        }
        Ok(())
    }

    /// Removes one of the owner's factors (confirmed or pending); needs a two-factor session. Removing the last
    /// confirmed factor also removes the recovery codes and any second step in progress: sign-ins need one factor
    /// again. Another user's (or no) factor is [`Error::NotFound`].
    pub async fn remove_factor(&self, owner: &Owner, factor: FactorId) -> Result<()> {
        self.require_two_factor_session(owner).await?;
        let removed = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            let removed = sqlx::query(concat!(
                "DELETE FROM mfa_factors WHERE id = $4 AND user_id = $1 AND ",
                owner_is_current!()
            ))
            .bind_owner(owner)
            .bind(factor.as_uuid())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if removed == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            let left: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
                    .bind(owner.user_id().as_uuid())
                    .fetch_one(&mut *tx)
                    .await?;
            if left == 0 {
                for statement in [
                    "DELETE FROM recovery_codes WHERE user_id = $1",
                    "DELETE FROM mfa_challenges WHERE user_id = $1",
                    "DELETE FROM webauthn_challenges WHERE user_id = $1 AND purpose = 'second_step'",
                ] {
                    sqlx::query(statement).bind(owner.user_id().as_uuid()).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(true)
        }
        .await)?;
        if !removed {
            return Err(not_found_or_refusal(&self.store, owner).await);
        }
        tracing::info!(user = %owner.user_id(), %factor, "second factor removed");
        Ok(())
    }

    /// Ten new recovery codes for the owner, voiding the old ones; needs a two-factor session and an account with
    /// a factor (a validation error on `factors` otherwise). Show them once: only their hashes are kept.
    pub async fn regenerate_recovery_codes(&self, owner: &Owner) -> Result<Vec<String>> {
        self.require_two_factor_session(owner).await?;
        let codes = recovery::generate()?;
        let user = owner.user_id().as_uuid();
        let replaced = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            let factors: i64 = sqlx::query_scalar(concat!(
                "SELECT COUNT(*) FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL AND ",
                owner_is_current!()
            ))
            .bind_owner(owner)
            .fetch_one(&mut *tx)
            .await?;
            if factors == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            replace_recovery_codes!(tx, user, &codes).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(true)
        }
        .await)?;
        if !replaced {
            if let Some(stale) = crate::store::stale_owner(&self.store, owner).await? {
                return Err(stale.into());
            }
            return Err(Error::invalid("factors", "the account has no second factor"));
        }
        Ok(codes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_default_when_empty() {
        assert_eq!(clean_name(Some("  Phone\u{0} "), "Authenticator app"), "Phone");
        assert_eq!(clean_name(Some(" \n "), "Passkey"), "Passkey");
        assert_eq!(clean_name(None, "Passkey"), "Passkey");
        assert_eq!(clean_name(Some(&"x".repeat(100)), "Passkey").len(), MAX_FACTOR_NAME_CHARS);
    }
}
