//! A mailer that keeps mails in memory, for tests.

use std::sync::{Arc, Mutex, MutexGuard};

use super::{Mail, MailError, Mailer};

/// Keeps every mail it is given, in order, in memory: for an embedder's tests (what Django calls the
/// "locmem" backend). Clones share one outbox.
///
/// ```
/// use std::sync::Arc;
/// use todo_core::mail::{Mailer, Outbox};
///
/// let outbox = Outbox::default();
/// let config = todo_core::Config::new("use at least 32 random bytes here!!")?.with_mailer(Arc::new(outbox.clone()));
/// assert!(outbox.mails().is_empty());
/// # Ok::<(), todo_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl Outbox {
    /// The mails sent so far, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        self.lock().clone()
    }

    /// Removes and returns the mails sent so far.
    pub fn take(&self) -> Vec<Mail> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Mail>> {
        self.mails.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait::async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        self.lock().push(mail.clone());
        Ok(())
    }

    fn describe(&self) -> String {
        "in-memory outbox (tests)".into()
    }
}
