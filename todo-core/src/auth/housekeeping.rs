//! Housekeeping: deleting the rows that no request can use any more, so that the tables grow with the live
//! sessions and not with history.
//!
//! [`Accounts::sweep_expired`] deletes sessions past their expiry (their refresh tokens go with them), refresh
//! tokens past theirs (a spent token is kept until then, for reuse detection), mail-link tokens past theirs (a used
//! one is deleted when it is used), second steps of sign-ins, TOTP enrolments never confirmed and WebAuthn ceremonies
//! past theirs, sign-ins at identity providers that never came back and their one-time codes never exchanged, the idempotency keys
//! of creates past their 24 hours, invitations to lists past their 7 days, and the abuse limits' counters whose window has ended. A server runs it every
//! `CLEANUP_INTERVAL_SECONDS`.
//!
//! Each table is swept in batches of [`BATCH`] rows, one short statement each, so that no sweep holds locks that
//! requests would wait on. On PostgreSQL one instance sweeps at a time: the sweep holds an advisory lock on its
//! connection, and an instance that cannot take it at once skips its turn (the lock goes with the connection, so
//! an instance that dies mid-sweep does not keep it).

use super::accounts::Accounts;
use crate::clock::{now, unix_ms};
use crate::error::Result;
use crate::store::on_connection;

/// Rows one statement deletes at most.
const BATCH: i64 = 1_000;
/// The advisory lock of the sweep on PostgreSQL (an arbitrary number that no other lock of this schema uses).
const SWEEP_LOCK: i64 = 0x746f_646f_7377_6570; // "todoswep"

/// The expired rows, by table, that one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Swept {
    /// Sessions past their expiry (with their refresh tokens).
    pub sessions: u64,
    /// Refresh tokens past their expiry, of sessions still live.
    pub refresh_tokens: u64,
    /// Mail-link tokens past their expiry.
    pub mail_tokens: u64,
    /// Abuse-limit counters whose window has ended.
    pub limit_counters: u64,
    /// Second steps of sign-ins (`mfa_token`s) past their expiry.
    pub second_steps: u64,
    /// TOTP enrolments never confirmed, past their expiry.
    pub pending_factors: u64,
    /// WebAuthn ceremonies past their expiry.
    pub ceremonies: u64,
    /// Sign-ins started at an identity provider that never came back, past their expiry.
    pub provider_flows: u64,
    /// One-time codes of provider sign-ins never exchanged, past their expiry.
    pub exchange_codes: u64,
    /// Idempotency keys of creates, past their 24 hours.
    pub idempotency_keys: u64,
    /// Invitations to lists never accepted nor withdrawn, past their 7 days.
    pub invitations: u64,
    /// Whether another instance was sweeping (PostgreSQL), so this one deleted nothing.
    pub skipped: bool,
}

/// One batch of each table's sweep: `DELETE` the rows whose `expires_at_ms` is past `$1`, at most `$2` of them.
const STATEMENTS: [&str; 10] = [
    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at_ms <= $1 LIMIT $2)",
    "DELETE FROM refresh_tokens WHERE token_hash IN \
     (SELECT token_hash FROM refresh_tokens WHERE expires_at_ms <= $1 LIMIT $2)",
    "DELETE FROM email_tokens WHERE token_hash IN \
     (SELECT token_hash FROM email_tokens WHERE expires_at_ms <= $1 LIMIT $2)",
    "DELETE FROM mfa_challenges WHERE token_hash IN \
     (SELECT token_hash FROM mfa_challenges WHERE expires_at_ms <= $1 LIMIT $2)",
    "DELETE FROM mfa_factors WHERE id IN (SELECT id FROM mfa_factors \
     WHERE pending_expires_at_ms <= $1 AND confirmed_at IS NULL LIMIT $2)",
    "DELETE FROM webauthn_challenges WHERE id IN (SELECT id FROM webauthn_challenges WHERE expires_at_ms <= $1 LIMIT $2)",
    "DELETE FROM oidc_flows WHERE state_hash IN (SELECT state_hash FROM oidc_flows WHERE expires_at_ms <= $1 LIMIT $2)",
    "DELETE FROM oidc_exchange_codes WHERE code_hash IN \
     (SELECT code_hash FROM oidc_exchange_codes WHERE expires_at_ms <= $1 LIMIT $2)",
    // The tasks' table (idempotency keys of creates) is swept here too: one sweep, one lock, one interval.
    "DELETE FROM idempotency_keys WHERE (user_id, operation, key) IN \
     (SELECT user_id, operation, key FROM idempotency_keys WHERE expires_at_ms <= $1 LIMIT $2)",
    // And the lists' invitations (a table, not a use of `lists`).
    "DELETE FROM invitations WHERE id IN (SELECT id FROM invitations WHERE expires_at_ms <= $1 LIMIT $2)",
];

impl Accounts {
    /// Deletes the expired sessions, refresh tokens, mail-link tokens and abuse-limit counters (see the module).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{Config, Todo};
    ///
    /// let config = Config::new("use at least 32 random bytes here!!")?
    ///     .with_bcrypt_cost(4)? // fast for the example
    ///     .with_refresh_ttl(std::time::Duration::ZERO) // sessions that end at once, to have something to sweep
    ///     .with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// todo.accounts().login("ann@example.com", "correct horse battery").await?;
    ///
    /// let swept = todo.accounts().sweep_expired().await?;
    /// assert_eq!(swept.sessions, 1);
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn sweep_expired(&self) -> Result<Swept> {
        let now_ms = unix_ms(now());
        let postgres = self.store.backend_name() == "postgres";
        let deleted = on_connection!(self.store, |conn| async {
            let mut deleted = [0u64; STATEMENTS.len()];
            for (statement, count) in STATEMENTS.iter().zip(&mut deleted) {
                loop {
                    // One transaction per batch: on PostgreSQL it holds the sweep's lock, which goes with it.
                    let mut tx = conn.begin().await?;
                    if postgres {
                        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
                            .bind(SWEEP_LOCK)
                            .fetch_one(&mut *tx)
                            .await?;
                        if !locked {
                            tx.rollback().await?;
                            return Ok(None);
                        }
                    }
                    let batch = sqlx::query(statement).bind(now_ms).bind(BATCH).execute(&mut *tx).await?;
                    tx.commit().await?;
                    *count += batch.rows_affected();
                    if batch.rows_affected() < BATCH.unsigned_abs() {
                        break;
                    }
                }
            }
            Ok::<_, sqlx::Error>(Some(deleted))
        }
        .await)?;
        let Some(
            [sessions, refresh_tokens, mail_tokens, second_steps, pending_factors, ceremonies, provider_flows, exchange_codes, idempotency_keys, invitations],
        ) = deleted
        else {
            return Ok(Swept { skipped: true, ..Swept::default() });
        };
        let limit_counters = self.limiter.sweep().await?;
        let swept = Swept {
            sessions,
            refresh_tokens,
            mail_tokens,
            limit_counters,
            second_steps,
            pending_factors,
            ceremonies,
            provider_flows,
            exchange_codes,
            idempotency_keys,
            invitations,
            skipped: false,
        };
        tracing::debug!(?swept, "expired rows swept");
        Ok(swept)
    }
}
