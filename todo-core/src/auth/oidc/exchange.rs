//! The one-time code that carries a finished provider sign-in to the front end: the callback puts it in the redirect
//! (a URL, which browsers keep in history and proxies in logs, so never a token), and the front end trades it at
//! once for the session's tokens. 32 random bytes kept as a SHA-256 hash, [`EXCHANGE_CODE_TTL`], single use (the
//! `DELETE … RETURNING` that checks it spends it).

use std::time::Duration;

use uuid::Uuid;

use crate::abuse::Client;
use crate::auth::accounts::{Accounts, Login};
use crate::auth::assurance::{Assurance, Method};
use crate::clock::{millis, now, unix_ms};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::secret::{random_token, token_hash};
use crate::store::on_connection;

/// How long the one-time code of a provider sign-in works.
pub const EXCHANGE_CODE_TTL: Duration = Duration::from_secs(60);

impl Accounts {
    /// A new one-time code for `user`, who just signed in at `provider`.
    pub(super) async fn issue_exchange_code(&self, user: UserId, provider: &str) -> Result<String> {
        let code = random_token()?;
        on_connection!(self.store, |conn| {
            sqlx::query(
                "INSERT INTO oidc_exchange_codes (code_hash, user_id, provider, expires_at_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash(&code))
            .bind(user.as_uuid())
            .bind(provider)
            .bind(unix_ms(now()) + millis(EXCHANGE_CODE_TTL))
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        Ok(code)
    }

    /// Trades the one-time code of a provider sign-in (the `code` of `{APP_URL}/auth/callback?code=…`) for a new
    /// session's tokens (`amr` `oidc`), remembering `client`'s user agent; for an account with a second factor,
    /// [`Error::SecondStepRequired`] instead. A code that is unknown, used or expired is a validation error on
    /// `code`.
    pub async fn exchange_provider_code(&self, code: &str, client: &Client) -> Result<Login> {
        let user = on_connection!(self.store, |conn| {
            sqlx::query_scalar::<_, Uuid>(
                "DELETE FROM oidc_exchange_codes WHERE code_hash = $1 AND expires_at_ms > $2 RETURNING user_id",
            )
            .bind(token_hash(code))
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        let invalid = || Error::invalid("code", "the sign-in code is unknown, used or expired; sign in again");
        let user = UserId::from_uuid(user.ok_or_else(invalid)?);
        // The account cascades away with its codes: it exists unless deleted this very moment.
        let stored = self.find_stored(user).await?.ok_or_else(invalid)?;
        let method = Method::IdentityProvider;
        if let Some(step) = self.second_step_for(user, method, client.user_agent()).await? {
            return Err(Error::SecondStepRequired(step));
        }
        let issued = self.sessions.start(user, client.user_agent(), Assurance::first(method)).await?;
        self.signed_in(stored.user, issued)
    }
}
