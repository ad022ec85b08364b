//! Sign-in links ("magic links"): a mail whose link signs its reader in, without a password.
//!
//! The links are mail links like the others (`email_links`): 32 random bytes kept as a SHA-256 hash, single use
//! (the `DELETE … RETURNING` that checks one spends it), 15 minutes by default, the newest voiding the older ones.
//! Requests count against the same budgets as password-reset requests, and are answered alike whether or not an
//! account has the email. Following a link proves the address, so the email counts as verified; for an account
//! with a second factor it is only the first step.

use super::accounts::{Accounts, Login};
use super::assurance::{Assurance, Method};
use crate::abuse::Client;
use crate::email::Email;
use crate::error::{Error, Result};
use crate::mail::MailKind;
use crate::mail::OutgoingMail;

impl Accounts {
    /// Counts a request for a sign-in link for `email` from `client` against the budgets of password-reset
    /// requests (they are one family: mails that sign someone in); [`Error::RateLimited`] over one of them. Call it
    /// before answering, then [`Accounts::sign_in_link_mail`] after.
    pub async fn admit_sign_in_link(&self, email: &Email, client: &Client) -> Result<()> {
        self.limiter.count_password_reset(email.as_str(), client).await
    }

    /// The sign-in link mail for `email`, or `None` when no account has that email. Whoever asks, answer the same
    /// and send the mail afterwards, so that neither the answer nor its timing tells who has an account.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use todo_core::{mail::Outbox, Client, Config, Email, Todo};
    ///
    /// let outbox = Outbox::default();
    /// let config = Config::new("use at least 32 random bytes here!!")?
    ///     .with_bcrypt_cost(4)? // fast for the example
    ///     .with_app_url("https://app.example.com")?
    ///     .with_mailer(Arc::new(outbox.clone()))
    ///     .with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    ///
    /// let email = Email::parse("ann@example.com")?;
    /// todo.accounts().admit_sign_in_link(&email, &Client::default()).await?;
    /// todo.accounts().sign_in_link_mail(&email).await?.expect("ann has an account").send().await.expect("sent");
    ///
    /// // The link in the mail: https://app.example.com/magic-link?token=…
    /// let text = &outbox.mails()[0].text;
    /// let token = text.split("magic-link?token=").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap();
    /// let login = todo.accounts().sign_in_with_link(token, &Client::default()).await?;
    /// assert_eq!(login.user.email.as_str(), "ann@example.com");
    /// assert!(login.user.email_verified_at.is_some()); // the link proved the address
    /// assert!(todo.accounts().sign_in_with_link(token, &Client::default()).await.is_err()); // single use
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn sign_in_link_mail(&self, email: &Email) -> Result<Option<OutgoingMail>> {
        self.link_mail(email, MailKind::SignIn).await
    }

    /// Uses a sign-in link's token: marks the email verified and starts a session (remembering the client's user
    /// agent) whose tokens are returned, or, for an account with a second factor, answers
    /// [`Error::SecondStepRequired`]. A token that is unknown, used, voided or expired is a validation error on
    /// `token`.
    pub async fn sign_in_with_link(&self, token: &str, client: &Client) -> Result<Login> {
        let user = self.spend_proving_the_address(token, MailKind::SignIn).await?;
        let stored = self.find_stored(user).await?.ok_or_else(Error::invalid_link_token)?;
        if let Some(step) = self.second_step_for(user, Method::EmailLink, client.user_agent()).await? {
            return Err(Error::SecondStepRequired(step));
        }
        let issued = self.sessions.start(user, client.user_agent(), Assurance::first(Method::EmailLink)).await?;
        self.signed_in(stored.user, issued)
    }
}
