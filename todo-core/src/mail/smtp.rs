//! The production mailer: SMTP through `lettre`, with rustls.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Mail, MailError, Mailer};
use crate::error::{Error, Result};

/// How long one delivery may take (connect, TLS, the SMTP dialogue) before it fails.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends mails over SMTP, one connection per mail (mails are rare: a pool would need a running runtime when the
/// configuration is read, and keep idle connections that providers cut).
///
/// Built from `SMTP_URL` in `lettre`'s URL form: `smtps://user:pass@host:465` (implicit TLS),
/// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtp://host:25` (no TLS: local relays and tests only).
/// Credentials in the URL are percent-encoded. The sender comes from `MAIL_FROM` (`Todo <no-reply@example.com>`).
///
/// ```
/// use todo_core::mail::{Mailer, SmtpMailer};
///
/// let mailer = SmtpMailer::new("smtp://apikey:secret@smtp.example.com:587?tls=required", "Todo <no-reply@example.com>")?;
/// assert_eq!(mailer.describe(), "SMTP at smtp.example.com:587 (STARTTLS), from no-reply@example.com");
/// # Ok::<(), todo_core::Error>(())
/// ```
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    description: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer").field("server", &self.description).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for the server at `url`, sending as `from`. Nothing is contacted yet; a URL or sender that cannot
    /// work is [`Error::Config`] naming `SMTP_URL` or `MAIL_FROM`.
    pub fn new(url: &str, from: &str) -> Result<Self> {
        let parsed = url::Url::parse(url.trim()).map_err(|_| bad_url())?;
        let security = match (parsed.scheme(), query_value(&parsed, "tls").as_deref()) {
            ("smtps", _) => "implicit TLS",
            ("smtp", Some("required")) => "STARTTLS",
            ("smtp", Some("opportunistic")) => "STARTTLS if offered",
            ("smtp", None | Some("none")) => "no TLS",
            _ => return Err(bad_url()),
        };
        let host = parsed.host_str().filter(|host| !host.is_empty()).ok_or_else(bad_url)?;
        let port = parsed.port().unwrap_or(if parsed.scheme() == "smtps" { 465 } else { 587 });
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|_| bad_url())?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from: Mailbox = from.trim().parse().map_err(|_| {
            Error::config("MAIL_FROM", "must be a sender address, such as `Todo <no-reply@example.com>`")
        })?;
        let description = format!("SMTP at {host}:{port} ({security}), from {}", from.email);
        Ok(Self { transport, from, description })
    }
}

fn bad_url() -> Error {
    Error::config(
        "SMTP_URL",
        "must be smtps://user:pass@host:465, smtp://user:pass@host:587?tls=required or smtp://host:25",
    )
}

fn query_value(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs().find(|(name, _)| name == key).map(|(_, value)| value.into_owned())
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let to =
            mail.to.as_str().parse().map_err(|_| MailError::new("the recipient's address is not one SMTP accepts"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|error| MailError::new(format!("could not build the message: {error}")))?;
        self.transport.send(message).await.map(|_| ()).map_err(|error| {
            // A server's reply may quote the recipient: keep only its code.
            match error.status() {
                Some(code) => MailError::new(format!("the SMTP server refused the mail with code {code}")),
                None if error.is_timeout() => MailError::new("the SMTP server did not answer in time"),
                None if error.is_tls() => MailError::new("the TLS handshake with the SMTP server failed"),
                None => MailError::new(format!("could not talk to the SMTP server: {error}")),
            }
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_url_forms_are_understood() {
        let from = "Todo <no-reply@example.com>";
        let describe = |url| SmtpMailer::new(url, from).expect("valid").describe();
        assert_eq!(
            describe("smtps://u:p@mail.example.com"),
            "SMTP at mail.example.com:465 (implicit TLS), from no-reply@example.com"
        );
        assert_eq!(
            describe("smtp://u:p@mail.example.com:587?tls=required"),
            "SMTP at mail.example.com:587 (STARTTLS), from no-reply@example.com"
        );
        assert_eq!(describe("smtp://127.0.0.1:2525"), "SMTP at 127.0.0.1:2525 (no TLS), from no-reply@example.com");
    }

    #[test]
    fn credentials_never_reach_the_description() {
        let mailer = SmtpMailer::new("smtps://apikey:s3cr3t@mail.example.com:465", "a@example.com").expect("valid");
        assert!(!mailer.describe().contains("s3cr3t") && !format!("{mailer:?}").contains("s3cr3t"));
    }

    #[test]
    fn bad_urls_and_senders_name_their_variable() {
        for url in ["", "mail.example.com", "http://mail.example.com", "smtp://", "smtp://h:25?tls=sometimes"] {
            let error = SmtpMailer::new(url, "a@example.com").expect_err(url);
            assert!(matches!(error, Error::Config { variable: "SMTP_URL", .. }), "{url}: {error}");
        }
        for from in ["", "not an address", "Todo <>"] {
            let error = SmtpMailer::new("smtp://127.0.0.1:25", from).expect_err(from);
            assert!(matches!(error, Error::Config { variable: "MAIL_FROM", .. }), "{from}: {error}");
        }
    }
}
