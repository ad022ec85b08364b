//! The rewrite of stored emails into their canonical form ([`Email`]: the domain in IDNA ASCII form, the local part
//! lower-cased in NFC), which migration 0006 asks for and SQL cannot do: [`Store::migrate`] runs it after the SQL
//! migrations, once.
//!
//! Releases before 0006 stored addresses trimmed and lower-cased only, so one mailbox may be stored in several
//! spellings (`ann@bücher.example`, `ann@xn--bcher-kva.example`), each its own account. Only one of them can keep
//! the canonical address; who does:
//!
//! 1. an account already stored at the canonical address keeps it (its row does not change, and that spelling
//!    reached it before the upgrade);
//! 2. otherwise, among the accounts that would move to one address, one whose address was verified wins over the
//!    unverified ones: it proved that it receives the mail, where an unverified account may be someone else's
//!    pre-registration of the address;
//! 3. among equals, the oldest (`created_at`, then id).
//!
//! The others keep their old spelling, are recorded in `uncanonical_emails` (with who kept the address) and are
//! logged by id, never by address. Every spelling now signs in to the account that kept the address, so they can
//! no longer sign in by password or reset it: the README's "Operating" section says how an operator resolves them.
//! An address with no valid canonical form (its domain refused by IDNA, or longer than [`MAX_EMAIL_CHARS`] in
//! ASCII) is left as it is and recorded as `invalid`.
//!
//! The rewrite runs in one transaction that first deletes its row of `pending_rewrites`: concurrent starts on one
//! database run it once (the second waits for the first's row lock, then finds no row), and a crash before the
//! commit leaves the row for the next start. Inserting the row again runs it again; each run rebuilds
//! `uncanonical_emails`.
//!
//! [`MAX_EMAIL_CHARS`]: crate::MAX_EMAIL_CHARS

use std::collections::{BTreeSet, HashMap};

use time::OffsetDateTime;
use uuid::Uuid;

use super::{on_connection, Store};
use crate::clock::{now, unix_ms};
use crate::email::Email;
use crate::error::Result;

/// This rewrite's row in `pending_rewrites`.
const NAME: &str = "canonical_emails";
/// Users read per statement, so that memory holds one batch and the accounts to rewrite, not the whole table.
const BATCH: i64 = 1_000;

/// An account whose stored address is not in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stray {
    id: Uuid,
    created_at: OffsetDateTime,
    verified: bool,
    /// The canonical form of its address; `None` when it has no valid one.
    canonical: Option<String>,
}

/// What the rewrite does with a [`Stray`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Its address becomes `canonical`.
    Rewrite { id: Uuid, canonical: String },
    /// It keeps its old spelling: account `kept_by` keeps the canonical address.
    Taken { id: Uuid, kept_by: Uuid },
    /// It keeps its old spelling, which has no valid canonical form.
    Invalid { id: Uuid },
}

/// The account behind a stored `email`, when the email is not in canonical form.
fn stray(id: Uuid, email: &str, created_at: OffsetDateTime, verified: bool) -> Option<Stray> {
    let canonical = Email::parse(email).ok().map(|email| email.as_str().to_owned());
    if canonical.as_deref() == Some(email) {
        return None;
    }
    // A canonical form that is not its own canonical form (none is known) is left alone: rewriting to it could
    // give two rows one address.
    let canonical =
        canonical.filter(|canonical| Email::parse(canonical).is_ok_and(|again| again.as_str() == canonical));
    Some(Stray { id, created_at, verified, canonical })
}

/// Decides every stray's outcome; `holders` maps a canonical address to the account already stored at it.
fn plan(strays: Vec<Stray>, holders: &HashMap<String, Uuid>) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(strays.len());
    let mut by_address: HashMap<String, Vec<Stray>> = HashMap::new();
    for stray in strays {
        match &stray.canonical {
            Some(canonical) => by_address.entry(canonical.clone()).or_default().push(stray),
            None => outcomes.push(Outcome::Invalid { id: stray.id }),
        }
    }
    for (canonical, mut claimants) in by_address {
        claimants.sort_by_key(|stray| (!stray.verified, stray.created_at, stray.id));
        let kept_by = match holders.get(&canonical) {
            Some(holder) => *holder,
            None => {
                let winner = claimants.remove(0);
                outcomes.push(Outcome::Rewrite { id: winner.id, canonical });
                winner.id
            }
        };
        outcomes.extend(claimants.into_iter().map(|stray| Outcome::Taken { id: stray.id, kept_by }));
    }
    outcomes
}

/// Runs the rewrite if `pending_rewrites` asks for it, and logs what it did.
pub(super) async fn rewrite_if_pending(store: &Store) -> Result<()> {
    let found_at_ms = unix_ms(now());
    let outcomes = on_connection!(store, |conn| async {
        let mut tx = conn.begin().await?;
        // The claim: a concurrent start waits here for this row's lock, then finds it gone and does nothing.
        let claimed = sqlx::query("DELETE FROM pending_rewrites WHERE name = $1").bind(NAME).execute(&mut *tx).await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }

        let mut strays = Vec::new();
        let mut after = Uuid::nil();
        loop {
            let batch = sqlx::query_as::<_, (Uuid, String, OffsetDateTime, Option<OffsetDateTime>)>(
                "SELECT id, email, created_at, email_verified_at FROM users WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            strays.extend(batch.into_iter().filter_map(|(id, email, created_at, verified_at)| {
                stray(id, &email, created_at, verified_at.is_some())
            }));
        }

        let addresses: BTreeSet<&str> = strays.iter().filter_map(|stray| stray.canonical.as_deref()).collect();
        let mut holders = HashMap::new();
        for address in addresses {
            let holder = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = $1")
                .bind(address)
                .fetch_optional(&mut *tx)
                .await?;
            holders.extend(holder.map(|holder| (address.to_owned(), holder)));
        }

        let outcomes = plan(strays, &holders);
        sqlx::query("DELETE FROM uncanonical_emails").execute(&mut *tx).await?;
        for outcome in &outcomes {
            let (reason, id, kept_by) = match outcome {
                Outcome::Rewrite { id, canonical } => {
                    sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
                        .bind(canonical)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    continue;
                }
                Outcome::Taken { id, kept_by } => ("taken", id, Some(kept_by)),
                Outcome::Invalid { id } => ("invalid", id, None),
            };
            sqlx::query(
                "INSERT INTO uncanonical_emails (user_id, reason, kept_by, found_at_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(reason)
            .bind(kept_by)
            .bind(found_at_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Some(outcomes))
    }
    .await)?;
    if let Some(outcomes) = outcomes {
        report(&outcomes);
    }
    Ok(())
}

/// Logs the accounts left with a non-canonical address (by id: addresses stay out of logs), and a summary.
fn report(outcomes: &[Outcome]) {
    let mut rewritten = 0;
    for outcome in outcomes {
        match outcome {
            Outcome::Rewrite { .. } => rewritten += 1,
            Outcome::Taken { id, kept_by } => tracing::warn!(
                user_id = %id,
                kept_by = %kept_by,
                "canonical emails: this account's address is another account's in canonical form; the other keeps \
                 it and this one keeps its old spelling, with which it can no longer sign in (see uncanonical_emails)"
            ),
            Outcome::Invalid { id } => tracing::warn!(
                user_id = %id,
                "canonical emails: this account's address has no valid canonical form and was left as it is \
                 (see uncanonical_emails)"
            ),
        }
    }
    if !outcomes.is_empty() {
        tracing::info!(rewritten, left = outcomes.len() - rewritten, "canonical emails: stored addresses rewritten");
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn claimant(n: u128, created_at: OffsetDateTime, verified: bool) -> Stray {
        Stray { id: Uuid::from_u128(n), created_at, verified, canonical: Some("ann@xn--bcher-kva.example".into()) }
    }

    fn rewrite(n: u128) -> Outcome {
        Outcome::Rewrite { id: Uuid::from_u128(n), canonical: "ann@xn--bcher-kva.example".into() }
    }

    fn taken(n: u128, kept_by: u128) -> Outcome {
        Outcome::Taken { id: Uuid::from_u128(n), kept_by: Uuid::from_u128(kept_by) }
    }

    #[test]
    fn an_address_already_canonical_is_no_stray() {
        let at = datetime!(2026-01-01 0:00 UTC);
        assert_eq!(stray(Uuid::nil(), "ann@xn--bcher-kva.example", at, false), None);
        let found = stray(Uuid::nil(), "ann@bücher.example", at, false).expect("a stray");
        assert_eq!(found.canonical.as_deref(), Some("ann@xn--bcher-kva.example"));
    }

    #[test]
    fn an_address_without_a_valid_canonical_form_is_invalid() {
        let at = datetime!(2026-01-01 0:00 UTC);
        let long = format!("a@{}.example", vec!["bücher"; 20].join("."));
        let found = stray(Uuid::nil(), &long, at, false).expect("a stray");
        assert_eq!(found.canonical, None);
        assert_eq!(plan(vec![found], &HashMap::new()), [Outcome::Invalid { id: Uuid::nil() }]);
    }

    #[test]
    fn the_account_already_at_the_canonical_address_keeps_it() {
        let holders = HashMap::from([("ann@xn--bcher-kva.example".to_owned(), Uuid::from_u128(9))]);
        let verified_and_old = claimant(1, datetime!(2020-01-01 0:00 UTC), true);
        assert_eq!(plan(vec![verified_and_old], &holders), [taken(1, 9)]);
    }

    #[test]
    fn a_verified_account_wins_over_older_unverified_ones() {
        let old = claimant(1, datetime!(2020-01-01 0:00 UTC), false);
        let verified = claimant(2, datetime!(2024-01-01 0:00 UTC), true);
        assert_eq!(plan(vec![old, verified], &HashMap::new()), [rewrite(2), taken(1, 2)]);
    }

    #[test]
    fn among_equals_the_oldest_wins_then_the_lowest_id() {
        let newer = claimant(1, datetime!(2024-01-01 0:00 UTC), false);
        let older = claimant(2, datetime!(2020-01-01 0:00 UTC), false);
        let older_twin = claimant(3, datetime!(2020-01-01 0:00 UTC), false);
        assert_eq!(plan(vec![newer, older_twin, older], &HashMap::new()), [rewrite(2), taken(3, 2), taken(1, 2)]);
    }
}
