//! What sharing needs besides the store: where the links in invitation mails point, who sends them, and the
//! inviters' budget. Built once per [`crate::Todo`], from its configuration.

use std::sync::Arc;
use std::time::Duration;

use crate::abuse::AbuseLimits;
use crate::config::{Config, DEFAULT_APP_URL};
use crate::mail::{Links, Mailer};
use crate::store::{Counters, Store};

/// What sharing needs besides the store: where links point and who sends the mails, and the inviters' budget.
/// Built once per [`crate::Todo`] (clones share the counters).
#[derive(Debug, Clone)]
pub(crate) struct Sharing {
    pub(super) links: Links,
    pub(super) mailer: Arc<dyn Mailer>,
    pub(super) counters: Counters,
    pub(super) window: Duration,
    pub(super) per_inviter: u32,
}

impl Sharing {
    /// The settings of `config`, counting invitations where `store` counts (its database on PostgreSQL, this
    /// process on SQLite).
    pub(crate) fn new(store: &Store, config: &Config) -> Self {
        let limits: &AbuseLimits = config.abuse_limits();
        Self {
            links: Links::new(config.app_url().unwrap_or(DEFAULT_APP_URL)),
            mailer: Arc::clone(config.mailer()),
            counters: Counters::for_store(store, limits.max_keys),
            window: limits.window,
            per_inviter: limits.invitations_per_inviter,
        }
    }
}
