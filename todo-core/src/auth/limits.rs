//! The abuse limits, applied: which budgets an attempt takes a slot of, and when the slot comes back.
//!
//! - **A password check is admitted before it runs.** [`Limiter::admit_password_check`] takes a slot of each
//!   password budget of (email, client network), email, and client network in one atomic step
//!   (`store/counters.rs`) *before* bcrypt runs; [`Admission::succeeded`] gives the slots back when the password
//!   was right. So N concurrent wrong guesses get no more checks than the budget, whatever N, and a burst cannot
//!   fill the hashing slots either: the requests over budget are refused before they hash.
//! - **Signups, password-reset mails and sign-ins started at identity providers** take a slot of their budgets and
//!   keep it: each one counts, whether or not
//!   an account has the email, so the limit says nothing about who has one.
//! - A refusal is [`Error::RateLimited`] with how long to wait.

use std::time::Duration;

use crate::abuse::{AbuseLimits, Client};
use crate::clock::{now, unix_ms};
use crate::email::Email;
use crate::error::{Error, Result};
use crate::store::{Budget, Counters, Store, Taken};

/// What a family of budgets counts, and how many hits each of its three keys allows per window.
struct Family {
    name: &'static str,
    per_email_and_client: u32,
    per_email: u32,
    per_client: u32,
}

/// The abuse limits of one [`crate::Accounts`]. Clones share the counters.
#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    settings: AbuseLimits,
    counters: Counters,
}

/// The slots a password check holds while it runs: kept (the check failed, or never finished) unless
/// [`Admission::succeeded`] gives them back.
#[must_use = "an admission keeps its slots unless the check succeeded"]
#[derive(Debug)]
pub(crate) struct Admission<'a> {
    limiter: &'a Limiter,
    taken: Taken,
}

impl Admission<'_> {
    /// The password was right: its slots go back to the budgets. A failure to give them back is logged, not
    /// returned: the check itself succeeded, and the slots only end with their window.
    pub(crate) async fn succeeded(self) {
        if let Err(error) = self.limiter.counters.give_back(self.taken).await {
            tracing::warn!(%error, "could not give back the abuse-limit slots of a successful password check");
        }
    }
}

impl Limiter {
    /// The limits of `settings`, counted where `store` counts them (its database on PostgreSQL, memory on SQLite).
    pub(crate) fn new(store: &Store, settings: AbuseLimits) -> Self {
        let counters = Counters::for_store(store, settings.max_keys);
        Self { settings, counters }
    }

    /// Takes a slot of the password-check budgets for `email` (as the user typed it: it is canonicalised here) from
    /// `client`, before the check runs; [`Error::RateLimited`] when one of them is spent.
    pub(crate) async fn admit_password_check(&self, email: &str, client: &Client) -> Result<Admission<'_>> {
        let family = Family {
            name: "password",
            per_email_and_client: self.settings.password_failures_per_email_and_client,
            per_email: self.settings.password_failures_per_email,
            per_client: self.settings.password_failures_per_client,
        };
        let taken = self.take(&family, Some(email), client).await?;
        Ok(Admission { limiter: self, taken })
    }

    /// Counts a signup from `client`; [`Error::RateLimited`] (and nothing counted) over the budget.
    pub(crate) async fn count_signup(&self, client: &Client) -> Result<()> {
        let family = Family {
            name: "signup",
            per_email_and_client: 0,
            per_email: 0,
            per_client: self.settings.signups_per_client,
        };
        let _kept = self.take(&family, None, client).await?;
        Ok(())
    }

    /// Counts a password-reset request for `email` from `client`; [`Error::RateLimited`] (and nothing counted)
    /// over a budget.
    pub(crate) async fn count_password_reset(&self, email: &str, client: &Client) -> Result<()> {
        let family = Family {
            name: "password_reset",
            per_email_and_client: self.settings.password_resets_per_email_and_client,
            per_email: self.settings.password_resets_per_email,
            per_client: self.settings.password_resets_per_client,
        };
        let _kept = self.take(&family, Some(email), client).await?;
        Ok(())
    }

    /// Counts a sign-in started at an identity provider from `client`; [`Error::RateLimited`] (and nothing counted)
    /// over the budget.
    pub(crate) async fn count_provider_sign_in(&self, client: &Client) -> Result<()> {
        let family = Family {
            name: "provider_sign_in",
            per_email_and_client: 0,
            per_email: 0,
            per_client: self.settings.provider_sign_ins_per_client,
        };
        let _kept = self.take(&family, None, client).await?;
        Ok(())
    }

    /// Deletes the counters whose window has ended; returns how many.
    pub(crate) async fn sweep(&self) -> Result<u64> {
        self.counters.sweep(unix_ms(now())).await
    }

    async fn take(&self, family: &Family, email: Option<&str>, client: &Client) -> Result<Taken> {
        // The canonical form of accounts' emails, so that every spelling of one mailbox (` Ann@Bücher.example`,
        // `ann@xn--bcher-kva.example`) shares one budget; input that is no address at all still counts, trimmed and
        // lower-cased.
        let email = email.map(|email| match Email::parse(email) {
            Ok(canonical) => canonical.as_str().to_owned(),
            Err(_) => email.trim().to_lowercase(),
        });
        let network = self.settings.network(client);
        let (email, network) = (email.as_deref(), network.as_deref());
        let budgets = [
            (family.per_email_and_client, "email+client", email.zip(network).map(|(e, n)| [e, n])),
            (family.per_email, "email", email.map(|e| [e, ""])),
            (family.per_client, "client", network.map(|n| ["", n])),
        ]
        .into_iter()
        .filter(|(max, _, _)| *max > 0)
        .filter_map(|(max, scope, parts)| parts.map(|[a, b]| Budget::new(&[family.name, scope, a, b], max)))
        .collect::<Vec<_>>();
        match self.counters.take(&budgets, self.settings.window, unix_ms(now())).await? {
            Ok(taken) => Ok(taken),
            Err(retry_after) => Err(Error::RateLimited { retry_after: at_least_a_second(retry_after) }),
        }
    }
}

/// `Retry-After` is in whole seconds: never tell a client to retry at once.
fn at_least_a_second(wait: Duration) -> Duration {
    wait.max(Duration::from_secs(1))
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    async fn limiter(settings: AbuseLimits) -> Limiter {
        let store = Store::connect("sqlite::memory:").await.expect("opens");
        Limiter::new(&store, settings)
    }

    fn at(address: &str) -> Client {
        Client::default().with_address(Some(address.parse().expect("an address")))
    }

    fn settings(per_email_and_client: u32, per_email: u32, per_client: u32) -> AbuseLimits {
        AbuseLimits {
            password_failures_per_email_and_client: per_email_and_client,
            password_failures_per_email: per_email,
            password_failures_per_client: per_client,
            ..AbuseLimits::default()
        }
    }

    async fn fail(limiter: &Limiter, email: &str, client: &Client) -> Result<()> {
        limiter.admit_password_check(email, client).await.map(drop)
    }

    #[tokio::test]
    async fn failures_from_one_network_leave_the_owner_on_another_one_alone() {
        let limiter = limiter(settings(3, 100, 100)).await;
        for _ in 0..3 {
            fail(&limiter, "ann@example.com", &at("198.51.100.7")).await.expect("within the budget");
        }
        let refused = fail(&limiter, " Ann@Example.com", &at("198.51.100.7")).await.unwrap_err();
        assert!(matches!(refused, Error::RateLimited { retry_after } if retry_after > Duration::from_secs(800)));
        fail(&limiter, "ann@example.com", &at("203.0.113.9")).await.expect("the owner's network has its own budget");
    }

    #[tokio::test]
    async fn the_account_wide_bound_holds_across_networks() {
        let limiter = limiter(settings(100, 4, 100)).await;
        for network in 0..4 {
            fail(&limiter, "ann@example.com", &at(&format!("192.0.2.{network}"))).await.expect("within the bound");
        }
        assert!(fail(&limiter, "ann@example.com", &at("203.0.113.9")).await.is_err());
        fail(&limiter, "bob@example.com", &at("203.0.113.9")).await.expect("another account");
    }

    #[tokio::test]
    async fn every_spelling_of_one_mailbox_shares_one_budget() {
        let limiter = limiter(settings(100, 3, 100)).await;
        fail(&limiter, "ann@bücher.example", &at("192.0.2.1")).await.expect("first");
        fail(&limiter, " ANN@BÜCHER.example", &at("192.0.2.2")).await.expect("second");
        fail(&limiter, "ann@xn--bcher-kva.example", &at("192.0.2.3")).await.expect("third");
        assert!(fail(&limiter, "Ann@XN--BCHER-KVA.Example", &at("192.0.2.4")).await.is_err(), "one budget");
        fail(&limiter, "bob@bücher.example", &at("192.0.2.4")).await.expect("another mailbox");
    }

    #[tokio::test]
    async fn input_that_is_no_address_counts_trimmed_and_lower_cased() {
        let limiter = limiter(settings(100, 1, 100)).await;
        fail(&limiter, "Not An Address", &at("192.0.2.1")).await.expect("first");
        assert!(fail(&limiter, " not an address ", &at("192.0.2.2")).await.is_err());
    }

    #[tokio::test]
    async fn a_network_is_limited_over_all_emails() {
        let limiter = limiter(settings(100, 100, 2)).await;
        fail(&limiter, "a@example.com", &at("192.0.2.1")).await.expect("first");
        fail(&limiter, "b@example.com", &at("192.0.2.1")).await.expect("second");
        assert!(fail(&limiter, "c@example.com", &at("192.0.2.1")).await.is_err());
        fail(&limiter, "c@example.com", &at("192.0.2.2")).await.expect("another network");
    }

    #[tokio::test]
    async fn a_right_password_gives_its_slot_back() {
        let limiter = limiter(settings(1, 100, 100)).await;
        for _ in 0..5 {
            let admission = limiter.admit_password_check("ann@example.com", &at("192.0.2.1")).await.expect("room");
            admission.succeeded().await;
        }
        fail(&limiter, "ann@example.com", &at("192.0.2.1")).await.expect("still one slot");
        assert!(fail(&limiter, "ann@example.com", &at("192.0.2.1")).await.is_err());
    }

    #[tokio::test]
    async fn zero_turns_a_budget_off_and_an_unknown_client_counts_per_email_only() {
        let limiter = limiter(settings(0, 0, 0)).await;
        for _ in 0..50 {
            fail(&limiter, "ann@example.com", &at("192.0.2.1")).await.expect("no budget");
        }
        let limiter = self::limiter(settings(1, 2, 1)).await;
        fail(&limiter, "ann@example.com", &Client::default()).await.expect("first");
        fail(&limiter, "ann@example.com", &Client::default()).await.expect("only the per-email budget counts");
        assert!(fail(&limiter, "ann@example.com", &Client::default()).await.is_err());
    }

    #[tokio::test]
    async fn off_counts_nothing() {
        let limiter = limiter(AbuseLimits::off()).await;
        for _ in 0..100 {
            fail(&limiter, "ann@example.com", &at("192.0.2.1")).await.expect("no budget");
            limiter.count_signup(&at("192.0.2.1")).await.expect("no budget");
            limiter.count_password_reset("ann@example.com", &at("192.0.2.1")).await.expect("no budget");
        }
    }

    #[tokio::test]
    async fn signups_and_reset_mails_count_per_network_and_per_email() {
        let limiter = limiter(AbuseLimits {
            signups_per_client: 2,
            password_resets_per_email_and_client: 1,
            password_resets_per_email: 2,
            password_resets_per_client: 5,
            ..AbuseLimits::default()
        })
        .await;
        limiter.count_signup(&at("192.0.2.1")).await.expect("first");
        limiter.count_signup(&at("192.0.2.1")).await.expect("second");
        assert!(limiter.count_signup(&at("192.0.2.1")).await.is_err());
        limiter.count_signup(&at("192.0.2.2")).await.expect("another network");

        limiter.count_password_reset("ann@example.com", &at("192.0.2.1")).await.expect("first");
        assert!(limiter.count_password_reset("ann@example.com", &at("192.0.2.1")).await.is_err());
        limiter.count_password_reset("ann@example.com", &at("203.0.113.9")).await.expect("the owner's network");
        assert!(limiter.count_password_reset("ann@example.com", &at("198.51.100.1")).await.is_err(), "per email");
    }
}
