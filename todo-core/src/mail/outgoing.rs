//! A composed mail on its way out: what a flow that mails hands back to its caller, to send after answering.

use std::sync::Arc;

use super::{Mail, MailError, Mailer};
use crate::ids::UserId;

/// A composed mail and the mailer that will send it. Send it after answering the request that caused it, so that
/// answering costs the same whether or not a mail goes out.
#[must_use = "a mail does nothing until it is sent"]
#[derive(Debug)]
pub struct OutgoingMail {
    mail: Mail,
    mailer: Arc<dyn Mailer>,
    /// The recipient's account, when the mail goes to one (an invitation goes to an address that may have none).
    user: Option<UserId>,
    /// What the mail is for, as the log names it (`verify_email`, `invitation`, …).
    purpose: &'static str,
}

impl OutgoingMail {
    /// `mail`, to be sent by `mailer`; `user` is the recipient's account if known, `purpose` names the mail in the
    /// log.
    pub(crate) fn new(mail: Mail, mailer: Arc<dyn Mailer>, user: Option<UserId>, purpose: &'static str) -> Self {
        Self { mail, mailer, user, purpose }
    }

    /// The mail, as it will be sent.
    pub fn mail(&self) -> &Mail {
        &self.mail
    }

    /// Sends the mail and logs the outcome with its purpose and the recipient's user id (when the mail goes to an
    /// account), never the address or the link.
    pub async fn send(self) -> std::result::Result<(), MailError> {
        let (user, purpose) = (self.user.as_ref().map(tracing::field::display), self.purpose);
        match self.mailer.send(&self.mail).await {
            Ok(()) => {
                tracing::info!(user, kind = purpose, "mail sent");
                Ok(())
            }
            Err(error) => {
                tracing::warn!(user, kind = purpose, %error, "mail not sent");
                Err(error)
            }
        }
    }
}
