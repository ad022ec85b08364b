//! Mail: the [`Mailer`] seam, and the built-in mailers.
//!
//! The library composes the mails it needs (email verification, password reset, sign-in links, invitations to a
//! list) as a [`Mail`], returns each as an [`OutgoingMail`] for the caller to send after answering, and that hands
//! it to the configured [`Mailer`]. Three come with it:
//!
//! - [`LogMailer`], the default when `SMTP_URL` is unset: writes each mail, link included, to the log
//!   (`tracing`, target `todo_core::mail`), so a developer can click the link without a mail server.
//! - [`SmtpMailer`], on `lettre` with rustls: STARTTLS or implicit TLS, credentials from the URL.
//! - [`Outbox`]: keeps mails in memory, for an embedder's tests.
//!
//! Any other provider (an HTTP mail API, a queue) is one `impl Mailer`.
//!
//! A room of its own: may use only the leaf modules `email`, `error` and `ids`; `config`, `auth` and `lists` use
//! it.

mod log;
mod messages;
mod outbox;
mod outgoing;
mod smtp;

use std::fmt;

pub use self::log::LogMailer;
pub(crate) use self::messages::{Links, MailKind};
pub use self::outbox::Outbox;
pub use self::outgoing::OutgoingMail;
pub use self::smtp::SmtpMailer;
use crate::email::Email;

/// One mail: a plain-text body with an HTML alternative. Its `Debug` output shows neither the recipient nor the
/// bodies (they hold an address and a token).
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    /// The recipient.
    pub to: Email,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML alternative of the same content.
    pub html: String,
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Sends mails. Implement it to use any provider; the library calls it off the request path.
///
/// ```
/// use todo_core::mail::{Mail, MailError, Mailer};
///
/// /// Hands mails to some provider's API (here: counts them).
/// #[derive(Debug, Default)]
/// struct Counting(std::sync::atomic::AtomicUsize);
///
/// #[async_trait::async_trait]
/// impl Mailer for Counting {
///     async fn send(&self, _mail: &Mail) -> Result<(), MailError> {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         Ok(())
///     }
///
///     fn describe(&self) -> String {
///         "counting mailer".into()
///     }
/// }
///
/// let config = todo_core::Config::new("use at least 32 random bytes here!!")?
///     .with_mailer(std::sync::Arc::new(Counting::default()));
/// # Ok::<(), todo_core::Error>(())
/// ```
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + fmt::Debug {
    /// Delivers `mail`, or says why it could not. The error must not contain the recipient's address.
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;

    /// One line for the start-up log saying where mails go, without credentials.
    fn describe(&self) -> String;
}

/// A mail that could not be sent. Its message never holds the recipient's address or the mail's content.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailError(String);

impl MailError {
    /// An error with this message (which must not hold the recipient's address or the mail's content).
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
