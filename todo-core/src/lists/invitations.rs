//! Invitations to a list: the owner invites an email address with a role, a mail carries a single-use link, and the
//! account whose **verified** email is that address accepts it and becomes a member.
//!
//! - **Stored hashed, single use.** The link's token is 32 random bytes (base64url, `secret.rs`); the database keeps
//!   its SHA-256 hash. Accepting deletes the invitation and makes the membership in one transaction whose first
//!   statement is that `DELETE … RETURNING` (on PostgreSQL it takes the row's lock, and a concurrent accept finds it
//!   gone; on SQLite it takes the one writer's lock first): so of N accepts at once exactly one succeeds.
//! - **A forwarded link lets nobody else in, and is not burnt by them.** When the accepter's verified email is not
//!   the invited one, the transaction is rolled back: the invitation stays for its addressee
//!   ([`Error::InvitationForSomeoneElse`]).
//! - **Nothing tells who has an account.** Inviting never looks the address up: the answer and its timing are the
//!   same either way.
//! - **The inviter spends their own budget**: invitation mails per inviting account per window
//!   ([`crate::AbuseLimits::invitations_per_inviter`]), taken before the invitation is stored (atomically, however
//!   many requests arrive at once) and given back when the invitation is refused.
//! - A used, withdrawn, expired or unknown invitation is refused like every other mail link's token: a validation
//!   error on `token` (the sweep deletes expired ones, `Accounts::sweep_expired`).

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use uuid::Uuid;

use super::list::stored_role as role;
use super::repository::Lists;
use crate::clock::{from_unix_ms, millis, now, unix_ms};
use crate::email::Email;
use crate::error::{Error, Result};
use crate::ids::{InvitationId, ListId};
use crate::mail::OutgoingMail;
use crate::roles::Role;
use crate::secret::{random_token, token_hash};
use crate::store::{member_may, not_found_or_refusal, on_connection, owner_is_current, stale_owner, BindOwner as _};
use crate::store::{Budget, Taken};

/// How long an invitation's link works: 7 days.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// A pending invitation to a list, as its owner sees it (the token is only in the mail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The invitation's id (to withdraw it).
    pub id: InvitationId,
    /// The list it invites into.
    pub list_id: ListId,
    /// The invited address, in canonical form: the accepter's verified email must be this one.
    pub email: Email,
    /// The role the invitee gets: [`Role::Editor`] or [`Role::Viewer`].
    pub role: Role,
    /// When its link stops working.
    pub expires_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: Uuid,
    list_id: Uuid,
    email: String,
    role: i16,
    expires_at_ms: i64,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = Error;

    fn try_from(row: InvitationRow) -> Result<Self> {
        Ok(Invitation {
            id: InvitationId::from_uuid(row.id),
            list_id: ListId::from_uuid(row.list_id),
            email: Email::from_trusted(row.email),
            role: role(row.role)?,
            expires_at: from_unix_ms(row.expires_at_ms)?,
        })
    }
}

/// What accepting found, decided inside its transaction.
enum Accepted {
    /// The owner is a member now (or was already): the list's id.
    Joined(Uuid),
    /// No usable invitation has this token.
    NoInvitation,
    /// The owner is not current (asked why afterwards).
    NotCurrent,
    /// The invitation is for another address, or the owner's email is not verified.
    SomeoneElse,
}

impl Lists {
    /// Invites `email` into the list as `role` (the owner's role), and returns the invitation with the mail that
    /// carries its link (`{APP_URL}/invitations?token=…`, working once, for [`INVITATION_TTL`]): send it after
    /// answering. Nothing looks up whether the address has an account, so the answer is the same either way.
    ///
    /// Refused: `email` that is no address (a validation error on `email`), [`Role::Owner`] (a validation error on
    /// `role`: a list is handed over to a member with [`Lists::set_role`]), an inbox ([`Error::InboxIsPersonal`]),
    /// a member below the owner ([`Error::RoleRequired`]), someone who is not a member ([`Error::NotFound`]), and an
    /// inviter over their budget of invitation mails ([`Error::RateLimited`]). Inviting an address again replaces
    /// its pending invitation to the list: the older link stops working, and the latest role is the one offered.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use todo_core::{mail::Outbox, Config, Role, Todo};
    ///
    /// let outbox = Outbox::default();
    /// let config = Config::new("use at least 32 random bytes here!!")?
    ///     .with_bcrypt_cost(4)? // fast for the example
    ///     .with_app_url("https://app.example.com")?
    ///     .with_mailer(Arc::new(outbox.clone()))
    ///     .with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// let ann = todo.accounts().login("ann@example.com", "correct horse battery").await?.owner;
    /// let groceries = todo.lists(&ann).create("Groceries").await?;
    ///
    /// // Ann invites Bob; the mail goes out after the answer.
    /// let (invitation, mail) = todo.lists(&ann).invite(groceries.id, "bob@example.com", Role::Editor).await?;
    /// assert_eq!(invitation.email.as_str(), "bob@example.com");
    /// mail.send().await.expect("the outbox takes it");
    ///
    /// // Bob signs up and verifies his address (the first mail in the outbox is the invitation).
    /// let bob = todo.accounts().signup("bob@example.com", "correct horse battery").await?;
    /// todo.accounts().verification_mail(&bob).await?.send().await.expect("sent");
    /// let token_after = |page: &str, text: &str| {
    ///     text.split(page).nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap().to_owned()
    /// };
    /// let mails = outbox.mails();
    /// todo.accounts().verify_email(&token_after("verify-email?token=", &mails[1].text)).await?;
    ///
    /// // The link in the invitation: https://app.example.com/invitations?token=…
    /// let token = token_after("invitations?token=", &mails[0].text);
    /// let bob = todo.accounts().login("bob@example.com", "correct horse battery").await?.owner;
    /// let joined = todo.lists(&bob).accept(&token).await?;
    /// assert_eq!((joined.id, joined.role, joined.member_count), (groceries.id, Role::Editor, 2));
    /// assert!(todo.lists(&bob).accept(&token).await.is_err()); // single use
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn invite(&self, list_id: ListId, email: &str, role: Role) -> Result<(Invitation, OutgoingMail)> {
        let (email, role) = match (Email::parse(email), invitable(role)) {
            (Ok(email), Ok(role)) => (email, role),
            (email, role) => {
                let errors = [email.err(), role.err()].into_iter().flatten();
                return Err(Error::Validation(errors.flat_map(|error| error.field_errors().to_vec()).collect()));
            }
        };
        let taken = self.take_invitation_slot().await?;
        let token = random_token()?;
        let id = Uuid::now_v7();
        let created_at = now();
        let expires_at_ms = unix_ms(created_at).saturating_add(millis(INVITATION_TTL));
        let stored = on_connection!(self.store, |conn| {
            async {
            let mut tx = conn.begin().await?;
            let invited = sqlx::query(concat!(
                "INSERT INTO invitations (id, list_id, email, role, token_hash, invited_by, created_at, expires_at_ms) ",
                "SELECT $4, lists.id, $5, $6, $7, $1, $8, $9 FROM lists WHERE lists.id = $10 AND NOT lists.inbox AND ",
                member_may!("lists.id", "3"),
                " AND ",
                owner_is_current!(),
                // A new invitation of the same address to the same list replaces the pending one (its link stops
                // working), as a new mail link voids the older one of its kind: the latest role is the one offered.
                // One statement, so that two sent at once leave one (migration 0014).
                " ON CONFLICT (list_id, email) DO UPDATE SET id = excluded.id, role = excluded.role, ",
                "token_hash = excluded.token_hash, invited_by = excluded.invited_by, ",
                "created_at = excluded.created_at, expires_at_ms = excluded.expires_at_ms"
            ))
            .bind_owner(&self.owner)
            .bind(id)
            .bind(email.as_str())
            .bind(role.rank())
            .bind(token_hash(&token))
            .bind(created_at)
            .bind(expires_at_ms)
            .bind(list_id.as_uuid())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if invited == 0 {
                tx.rollback().await?;
                return Ok(None);
            }
            // What the mail says: the list's name and who invites, as they are in this transaction.
            let said: (String, String) = sqlx::query_as(
                "SELECT lists.name, users.email FROM lists JOIN users ON users.id = $2 WHERE lists.id = $1",
            )
            .bind(list_id.as_uuid())
            .bind(self.owner.user_id().as_uuid())
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some(said))
        }
        .await
        });
        let (list_name, inviter) = match stored {
            Ok(Some(said)) => said,
            refused => {
                // Nothing was sent: the slot goes back to the inviter's budget.
                if let Err(error) = self.sharing.counters.give_back(taken).await {
                    tracing::warn!(%error, "could not give back the invitation slot of a refused invitation");
                }
                refused?;
                // The owner of the list it is: then it is an inbox.
                return Err(self.refused(list_id, Role::Owner).await.unwrap_or(Error::InboxIsPersonal));
            }
        };
        let mail =
            self.sharing.links.invitation(&email, &Email::from_trusted(inviter), &list_name, role.as_str(), &token);
        let invitation = Invitation {
            id: InvitationId::from_uuid(id),
            list_id,
            email,
            role,
            expires_at: from_unix_ms(expires_at_ms)?,
        };
        Ok((invitation, OutgoingMail::new(mail, Arc::clone(&self.sharing.mailer), None, "invitation")))
    }

    /// The list's pending invitations (not expired), oldest first (the owner's role).
    pub async fn invitations(&self, list_id: ListId) -> Result<Vec<Invitation>> {
        let rows = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, InvitationRow>(concat!(
                "SELECT id, list_id, email, role, expires_at_ms FROM invitations ",
                "WHERE list_id = $4 AND expires_at_ms > $3 AND ",
                member_may!("$4", "3"),
                " AND ",
                owner_is_current!(),
                " ORDER BY id"
            ))
            .bind_owner(&self.owner)
            .bind(list_id.as_uuid())
            .fetch_all(conn)
            .await
        })?;
        if rows.is_empty() {
            // None at all, or none the owner may see: the lookup tells which.
            if let Some(refused) = self.refused(list_id, Role::Owner).await {
                return Err(refused);
            }
        }
        rows.into_iter().map(Invitation::try_from).collect()
    }

    /// Withdraws a pending (or expired) invitation: its link stops working at once. Needs the owner's role in its
    /// list; a member below it gets [`Error::RoleRequired`] (as for every owner's action on a list they can see),
    /// anyone else, and an invitation that is gone (accepted, withdrawn, swept), [`Error::NotFound`].
    pub async fn withdraw(&self, id: InvitationId) -> Result<()> {
        let withdrawn = on_connection!(self.store, |conn| {
            sqlx::query(concat!(
                "DELETE FROM invitations WHERE id = $4 AND ",
                member_may!("invitations.list_id", "3"),
                " AND ",
                owner_is_current!()
            ))
            .bind_owner(&self.owner)
            .bind(id.as_uuid())
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        if withdrawn > 0 {
            return Ok(());
        }
        let list: Option<Uuid> = on_connection!(reading self.store, |conn| {
            sqlx::query_scalar("SELECT list_id FROM invitations WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(conn)
                .await
        })?;
        Err(match list {
            Some(list) => self.refused(ListId::from_uuid(list), Role::Owner).await.unwrap_or(Error::NotFound),
            None => not_found_or_refusal(&self.store, &self.owner).await,
        })
    }

    /// Accepts the invitation whose link carries `token`: the owner joins its list with its role (a member already
    /// keeps the role they have), and the list is returned as they now see it. The invitation is spent.
    ///
    /// The owner's account must have a **verified** email equal to the invited address; otherwise
    /// [`Error::InvitationForSomeoneElse`], and the invitation stays usable by its addressee (a forwarded link lets
    /// nobody else in, and does not burn it). A token that is unknown, used, withdrawn or expired is a validation
    /// error on `token`, as for every mail link. See [`Lists::invite`] for an example.
    pub async fn accept(&self, token: &str) -> Result<super::List> {
        let hash = token_hash(token);
        let joined_at = now();
        let accepted = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // Spending it first takes the invitation's row lock (PostgreSQL) or the one writer's lock (SQLite), so
            // concurrent accepts of one token run one after the other, and only the first finds it.
            let invitation: Option<(Uuid, String, i16)> = sqlx::query_as(
                "DELETE FROM invitations WHERE token_hash = $1 AND expires_at_ms > $2 RETURNING list_id, email, role",
            )
            .bind(&hash)
            .bind(unix_ms(joined_at))
            .fetch_optional(&mut *tx)
            .await?;
            let Some((list, invited, rank)) = invitation else {
                tx.rollback().await?;
                return Ok(Accepted::NoInvitation);
            };
            let accepter: Option<(String, Option<OffsetDateTime>)> = sqlx::query_as(concat!(
                "SELECT users.email, users.email_verified_at FROM users WHERE users.id = $1 AND ",
                owner_is_current!()
            ))
            .bind_owner(&self.owner)
            .fetch_optional(&mut *tx)
            .await?;
            let verdict = match accepter {
                None => Accepted::NotCurrent,
                Some((email, Some(_))) if email == invited => Accepted::Joined(list),
                Some(_) => Accepted::SomeoneElse,
            };
            if !matches!(verdict, Accepted::Joined(_)) {
                // The invitation stays for its addressee.
                tx.rollback().await?;
                return Ok(verdict);
            }
            sqlx::query(
                "INSERT INTO memberships (user_id, list_id, role, joined_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, list_id) DO NOTHING",
            )
            .bind(self.owner.user_id().as_uuid())
            .bind(list)
            .bind(rank)
            .bind(joined_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(verdict)
        }
        .await)?;
        match accepted {
            Accepted::Joined(list) => self.get(ListId::from_uuid(list)).await,
            Accepted::SomeoneElse => Err(Error::InvitationForSomeoneElse),
            // The owner's token error comes first: a client that is not signed in learns nothing of the link.
            Accepted::NotCurrent | Accepted::NoInvitation => {
                Err(stale_owner(&self.store, &self.owner).await?.map_or_else(Error::invalid_link_token, Error::from))
            }
        }
    }

    /// Takes a slot of the owner's budget of invitation mails; [`Error::RateLimited`] (nothing counted) when it is
    /// spent.
    async fn take_invitation_slot(&self) -> Result<Taken> {
        let sharing = &self.sharing;
        let user = self.owner.user_id().to_string();
        let budgets: Vec<Budget> = (sharing.per_inviter > 0)
            .then(|| Budget::new(&["invitation", "inviter", &user], sharing.per_inviter))
            .into_iter()
            .collect();
        match sharing.counters.take(&budgets, sharing.window, unix_ms(now())).await? {
            Ok(taken) => Ok(taken),
            Err(retry_after) => Err(Error::RateLimited { retry_after: retry_after.max(Duration::from_secs(1)) }),
        }
    }
}

/// `role`, if an invitation may give it: editor or viewer. Ownership is handed over to a member, not invited.
fn invitable(role: Role) -> Result<Role> {
    match role {
        Role::Owner => Err(Error::invalid("role", "must be editor or viewer; hand a list over with a member's role")),
        role => Ok(role),
    }
}
