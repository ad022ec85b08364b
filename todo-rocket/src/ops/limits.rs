//! Abuse limits: failed logins per email and per client network, signups per client network, password-reset
//! mails per email and per client network.
//!
//! - **Clients are counted by network.** An IPv6 client usually controls a whole /64 (2^64 addresses), so
//!   counting single addresses would let it rotate past every per-client limit. IPv4 addresses count alone
//!   (prefix 32), IPv6 addresses by their /64, and an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as the
//!   IPv4 address it carries. Both prefix lengths are settings.
//! - **Memory is bounded.** Each limiter is a [`moka`] cache holding at most `max_keys` counters, each
//!   dropped when its window ends. When a limiter is full, moka's TinyLFU admission decides: a key seen once
//!   does not push out a key seen often, so a flood of fresh addresses or emails cannot evict the counter of
//!   someone who keeps failing. The price: while a limiter is full, a key seen for the first time may not be
//!   remembered, so its first failures can go uncounted until it has been seen often enough to be admitted.
//! - **Counters are per instance**, in this process's memory (fixed windows): with several instances each
//!   enforces its own limits, so an attacker spread over N instances gets N times the budget. That keeps every
//!   login free of an extra database write, and bcrypt's cost bounds what the budget buys. Windows are simple
//!   counters rather than a token bucket (e.g. `governor`) because only *failed* logins count, which needs "is
//!   this key blocked?" separately from "record a failure".

use std::convert::Infallible;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use moka::sync::Cache;
use rocket::fairing::AdHoc;

use super::metrics;
use crate::settings::RateLimitSettings;

/// The address a request comes from: Rocket's `client_ip()` (the TCP peer, or the header a trusted proxy sets
/// when `ROCKET_IP_HEADER` names one). `None` only where there is no peer (Rocket's local test client).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddress(pub(crate) Option<IpAddr>);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for ClientAddress {
    type Error = Infallible;

    async fn from_request(request: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, Infallible> {
        rocket::request::Outcome::Success(ClientAddress(request.client_ip()))
    }
}

/// Whole seconds to wait, rounded up, for `Retry-After`.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// A limiter's refusal, already counted in the metrics: how long to wait before trying again (the HTTP layer
/// answers it with 429 and `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused(pub(crate) Duration);

/// `Ok`, or a refusal when there is a wait, counted by `count`: a refusal is counted where it is decided.
fn refuse_if(wait: Option<Duration>, count: impl FnOnce()) -> Result<(), Refused> {
    match wait {
        None => Ok(()),
        Some(wait) => {
            count();
            Err(Refused(wait))
        }
    }
}

/// The stage of the limiters: one set per mounted API, as managed state.
pub(crate) fn stage(settings: &RateLimitSettings) -> AdHoc {
    let limits = RateLimits::new(settings);
    AdHoc::on_ignite("abuse limits", |rocket| async move { rocket.manage(limits) })
}

/// What a per-client limit counts: the client's network, as the settings group addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ClientKey {
    Network(IpNet),
    /// No address is known (Rocket's local client without a remote): all such requests share one counter.
    Unknown,
}

/// The limiters of one mounted API (managed state). Clones share the counters.
#[derive(Debug, Clone)]
pub(crate) struct RateLimits {
    ipv4_prefix: u8,
    ipv6_prefix: u8,
    login_email: Counter<String>,
    login_client: Counter<ClientKey>,
    signup_client: Counter<ClientKey>,
    reset_email: Counter<String>,
    reset_client: Counter<ClientKey>,
}

impl RateLimits {
    /// Limiters with these settings (checked by [`RateLimitSettings::validate`] when the API is mounted).
    pub(crate) fn new(settings: &RateLimitSettings) -> Self {
        let (window, max_keys) = (settings.window, settings.max_keys);
        Self {
            ipv4_prefix: settings.ipv4_prefix,
            ipv6_prefix: settings.ipv6_prefix,
            login_email: Counter::new(settings.login_failures_per_email, window, max_keys),
            login_client: Counter::new(settings.login_failures_per_client, window, max_keys),
            signup_client: Counter::new(settings.signups_per_client, window, max_keys),
            reset_email: Counter::new(settings.password_resets_per_email, window, max_keys),
            reset_client: Counter::new(settings.password_resets_per_client, window, max_keys),
        }
    }

    /// Whether a login for this email from this client may be tried now; if not, how long to wait.
    pub(crate) fn login_allowed(&self, email: &str, client: ClientAddress) -> Result<(), Refused> {
        let client = self.client_key(client);
        let wait = self.login_email.retry_after(email).max(self.login_client.retry_after(&client));
        refuse_if(wait, metrics::login_refused)
    }

    /// Counts a failed login against the email and the client.
    pub(crate) fn login_failed(&self, email: &str, client: ClientAddress) {
        self.login_email.record(email.to_owned());
        self.login_client.record(self.client_key(client));
    }

    /// Counts a signup from this client; refuses it if it is over the limit (and then does not count it).
    pub(crate) fn signup(&self, client: ClientAddress) -> Result<(), Refused> {
        let client = self.client_key(client);
        refuse_if(self.signup_client.retry_after(&client), || metrics::refused("signup"))?;
        self.signup_client.record(client);
        Ok(())
    }

    /// Counts a password-reset request for this (normalised) email from this client; refuses it if either is over
    /// its limit (and then counts nothing). Every request counts, whether or not an account has the email, so the
    /// limit says nothing about who has one.
    pub(crate) fn password_reset(&self, email: &str, client: ClientAddress) -> Result<(), Refused> {
        let client = self.client_key(client);
        let wait = self.reset_email.retry_after(email).max(self.reset_client.retry_after(&client));
        refuse_if(wait, || metrics::refused("password_reset"))?;
        self.reset_email.record(email.to_owned());
        self.reset_client.record(client);
        Ok(())
    }

    /// The keys each limiter holds now, by limiter name (for metrics).
    pub(crate) fn sizes(&self) -> [(&'static str, u64); 5] {
        [
            ("login_email", self.login_email.len()),
            ("login_client", self.login_client.len()),
            ("signup_client", self.signup_client.len()),
            ("password_reset_email", self.reset_email.len()),
            ("password_reset_client", self.reset_client.len()),
        ]
    }

    /// The network `client` is counted as: IPv4-mapped IPv6 as IPv4, then truncated to the prefix length of
    /// its family.
    fn client_key(&self, client: ClientAddress) -> ClientKey {
        let Some(address) = client.0 else { return ClientKey::Unknown };
        let address = address.to_canonical();
        let prefix = if address.is_ipv4() { self.ipv4_prefix } else { self.ipv6_prefix };
        // A prefix longer than the address is refused at mount; should one get here, the address counts alone.
        ClientKey::Network(IpNet::new(address, prefix).map_or_else(|_| IpNet::from(address), |net| net.trunc()))
    }
}

/// Fixed-window counters by key, at most `max_keys` of them. Clones share the counters.
#[derive(Clone)]
struct Counter<K> {
    max: u32,
    window: Duration,
    windows: Cache<K, Arc<Window>>,
}

/// One key's window: when it started and what it has counted. Never replaced while cached, so the cache's
/// time-to-live (measured from insertion) ends it exactly when the window ends.
#[derive(Debug)]
struct Window {
    started: Instant,
    count: AtomicU32,
}

impl<K> std::fmt::Debug for Counter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counter").field("max", &self.max).field("window", &self.window).finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Send + Sync + 'static> Counter<K> {
    fn new(max: u32, window: Duration, max_keys: u64) -> Self {
        let windows = Cache::builder().max_capacity(max_keys).time_to_live(window).build();
        Self { max, window, windows }
    }

    fn retry_after<Q>(&self, key: &Q) -> Option<Duration>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.max == 0 {
            return None;
        }
        let window = self.windows.get(key)?;
        let remaining = self.window.checked_sub(window.started.elapsed())?;
        (window.count.load(Ordering::Relaxed) >= self.max).then_some(remaining)
    }

    fn record(&self, key: K) {
        if self.max == 0 {
            return;
        }
        let window = self.windows.get_with(key, || Arc::new(Window { started: Instant::now(), count: 0.into() }));
        // Saturates rather than wraps: a counter that overflowed would unblock its key.
        let _ = window.count.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |count| count.checked_add(1));
    }

    /// The keys held, after the cache has applied its pending evictions.
    fn len(&self) -> u64 {
        self.windows.run_pending_tasks();
        self.windows.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    fn limits(per_email: u32, per_client: u32, signups: u32, window: Duration) -> RateLimits {
        RateLimits::new(&RateLimitSettings {
            login_failures_per_email: per_email,
            login_failures_per_client: per_client,
            signups_per_client: signups,
            window,
            ..RateLimitSettings::default()
        })
    }

    fn at(address: &str) -> ClientAddress {
        ClientAddress(Some(address.parse().expect("an address")))
    }

    #[test]
    fn an_email_is_blocked_after_its_failures_and_others_are_not() {
        let limits = limits(3, 100, 10, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(limits.login_allowed("a@x.io", at("1.2.3.4")), Ok(()));
            limits.login_failed("a@x.io", at("1.2.3.4"));
        }
        let Refused(wait) = limits.login_allowed("a@x.io", at("5.6.7.8")).expect_err("blocked whatever the client");
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert_eq!(limits.login_allowed("b@x.io", at("1.2.3.4")), Ok(()));
    }

    #[test]
    fn a_client_is_blocked_after_failures_on_many_emails() {
        let limits = limits(100, 2, 10, Duration::from_secs(60));
        limits.login_failed("a@x.io", at("1.2.3.4"));
        limits.login_failed("b@x.io", at("1.2.3.4"));
        assert!(limits.login_allowed("c@x.io", at("1.2.3.4")).is_err());
        assert_eq!(limits.login_allowed("c@x.io", at("9.9.9.9")), Ok(()));
    }

    #[test]
    fn signups_are_counted_per_client_and_refusals_do_not_count() {
        let limits = limits(5, 5, 2, Duration::from_secs(60));
        assert_eq!(limits.signup(at("1.2.3.4")), Ok(()));
        assert_eq!(limits.signup(at("1.2.3.4")), Ok(()));
        assert!(limits.signup(at("1.2.3.4")).is_err());
        assert_eq!(limits.signup(at("5.6.7.8")), Ok(()));
    }

    #[test]
    fn a_window_expires() {
        let limits = limits(1, 1, 1, Duration::from_millis(20));
        limits.login_failed("a@x.io", at("1.2.3.4"));
        assert!(limits.login_allowed("a@x.io", at("1.2.3.4")).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(limits.login_allowed("a@x.io", at("1.2.3.4")), Ok(()));
    }

    #[test]
    fn password_resets_are_limited_per_email_and_per_client() {
        let limits = RateLimits::new(&RateLimitSettings {
            password_resets_per_email: 2,
            password_resets_per_client: 3,
            ..RateLimitSettings::default()
        });
        assert_eq!(limits.password_reset("a@x.io", at("1.2.3.4")), Ok(()));
        assert_eq!(limits.password_reset("a@x.io", at("5.6.7.8")), Ok(()));
        assert!(limits.password_reset("a@x.io", at("9.9.9.9")).is_err(), "per email, whatever the client");
        assert_eq!(limits.password_reset("b@x.io", at("1.2.3.4")), Ok(()));
        assert_eq!(limits.password_reset("c@x.io", at("1.2.3.4")), Ok(()));
        assert!(limits.password_reset("d@x.io", at("1.2.3.4")).is_err(), "per client, whatever the email");
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limits = limits(0, 0, 0, Duration::from_secs(60));
        for _ in 0..100 {
            limits.login_failed("a@x.io", at("1.2.3.4"));
            assert_eq!(limits.signup(at("1.2.3.4")), Ok(()));
        }
        assert_eq!(limits.login_allowed("a@x.io", at("1.2.3.4")), Ok(()));
    }

    #[test]
    fn clients_are_keyed_by_network() {
        let limits = limits(1, 1, 1, Duration::from_secs(60));
        let key = |address: &str| limits.client_key(at(address));
        // IPv6: one /64 is one client, whatever its interface identifier.
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        // IPv4: each address alone; the IPv4-mapped IPv6 form is the same client.
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
        assert_eq!(key("192.0.2.1"), key("::ffff:192.0.2.1"));
        let expected = IpNet::from(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(key("::ffff:192.0.2.1"), ClientKey::Network(expected));
        assert_eq!(limits.client_key(ClientAddress(None)), ClientKey::Unknown);
    }

    #[test]
    fn prefix_lengths_are_settings() {
        let limits = RateLimits::new(&RateLimitSettings { ipv4_prefix: 24, ipv6_prefix: 48, ..Default::default() });
        let key = |address: &str| limits.client_key(at(address));
        assert_eq!(key("192.0.2.1"), key("192.0.2.254"));
        assert_ne!(key("192.0.2.1"), key("192.0.3.1"));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:ffff::1"));
        assert_ne!(key("2001:db8:1::1"), key("2001:db8:2::1"));
        let all = RateLimits::new(&RateLimitSettings { ipv6_prefix: 128, ..Default::default() });
        let v6 = |address: &str| all.client_key(at(address));
        assert_ne!(v6("2001:db8::1"), v6("2001:db8::2"));
        assert_eq!(
            v6("2001:db8::1"),
            ClientKey::Network(IpNet::from(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))))
        );
    }

    #[test]
    fn a_flood_of_distinct_keys_stays_within_the_bound() {
        const BOUND: u64 = 1_000;
        let counter = Counter::new(5, Duration::from_secs(600), BOUND);
        for key in 0..200_000u32 {
            counter.record(key);
            if key % 10_000 == 0 {
                assert!(counter.len() <= BOUND, "{} keys after {key}", counter.len());
            }
        }
        assert!(counter.len() <= BOUND, "{} keys", counter.len());
    }

    #[test]
    fn a_flood_does_not_evict_a_key_that_keeps_failing() {
        let counter = Counter::new(5, Duration::from_secs(600), 1_000);
        for key in 0..200_000u32 {
            if key % 100 == 0 {
                counter.record(u32::MAX);
            }
            counter.record(key);
        }
        assert!(counter.retry_after(&u32::MAX).is_some(), "the persistent offender is still blocked");
    }
}
