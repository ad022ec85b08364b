//! Canonical emails, on every backend: one mailbox is one account whatever its spelling, and the upgrade rewrites
//! the addresses stored before it (the outcome for colliding accounts is the one `store/canonical_emails.rs` and the
//! README's "Operating" section document).

mod support;

use std::borrow::Cow;

use time::{Duration, OffsetDateTime};
use todo_core::{Error, ErrorKind};
use uuid::Uuid;

use support::{RawPool, TestDb, PASSWORD};

backend_tests!(
    three_spellings_of_an_internationalised_address_are_one_account,
    an_old_address_is_rewritten_to_its_canonical_form,
    colliding_old_accounts_leave_the_address_to_one_and_are_recorded,
    an_old_address_without_a_valid_canonical_form_is_left_and_recorded,
    the_rewrite_runs_once_unless_it_is_asked_for_again,
    concurrent_signups_in_three_spellings_let_exactly_one_win,
    concurrent_starts_rewrite_once_with_one_outcome,
);

/// `ann@bücher.example` in its canonical form.
const ANN: &str = "ann@xn--bcher-kva.example";

async fn three_spellings_of_an_internationalised_address_are_one_account(db: &TestDb) {
    let accounts = db.todo.accounts();
    let user = accounts.signup("ann@bücher.example", PASSWORD).await.expect("signs up");
    assert_eq!(user.email.as_str(), ANN);
    for spelling in ["ann@xn--bcher-kva.example", "ANN@BÜCHER.example"] {
        let error = accounts.signup(spelling, "another password").await.unwrap_err();
        assert!(matches!(error, Error::EmailTaken), "{spelling}: {error:?}");
        assert_eq!(error.kind(), ErrorKind::Conflict);
    }
    for spelling in ["ann@bücher.example", "ann@xn--bcher-kva.example", " ANN@BÜCHER.example "] {
        let login = accounts.login(spelling, PASSWORD).await.expect("logs in");
        assert_eq!(login.user.id, user.id, "{spelling}");
    }
}

async fn an_old_address_is_rewritten_to_its_canonical_form(db: &TestDb) {
    let old = previous_release(db).await;
    let ann = old.insert("ann@bücher.example", 3, false).await;
    let zoe = old.insert("zoe@example.com", 2, false).await;

    old.db.todo.store().migrate().await.expect("migrates");

    assert_eq!(old.email(ann).await, ANN);
    assert_eq!(old.email(zoe).await, "zoe@example.com");
    assert!(old.uncanonical().await.is_empty());
    for spelling in ["ann@bücher.example", "ANN@XN--BCHER-KVA.example"] {
        let login = old.db.todo.accounts().login(spelling, PASSWORD).await.expect("the old account logs in");
        assert_eq!(login.user.id.as_uuid(), ann, "{spelling}");
    }
    old.remove().await;
}

async fn colliding_old_accounts_leave_the_address_to_one_and_are_recorded(db: &TestDb) {
    let old = previous_release(db).await;
    // Already at the canonical address: keeps it, although the other one is older and verified.
    let ann_unicode = old.insert("ann@bücher.example", 30, true).await;
    let ann_ascii = old.insert(ANN, 1, false).await;
    // Neither at it: the verified one wins over the older one.
    let bob_old = old.insert("bob@bücher.example", 30, false).await;
    let bob_verified = old.insert("bob@bu\u{308}cher.example", 10, true).await;
    // Neither verified: the oldest wins (inserted second, so its id is the higher one).
    let cy_newer = old.insert("cy@bücher.example", 5, false).await;
    let cy_older = old.insert("cy@bücher\u{3002}example", 20, false).await;

    old.db.todo.store().migrate().await.expect("migrates");

    assert_eq!(old.email(ann_ascii).await, ANN);
    assert_eq!(old.email(ann_unicode).await, "ann@bücher.example", "the loser keeps its old spelling");
    assert_eq!(old.email(bob_verified).await, "bob@xn--bcher-kva.example");
    assert_eq!(old.email(bob_old).await, "bob@bücher.example");
    assert_eq!(old.email(cy_older).await, "cy@xn--bcher-kva.example");
    assert_eq!(old.email(cy_newer).await, "cy@bücher.example");
    let mut expected = vec![
        (ann_unicode, "taken".to_owned(), Some(ann_ascii)),
        (bob_old, "taken".to_owned(), Some(bob_verified)),
        (cy_newer, "taken".to_owned(), Some(cy_older)),
    ];
    expected.sort();
    assert_eq!(old.uncanonical().await, expected);
    // Every spelling, the losers' old one too, now signs in to the account that kept the address.
    for (spelling, keeper) in
        [("ann@bücher.example", ann_ascii), ("bob@bücher.example", bob_verified), ("cy@bücher.example", cy_older)]
    {
        let login = old.db.todo.accounts().login(spelling, PASSWORD).await.expect("logs in");
        assert_eq!(login.user.id.as_uuid(), keeper, "{spelling}");
    }
    old.remove().await;
}

async fn an_old_address_without_a_valid_canonical_form_is_left_and_recorded(db: &TestDb) {
    let old = previous_release(db).await;
    // 149 characters as stored before; 289 in ASCII, over the 254 the canonical form may have.
    let long = format!("a@{}.example", vec!["bücher"; 20].join("."));
    let user = old.insert(&long, 1, false).await;

    old.db.todo.store().migrate().await.expect("migrates");

    assert_eq!(old.email(user).await, long);
    assert_eq!(old.uncanonical().await, [(user, "invalid".to_owned(), None)]);
    let error = old.db.todo.accounts().login(&long, PASSWORD).await.unwrap_err();
    assert!(matches!(error, Error::InvalidCredentials), "{error:?}");
    old.remove().await;
}

async fn the_rewrite_runs_once_unless_it_is_asked_for_again(db: &TestDb) {
    let old = previous_release(db).await;
    let ann = old.insert("ann@bücher.example", 2, false).await;
    old.db.todo.store().migrate().await.expect("migrates");
    assert_eq!(old.email(ann).await, ANN);

    // A row written afterwards in an old spelling (by an instance of the previous release, during a rolling
    // upgrade) is left alone by later starts...
    let bob = old.insert("bob@bücher.example", 1, false).await;
    old.db.todo.store().migrate().await.expect("migrates again");
    assert_eq!(old.email(bob).await, "bob@bücher.example");

    // ...until an operator asks for the rewrite again.
    old.execute("INSERT INTO pending_rewrites (name) VALUES ('canonical_emails')").await;
    old.db.todo.store().migrate().await.expect("migrates again");
    assert_eq!(old.email(bob).await, "bob@xn--bcher-kva.example");
    assert_eq!(old.email(ann).await, ANN);
    assert!(old.uncanonical().await.is_empty());
    old.db.todo.store().migrate().await.expect("and once more");
    assert_eq!(old.email(bob).await, "bob@xn--bcher-kva.example");
    old.remove().await;
}

async fn concurrent_signups_in_three_spellings_let_exactly_one_win(db: &TestDb) {
    let spellings = ["ann@bücher.example", "ann@xn--bcher-kva.example", "ANN@BÜCHER.example"];
    let attempts = (0..15).map(|n| {
        let (accounts, spelling) = (db.todo.accounts().clone(), spellings[n % 3]);
        tokio::spawn(async move { accounts.signup(spelling, PASSWORD).await })
    });
    let outcomes: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(|t| t.expect("ran")).collect();
    assert_eq!(outcomes.iter().filter(|outcome| outcome.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|outcome| matches!(outcome, Ok(_) | Err(Error::EmailTaken))), "{outcomes:?}");
}

async fn concurrent_starts_rewrite_once_with_one_outcome(db: &TestDb) {
    let old = previous_release(db).await;
    let ann = old.insert("ann@bücher.example", 30, false).await;
    let ann_newer = old.insert("ann@bu\u{308}cher.example", 1, false).await;
    // Four instances start at once on the database: each runs the migrations and, at most one of them, the rewrite.
    let starts = (0..4).map(|_| {
        let store = old.db.todo.store().clone();
        tokio::spawn(async move { store.migrate().await })
    });
    for start in futures::future::join_all(starts).await {
        start.expect("ran").expect("migrates");
    }
    assert_eq!(old.email(ann).await, ANN);
    assert_eq!(old.email(ann_newer).await, "ann@bu\u{308}cher.example");
    assert_eq!(old.uncanonical().await, vec![(ann_newer, "taken".to_owned(), Some(ann))]);
    old.remove().await;
}

/// A database as the release before canonical emails left it (migrations 0001 to 0005), and a plain pool on it.
struct PreviousRelease {
    db: TestDb,
    pool: RawPool,
}

/// Runs `$body` with `$pool` bound to the plain pool, whichever engine it is.
macro_rules! on_pool {
    ($raw:expr, |$pool:ident| $body:expr) => {
        match $raw {
            #[cfg(feature = "sqlite")]
            RawPool::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            RawPool::Postgres($pool) => $body,
        }
    };
}

async fn previous_release(db: &TestDb) -> PreviousRelease {
    let old = db.another_unmigrated().await;
    let pool = old.raw_pool().await;
    macro_rules! migrate_to_0005 {
        ($pool:expr, $migrations:literal) => {{
            let mut migrator = sqlx::migrate!($migrations);
            migrator.migrations = Cow::Owned(migrator.migrations[..5].to_vec());
            migrator.run($pool).await.expect("the previous release's migrations run");
        }};
    }
    match &pool {
        #[cfg(feature = "sqlite")]
        RawPool::Sqlite(pool) => migrate_to_0005!(pool, "./migrations/sqlite"),
        #[cfg(feature = "postgres")]
        RawPool::Postgres(pool) => migrate_to_0005!(pool, "./migrations/postgres"),
    }
    PreviousRelease { db: old, pool }
}

impl PreviousRelease {
    /// Inserts a user as the previous release stored them (`email` as given), created `days_ago`, with
    /// [`PASSWORD`]; returns their id.
    async fn insert(&self, email: &str, days_ago: i64, verified: bool) -> Uuid {
        let id = Uuid::now_v7();
        let hash = bcrypt::hash(PASSWORD, 4).expect("hashes");
        let created_at = OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid") - Duration::days(days_ago);
        let verified_at = verified.then_some(created_at);
        on_pool!(&self.pool, |pool| sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at, email_verified_at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(id)
        .bind(email)
        .bind(&hash)
        .bind(created_at)
        .bind(verified_at)
        .execute(pool)
        .await
        .map(drop))
        .expect("inserts the user");
        id
    }

    /// The stored email of user `id`.
    async fn email(&self, id: Uuid) -> String {
        on_pool!(&self.pool, |pool| sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await)
        .expect("reads the email")
    }

    /// The rows of `uncanonical_emails` (user, reason, kept by), in order.
    async fn uncanonical(&self) -> Vec<(Uuid, String, Option<Uuid>)> {
        on_pool!(&self.pool, |pool| sqlx::query_as(
            "SELECT user_id, reason, kept_by FROM uncanonical_emails ORDER BY user_id"
        )
        .fetch_all(pool)
        .await)
        .expect("reads uncanonical_emails")
    }

    async fn execute(&self, statement: &str) {
        on_pool!(&self.pool, |pool| sqlx::query(statement).execute(pool).await.map(drop)).expect("executes");
    }

    async fn remove(self) {
        on_pool!(&self.pool, |pool| pool.close().await);
        self.db.remove().await;
    }
}
