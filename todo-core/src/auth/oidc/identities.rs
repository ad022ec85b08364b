//! The identities linked to an account: listed for its owner, and unlinked, except the last way an account without a
//! password has to sign in.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{Identity, IdentityProvider};
use crate::auth::accounts::Accounts;
use crate::error::{Error, Result};
use crate::ids::IdentityId;
use crate::store::{not_found_or_refusal, on_connection, owned_rows, owner_is_current, BindOwner as _, Owner};

#[derive(sqlx::FromRow)]
struct IdentityRow {
    id: Uuid,
    provider: String,
    email: String,
    created_at: OffsetDateTime,
}

impl Accounts {
    /// The configured identity providers, for a front end's buttons.
    pub fn identity_providers(&self) -> Vec<IdentityProvider> {
        self.oidc
            .providers
            .settings()
            .map(|settings| IdentityProvider { name: settings.name().to_owned(), label: settings.label().to_owned() })
            .collect()
    }

    /// Fetches every provider's discovery document and keys now (a server calls it at start): a bad or unreachable
    /// issuer is [`Error::IdentityProviderUnavailable`] naming the provider. Without this, each provider is
    /// discovered at its first sign-in.
    pub async fn discover_identity_providers(&self) -> Result<()> {
        self.oidc.providers.discover_all().await
    }

    /// The redirect URI to register with the provider `name` (`{API_URL}/auth/oidc/{name}/callback`), if it is
    /// configured.
    pub fn provider_redirect_uri(&self, name: &str) -> Option<&str> {
        self.oidc.providers.redirect_uri(name)
    }

    /// The identities linked to the owner's account, oldest first.
    pub async fn identities(&self, owner: &Owner) -> Result<Vec<Identity>> {
        let rows = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, IdentityRow>(concat!(
                "SELECT id, provider, email, created_at FROM identities WHERE user_id = $1 AND ",
                owner_is_current!(),
                " ORDER BY id"
            ))
            .bind_owner(owner)
            .fetch_all(conn)
            .await
        })?;
        Ok(owned_rows(&self.store, owner, rows)
            .await?
            .into_iter()
            .map(|row| Identity {
                id: IdentityId::from_uuid(row.id),
                provider: row.provider,
                email: row.email,
                created_at: row.created_at,
            })
            .collect())
    }

    /// Unlinks one of the owner's identities. Refused with [`Error::LastSignInMethod`] when it is the account's
    /// last way to sign in (no password, no other identity, no passkey); another user's identity, or none, is
    /// [`Error::NotFound`].
    ///
    /// The check and the delete are one statement, and the account's row is locked first, so that two identities
    /// unlinked at once cannot both be "not the last".
    pub async fn unlink_identity(&self, owner: &Owner, id: IdentityId) -> Result<()> {
        let outcome = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // Locks the account's row (an update that changes nothing), and checks the owner's session.
            let current =
                sqlx::query(concat!("UPDATE users SET email = email WHERE id = $1 AND ", owner_is_current!()))
                    .bind_owner(owner)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if current == 0 {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(None);
            }
            let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM identities WHERE id = $1 AND user_id = $2")
                .bind(id.as_uuid())
                .bind(owner.user_id().as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                tx.rollback().await?;
                return Ok(None);
            }
            let deleted = sqlx::query(
                "DELETE FROM identities WHERE id = $1 AND user_id = $2 AND ( \
                 EXISTS (SELECT 1 FROM users WHERE id = $2 AND password_hash <> '') \
                 OR EXISTS (SELECT 1 FROM identities WHERE user_id = $2 AND id <> $1) \
                 OR EXISTS (SELECT 1 FROM mfa_factors WHERE user_id = $2 AND kind = 'passkey' \
                            AND confirmed_at IS NOT NULL))",
            )
            .bind(id.as_uuid())
            .bind(owner.user_id().as_uuid())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(Some(deleted == 1))
        }
        .await)?;
        match outcome {
            Some(true) => Ok(()),
            Some(false) => Err(Error::LastSignInMethod),
            None => Err(not_found_or_refusal(&self.store, owner).await),
        }
    }
}
