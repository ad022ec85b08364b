//! Which account an identity at a provider signs in (the rule is in the module above): a known identity's, a new
//! one's, or an existing account's that it is linked to now, or none.
//!
//! The database decides the races: two first sign-ins of one identity at once both try to link it, and the unique
//! (provider, subject) lets one through; the other finds it linked when it looks again. Likewise two new accounts
//! for one email meet the unique email.

use uuid::Uuid;

use super::failure::Failure;
use crate::abuse::Client;
use crate::auth::accounts::Accounts;
use crate::auth::oidc_clients::Asserted;
use crate::clock::now;
use crate::email::Email;
use crate::error::Result;
use crate::ids::UserId;
use crate::store::{is_unique_violation, on_connection, INSERT_INBOX, INSERT_INBOX_OWNER};

/// How often the decision is made again after a concurrent sign-in won a race.
const ATTEMPTS: usize = 3;

/// The account an identity signs in, or why none.
pub(super) enum Linked {
    Account(UserId),
    Refused(Failure),
}

/// What one attempt to link came to.
enum Attempt {
    Decided(Linked),
    /// A concurrent sign-in linked the identity or took the email first: look again.
    LostARace,
}

impl Accounts {
    /// The account `asserted` (a verified ID token of `provider`) signs in, linking or making it when the rule
    /// allows; a new account counts against `client`'s signup budget.
    pub(super) async fn account_for(&self, provider: &str, asserted: &Asserted, client: &Client) -> Result<Linked> {
        for _ in 0..ATTEMPTS {
            if let Attempt::Decided(linked) = self.try_account_for(provider, asserted, client).await? {
                return Ok(linked);
            }
        }
        // Only an identity linked and unlinked over and over while it signs in gets here.
        Ok(Linked::Refused(Failure::Unavailable))
    }

    async fn try_account_for(&self, provider: &str, asserted: &Asserted, client: &Client) -> Result<Attempt> {
        if let Some(user) = self.linked_user(provider, &asserted.subject).await? {
            return Ok(Attempt::Decided(Linked::Account(user)));
        }
        // A new identity: only a verified email (which the provider vouches for) may make or join an account.
        let email =
            asserted.email.as_deref().filter(|_| asserted.email_verified).and_then(|email| Email::parse(email).ok());
        let Some(email) = email else { return Ok(Attempt::Decided(Linked::Refused(Failure::EmailNotVerified))) };
        match self.find_by_email(&email).await? {
            Some(stored) if stored.user.email_verified_at.is_some() => {
                Ok(self.link(stored.user.id, provider, &asserted.subject, &email).await?)
            }
            Some(_) => Ok(Attempt::Decided(Linked::Refused(Failure::AccountNotLinked))),
            None => {
                self.limiter.count_signup(client).await?;
                Ok(self.make_account(provider, &asserted.subject, &email).await?)
            }
        }
    }

    /// The account the identity (provider, subject) is linked to, if any.
    async fn linked_user(&self, provider: &str, subject: &str) -> Result<Option<UserId>> {
        let user = on_connection!(reading self.store, |conn| {
            sqlx::query_scalar::<_, Uuid>("SELECT user_id FROM identities WHERE provider = $1 AND subject = $2")
                .bind(provider)
                .bind(subject)
                .fetch_optional(conn)
                .await
        })?;
        Ok(user.map(UserId::from_uuid))
    }

    /// Links the identity to `user`.
    async fn link(&self, user: UserId, provider: &str, subject: &str, email: &Email) -> Result<Attempt> {
        let inserted = on_connection!(self.store, |conn| {
            sqlx::query(
                "INSERT INTO identities (id, user_id, provider, subject, email, created_at) \
                 SELECT $1, id, $3, $4, $5, $6 FROM users WHERE id = $2",
            )
            .bind(Uuid::now_v7())
            .bind(user.as_uuid())
            .bind(provider)
            .bind(subject)
            .bind(email.as_str())
            .bind(now())
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        });
        match inserted {
            Ok(1) => {
                tracing::info!(provider, user = %user, "identity linked to an existing account");
                Ok(Attempt::Decided(Linked::Account(user)))
            }
            // The account was deleted meanwhile, or the identity was linked by a concurrent sign-in.
            Ok(_) => Ok(Attempt::LostARace),
            Err(error) if is_unique_violation(&error) => Ok(Attempt::LostARace),
            Err(error) => Err(error.into()),
        }
    }

    /// Makes an account without a password for `email` (verified: the provider vouched for it), with the identity.
    async fn make_account(&self, provider: &str, subject: &str, email: &Email) -> Result<Attempt> {
        let user = Uuid::now_v7();
        let created_at = now();
        let made = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // The empty hash: an account without a password (migration 0009).
            sqlx::query(
                "INSERT INTO users (id, email, password_hash, created_at, email_verified_at) \
                 VALUES ($1, $2, '', $3, $3)",
            )
            .bind(user)
            .bind(email.as_str())
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
            let inbox = Uuid::now_v7();
            for statement in [INSERT_INBOX, INSERT_INBOX_OWNER] {
                sqlx::query(statement).bind(inbox).bind(user).bind(created_at).execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO identities (id, user_id, provider, subject, email, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(Uuid::now_v7())
            .bind(user)
            .bind(provider)
            .bind(subject)
            .bind(email.as_str())
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }
        .await);
        match made {
            Ok(()) => {
                tracing::info!(provider, user = %user, "account made by an identity provider's sign-in");
                Ok(Attempt::Decided(Linked::Account(UserId::from_uuid(user))))
            }
            Err(error) if is_unique_violation(&error) => Ok(Attempt::LostARace),
            Err(error) => Err(error.into()),
        }
    }
}
