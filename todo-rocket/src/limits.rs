//! Abuse limits: failed logins per email and per client address, signups per client address.
//!
//! Counters live in this process's memory (fixed windows), so with several instances each enforces its own
//! limits: an attacker spread over N instances gets N times the budget. That is the documented trade-off: it
//! keeps every login free of an extra database write, and bcrypt's cost bounds what the budget buys. Windows
//! are simple counters rather than a token bucket (e.g. `governor`) because only *failed* logins count, which
//! needs "is this key blocked?" separately from "record a failure".

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The client address a request is counted against: Rocket's `client_ip()` (the peer, or the `ip_header` a
/// trusted proxy sets when `ROCKET_IP_HEADER` is configured).
#[derive(Debug, Clone)]
pub(crate) struct ClientKey(pub(crate) String);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for ClientKey {
    type Error = Infallible;

    async fn from_request(request: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, Infallible> {
        let ip = request.client_ip().map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        rocket::request::Outcome::Success(ClientKey(ip))
    }
}

/// Whole seconds to wait, rounded up, for `Retry-After`.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// How many attempts are allowed per window; `0` turns a limit off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Failed logins for one email per window (default 5).
    pub login_failures_per_email: u32,
    /// Failed logins from one client address per window (default 20).
    pub login_failures_per_client: u32,
    /// Signups from one client address per window (default 10).
    pub signups_per_client: u32,
    /// The window (default 15 minutes).
    pub window: Duration,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            login_failures_per_email: 5,
            login_failures_per_client: 20,
            signups_per_client: 10,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// The limiters of one mounted API (managed state).
#[derive(Debug)]
pub(crate) struct RateLimits {
    login_email: Counter,
    login_client: Counter,
    signup_client: Counter,
}

impl RateLimits {
    pub(crate) fn new(settings: &RateLimitSettings) -> Self {
        Self {
            login_email: Counter::new(settings.login_failures_per_email, settings.window),
            login_client: Counter::new(settings.login_failures_per_client, settings.window),
            signup_client: Counter::new(settings.signups_per_client, settings.window),
        }
    }

    /// How long to wait before another login for this email from this client may be tried, if it must wait.
    pub(crate) fn login_blocked(&self, email: &str, client: &str) -> Option<Duration> {
        self.login_email.retry_after(email).max(self.login_client.retry_after(client))
    }

    /// Counts a failed login against the email and the client.
    pub(crate) fn login_failed(&self, email: &str, client: &str) {
        self.login_email.record(email);
        self.login_client.record(client);
    }

    /// Counts a signup from this client; returns how long to wait if it is over the limit (and then does not
    /// count it).
    pub(crate) fn signup(&self, client: &str) -> Option<Duration> {
        let wait = self.signup_client.retry_after(client);
        if wait.is_none() {
            self.signup_client.record(client);
        }
        wait
    }
}

/// Keys beyond which expired windows are swept, so the map cannot grow without bound.
const SWEEP_ABOVE_KEYS: usize = 10_000;

#[derive(Debug)]
struct Counter {
    max: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Counter {
    fn new(max: u32, window: Duration) -> Self {
        Self { max, window, windows: Mutex::new(HashMap::new()) }
    }

    fn retry_after(&self, key: &str) -> Option<Duration> {
        if self.max == 0 {
            return None;
        }
        let windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (started, count) = *windows.get(key)?;
        let remaining = self.window.checked_sub(started.elapsed())?;
        (count >= self.max).then_some(remaining)
    }

    fn record(&self, key: &str) {
        if self.max == 0 {
            return;
        }
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > SWEEP_ABOVE_KEYS {
            windows.retain(|_, (started, _)| started.elapsed() < self.window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_email: u32, per_client: u32, signups: u32, window: Duration) -> RateLimits {
        RateLimits::new(&RateLimitSettings {
            login_failures_per_email: per_email,
            login_failures_per_client: per_client,
            signups_per_client: signups,
            window,
        })
    }

    #[test]
    fn an_email_is_blocked_after_its_failures_and_others_are_not() {
        let limits = limits(3, 100, 10, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(limits.login_blocked("a@x.io", "1.2.3.4"), None);
            limits.login_failed("a@x.io", "1.2.3.4");
        }
        let wait = limits.login_blocked("a@x.io", "5.6.7.8").expect("blocked whatever the client");
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert_eq!(limits.login_blocked("b@x.io", "1.2.3.4"), None);
    }

    #[test]
    fn a_client_is_blocked_after_failures_on_many_emails() {
        let limits = limits(100, 2, 10, Duration::from_secs(60));
        limits.login_failed("a@x.io", "1.2.3.4");
        limits.login_failed("b@x.io", "1.2.3.4");
        assert!(limits.login_blocked("c@x.io", "1.2.3.4").is_some());
        assert_eq!(limits.login_blocked("c@x.io", "9.9.9.9"), None);
    }

    #[test]
    fn signups_are_counted_per_client_and_refusals_do_not_count() {
        let limits = limits(5, 5, 2, Duration::from_secs(60));
        assert_eq!(limits.signup("1.2.3.4"), None);
        assert_eq!(limits.signup("1.2.3.4"), None);
        assert!(limits.signup("1.2.3.4").is_some());
        assert_eq!(limits.signup("5.6.7.8"), None);
    }

    #[test]
    fn a_window_expires() {
        let limits = limits(1, 1, 1, Duration::from_millis(20));
        limits.login_failed("a@x.io", "1.2.3.4");
        assert!(limits.login_blocked("a@x.io", "1.2.3.4").is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(limits.login_blocked("a@x.io", "1.2.3.4"), None);
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limits = limits(0, 0, 0, Duration::from_secs(60));
        for _ in 0..100 {
            limits.login_failed("a@x.io", "1.2.3.4");
            assert_eq!(limits.signup("1.2.3.4"), None);
        }
        assert_eq!(limits.login_blocked("a@x.io", "1.2.3.4"), None);
    }
}
