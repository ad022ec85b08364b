//! Mails sent after the answer, by the routes of several areas (signup, email verification, password recovery).
//!
//! A spawned task prepares and sends the mail once the request has been answered, so a route answers in the same
//! time whether or not an account has the email, and a slow or failing mail server never slows or fails a
//! request. A mail that cannot be sent is logged with the user's id (never the address or the link).

use std::future::Future;

use todo_core::OutgoingMail;

use crate::ops::request_log::in_current_request;

/// Runs `prepare` after the current request has been answered (with its id, so its lines carry the request id),
/// and sends the mail it returns. Failures are logged (by [`OutgoingMail::send`] for sending) and never reach the
/// client, which already has its answer.
pub(crate) fn mail_after_the_answer<F>(what: &'static str, prepare: F)
where
    F: Future<Output = todo_core::Result<Option<OutgoingMail>>> + Send + 'static,
{
    rocket::tokio::spawn(in_current_request(async move {
        match prepare.await {
            Ok(Some(mail)) => {
                let _ = mail.send().await;
            }
            Ok(None) => tracing::info!(mail = what, "no account has this email; no mail sent"),
            Err(error) => tracing::warn!(mail = what, %error, "mail not prepared"),
        }
    }));
}
