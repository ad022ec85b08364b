//! Safe retries of creates (`Idempotency-Key`), the part every create shares: the key, and the claim of a key in
//! the transaction that creates. A create sent again with the same key by the same user within
//! [`IDEMPOTENCY_KEY_TTL`] answers what the first one did and creates nothing; the same key with another body is
//! refused.
//!
//! One transaction decides it. It first claims the key (an insert that does nothing when the key is taken), then
//! creates and stores the answer with the claim ([`store_answer!`]). A concurrent retry's claim waits for the first
//! transaction (on PostgreSQL, the unique index holds it; SQLite has one writer at a time) and then finds the key
//! taken and the answer stored: twenty retries at once create one row. The claims are swept when they expire.
//! Each create names its operation, so a key of one is not a key of another.

use std::time::Duration;

use ring::digest;

use crate::error::{Error, Result};

/// How long a key's answer is kept: a retry within this time answers again, a later one creates anew.
pub const IDEMPOTENCY_KEY_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest key.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// The field validation errors name.
const FIELD: &str = "Idempotency-Key";

/// A client's idempotency key: 1 to 255 printable ASCII characters, not starting or ending with a space (HTTP
/// trims those off a header's value); a UUID is a good one.
///
/// ```
/// use todo_core::IdempotencyKey;
///
/// assert!(IdempotencyKey::parse("4f5b0c1e-8a7d-4e36-9d1a-2b3c4d5e6f70").is_ok());
/// assert!(IdempotencyKey::parse("").is_err());
/// assert!(IdempotencyKey::parse("tab\there").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// `text` as a key, or a validation error on `Idempotency-Key`.
    pub fn parse(text: &str) -> Result<Self> {
        let printable = text.bytes().all(|byte| (0x20..=0x7e).contains(&byte));
        let trimmed = !text.starts_with(' ') && !text.ends_with(' ');
        if text.is_empty() || text.len() > MAX_IDEMPOTENCY_KEY_CHARS || !printable || !trimmed {
            return Err(Error::invalid(
                FIELD,
                "must be 1 to 255 printable ASCII characters, without a space at either end",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key's claim by one create: the operation, the key, the SHA-256 of the request as sent (see [`request_hash`]),
/// now and when the claim expires (Unix ms).
pub(crate) struct Claim<'a> {
    pub(crate) operation: &'static str,
    pub(crate) key: &'a IdempotencyKey,
    pub(crate) request_hash: Vec<u8>,
    pub(crate) now_ms: i64,
    pub(crate) expires_at_ms: i64,
}

impl<'a> Claim<'a> {
    /// The claim of `key` for `operation` now, for a request whose canonical bytes are `request`.
    pub(crate) fn new(operation: &'static str, key: &'a IdempotencyKey, request: &[u8], now_ms: i64) -> Self {
        let request_hash = digest::digest(&digest::SHA256, request).as_ref().to_vec();
        let expires_at_ms = now_ms.saturating_add(crate::clock::millis(IDEMPOTENCY_KEY_TTL));
        Claim { operation, key, request_hash, now_ms, expires_at_ms }
    }

    /// What a taken key's stored claim means for this request: the first answer to replay (`Ok(Some)`), `Ok(None)`
    /// when the owner is not current (the caller says why), or a validation error (another body; or the first
    /// create has not finished, which a claim that waited for it cannot see).
    pub(crate) fn replay(&self, stored: Option<(Vec<u8>, Option<String>)>, what: &str) -> Result<Option<String>> {
        match stored {
            None => Ok(None),
            Some((hash, _)) if hash != self.request_hash => {
                Err(Error::invalid(FIELD, format!("was used with another body; use a new key for a new {what}")))
            }
            Some((_, Some(answer))) => Ok(Some(answer)),
            Some((_, None)) => {
                Err(Error::invalid(FIELD, "a request with this key is still running; retry in a moment"))
            }
        }
    }
}

/// In the transaction `$tx` of a create on behalf of `$owner`, claims `$claim` ([`Claim`]): evaluates to
/// `Ok(None)` when the key is now this create's, or `Ok(Some(stored))` when it was taken, with the stored request
/// hash and answer (`stored` is `None` when the owner is not current). A write comes first, so that SQLite takes
/// its one writer's lock here and a concurrent retry waits for this transaction.
macro_rules! claim_key {
    ($tx:expr, $owner:expr, $claim:expr) => {{
        let claim: &$crate::store::Claim<'_> = $claim;
        let user = $owner.user_id().as_uuid();
        async {
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE user_id = $1 AND operation = $2 AND key = $3 \
                 AND expires_at_ms <= $4",
            )
            .bind(user)
            .bind(claim.operation)
            .bind(claim.key.as_str())
            .bind(claim.now_ms)
            .execute(&mut *$tx)
            .await?;
            let claimed = sqlx::query(
                "INSERT INTO idempotency_keys (user_id, operation, key, request_hash, response, expires_at_ms) \
                 VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT DO NOTHING",
            )
            .bind(user)
            .bind(claim.operation)
            .bind(claim.key.as_str())
            .bind(&claim.request_hash)
            .bind(claim.expires_at_ms)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if claimed > 0 {
                return Ok::<_, sqlx::Error>(None);
            }
            let stored: Option<(Vec<u8>, Option<String>)> = sqlx::query_as(concat!(
                "SELECT request_hash, response FROM idempotency_keys ",
                "WHERE user_id = $1 AND operation = $4 AND key = $5 AND ",
                $crate::store::owner_is_current!()
            ))
            .bind_owner_at($owner, claim.now_ms)
            .bind(claim.operation)
            .bind(claim.key.as_str())
            .fetch_optional(&mut *$tx)
            .await?;
            Ok(Some(stored))
        }
        .await
    }};
}
pub(crate) use claim_key;

/// In the transaction `$tx` that claimed `$claim` for `$owner`, stores `$answer` (the first answer, as JSON).
macro_rules! store_answer {
    ($tx:expr, $owner:expr, $claim:expr, $answer:expr) => {{
        let claim: &$crate::store::Claim<'_> = $claim;
        sqlx::query("UPDATE idempotency_keys SET response = $4 WHERE user_id = $1 AND operation = $2 AND key = $3")
            .bind($owner.user_id().as_uuid())
            .bind(claim.operation)
            .bind(claim.key.as_str())
            .bind($answer)
            .execute(&mut *$tx)
            .await
    }};
}
pub(crate) use store_answer;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_1_to_255_printable_ascii_characters() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("a key with spaces").is_ok());
        for bad in
            [String::new(), "k".repeat(256), "é".into(), "new\nline".into(), "nul\0".into(), " k".into(), "k ".into()]
        {
            let error = IdempotencyKey::parse(&bad).expect_err("refused");
            assert_eq!(error.field_errors()[0].field, "Idempotency-Key", "{bad:?}");
        }
    }

    #[test]
    fn a_claim_replays_only_the_same_request() {
        let key = IdempotencyKey::parse("k").expect("a key");
        let claim = Claim::new("create_task", &key, b"milk", 0);
        let same = Claim::new("create_task", &key, b"milk", 5).request_hash;
        assert_eq!(
            claim.replay(Some((same.clone(), Some("first".into()))), "task").expect("replays"),
            Some("first".into())
        );
        assert_eq!(claim.replay(None, "task").expect("no owner"), None);
        let other = Claim::new("create_task", &key, b"bread", 0).request_hash;
        assert!(claim.replay(Some((other, Some("first".into()))), "task").is_err());
        assert!(claim.replay(Some((same, None)), "task").is_err(), "still running");
    }
}
