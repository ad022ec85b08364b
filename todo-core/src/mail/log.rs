//! The development mailer: mails go to the log.

use super::{Mail, MailError, Mailer};

/// Writes each mail, with its links, to the log at `INFO` (target `todo_core::mail`) instead of sending it.
///
/// The default when no `SMTP_URL` is set, so the server runs without a mail server and a developer can still
/// open the links. It logs the recipient and the tokens in the links, which is its purpose: never use it in
/// production.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogMailer;

#[async_trait::async_trait]
impl Mailer for LogMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        tracing::info!(
            target: "todo_core::mail",
            "mail not sent (no SMTP_URL), written here instead:\nTo: {}\nSubject: {}\n\n{}",
            mail.to,
            mail.subject,
            mail.text
        );
        Ok(())
    }

    fn describe(&self) -> String {
        "no SMTP_URL: mails are written to this log, links included (development only)".into()
    }
}
