//! Sessions: one per login, each with a refresh token that rotates on every use.
//!
//! A login (or a password change) starts a session: a row in `sessions`, and a refresh token of 32 random bytes
//! that the client keeps and the database knows only by its SHA-256 hash (a random token needs no slow hash:
//! there is nothing to guess). Access tokens carry the session id (`sid`), and every authenticated statement
//! checks in the same statement that the session still exists, belongs to the user and has not expired, so
//! revoking a session (deleting its row) stops its access tokens on the next request, on every instance.
//!
//! Refreshing spends the presented token and issues its successor (rotation). A spent token presented again
//! later than the reuse interval means two parties hold it, one of them a thief: the whole session is revoked.
//! Within the interval (two tabs refreshing at once) it is honoured again with *the same* successor: a token's
//! successor is derived from it with a server key (HMAC-SHA-256), so no plaintext token is stored and a replay
//! starts no second chain; whichever holder uses the successor second is caught by reuse detection. The database
//! decides who spends a token (`UPDATE … WHERE spent_at_ms IS NULL`), never a read-then-write.
//!
//! A session ends at the earliest of its newest refresh token's expiry and `SESSION_MAX_AGE_SECONDS` after its
//! login, however often it is refreshed.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::hmac;
use time::OffsetDateTime;
use uuid::Uuid;

use super::assurance::Assurance;
use crate::clock::{from_unix_ms, millis, now, unix_ms};
use crate::error::{Error, RefreshTokenError, Result};
use crate::ids::{SessionId, UserId};
use crate::secret::{random_token, token_hash, SECRET_TOKEN_BYTES};
use crate::store::{execute_as_owner, not_found_or_refusal, on_connection, owner_is_current, refusal, stale_owner};
use crate::store::{Owner, Store};

/// Random bytes in a refresh token (256 bits, sent as 43 base64url characters).
pub const REFRESH_TOKEN_BYTES: usize = SECRET_TOKEN_BYTES;
/// The most characters of a `User-Agent` kept with a session; longer ones are cut.
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// An active session, as listed to its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session's id.
    pub id: SessionId,
    /// When it started (the login).
    pub created_at: OffsetDateTime,
    /// Its last login or refresh.
    pub last_used_at: OffsetDateTime,
    /// When it ends unless it is refreshed before.
    pub expires_at: OffsetDateTime,
    /// The `User-Agent` sent at login (at most 256 characters), if any.
    pub user_agent: Option<String>,
    /// Whether this is the session of the owner that asked.
    pub current: bool,
    /// How the session was won: its assurance level (`aal`) and methods (`amr`).
    pub assurance: Assurance,
}

/// Which sessions [`crate::Accounts::logout`] ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogoutScope {
    /// Every session of the user (the default).
    #[default]
    Global,
    /// Only the caller's session.
    Local,
    /// Every session but the caller's.
    Others,
}

impl FromStr for LogoutScope {
    type Err = Error;

    /// `global`, `local` or `others`; anything else is a validation error on `scope`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "global" => Ok(Self::Global),
            "local" => Ok(Self::Local),
            "others" => Ok(Self::Others),
            _ => Err(Error::invalid("scope", "must be global, local or others")),
        }
    }
}

/// An opaque refresh token: 32 random bytes in base64url. Hand it to the client once; the server keeps only its
/// hash. Its `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl RefreshToken {
    /// Draws a new token from the system's secure random generator.
    fn generate() -> Result<Self> {
        random_token().map(Self)
    }

    /// The token, to send to the client.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The token as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    pub(crate) fn hash(&self) -> Vec<u8> {
        token_hash(&self.0)
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(..)")
    }
}

/// The `User-Agent` as kept: control characters dropped (PostgreSQL text cannot hold U+0000), at most
/// [`MAX_USER_AGENT_CHARS`] characters, `None` when nothing is left.
pub(crate) fn clean_user_agent(user_agent: Option<&str>) -> Option<String> {
    let kept: String = user_agent?.chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT_CHARS).collect::<String>();
    let kept = kept.trim();
    (!kept.is_empty()).then(|| kept.to_owned())
}

/// How long refresh tokens and sessions live, the grace for a token spent moments ago, and the key that derives
/// a token's successor.
#[derive(Debug, Clone)]
pub(crate) struct SessionPolicy {
    pub(crate) refresh_ttl: Duration,
    pub(crate) reuse_interval: Duration,
    pub(crate) max_age: Duration,
    successor_key: hmac::Key,
}

impl SessionPolicy {
    /// The policy of `config`; the successor key is derived from its signing secret (so every instance derives the
    /// same successors), under a label of its own (so it signs nothing a token key would).
    pub(crate) fn new(config: &crate::Config) -> Self {
        let secret = hmac::Key::new(hmac::HMAC_SHA256, config.jwt_secret());
        let derived = hmac::sign(&secret, b"todo-core: the successor of a refresh token");
        Self {
            refresh_ttl: config.refresh_ttl(),
            reuse_interval: config.refresh_reuse_interval(),
            max_age: config.session_max_age(),
            successor_key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
        }
    }

    /// The token that replaces `presented` when it is spent: the same for every presentation of it.
    fn successor_of(&self, presented: &str) -> RefreshToken {
        RefreshToken(URL_SAFE_NO_PAD.encode(hmac::sign(&self.successor_key, presented.as_bytes())))
    }

    /// When a session started at `created_at_ms` and refreshed at `now_ms` ends: a refresh-token lifetime from now,
    /// but never past its maximum age.
    fn session_end_ms(&self, created_at_ms: i64, now_ms: i64) -> i64 {
        now_ms.saturating_add(millis(self.refresh_ttl)).min(created_at_ms.saturating_add(millis(self.max_age)))
    }
}

/// A session just started or refreshed: whose it is, and the refresh token for the client.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) user: UserId,
    pub(crate) session: SessionId,
    pub(crate) refresh_token: RefreshToken,
    pub(crate) assurance: Assurance,
}

impl Issued {
    fn successor(row: SessionOfToken, refresh_token: &RefreshToken) -> Self {
        Self {
            user: UserId::from_uuid(row.user_id),
            session: SessionId::from_uuid(row.id),
            refresh_token: refresh_token.clone(),
            assurance: Assurance::from_columns(row.aal, &row.amr),
        }
    }
}

/// The session a refresh token belongs to, as a refresh reads it.
#[derive(sqlx::FromRow)]
struct SessionOfToken {
    id: Uuid,
    user_id: Uuid,
    aal: i16,
    amr: String,
}

/// The rows a new session writes, prepared in Rust so that [`insert_session!`] can run inside any transaction.
pub(crate) struct NewSession {
    pub(crate) id: Uuid,
    pub(crate) user: Uuid,
    pub(crate) now: OffsetDateTime,
    pub(crate) now_ms: i64,
    pub(crate) expires_at_ms: i64,
    pub(crate) user_agent: Option<String>,
    pub(crate) refresh_token: RefreshToken,
    pub(crate) assurance: Assurance,
}

impl NewSession {
    pub(crate) fn new(
        policy: &SessionPolicy,
        user: UserId,
        user_agent: Option<&str>,
        assurance: Assurance,
    ) -> Result<Self> {
        let now = now();
        let now_ms = unix_ms(now);
        Ok(Self {
            id: Uuid::now_v7(),
            user: user.as_uuid(),
            now,
            now_ms,
            expires_at_ms: policy.session_end_ms(now_ms, now_ms),
            user_agent: clean_user_agent(user_agent),
            refresh_token: RefreshToken::generate()?,
            assurance,
        })
    }

    pub(crate) fn issued(self) -> Issued {
        Issued {
            user: UserId::from_uuid(self.user),
            session: SessionId::from_uuid(self.id),
            refresh_token: self.refresh_token,
            assurance: self.assurance,
        }
    }
}

/// Stores the hash of refresh token `$token` for session `$session`, valid until `$expires_at_ms`, on `$conn` (a
/// `&mut` connection or transaction of either engine, inside [`on_connection!`]). Evaluates to a future of
/// `Result<_, sqlx::Error>`.
macro_rules! insert_refresh_token {
    ($conn:expr, $token:expr, $session:expr, $expires_at_ms:expr) => {
        sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, expires_at_ms) VALUES ($1, $2, $3)")
            .bind($token.hash())
            .bind($session)
            .bind($expires_at_ms)
            .execute(&mut *$conn)
    };
}
pub(crate) use insert_refresh_token;

/// Writes a [`NewSession`] on `$conn` (a `&mut` connection or transaction of either engine, inside
/// [`on_connection!`]): clears the user's expired sessions, then inserts the session and its first refresh token.
/// Evaluates to `Result<(), sqlx::Error>`.
macro_rules! insert_session {
    ($conn:expr, $new:expr) => {
        async {
            let new: &$crate::auth::sessions::NewSession = $new;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at_ms <= $2")
                .bind(new.user)
                .bind(new.now_ms)
                .execute(&mut *$conn)
                .await?;
            let (aal, amr) = new.assurance.to_columns();
            sqlx::query(
                "INSERT INTO sessions \
                 (id, user_id, created_at, last_used_at, expires_at_ms, user_agent, created_at_ms, aal, amr) \
                 VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)",
            )
            .bind(new.id)
            .bind(new.user)
            .bind(new.now)
            .bind(new.expires_at_ms)
            .bind(&new.user_agent)
            .bind(new.now_ms)
            .bind(aal)
            .bind(amr)
            .execute(&mut *$conn)
            .await?;
            $crate::auth::sessions::insert_refresh_token!($conn, &new.refresh_token, new.id, new.expires_at_ms).await?;
            Ok::<(), sqlx::Error>(())
        }
    };
}
pub(crate) use insert_session;

/// A session row as listed.
#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    created_at: OffsetDateTime,
    last_used_at: OffsetDateTime,
    expires_at_ms: i64,
    user_agent: Option<String>,
    aal: i16,
    amr: String,
}

/// What the database knows of a presented refresh token that could not be spent, and of its session.
#[derive(sqlx::FromRow)]
struct TokenRow {
    session_id: Uuid,
    user_id: Uuid,
    expires_at_ms: i64,
    spent_at_ms: Option<i64>,
    session_expires_at_ms: i64,
}

/// The session table's operations. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct SessionStore {
    store: Store,
    policy: SessionPolicy,
}

impl SessionStore {
    pub(crate) fn new(store: Store, policy: SessionPolicy) -> Self {
        Self { store, policy }
    }

    pub(crate) fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    /// Starts a session for `user` (a sign-in), won as `assurance` says.
    pub(crate) async fn start(&self, user: UserId, user_agent: Option<&str>, assurance: Assurance) -> Result<Issued> {
        let new = NewSession::new(&self.policy, user, user_agent, assurance)?;
        on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            insert_session!(tx, &new).await?;
            tx.commit().await
        }
        .await)?;
        Ok(new.issued())
    }

    /// Spends `presented` and issues its successor in the same session (see the module docs for the rules).
    pub(crate) async fn refresh(&self, presented: &str) -> Result<Issued> {
        let presented_hash = token_hash(presented);
        let successor = self.policy.successor_of(presented);
        if let Some(issued) = self.rotate(&presented_hash, &successor, now()).await? {
            return Ok(issued);
        }
        // Read the clock again: the rotation may have waited for a concurrent one that spent the token.
        let now_ms = unix_ms(now());
        // Not spendable: unknown (or its session revoked), expired, its session ended, or spent already.
        let row = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, TokenRow>(
                "SELECT t.session_id, s.user_id, t.expires_at_ms, t.spent_at_ms, \
                 s.expires_at_ms AS session_expires_at_ms \
                 FROM refresh_tokens AS t JOIN sessions AS s ON s.id = t.session_id WHERE t.token_hash = $1",
            )
            .bind(&presented_hash)
            .fetch_optional(conn)
            .await
        })?;
        let Some(row) = row else { return Err(RefreshTokenError::Unknown.into()) };
        if row.expires_at_ms <= now_ms || row.session_expires_at_ms <= now_ms {
            return Err(RefreshTokenError::Expired.into());
        }
        // Unspent yet not spendable only if a concurrent refresh that spent it rolled back: refuse, harmlessly.
        let Some(spent_at_ms) = row.spent_at_ms else { return Err(RefreshTokenError::Unknown.into()) };
        let grace = millis(self.policy.reuse_interval);
        if grace > 0 && now_ms.saturating_sub(spent_at_ms) < grace {
            // Two tabs refreshing at once: the later one gets the successor the first one got, which the first
            // refresh stored. (With a signing secret rotated in between, the successor differs: refused.)
            return self.existing(row.session_id, &successor).await?.ok_or(RefreshTokenError::Unknown.into());
        }
        // Spent long ago and presented again: someone else holds it. End the session and all its tokens.
        on_connection!(self.store, |conn| {
            sqlx::query("DELETE FROM sessions WHERE id = $1").bind(row.session_id).execute(conn).await.map(|_| ())
        })?;
        tracing::warn!(session = %row.session_id, user = %row.user_id, "refresh token reused after rotation; session revoked");
        Err(RefreshTokenError::Reused.into())
    }

    /// Spends the token with this hash if it is unspent and unexpired and its session has not ended, and issues
    /// `successor` in its session, in one transaction; `None` when the token could not be spent.
    ///
    /// The session row is locked first (as a revocation, which deletes it and then its tokens, does), so a
    /// refresh racing a revocation waits for it and then finds nothing, instead of deadlocking or leaving a live
    /// token behind.
    async fn rotate(
        &self,
        presented_hash: &[u8],
        successor: &RefreshToken,
        at: OffsetDateTime,
    ) -> Result<Option<Issued>> {
        let now_ms = unix_ms(at);
        let (ttl_ms, max_age_ms) = (millis(self.policy.refresh_ttl), millis(self.policy.max_age));
        let issued = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // The session lives a refresh-token lifetime from now, but never past its maximum age.
            let session: Option<(Uuid, Uuid, i64, i16, String)> = sqlx::query_as(
                "UPDATE sessions SET last_used_at = $1, expires_at_ms = CASE \
                     WHEN created_at_ms + $5 < $4 + $2 THEN created_at_ms + $5 ELSE $4 + $2 END \
                 WHERE expires_at_ms > $4 AND id = (SELECT session_id FROM refresh_tokens \
                     WHERE token_hash = $3 AND spent_at_ms IS NULL AND expires_at_ms > $4) \
                 RETURNING id, user_id, expires_at_ms, aal, amr",
            )
            .bind(at)
            .bind(ttl_ms)
            .bind(presented_hash)
            .bind(now_ms)
            .bind(max_age_ms)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((session, user_id, expires_at_ms, aal, amr)) = session else {
                tx.rollback().await?;
                return Ok(None);
            };
            // The database decides who spends it: of two concurrent refreshes, one updates the row, one does not.
            let spent =
                sqlx::query("UPDATE refresh_tokens SET spent_at_ms = $1 WHERE token_hash = $2 AND spent_at_ms IS NULL")
                    .bind(now_ms)
                    .bind(presented_hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if spent == 0 {
                tx.rollback().await?;
                return Ok(None);
            }
            sqlx::query("DELETE FROM refresh_tokens WHERE session_id = $1 AND expires_at_ms <= $2")
                .bind(session)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            // The successor ends with its session.
            insert_refresh_token!(tx, successor, session, expires_at_ms).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some(SessionOfToken { id: session, user_id, aal, amr }))
        }
        .await)?;
        Ok(issued.map(|row| Issued::successor(row, successor)))
    }

    /// `successor` again, if it is still a token of `session` and the session is live (a replay inside the reuse
    /// interval). Nothing is written: the first refresh did that.
    async fn existing(&self, session: Uuid, successor: &RefreshToken) -> Result<Option<Issued>> {
        let row = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, SessionOfToken>(
                "SELECT s.id, s.user_id, s.aal, s.amr FROM refresh_tokens AS t JOIN sessions AS s ON s.id = t.session_id \
                 WHERE t.token_hash = $1 AND s.id = $2 AND s.expires_at_ms > $3",
            )
            .bind(successor.hash())
            .bind(session)
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        Ok(row.map(|row| Issued::successor(row, successor)))
    }

    /// The owner's active sessions, newest first, with the owner's own marked `current`.
    pub(crate) async fn list(&self, owner: &Owner) -> Result<Vec<Session>> {
        let rows = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, SessionRow>(
                "SELECT id, created_at, last_used_at, expires_at_ms, user_agent, aal, amr FROM sessions \
                 WHERE user_id = $1 AND expires_at_ms > $2 ORDER BY id DESC",
            )
            .bind(owner.user_id().as_uuid())
            .bind(unix_ms(now()))
            .fetch_all(conn)
            .await
        })?;
        // A current owner's own session is always among them; without it, the owner is no longer current.
        if !rows.iter().any(|row| row.id == owner.session_id().as_uuid()) {
            return Err(refusal(&self.store, owner).await);
        }
        rows.into_iter()
            .map(|row| {
                Ok(Session {
                    id: SessionId::from_uuid(row.id),
                    created_at: row.created_at,
                    last_used_at: row.last_used_at,
                    expires_at: from_unix_ms(row.expires_at_ms)?,
                    user_agent: row.user_agent,
                    current: row.id == owner.session_id().as_uuid(),
                    assurance: Assurance::from_columns(row.aal, &row.amr),
                })
            })
            .collect()
    }

    /// Ends one of the owner's sessions; another user's (or no) session is [`Error::NotFound`].
    pub(crate) async fn revoke(&self, owner: &Owner, id: SessionId) -> Result<()> {
        let sql = concat!("DELETE FROM sessions WHERE user_id = $1 AND id = $4 AND ", owner_is_current!());
        let deleted = execute_as_owner(&self.store, sql, owner, Some(id.as_uuid())).await?;
        if deleted == 0 {
            return Err(not_found_or_refusal(&self.store, owner).await);
        }
        Ok(())
    }

    /// Ends the sessions `scope` names.
    pub(crate) async fn logout(&self, owner: &Owner, scope: LogoutScope) -> Result<()> {
        let sql = match scope {
            LogoutScope::Global => concat!("DELETE FROM sessions WHERE user_id = $1 AND ", owner_is_current!()),
            LogoutScope::Local => "DELETE FROM sessions WHERE user_id = $1 AND id = $2 AND expires_at_ms > $3",
            LogoutScope::Others => {
                concat!("DELETE FROM sessions WHERE user_id = $1 AND id <> $2 AND ", owner_is_current!())
            }
        };
        let deleted = execute_as_owner(&self.store, sql, owner, None).await?;
        // Global and local delete at least the caller's session when it is current; "others" may find none.
        if deleted == 0 {
            if let Some(stale) = stale_owner(&self.store, owner).await? {
                return Err(stale.into());
            }
            if scope != LogoutScope::Others {
                return Err(crate::error::TokenError::Revoked.into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_32_random_bytes_in_base64url_and_never_repeat() {
        let first = RefreshToken::generate().expect("random");
        let second = RefreshToken::generate().expect("random");
        let decoded = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, first.as_str());
        assert_eq!(decoded.expect("base64url").len(), REFRESH_TOKEN_BYTES);
        assert_ne!(first, second);
        assert_eq!(first.hash().len(), 32);
        assert_ne!(first.hash(), first.as_str().as_bytes());
    }

    #[test]
    fn debug_output_never_shows_the_refresh_token() {
        let token = RefreshToken::generate().expect("random");
        assert!(!format!("{token:?}").contains(token.as_str()));
    }

    #[test]
    fn user_agents_lose_control_characters_and_are_cut_at_256_characters() {
        assert_eq!(clean_user_agent(Some("Firefox\u{0}/1.0\n")), Some("Firefox/1.0".to_owned()));
        assert_eq!(clean_user_agent(Some(&"é".repeat(300))).map(|ua| ua.chars().count()), Some(256));
        assert_eq!(clean_user_agent(Some(" \u{0} ")), None);
        assert_eq!(clean_user_agent(None), None);
    }

    #[test]
    fn logout_scopes_parse_from_their_names_only() {
        assert_eq!("global".parse::<LogoutScope>().expect("valid"), LogoutScope::Global);
        assert_eq!("local".parse::<LogoutScope>().expect("valid"), LogoutScope::Local);
        assert_eq!("others".parse::<LogoutScope>().expect("valid"), LogoutScope::Others);
        for bad in ["", "GLOBAL", "all", "local "] {
            assert_eq!(bad.parse::<LogoutScope>().unwrap_err().field_errors()[0].field, "scope", "{bad:?}");
        }
    }
}
