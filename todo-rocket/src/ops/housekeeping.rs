//! The periodic housekeeping sweep: every `CLEANUP_INTERVAL_SECONDS` (`todo_core::Config::cleanup_interval`),
//! from liftoff on, the library deletes expired sessions, tokens and abuse-limit counters
//! ([`todo_core::Accounts::sweep_expired`]; on PostgreSQL one instance at a time).

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::tokio::time::{interval_at, Instant, MissedTickBehavior};
use todo_core::Todo;

/// The stage: sweeps every `interval` (never when it is zero), the first time one interval after liftoff.
pub(crate) fn stage(interval: Duration) -> AdHoc {
    AdHoc::on_liftoff("housekeeping", move |rocket| {
        Box::pin(async move {
            if interval.is_zero() {
                return;
            }
            let Some(todo) = rocket.state::<Todo>().cloned() else { return };
            rocket::tokio::spawn(async move {
                let mut every = interval_at(Instant::now() + interval, interval);
                every.set_missed_tick_behavior(MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    match todo.accounts().sweep_expired().await {
                        Ok(swept) if swept.skipped => tracing::debug!("another instance is sweeping"),
                        Ok(swept) => tracing::info!(
                            sessions = swept.sessions,
                            refresh_tokens = swept.refresh_tokens,
                            mail_tokens = swept.mail_tokens,
                            limit_counters = swept.limit_counters,
                            "expired rows swept"
                        ),
                        Err(error) => tracing::warn!(%error, "the housekeeping sweep failed; it runs again later"),
                    }
                }
            });
        })
    })
}
