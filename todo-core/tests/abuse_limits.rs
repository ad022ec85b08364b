//! The abuse limits on every backend: password checks admitted before they run (bursts included), budgets keyed so
//! that the owner is not locked out, and on PostgreSQL one budget for every instance.

mod support;

use std::net::IpAddr;

use todo_core::{AbuseLimits, Accounts, Client, Email, Error, Login};
use tokio::task::JoinSet;

use support::{TestDb, PASSWORD};

backend_tests!(
    a_burst_of_wrong_passwords_gets_no_more_checks_than_the_budget,
    failures_from_one_network_do_not_lock_the_owner_out,
    reset_requests_from_one_network_do_not_stop_the_owners,
    wrong_current_passwords_behind_a_token_are_limited_like_logins,
    bursts_of_signups_and_reset_requests_get_no_more_than_their_budgets,
);

const ATTACKER: &str = "198.51.100.7";
const OWNER: &str = "203.0.113.9";

fn from(address: &str) -> Client {
    Client::default().with_address(Some(address.parse::<IpAddr>().expect("an address")))
}

/// The library over `db` with these password budgets per (email, network), per email, and per network.
fn accounts(db: &TestDb, per_email_and_client: u32, per_email: u32, per_client: u32) -> Accounts {
    let limits = AbuseLimits {
        password_failures_per_email_and_client: per_email_and_client,
        password_failures_per_email: per_email,
        password_failures_per_client: per_client,
        ..AbuseLimits::default()
    };
    let config = support::config().with_abuse_limits(limits).expect("valid limits");
    db.todo_with(config).accounts().clone()
}

/// `n` wrong passwords for `email` from `address`, all at once; how many were checked (401) and refused (429).
async fn burst(accounts: &Accounts, email: &str, address: &str, n: usize) -> (usize, usize) {
    let mut attempts = JoinSet::new();
    for _ in 0..n {
        let (accounts, email, client) = (accounts.clone(), email.to_owned(), from(address));
        attempts.spawn(async move { accounts.login_from(&email, "wrong password", &client).await });
    }
    let (mut checked, mut refused) = (0, 0);
    while let Some(outcome) = attempts.join_next().await {
        match outcome.expect("the attempt ran") {
            Err(Error::InvalidCredentials) => checked += 1,
            Err(Error::RateLimited { retry_after }) => {
                assert!(retry_after.as_secs() >= 1, "{retry_after:?}");
                refused += 1;
            }
            other => panic!("a wrong password: {other:?}"),
        }
    }
    (checked, refused)
}

async fn a_burst_of_wrong_passwords_gets_no_more_checks_than_the_budget(db: &TestDb) {
    db.user("ann@example.com").await;
    let accounts = accounts(db, 5, 100, 100);
    let (checked, refused) = burst(&accounts, "ann@example.com", ATTACKER, 40).await;
    assert_eq!((checked, refused), (5, 35), "40 concurrent wrong passwords against a budget of 5");
    // The same for an email nobody has: the answer does not tell them apart.
    let (checked, refused) = burst(&accounts, "nobody@example.com", ATTACKER, 20).await;
    assert_eq!((checked, refused), (5, 15));
}

async fn failures_from_one_network_do_not_lock_the_owner_out(db: &TestDb) {
    db.user("ann@example.com").await;
    let accounts = accounts(db, 5, 100, 20);
    let (checked, _) = burst(&accounts, "ann@example.com", ATTACKER, 12).await;
    assert_eq!(checked, 5);
    // The right password from the attacker's network waits too: that network's budget for the account is spent.
    let refused = accounts.login_from("ann@example.com", PASSWORD, &from(ATTACKER)).await.unwrap_err();
    assert!(matches!(refused, Error::RateLimited { .. }), "{refused:?}");
    // The owner, elsewhere, signs in; and a right password gives its slot back.
    for _ in 0..10 {
        let login: Login = accounts.login_from(" Ann@Example.com", PASSWORD, &from(OWNER)).await.expect("signs in");
        assert_eq!(login.user.email.as_str(), "ann@example.com");
    }
}

async fn reset_requests_from_one_network_do_not_stop_the_owners(db: &TestDb) {
    db.user("ann@example.com").await;
    let limits = AbuseLimits {
        password_resets_per_email_and_client: 3,
        password_resets_per_email: 10,
        password_resets_per_client: 10,
        ..AbuseLimits::default()
    };
    let accounts = db.todo_with(support::config().with_abuse_limits(limits).expect("valid")).accounts().clone();
    let email = Email::parse("ann@example.com").expect("an address");
    for _ in 0..3 {
        accounts.admit_password_reset(&email, &from(ATTACKER)).await.expect("within the budget");
    }
    for _ in 0..3 {
        let refused = accounts.admit_password_reset(&email, &from(ATTACKER)).await.unwrap_err();
        assert!(matches!(refused, Error::RateLimited { .. }), "{refused:?}");
    }
    accounts.admit_password_reset(&email, &from(OWNER)).await.expect("the owner still gets a link");
    assert!(accounts.password_reset_mail(&email).await.expect("composes").is_some());
}

async fn wrong_current_passwords_behind_a_token_are_limited_like_logins(db: &TestDb) {
    let login = db.user("ann@example.com").await;
    let accounts = accounts(db, 3, 100, 100);
    let thief = from(ATTACKER);
    for _ in 0..2 {
        let wrong = accounts.change_password_from(&login.owner, "guess", "a new password", &thief).await.unwrap_err();
        assert!(matches!(wrong, Error::WrongPassword), "{wrong:?}");
    }
    let wrong = accounts.delete_account_from(&login.owner, "guess", &thief).await.unwrap_err();
    assert!(matches!(wrong, Error::WrongPassword), "{wrong:?}");
    // Both routes spend one budget, which logins from that network share.
    let refused = accounts.change_password_from(&login.owner, PASSWORD, "a new password", &thief).await.unwrap_err();
    assert!(matches!(refused, Error::RateLimited { .. }), "{refused:?}");
    let refused = accounts.delete_account_from(&login.owner, PASSWORD, &thief).await.unwrap_err();
    assert!(matches!(refused, Error::RateLimited { .. }), "{refused:?}");
    let refused = accounts.login_from("ann@example.com", PASSWORD, &thief).await.unwrap_err();
    assert!(matches!(refused, Error::RateLimited { .. }), "{refused:?}");
    // The owner's own device is not stopped.
    accounts.change_password_from(&login.owner, PASSWORD, "a new password", &from(OWNER)).await.expect("changes");
}

async fn bursts_of_signups_and_reset_requests_get_no_more_than_their_budgets(db: &TestDb) {
    let limits =
        AbuseLimits { signups_per_client: 3, password_resets_per_email_and_client: 3, ..AbuseLimits::default() };
    let accounts = db.todo_with(support::config().with_abuse_limits(limits).expect("valid")).accounts().clone();
    let signups = (0..20).map(|n| {
        let accounts = accounts.clone();
        tokio::spawn(
            async move { accounts.signup_from(&format!("user-{n}@example.com"), PASSWORD, &from(ATTACKER)).await },
        )
    });
    let signups: Vec<_> = futures::future::join_all(signups).await.into_iter().map(|t| t.expect("ran")).collect();
    assert_eq!(signups.iter().filter(|s| s.is_ok()).count(), 3, "{signups:?}");
    assert!(signups.iter().all(|s| matches!(s, Ok(_) | Err(Error::RateLimited { .. }))), "{signups:?}");

    let email = Email::parse("ann@example.com").expect("an address");
    let requests = (0..20).map(|_| {
        let (accounts, email) = (accounts.clone(), email.clone());
        tokio::spawn(async move { accounts.admit_password_reset(&email, &from(ATTACKER)).await })
    });
    let requests: Vec<_> = futures::future::join_all(requests).await.into_iter().map(|t| t.expect("ran")).collect();
    assert_eq!(requests.iter().filter(|r| r.is_ok()).count(), 3, "{requests:?}");
    assert!(requests.iter().all(|r| matches!(r, Ok(()) | Err(Error::RateLimited { .. }))), "{requests:?}");
}

/// Two instances on one PostgreSQL database (each its own `Accounts`, as two servers would have) spend one budget.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests"
)]
async fn instances_on_one_postgres_database_share_one_budget() {
    let Some(db) = TestDb::postgres().await else { return };
    db.user("ann@example.com").await;
    let (first, second) = (accounts(&db, 6, 100, 100), accounts(&db, 6, 100, 100));
    for accounts in [&first, &second] {
        let (checked, refused) = burst(accounts, "ann@example.com", ATTACKER, 3).await;
        assert_eq!((checked, refused), (3, 0));
    }
    for accounts in [&first, &second] {
        let refused = accounts.login_from("ann@example.com", "wrong password", &from(ATTACKER)).await.unwrap_err();
        assert!(matches!(refused, Error::RateLimited { .. }), "{refused:?}");
    }
    db.remove().await;
}
