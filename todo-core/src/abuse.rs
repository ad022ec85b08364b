//! The abuse limits' settings ([`AbuseLimits`]) and the client they count ([`Client`]).
//!
//! The limits are budgets per window: of failed password checks, of signups, and of password-reset mails, each
//! counted per (email, client network), per email from all networks, and per client network. Keyed so that an
//! attacker spends their own budget: failures from one network use up that network's budget for the account, not
//! the owner's, and the account-wide bound is far higher than one network can reach.
//!
//! Clients are counted by network: an IPv4 address alone (`/32`), an IPv6 address by its `/64` (one subscriber
//! usually holds a whole `/64`, so single addresses would let it rotate past every limit), an IPv4-mapped IPv6
//! address as the IPv4 address it carries. A [`Client`] without an address is counted only per email.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;

use crate::error::{Error, Result};

/// Budgets per window; `0` turns one off. The defaults are the README's.
///
/// ```
/// use todo_core::{AbuseLimits, Config};
///
/// let limits = AbuseLimits { password_failures_per_email_and_client: 3, ..AbuseLimits::default() };
/// let config = Config::new("use at least 32 random bytes here!!")?.with_abuse_limits(limits)?;
/// assert_eq!(config.abuse_limits().password_failures_per_email, 100);
/// # Ok::<(), todo_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbuseLimits {
    /// The window every budget is counted in, from its first hit (default 15 minutes).
    /// `RATE_LIMIT_WINDOW_SECONDS`.
    pub window: Duration,
    /// Failed password checks for one email from one client network (default 5).
    /// `RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL_AND_CLIENT`.
    pub password_failures_per_email_and_client: u32,
    /// Failed password checks for one email from all networks together (default 100): a bound on distributed
    /// guessing that one network cannot reach alone. `RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL`.
    pub password_failures_per_email: u32,
    /// Failed password checks from one client network, over all emails (default 20).
    /// `RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT`.
    pub password_failures_per_client: u32,
    /// Signups from one client network (default 10). `RATE_LIMIT_SIGNUPS_PER_CLIENT`.
    pub signups_per_client: u32,
    /// Password-reset mails asked for one email from one client network (default 3).
    /// `RATE_LIMIT_PASSWORD_RESETS_PER_EMAIL_AND_CLIENT`.
    pub password_resets_per_email_and_client: u32,
    /// Password-reset mails asked for one email from all networks (default 10).
    /// `RATE_LIMIT_PASSWORD_RESETS_PER_EMAIL`.
    pub password_resets_per_email: u32,
    /// Password-reset mails asked from one client network, over all emails (default 10).
    /// `RATE_LIMIT_PASSWORD_RESETS_PER_CLIENT`.
    pub password_resets_per_client: u32,
    /// Sign-ins started at identity providers from one client network (default 30): each stores a flow for ten
    /// minutes, whoever asks. `RATE_LIMIT_PROVIDER_SIGN_INS_PER_CLIENT`.
    pub provider_sign_ins_per_client: u32,
    /// Invitation mails sent on behalf of one account, to any addresses (default 20): whoever sends them spends their
    /// own budget, so an account cannot be made a mail cannon. `RATE_LIMIT_INVITATIONS_PER_INVITER`.
    pub invitations_per_inviter: u32,
    /// IPv4 clients are counted by this prefix length, 1 to 32 (default 32: each address alone).
    /// `RATE_LIMIT_IPV4_PREFIX`.
    pub ipv4_prefix: u8,
    /// IPv6 clients are counted by this prefix length, 1 to 128 (default 64). `RATE_LIMIT_IPV6_PREFIX`.
    pub ipv6_prefix: u8,
    /// On SQLite, where the counters live in this process, the most keys they hold, at least 1 (default 100,000:
    /// an estimate of 15 MB when full, not measured: a 43-byte key and 16 bytes of counter per entry, with the
    /// hash map's overhead). On PostgreSQL they are rows, deleted when their window ends.
    /// `RATE_LIMIT_MAX_KEYS`.
    pub max_keys: usize,
}

impl Default for AbuseLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            password_failures_per_email_and_client: 5,
            password_failures_per_email: 100,
            password_failures_per_client: 20,
            signups_per_client: 10,
            password_resets_per_email_and_client: 3,
            password_resets_per_email: 10,
            password_resets_per_client: 10,
            provider_sign_ins_per_client: 30,
            invitations_per_inviter: 20,
            ipv4_prefix: 32,
            ipv6_prefix: 64,
            max_keys: 100_000,
        }
    }
}

impl AbuseLimits {
    /// Every budget off (`0`): nothing is counted and nothing refused. For tests and benchmarks that are about
    /// something else; a server facing the internet wants the defaults.
    pub fn off() -> Self {
        Self {
            password_failures_per_email_and_client: 0,
            password_failures_per_email: 0,
            password_failures_per_client: 0,
            signups_per_client: 0,
            password_resets_per_email_and_client: 0,
            password_resets_per_email: 0,
            password_resets_per_client: 0,
            provider_sign_ins_per_client: 0,
            invitations_per_inviter: 0,
            ..Self::default()
        }
    }

    /// Reads the `RATE_LIMIT_*` variables named on each field; an unset one keeps its default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let defaults = Self::default();
        let number = |variable| Number { lookup: &lookup, variable };
        let limits = Self {
            window: Duration::from_secs(number("RATE_LIMIT_WINDOW_SECONDS").or(defaults.window.as_secs())?),
            password_failures_per_email_and_client: number("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL_AND_CLIENT")
                .or(defaults.password_failures_per_email_and_client)?,
            password_failures_per_email: number("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL")
                .or(defaults.password_failures_per_email)?,
            password_failures_per_client: number("RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT")
                .or(defaults.password_failures_per_client)?,
            signups_per_client: number("RATE_LIMIT_SIGNUPS_PER_CLIENT").or(defaults.signups_per_client)?,
            password_resets_per_email_and_client: number("RATE_LIMIT_PASSWORD_RESETS_PER_EMAIL_AND_CLIENT")
                .or(defaults.password_resets_per_email_and_client)?,
            password_resets_per_email: number("RATE_LIMIT_PASSWORD_RESETS_PER_EMAIL")
                .or(defaults.password_resets_per_email)?,
            password_resets_per_client: number("RATE_LIMIT_PASSWORD_RESETS_PER_CLIENT")
                .or(defaults.password_resets_per_client)?,
            provider_sign_ins_per_client: number("RATE_LIMIT_PROVIDER_SIGN_INS_PER_CLIENT")
                .or(defaults.provider_sign_ins_per_client)?,
            invitations_per_inviter: number("RATE_LIMIT_INVITATIONS_PER_INVITER")
                .or(defaults.invitations_per_inviter)?,
            ipv4_prefix: number("RATE_LIMIT_IPV4_PREFIX").or(defaults.ipv4_prefix)?,
            ipv6_prefix: number("RATE_LIMIT_IPV6_PREFIX").or(defaults.ipv6_prefix)?,
            max_keys: number("RATE_LIMIT_MAX_KEYS").or(defaults.max_keys)?,
        };
        limits.validate()?;
        Ok(limits)
    }

    /// Refuses settings that cannot work, naming the environment variable that sets each.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.window.is_zero() {
            return Err(Error::config("RATE_LIMIT_WINDOW_SECONDS", "must be at least 1"));
        }
        if !(1..=32).contains(&self.ipv4_prefix) {
            return Err(Error::config("RATE_LIMIT_IPV4_PREFIX", "must be a prefix length from 1 to 32"));
        }
        if !(1..=128).contains(&self.ipv6_prefix) {
            return Err(Error::config("RATE_LIMIT_IPV6_PREFIX", "must be a prefix length from 1 to 128"));
        }
        if self.max_keys == 0 {
            return Err(Error::config("RATE_LIMIT_MAX_KEYS", "must be at least 1"));
        }
        Ok(())
    }

    /// The network `client` is counted as, written as text (`192.0.2.1/32`, `2001:db8:1:2::/64`); `None` without
    /// an address.
    pub(crate) fn network(&self, client: &Client) -> Option<String> {
        let address = client.address?.to_canonical();
        let prefix = if address.is_ipv4() { self.ipv4_prefix } else { self.ipv6_prefix };
        // A prefix longer than the address is refused by `validate`; should one get here, the address counts alone.
        let network = IpNet::new(address, prefix).map_or_else(|_| IpNet::from(address), |network| network.trunc());
        Some(network.to_string())
    }
}

/// One variable read as a whole number.
struct Number<'a, L> {
    lookup: &'a L,
    variable: &'static str,
}

impl<L: Fn(&str) -> Option<String>> Number<'_, L> {
    fn or<T: FromStr>(self, default: T) -> Result<T> {
        match (self.lookup)(self.variable) {
            None => Ok(default),
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| Error::config(self.variable, "must be a whole number (0 turns a limit off)")),
        }
    }
}

/// The client a request comes from, as the server knows it: its address (the TCP peer's, or the one a trusted
/// proxy reports) and its user agent. The abuse limits count it by network; sessions remember the user agent.
///
/// ```
/// use todo_core::Client;
///
/// let client = Client::default().with_address(Some("192.0.2.1".parse()?)).with_user_agent(Some("Firefox"));
/// assert_eq!(client.user_agent(), Some("Firefox"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    address: Option<IpAddr>,
    user_agent: Option<String>,
}

impl Client {
    /// Sets the address (`None`: unknown, and then only the per-email budgets count this client).
    pub fn with_address(mut self, address: Option<IpAddr>) -> Self {
        self.address = address;
        self
    }

    /// Sets the user agent the client sent.
    pub fn with_user_agent(mut self, user_agent: Option<&str>) -> Self {
        self.user_agent = user_agent.map(str::to_owned);
        self
    }

    /// The address, if known.
    pub fn address(&self) -> Option<IpAddr> {
        self.address
    }

    /// The user agent, if sent.
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    fn network(limits: &AbuseLimits, address: &str) -> Option<String> {
        limits.network(&Client::default().with_address(Some(address.parse().expect("an address"))))
    }

    #[test]
    fn defaults_apply_without_variables() {
        assert_eq!(AbuseLimits::from_lookup(env(&[])).expect("valid"), AbuseLimits::default());
    }

    #[test]
    fn each_variable_is_read_and_bad_ones_are_named() {
        let limits = AbuseLimits::from_lookup(env(&[
            ("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL_AND_CLIENT", "3"),
            ("RATE_LIMIT_SIGNUPS_PER_CLIENT", "0"),
            ("RATE_LIMIT_WINDOW_SECONDS", "60"),
            ("RATE_LIMIT_IPV6_PREFIX", "56"),
            ("RATE_LIMIT_MAX_KEYS", "1000"),
        ]))
        .expect("valid");
        assert_eq!(limits.password_failures_per_email_and_client, 3);
        assert_eq!(limits.signups_per_client, 0);
        assert_eq!(limits.window, Duration::from_secs(60));
        assert_eq!(limits.ipv6_prefix, 56);
        assert_eq!(limits.max_keys, 1000);
        for (variable, value) in [
            ("RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT", "many"),
            ("RATE_LIMIT_WINDOW_SECONDS", "0"),
            ("RATE_LIMIT_IPV4_PREFIX", "33"),
            ("RATE_LIMIT_IPV6_PREFIX", "0"),
            ("RATE_LIMIT_MAX_KEYS", "0"),
        ] {
            let lookup = move |name: &str| (name == variable).then(|| value.to_owned());
            match AbuseLimits::from_lookup(lookup) {
                Err(Error::Config { variable: named, .. }) => assert_eq!(named, variable),
                other => panic!("{variable}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn clients_are_counted_by_network() {
        let limits = AbuseLimits::default();
        assert_eq!(network(&limits, "2001:db8:1:2::1"), network(&limits, "2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(network(&limits, "2001:db8:1:2::1"), network(&limits, "2001:db8:1:3::1"));
        assert_ne!(network(&limits, "192.0.2.1"), network(&limits, "192.0.2.2"));
        assert_eq!(network(&limits, "::ffff:192.0.2.1").as_deref(), Some("192.0.2.1/32"));
        assert_eq!(limits.network(&Client::default()), None);
    }

    #[test]
    fn prefix_lengths_are_settings() {
        let limits = AbuseLimits { ipv4_prefix: 24, ipv6_prefix: 48, ..AbuseLimits::default() };
        assert_eq!(network(&limits, "192.0.2.1"), network(&limits, "192.0.2.254"));
        assert_ne!(network(&limits, "192.0.2.1"), network(&limits, "192.0.3.1"));
        assert_eq!(network(&limits, "2001:db8:1:2::1"), network(&limits, "2001:db8:1:ffff::1"));
        assert_eq!(network(&limits, "2001:db8:1::1").as_deref(), Some("2001:db8:1::/48"));
    }
}
