//! The housekeeping sweep on every backend: after it, the session, refresh-token, mail-token and abuse-counter
//! tables hold only live rows.

mod support;

use std::time::Duration;

use todo_core::{AbuseLimits, Client, Email, Swept};

use support::{RawPool, TestDb, PASSWORD};

backend_tests!(the_sweep_leaves_only_live_rows,);

/// The rows of `table` in the test's database.
async fn rows(db: &TestDb, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match db.raw_pool().await {
        #[cfg(feature = "sqlite")]
        RawPool::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(&pool).await.expect("counts"),
        #[cfg(feature = "postgres")]
        RawPool::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(&pool).await.expect("counts"),
    }
}

async fn the_sweep_leaves_only_live_rows(db: &TestDb) {
    const SHORT: Duration = Duration::from_secs(2);
    let short_lived = support::config()
        .with_refresh_ttl(SHORT)
        .with_mail_link_ttls(SHORT, SHORT)
        .with_abuse_limits(AbuseLimits { window: SHORT, ..AbuseLimits::default() })
        .expect("valid limits");
    let short = db.todo_with(short_lived);
    let (live, accounts) = (&db.todo, short.accounts());

    // Live: Ann's session, refreshed by the long-lived configuration (its first refresh token, spent, expires
    // soon), and Ann's verification link.
    let ann = live.accounts().signup("ann@example.com", PASSWORD).await.expect("signs up");
    let first = accounts.login("ann@example.com", PASSWORD).await.expect("logs in");
    live.accounts().refresh(first.refresh_token.as_str()).await.expect("refreshes");
    let _mail = live.accounts().verification_mail(&ann).await.expect("a link");
    // Expiring: two sessions of Bob's, his reset link, and a failed login's counters.
    live.accounts().signup("bob@example.com", PASSWORD).await.expect("signs up");
    for _ in 0..2 {
        accounts.login("bob@example.com", PASSWORD).await.expect("logs in");
    }
    let bob = Email::parse("bob@example.com").expect("an address");
    let _mail = accounts.password_reset_mail(&bob).await.expect("composes").expect("a link");
    let attacker = Client::default().with_address(Some("198.51.100.7".parse().expect("an address")));
    let _ = accounts.login_from("bob@example.com", "wrong password", &attacker).await.unwrap_err();

    assert_eq!((rows(db, "sessions").await, rows(db, "refresh_tokens").await), (3, 4));
    assert_eq!(rows(db, "email_tokens").await, 2);
    tokio::time::sleep(SHORT + Duration::from_millis(100)).await;

    let swept = accounts.sweep_expired().await.expect("sweeps");
    // Bob's sessions take their refresh tokens along; Ann's spent first token goes on its own.
    assert_eq!((swept.sessions, swept.refresh_tokens, swept.mail_tokens), (2, 1, 1), "{swept:?}");
    // Ann's and Bob's per-email windows (their logins counted, then gave their slots back), and the failed
    // login's per (email, network) and per-network ones.
    assert_eq!(swept.limit_counters, 4);
    assert_eq!((rows(db, "sessions").await, rows(db, "refresh_tokens").await), (1, 1));
    assert_eq!(rows(db, "email_tokens").await, 1);
    if db.todo.store().backend_name() == "postgres" {
        assert_eq!(rows(db, "abuse_counters").await, 0);
    }
    // Ann is still signed in, and a second sweep finds nothing.
    assert_eq!(accounts.sessions(&first.owner).await.expect("lists").len(), 1);
    assert_eq!(accounts.sweep_expired().await.expect("sweeps"), Swept::default());
}
