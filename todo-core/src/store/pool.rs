//! The connection pool under [`Store`](super::Store): sqlx connections kept in a [`deadpool`] pool.
//!
//! `sqlx::Pool` pings every connection when it comes back (a round trip to the database, from a spawned task) and,
//! unless told otherwise, again when it goes out, so a one-statement request paid for two or three round trips
//! (`benches/README.md`). This pool hands out and takes back a connection without talking to the database. It
//! tests a connection (one `ping`) only when there is a reason to doubt it:
//! - on its way back, when its user did not finish cleanly ([`flush`], on a task of its own): the future was
//!   dropped half-way (a client hung up) or ended with an error, so the connection may be mid-protocol or broken;
//!   or a transaction was dropped without `commit` or `rollback`, whose `ROLLBACK` sqlx only queues (PostgreSQL:
//!   until it is sent, an idle connection holds the transaction's row locks) or hands to the connection's thread
//!   without waiting (SQLite: the write lock is held until that thread gets to it). sqlx's ping on release existed
//!   for these cases. So a connection back in the pool is never inside a transaction, on either engine;
//! - before handing it out, when it sat idle in the pool for a while ([`Testing::AfterIdle`]), long enough for a
//!   server restart, a proxy's idle cut or a suspended Neon compute to have closed it; when the store was told to
//!   test every checkout ([`Testing::Always`]); or when it came back uncleanly where no task could be spawned.
//!
//! A connection that fails its test is closed, and another one is taken or opened, so no request is handed it.
//!
//! Where connections retire ([`Retirement`], PostgreSQL), a background task also closes the idle ones that are due
//! every so often, since under [`Order::MostRecent`] a connection at the bottom of the idle queue may never be checked
//! out again.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, PoolError, QueueMode, RecycleError, RecycleResult};
use sqlx::{ConnectOptions, Connection};

/// When a pooled connection is pinged before it is handed out (besides after an unclean use, which always is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Testing {
    /// At every checkout: one round trip each.
    #[cfg(feature = "postgres")]
    Always,
    /// When it has been idle in the pool for at least this long.
    #[cfg(feature = "postgres")]
    AfterIdle(Duration),
    /// Never for idleness (a SQLite connection lives in this process: nothing can close it while it idles).
    UncleanOnly,
}

/// Which idle connection a checkout gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// The most recently returned one (LIFO): under light load one connection stays warm and the others age towards
    /// their idle test or retirement instead of each being reused just often enough to skip it (PostgreSQL).
    #[cfg(any(feature = "postgres", test))]
    MostRecent,
    /// The one idle longest (FIFO): consecutive statements go to different connections. A SQLite connection is a
    /// thread of sqlx's, and handing a statement to the thread that has just answered the previous one costs a
    /// lone caller more than handing it to one that has been idle a little longer (measured in `benches/README.md`,
    /// "2026-12-04, afternoon: the pool is at its bound; the lone caller fixed by handing connections out in turn").
    #[cfg(feature = "sqlite")]
    InTurn,
}

/// A connection as the pool keeps it.
struct Pooled<C> {
    connection: C,
    /// Its last user did not finish cleanly: ping before the next use.
    needs_test: bool,
    /// When it last came back to the pool.
    returned_at: Instant,
}

/// When a connection is closed and replaced instead of reused (as `sqlx::Pool` did by default): servers and
/// proxies in front of PostgreSQL expect clients to let go of connections now and then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Retirement {
    /// A connection older than this is replaced (at its next checkout, or by the sweep if it is idle).
    pub(crate) max_lifetime: Duration,
    /// A connection idle for longer than this is replaced (at its next checkout, or by the sweep).
    pub(crate) idle_timeout: Duration,
}

impl Retirement {
    /// Whether a connection of this age, idle for `idle`, is to be closed instead of used again.
    fn is_due(&self, metrics: &Metrics, idle: Duration) -> bool {
        metrics.age() >= self.max_lifetime || idle >= self.idle_timeout
    }

    /// How often idle connections are checked: often enough that none outlives a limit by more than half of it.
    fn sweep_period(&self) -> Duration {
        (self.max_lifetime.min(self.idle_timeout) / 2).max(Duration::from_millis(10))
    }
}

/// Opens and tests connections for deadpool.
struct Manager<C: Connection> {
    options: C::Options,
    testing: Testing,
    retirement: Option<Retirement>,
}

impl<C: Connection> managed::Manager for Manager<C> {
    type Type = Pooled<C>;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Pooled<C>, sqlx::Error> {
        let connection = self.options.connect().await?;
        Ok(Pooled { connection, needs_test: false, returned_at: Instant::now() })
    }

    async fn recycle(&self, pooled: &mut Pooled<C>, metrics: &Metrics) -> RecycleResult<sqlx::Error> {
        let idle = pooled.returned_at.elapsed();
        if self.retirement.is_some_and(|retirement| retirement.is_due(metrics, idle)) {
            return Err(RecycleError::message("retired: too old, or idle too long"));
        }
        let test = pooled.needs_test
            || match self.testing {
                #[cfg(feature = "postgres")]
                Testing::Always => true,
                #[cfg(feature = "postgres")]
                Testing::AfterIdle(after) => idle >= after,
                Testing::UncleanOnly => false,
            };
        if test {
            // For PostgreSQL this also drains what a dropped statement left unread and flushes a queued ROLLBACK.
            pooled.connection.ping().await.map_err(RecycleError::Backend)?;
            pooled.needs_test = false;
        }
        Ok(())
    }
}

/// A pool of sqlx connections of one engine (`C` is `SqliteConnection` or `PgConnection`).
pub(crate) struct Pool<C: Connection> {
    inner: managed::Pool<Manager<C>>,
    /// Whether the task that closes idle connections that are due has been started (shared by the clones).
    sweeping: Arc<AtomicBool>,
}

impl<C: Connection> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), sweeping: Arc::clone(&self.sweeping) }
    }
}

impl<C: Connection> fmt::Debug for Pool<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.inner.status();
        f.debug_struct("Pool")
            .field("max_size", &status.max_size)
            .field("size", &status.size)
            .field("idle", &status.available)
            .finish()
    }
}

impl<C: Connection + 'static> Pool<C> {
    /// A pool of at most `max_size` connections opened with `options`, handed out in `order`; none is opened until
    /// the first checkout (or [`Pool::fill`]).
    ///
    /// `timeout` bounds each of: waiting for a free connection, opening one, and testing one.
    #[cfg(feature = "sqlite")]
    pub(crate) fn new(
        options: C::Options,
        max_size: usize,
        timeout: Duration,
        testing: Testing,
        order: Order,
    ) -> crate::Result<Self> {
        Self::retiring(options, max_size, timeout, testing, order, None)
    }

    /// A pool like `Pool::new`'s whose connections are replaced as `retirement` says (none: kept while they work):
    /// at checkout, and by a task that closes the idle ones that are due, started on the Tokio runtime of the first
    /// checkout and ended when the pool is closed or dropped.
    pub(crate) fn retiring(
        options: C::Options,
        max_size: usize,
        timeout: Duration,
        testing: Testing,
        order: Order,
        retirement: Option<Retirement>,
    ) -> crate::Result<Self> {
        let queue_mode = match order {
            #[cfg(any(feature = "postgres", test))]
            Order::MostRecent => QueueMode::Lifo,
            #[cfg(feature = "sqlite")]
            Order::InTurn => QueueMode::Fifo,
        };
        let inner = managed::Pool::builder(Manager { options, testing, retirement })
            .max_size(max_size.max(1))
            .queue_mode(queue_mode)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(crate::Error::internal)?;
        Ok(Self { inner, sweeping: Arc::new(AtomicBool::new(false)) })
    }

    /// Starts the task that closes idle connections that are due, once per pool (from the first checkout, so
    /// that it runs on the runtime that uses the pool).
    fn start_sweeping(&self) {
        let Some(retirement) = self.inner.manager().retirement else { return };
        if self.sweeping.load(Ordering::Relaxed) || self.sweeping.swap(true, Ordering::AcqRel) {
            return;
        }
        let pool = self.inner.weak();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(retirement.sweep_period());
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every.tick().await;
            loop {
                every.tick().await;
                let Some(pool) = pool.upgrade().filter(|pool| !pool.is_closed()) else { return };
                let due = pool.retain(|pooled, metrics| !retirement.is_due(&metrics, pooled.returned_at.elapsed()));
                drop(pool);
                close_all(due.removed).await;
            }
        });
    }

    /// A connection for one unit of work. Call [`Checkout::finished_cleanly`] when the work succeeded; otherwise
    /// the connection is tested before its next use.
    pub(crate) async fn acquire(&self) -> Result<Checkout<C>, sqlx::Error> {
        self.start_sweeping();
        match self.inner.get().await {
            Ok(object) => Ok(Checkout { object: Some(object), clean: false }),
            Err(PoolError::Backend(error)) => Err(error),
            Err(PoolError::Timeout(_)) => Err(sqlx::Error::PoolTimedOut),
            Err(PoolError::Closed) => Err(sqlx::Error::PoolClosed),
            // The pool has a runtime and no hooks, so these do not happen; reported as configuration errors if they do.
            Err(other @ (PoolError::NoRuntimeSpecified | PoolError::PostCreateHook(_))) => {
                Err(sqlx::Error::Configuration(other.to_string().into()))
            }
        }
    }

    /// Opens connections until the pool holds as many as it may (connections already open count), so that the
    /// first requests find them open; the first error is returned, and the connections opened so far stay.
    #[cfg(feature = "sqlite")]
    pub(crate) async fn fill(&self) -> Result<(), sqlx::Error> {
        let mut held = Vec::with_capacity(self.max_size());
        // Each checkout is held until the end, so each one after the idle connections are used up opens another.
        for _ in 0..self.max_size() {
            let mut checkout = self.acquire().await?;
            checkout.finished_cleanly();
            held.push(checkout);
        }
        Ok(())
    }

    /// Refuses new checkouts and closes the idle connections cleanly (connections still in use are closed when
    /// they come back).
    pub(crate) async fn close(&self) {
        let idle = self.inner.retain(|_, _| false).removed;
        self.inner.close();
        close_all(idle).await;
    }

    /// The most connections the pool opens.
    pub(crate) fn max_size(&self) -> usize {
        self.inner.status().max_size
    }

    /// The open connections, and how many of them are idle.
    pub(crate) fn status(&self) -> (u32, usize) {
        let status = self.inner.status();
        (u32::try_from(status.size).unwrap_or(u32::MAX), status.available)
    }
}

/// Closes connections taken out of the pool cleanly (PostgreSQL: a Terminate message, so the server process ends
/// at once). A connection that fails to close is dropped, which closes its socket.
async fn close_all<C: Connection>(removed: Vec<Pooled<C>>) {
    for pooled in removed {
        let _ = pooled.connection.close().await;
    }
}

/// A connection checked out of a [`Pool`]; it goes back when this is dropped (through [`flush`] when its use was
/// not clean).
pub(crate) struct Checkout<C: Connection + 'static> {
    /// The connection: `Some` until the checkout is dropped.
    object: Option<Object<Manager<C>>>,
    clean: bool,
}

impl<C: Connection + 'static> Checkout<C> {
    /// Records that the work on this connection ran to completion without an error, so it goes back untested.
    ///
    /// Work that opened a transaction should still commit it or roll it back before it reports success: a dropped
    /// sqlx transaction only *queues* its `ROLLBACK` (PostgreSQL) or sends it without waiting (SQLite), so the
    /// connection then goes back through a [`flush`] (a round trip) instead of straight into the pool.
    pub(crate) fn finished_cleanly(&mut self) {
        self.clean = true;
    }

    /// Whether this connection served an earlier checkout (it was not opened for this one), so it may have died
    /// while it sat in the pool without anyone noticing.
    pub(crate) fn was_reused(&self) -> bool {
        Object::metrics(self.object()).recycle_count > 0
    }

    fn object(&self) -> &Object<Manager<C>> {
        self.object.as_ref().expect("a checkout holds its connection until it is dropped")
    }
}

impl<C: Connection + 'static> Deref for Checkout<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.object().connection
    }
}

impl<C: Connection + 'static> DerefMut for Checkout<C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.object.as_mut().expect("a checkout holds its connection until it is dropped").connection
    }
}

impl<C: Connection + 'static> Drop for Checkout<C> {
    fn drop(&mut self) {
        let Some(mut object) = self.object.take() else { return };
        object.returned_at = Instant::now();
        // A transaction dropped without commit or rollback is not over yet. PostgreSQL: its ROLLBACK waits in the
        // write buffer (`should_flush`). SQLite: its rollback is on its way to the connection's thread, which has not
        // lowered the transaction depth yet (`is_in_transaction`; a commit lowers it before it answers).
        let connection = &object.connection;
        if self.clean && !connection.should_flush() && !connection.is_in_transaction() {
            return; // back to the pool as it is
        }
        object.needs_test = true;
        // Without a Tokio runtime (being shut down, or none), it goes back marked and is tested at its next checkout.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(flush(object));
        }
    }
}

/// Pings a connection whose use did not finish cleanly before it goes back to the pool (as `sqlx::Pool` pinged
/// every returned connection, but only for these): the ping sends what is queued (a dropped transaction's
/// `ROLLBACK`, which ends its row locks now) and reads what a dropped statement left unread. A connection that
/// fails the ping, or does not answer within the pool's recycle timeout, is closed instead of returned, and the
/// pool opens another when it needs one.
async fn flush<C: Connection + 'static>(mut object: Object<Manager<C>>) {
    let Some(timeout) = Object::pool(&object).filter(|pool| !pool.is_closed()).and_then(|pool| pool.timeouts().recycle)
    else {
        return; // the pool is closed or gone: the connection is dropped, not returned
    };
    match tokio::time::timeout(timeout, object.connection.ping()).await {
        Ok(Ok(())) => {
            object.needs_test = false;
            object.returned_at = Instant::now();
        }
        Ok(Err(error)) => {
            tracing::debug!(%error, "a connection returned after an unclean use failed its ping; closing it");
            drop(Object::take(object));
        }
        Err(_) => {
            tracing::debug!(?timeout, "a connection returned after an unclean use did not answer its ping; closing it");
            drop(Object::take(object));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many rows the slow statement makes: enough that it takes a few milliseconds, so that the timeouts
    /// below drop it at every stage (before it is sent, while it runs, while rows are coming back).
    const SLOW_ROWS: i64 = 20_000;

    /// `SELECT` of the numbers 1..=n, in SQL both engines accept.
    const SERIES: &str = "WITH RECURSIVE series(n) AS (SELECT CAST(1 AS BIGINT) UNION ALL \
                          SELECT n + 1 FROM series WHERE n < $1) SELECT n FROM series";

    /// Whether the next use of the pool's (one) connection will ping it first.
    #[cfg(feature = "sqlite")]
    fn needs_test<C: Connection>(pool: &Pool<C>) -> bool {
        let mut flagged = false;
        pool.inner.retain(|pooled, _| {
            flagged |= pooled.needs_test;
            true
        });
        flagged
    }

    /// Waits until every open connection of the pool is idle in it (one returned after an unclean use is away for a
    /// moment, being flushed by a task of its own).
    async fn settled<C: Connection + 'static>(pool: &Pool<C>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (open, idle) = pool.status();
            if usize::try_from(open).is_ok_and(|open| open == idle) {
                return;
            }
            assert!(Instant::now() < deadline, "connections still away after 10 s: {open} open, {idle} idle");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Runs statements and transactions on a one-connection pool and drops them at points spread from 0 to 1.5
    /// times as long as the slowest of them takes on this machine (measured first, the fastest of five runs); after each, the connection
    /// must answer correctly, and the table must hold exactly the rows of the transactions that committed (a
    /// dropped transaction must roll back, not leak into the next). A transaction dropped while its COMMIT is in
    /// flight may have committed or not (the server decides), so there either count is right. Every eighth round
    /// runs to the end whatever the machine's speed (a busy CI machine can make every timed transaction miss its
    /// point), so committed transactions are always among those counted. A macro, not a function: it is compiled
    /// once per engine.
    macro_rules! cancelled_work_leaves_a_usable_connection {
        ($pool:expr, $table:expr) => {{
            let (pool, table) = ($pool, $table);
            // The fastest of five runs: one slow first run (a cold connection, a busy machine) would stretch every
            // point past the work it should cut, and too few rounds would be dropped half-way.
            let mut fastest = Duration::MAX;
            for _ in 0..5 {
                let started = Instant::now();
                let mut checkout = pool.acquire().await.expect("opens");
                let mut tx = checkout.begin().await.expect("begins");
                sqlx::query(SERIES).bind(SLOW_ROWS).execute(&mut *tx).await.expect("runs");
                tx.rollback().await.expect("rolls back");
                checkout.finished_cleanly();
                drop(checkout);
                fastest = fastest.min(started.elapsed());
            }
            let span = fastest * 3 / 2;
            let (mut committed, mut dropped) = (0_i64, 0_u32);
            for round in 0..240_u32 {
                let commit_sent = std::cell::Cell::new(false);
                let untimed = round % 8 == 7; // 30 rounds, all transactions
                let after = if untimed { Duration::from_secs(3_600) } else { span * (round * 7_919 % 1_000) / 1_000 };
                let work = async {
                    let mut checkout = pool.acquire().await?;
                    if round % 2 == 0 {
                        let rows: Vec<i64> =
                            sqlx::query_scalar(SERIES).bind(SLOW_ROWS).fetch_all(&mut *checkout).await?;
                        assert_eq!(rows.len() as i64, SLOW_ROWS);
                    } else {
                        let mut tx = checkout.begin().await?;
                        sqlx::query(&format!("INSERT INTO {table} (n) VALUES ($1)"))
                            .bind(i64::from(round))
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(SERIES).bind(SLOW_ROWS).execute(&mut *tx).await?;
                        commit_sent.set(true);
                        tx.commit().await?;
                    }
                    checkout.finished_cleanly();
                    Ok::<bool, sqlx::Error>(round % 2 == 1)
                };
                match tokio::time::timeout(after, work).await {
                    Ok(Ok(was_transaction)) => committed += i64::from(was_transaction),
                    Ok(Err(error)) => panic!("round {round}: {error}"),
                    Err(_) => dropped += 1,
                }
                let mut checkout = pool.acquire().await.expect("the next checkout works");
                let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(&mut *checkout)
                    .await
                    .unwrap_or_else(|error| panic!("round {round}: the statement after a dropped one failed: {error}"));
                if commit_sent.get() && rows == committed + 1 {
                    committed += 1; // dropped while its COMMIT was in flight, and the server committed it
                }
                assert_eq!(rows, committed, "round {round}: only committed rows are there");
                checkout.finished_cleanly();
            }
            assert!(dropped > 20, "the timeouts must drop work half-way ({dropped} of 240 did)");
            assert!(committed >= 30, "the 30 untimed transactions, at least, commit ({committed} did)");
        }};
    }

    /// Runs a unit of work on `$pool` that opens a transaction, runs `$write` in it, and then ends as `$ending`
    /// says: "cleanly" (the transaction dropped, neither committed nor rolled back, and the use reported clean),
    /// "with an error" (`$failing` fails), or "dropped half-way" (cut short after `$cut`, in the middle of `$slow`).
    /// Only that last ending is cut short; the others must end as they say, and the macro checks that each did.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    macro_rules! end_transaction {
        ($pool:expr, $ending:expr, write: $write:expr, failing: $failing:expr, slow: $slow:expr, cut: $cut:expr) => {
            let ending: &str = $ending;
            let work = async {
                let mut checkout = $pool.acquire().await?;
                let mut tx = checkout.begin().await?;
                $write.execute(&mut *tx).await?;
                match ending {
                    "cleanly" => {
                        drop(tx); // neither committed nor rolled back
                        checkout.finished_cleanly();
                    }
                    "with an error" => {
                        $failing.execute(&mut *tx).await?;
                    }
                    _ => {
                        $slow.execute(&mut *tx).await?;
                    }
                }
                Ok::<(), sqlx::Error>(())
            };
            let cut = if ending == "dropped half-way" { $cut } else { Duration::from_secs(10) };
            match (ending, tokio::time::timeout(cut, work).await) {
                ("cleanly", Ok(Ok(()))) | ("with an error", Ok(Err(_))) | ("dropped half-way", Err(_)) => {}
                (_, outcome) => panic!("the work meant to end {ending} ended {outcome:?}"),
            }
        };
    }

    #[cfg(feature = "sqlite")]
    mod sqlite {
        use std::str::FromStr;

        use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

        use super::*;

        /// A pool of at most `size` connections on a new database file (SQLite pools test only after unclean use).
        fn pool(size: usize, timeout: Duration, order: Order) -> (Pool<SqliteConnection>, std::path::PathBuf) {
            let path = std::env::temp_dir().join(format!("todo-core-pool-{}.db", uuid::Uuid::now_v7().simple()));
            let options = SqliteConnectOptions::from_str(&format!("sqlite:{}", path.display()))
                .expect("parses")
                .create_if_missing(true);
            (Pool::new(options, size, timeout, Testing::UncleanOnly, order).expect("builds"), path)
        }

        /// A pool of one connection.
        fn one_connection() -> (Pool<SqliteConnection>, std::path::PathBuf) {
            pool(1, Duration::from_secs(5), Order::MostRecent)
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn cancelled_work_leaves_a_usable_connection() {
            let (pool, path) = one_connection();
            let mut checkout = pool.acquire().await.expect("opens");
            sqlx::query("CREATE TABLE numbers (n BIGINT NOT NULL)").execute(&mut *checkout).await.expect("creates");
            drop(checkout);
            cancelled_work_leaves_a_usable_connection!(&pool, "numbers");
            pool.close().await;
            let _ = std::fs::remove_file(path);
        }

        /// `fill` opens every connection, and `Order::InTurn` hands each of them out before any comes round again
        /// (under `MostRecent` the second round would get the last one back each time, and this test fails).
        #[tokio::test]
        async fn in_turn_hands_out_every_filled_connection_before_any_again() {
            let (pool, path) = pool(3, Duration::from_secs(5), Order::InTurn);
            pool.fill().await.expect("opens");
            assert_eq!(pool.status(), (3, 3), "three connections open, all idle");
            for round in 0..3_i64 {
                for turn in 0..3_i64 {
                    let mut checkout = pool.acquire().await.expect("checks out");
                    // A TEMP table is private to its connection: the first round tags each connection with its turn.
                    sqlx::query("CREATE TEMP TABLE IF NOT EXISTS tag (turn BIGINT NOT NULL)")
                        .execute(&mut *checkout)
                        .await
                        .expect("creates");
                    if round == 0 {
                        sqlx::query("INSERT INTO tag (turn) VALUES ($1)")
                            .bind(turn)
                            .execute(&mut *checkout)
                            .await
                            .expect("tags");
                    }
                    let tag: i64 =
                        sqlx::query_scalar("SELECT turn FROM tag").fetch_one(&mut *checkout).await.expect("reads");
                    assert_eq!(tag, turn, "round {round}: the connection of turn {tag} came out at turn {turn}");
                    checkout.finished_cleanly();
                }
            }
            assert_eq!(pool.status(), (3, 3), "no connection was opened beyond the filled ones");
            pool.close().await;
            let _ = std::fs::remove_file(path);
        }

        #[tokio::test]
        async fn only_an_unclean_use_is_pinged_on_its_way_back() {
            let (pool, path) = one_connection();
            let mut checkout = pool.acquire().await.expect("opens");
            sqlx::query("SELECT 1").execute(&mut *checkout).await.expect("runs");
            checkout.finished_cleanly();
            drop(checkout);
            assert_eq!(pool.status(), (1, 1), "a clean use goes straight back");
            assert!(!needs_test(&pool), "untested");

            let checkout = pool.acquire().await.expect("checks out");
            drop(checkout); // an error, or a future dropped half-way, never says `finished_cleanly`
            assert_eq!(pool.status(), (1, 0), "an unclean use goes back through a ping, on a task of its own");
            settled(&pool).await;
            assert!(!needs_test(&pool), "which it passed");

            let checkout = pool.acquire().await.expect("checks out");
            std::thread::spawn(move || drop(checkout)).join().expect("drops"); // a thread without a Tokio runtime
            assert!(needs_test(&pool), "where no task can be spawned, it goes back marked for a test at checkout");
            let checkout = pool.acquire().await.expect("the test passes");
            assert!(!checkout.object().needs_test, "and clears the mark");
            drop(checkout);
            pool.close().await;
            let _ = std::fs::remove_file(path);
        }

        /// The PostgreSQL test of the same name, on SQLite: a transaction ended cleanly with the `Transaction`
        /// dropped, with an error, or dropped half-way must not leave the database's write lock with the idle
        /// connection (another connection could then never write).
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_transaction_left_open_is_rolled_back_when_its_connection_comes_back() {
            let (pool, path) = one_connection();
            let mut checkout = pool.acquire().await.expect("opens");
            sqlx::query("CREATE TABLE numbers (n BIGINT NOT NULL)").execute(&mut *checkout).await.expect("creates");
            checkout.finished_cleanly();
            drop(checkout);
            let other = SqliteConnectOptions::from_str(&format!("sqlite:{}", path.display())).expect("parses");
            let mut other = other.busy_timeout(Duration::ZERO).connect().await.expect("opens a second connection");
            // SQLite's rollback of a dropped transaction races the next statement, so the clean ending runs often
            // enough that a pool which took the connection back at once would lose that race at least once.
            let endings = std::iter::repeat_n("cleanly", 100).chain(["with an error", "dropped half-way"]);
            for ending in endings {
                end_transaction!(
                    pool,
                    ending,
                    // A write: the transaction now holds the database's write lock.
                    write: sqlx::query("INSERT INTO numbers (n) VALUES (1)"),
                    failing: sqlx::query("INSERT INTO no_such_table (n) VALUES (1)"),
                    slow: sqlx::query(SERIES).bind(SLOW_ROWS * 50),
                    cut: Duration::from_millis(5)
                );
                settled(&pool).await;
                assert_eq!(pool.status(), (1, 1), "{ending}: the connection is back");
                // Without waiting for a busy database: the write lock must be free now.
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut other)
                    .await
                    .unwrap_or_else(|error| panic!("ended {ending}: the write lock is still held: {error}"));
                sqlx::query("ROLLBACK").execute(&mut other).await.expect("rolls back");
            }
            let rows: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM numbers").fetch_one(&mut other).await.expect("counts");
            assert_eq!(rows, 0, "none of the three inserts was committed");
            other.close().await.ok();
            pool.close().await;
            let _ = std::fs::remove_file(path);
        }

        #[tokio::test]
        async fn a_full_pool_times_out_and_a_closed_one_refuses() {
            let (pool, path) = pool(1, Duration::from_millis(50), Order::MostRecent);
            let mut held = pool.acquire().await.expect("opens");
            held.finished_cleanly();
            assert!(matches!(pool.acquire().await, Err(sqlx::Error::PoolTimedOut)));
            drop(held);
            assert_eq!(pool.status(), (1, 1));
            pool.close().await;
            assert_eq!(pool.status().0, 0, "idle connections are closed");
            assert!(matches!(pool.acquire().await, Err(sqlx::Error::PoolClosed)));
            let _ = std::fs::remove_file(path);
        }
    }

    #[cfg(feature = "postgres")]
    mod postgres {
        use std::str::FromStr;

        use sqlx::postgres::{PgConnectOptions, PgConnection};
        use sqlx::Executor as _;

        use super::*;

        /// The test server, or `None` (test skipped) when `TEST_POSTGRES_URL` is unset.
        fn server() -> Option<PgConnectOptions> {
            let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
                eprintln!("skipped: TEST_POSTGRES_URL is not set, so this PostgreSQL test did not run");
                return None;
            };
            Some(PgConnectOptions::from_str(&url).expect("TEST_POSTGRES_URL parses"))
        }

        /// A pool of at most `size` connections to `options`, handed out as `Store`'s PostgreSQL pool hands them out.
        fn pool(
            options: PgConnectOptions,
            size: usize,
            testing: Testing,
            retirement: Option<Retirement>,
        ) -> Pool<PgConnection> {
            Pool::retiring(options, size, Duration::from_secs(5), testing, Order::MostRecent, retirement)
                .expect("builds")
        }

        async fn backend_pid(pool: &Pool<PgConnection>) -> Result<i32, sqlx::Error> {
            let mut checkout = pool.acquire().await?;
            let pid = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *checkout).await?;
            checkout.finished_cleanly();
            Ok(pid)
        }

        /// Ends the server process behind `pid` from another connection, as an operator or a restart would, and
        /// waits until it is gone.
        async fn terminate(server: &PgConnectOptions, pid: i32) {
            let mut admin = PgConnection::connect_with(server).await.expect("connects");
            let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)")
                .bind(pid)
                .fetch_one(&mut admin)
                .await
                .expect("terminates");
            assert!(ended, "the backend {pid} ended");
            admin.close().await.ok();
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn cancelled_work_leaves_a_usable_connection() {
            let Some(server) = server() else { return };
            // A schema of its own, so that the table name cannot meet another test's.
            let schema = format!("pool_test_{}", uuid::Uuid::now_v7().simple());
            let mut admin = PgConnection::connect_with(&server).await.expect("connects");
            admin.execute(format!("CREATE SCHEMA {schema}").as_str()).await.expect("creates the schema");
            admin.execute(format!("CREATE TABLE {schema}.numbers (n BIGINT NOT NULL)").as_str()).await.expect("table");
            let pool = pool(server.clone(), 1, Testing::UncleanOnly, None);
            cancelled_work_leaves_a_usable_connection!(&pool, format!("{schema}.numbers"));
            pool.close().await;
            admin.execute(format!("DROP SCHEMA {schema} CASCADE").as_str()).await.expect("drops the schema");
            admin.close().await.ok();
        }

        #[tokio::test]
        async fn a_connection_that_died_while_idle_is_replaced_before_use() {
            let Some(server) = server() else { return };
            let idle = Duration::from_millis(100);
            let pool = pool(server.clone(), 1, Testing::AfterIdle(idle), None);
            let first = backend_pid(&pool).await.expect("opens");
            terminate(&server, first).await;
            tokio::time::sleep(idle).await;
            let second = backend_pid(&pool).await.expect("the dead connection is replaced without a failed use");
            assert_ne!(first, second);
            pool.close().await;
        }

        #[tokio::test]
        async fn a_connection_killed_between_uses_fails_one_use_then_is_replaced() {
            let Some(server) = server() else { return };
            // Within the idle window nothing is tested: the next statement finds the dead connection.
            let pool = pool(server.clone(), 1, Testing::AfterIdle(Duration::from_secs(3600)), None);
            let first = backend_pid(&pool).await.expect("opens");
            terminate(&server, first).await;
            let error = backend_pid(&pool).await.expect_err("the statement meets the dead connection");
            assert!(
                matches!(&error, sqlx::Error::Io(_) | sqlx::Error::Protocol(_))
                    || error.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "57P01"),
                "a connection-level error, got {error:?}"
            );
            assert_eq!(
                crate::Error::from(error).kind(),
                crate::ErrorKind::Unavailable,
                "a server that ended the connection is 'unavailable' (503), not an internal error"
            );
            settled(&pool).await;
            assert_eq!(pool.status().0, 0, "the ping on its way back found it dead, so it was closed");
            let second = backend_pid(&pool).await.expect("the next use gets a new connection");
            assert_ne!(first, second);
            pool.close().await;
        }

        #[tokio::test]
        async fn a_read_on_connections_killed_between_uses_runs_again_on_a_new_one() {
            let Some(server) = server() else { return };
            let pool = pool(server.clone(), 3, Testing::AfterIdle(Duration::from_secs(3600)), None);
            // Three connections in use at once, back in the pool, then all ended (as a restart ends them) within
            // the idle window, so the pool has no reason to test any of them.
            let mut checkouts = Vec::new();
            let mut killed = Vec::new();
            for _ in 0..3 {
                let mut checkout = pool.acquire().await.expect("opens");
                let pid: i32 =
                    sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *checkout).await.expect("runs");
                checkout.finished_cleanly();
                checkouts.push(checkout);
                killed.push(pid);
            }
            drop(checkouts);
            for pid in &killed {
                terminate(&server, *pid).await;
            }
            let read = crate::store::on_connection!(@read pool, conn, {
                sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()").fetch_one(conn).await
            });
            let pid = read.expect("the read goes through on a connection opened after the dead ones were found");
            assert!(!killed.contains(&pid), "{pid} is one of the killed {killed:?}");
            settled(&pool).await;
            assert_eq!(pool.status().0, 1, "the dead connections are gone from the pool");
            pool.close().await;
        }

        #[tokio::test]
        async fn old_or_long_idle_connections_are_replaced() {
            let Some(server) = server() else { return };
            let short = Duration::from_millis(100);
            let long = Duration::from_secs(3600);
            for (max_lifetime, idle_timeout) in [(short, long), (long, short)] {
                let retirement = Retirement { max_lifetime, idle_timeout };
                let pool = pool(server.clone(), 1, Testing::UncleanOnly, Some(retirement));
                let first = backend_pid(&pool).await.expect("opens");
                assert_eq!(backend_pid(&pool).await.expect("reuses"), first, "{retirement:?}: reused while young");
                tokio::time::sleep(short).await;
                assert_ne!(backend_pid(&pool).await.expect("replaces"), first, "{retirement:?}: replaced");
                pool.close().await;
            }
        }

        /// The number of server processes of this pool's connections (its `application_name` is unique) for which
        /// `condition` (on `pg_stat_activity`) holds.
        async fn on_server(server: &PgConnectOptions, name: &str, condition: &str) -> i64 {
            let mut admin = PgConnection::connect_with(server).await.expect("connects");
            let query = format!("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND ({condition})");
            let open = sqlx::query_scalar(&query).bind(name).fetch_one(&mut admin).await.expect("counts");
            admin.close().await.ok();
            open
        }

        /// A dropped sqlx transaction only queues its ROLLBACK on PostgreSQL. Its connection must not go back to
        /// the pool with it unsent, holding the transaction's locks while idle (this hung twenty concurrent
        /// refreshes of one token), whether its use ended cleanly, with an error, or dropped half-way.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_transaction_left_open_is_rolled_back_when_its_connection_comes_back() {
            let Some(server) = server() else { return };
            let name = format!("pool_rollback_{}", uuid::Uuid::now_v7().simple());
            let pool = pool(server.clone().application_name(&name), 1, Testing::UncleanOnly, None);
            for ending in ["cleanly", "with an error", "dropped half-way"] {
                end_transaction!(
                    pool,
                    ending,
                    write: sqlx::query("SELECT 1"),
                    failing: sqlx::query("SELECT 1 / 0"),
                    slow: sqlx::query("SELECT pg_sleep(0.2)"),
                    cut: Duration::from_millis(50)
                );
                settled(&pool).await;
                // Long enough for the dropped statement to have ended on the server, leaving the transaction idle.
                tokio::time::sleep(Duration::from_millis(500)).await;
                assert_eq!(pool.status(), (1, 1), "{ending}: the connection is back");
                assert_eq!(
                    on_server(&server, &name, "state LIKE 'idle in transaction%'").await,
                    0,
                    "ended {ending}: no pooled connection sits in a transaction"
                );
            }
            pool.close().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn idle_connections_that_are_never_checked_out_again_are_closed() {
            let Some(server) = server() else { return };
            let name = format!("pool_sweep_{}", uuid::Uuid::now_v7().simple());
            let retirement =
                Retirement { max_lifetime: Duration::from_secs(3600), idle_timeout: Duration::from_millis(300) };
            let pool = pool(server.clone().application_name(&name), 2, Testing::UncleanOnly, Some(retirement));
            // Two connections at once, then both back in the pool.
            let (first, second) = tokio::join!(pool.acquire(), pool.acquire());
            drop((first.expect("opens"), second.expect("opens")));
            assert_eq!(pool.status().0, 2);
            // One caller every 50 ms: LIFO keeps handing out the same connection, so the other stays idle.
            let deadline = Instant::now() + Duration::from_millis(1500);
            while Instant::now() < deadline {
                backend_pid(&pool).await.expect("works");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(pool.status().0, 1, "the connection no checkout reached was closed");
            assert_eq!(on_server(&server, &name, "true").await, 1, "and its server process has ended");
            pool.close().await;
        }

        #[tokio::test]
        async fn testing_always_pings_every_checkout() {
            let Some(server) = server() else { return };
            let pool = pool(server.clone(), 1, Testing::Always, None);
            let first = backend_pid(&pool).await.expect("opens");
            terminate(&server, first).await;
            let second = backend_pid(&pool).await.expect("pinged and replaced at once");
            assert_ne!(first, second);
            pool.close().await;
        }
    }
}
