//! The counters behind the abuse limits: fixed windows by key, where taking a slot of several budgets at once is
//! one atomic step.
//!
//! - **Atomic.** [`Counters::take`] decides and counts in one step: either every budget named has room and each
//!   gets one more hit, or none is counted and the answer is how long to wait. However many requests arrive at
//!   once, a budget of `n` admits `n` of them per window. [`Counters::give_back`] returns the slots of an attempt
//!   that turned out fine (a right password), so only failures use a budget up.
//! - **Shared on PostgreSQL.** The counters live in the `abuse_counters` table, so every instance on the database
//!   counts against the same budgets. One `INSERT … ON CONFLICT DO UPDATE … WHERE hits < max_hits` takes the slots:
//!   PostgreSQL locks each conflicting row and re-checks the condition on its latest version, so two statements
//!   cannot both take a budget's last slot. Keys are taken in sorted order, so two statements never wait on each
//!   other's rows in a circle. The table is `UNLOGGED`: an increment costs no write-ahead-log flush, and what a
//!   crash loses is only the current window's counts.
//! - **In memory on SQLite**, which serves one instance: one map behind a mutex, at most `max_keys` keys. When it is
//!   full (after dropping ended windows), a key seen for the first time is not counted, and the keys already there
//!   (an offender's) are never pushed out by a flood of new ones.
//! - Keys are SHA-256 hashes of what they count (an email, a network), so neither store keeps who failed from where.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::digest;

#[cfg(feature = "postgres")]
use super::pool::Pool;
#[cfg(feature = "postgres")]
use super::Backend;
use super::Store;
use crate::clock::millis;
use crate::error::Result;

/// One budget of an attempt: the key it is counted under and how many hits a window allows (at least 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Budget {
    key: String,
    max: u32,
}

impl Budget {
    /// The budget named by `parts` (hashed into its key), allowing `max` hits per window.
    pub(crate) fn new(parts: &[&str], max: u32) -> Self {
        let mut context = digest::Context::new(&digest::SHA256);
        for part in parts {
            // Length-prefixed, so that ("ab", "c") and ("a", "bc") are different keys.
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part.as_bytes());
        }
        Self { key: URL_SAFE_NO_PAD.encode(context.finish()), max }
    }
}

/// The slots one attempt took: each key with the end of the window it was counted in (so that giving a slot back
/// never takes a hit from a later window).
#[derive(Debug, Default)]
#[must_use = "slots are kept unless given back"]
pub(crate) struct Taken {
    slots: Vec<(String, i64)>,
}

/// The counters of one [`Store`]. Clones share them.
#[derive(Debug, Clone)]
pub(crate) enum Counters {
    /// In this process (SQLite).
    Memory(Arc<Mutex<MemoryCounters>>),
    /// In the `abuse_counters` table (PostgreSQL).
    #[cfg(feature = "postgres")]
    Table(Pool<sqlx::PgConnection>),
}

impl Counters {
    /// The counters for `store`: its table on PostgreSQL, this process's memory (at most `max_keys`) on SQLite.
    pub(crate) fn for_store(store: &Store, max_keys: usize) -> Self {
        match &store.backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => Counters::Table(pool.clone()),
            #[allow(unreachable_patterns)] // with the `sqlite` feature alone, the only pattern
            _ => Counters::Memory(Arc::new(Mutex::new(MemoryCounters::new(max_keys)))),
        }
    }

    /// Takes one slot of every budget (a window of `window` starts at a key's first hit), or, when any of them has
    /// none left, counts nothing and says how long until the fullest one's window ends.
    pub(crate) async fn take(
        &self,
        budgets: &[Budget],
        window: Duration,
        now_ms: i64,
    ) -> Result<std::result::Result<Taken, Duration>> {
        let mut budgets = budgets.to_vec();
        budgets.sort_by(|a, b| a.key.cmp(&b.key));
        budgets.dedup_by(|a, b| a.key == b.key);
        if budgets.is_empty() {
            return Ok(Ok(Taken::default()));
        }
        match self {
            Counters::Memory(memory) => Ok(lock(memory).take(&budgets, millis(window), now_ms)),
            #[cfg(feature = "postgres")]
            Counters::Table(pool) => table::take(pool, &budgets, millis(window), now_ms).await,
        }
    }

    /// Returns the slots of an attempt that succeeded.
    pub(crate) async fn give_back(&self, taken: Taken) -> Result<()> {
        if taken.slots.is_empty() {
            return Ok(());
        }
        match self {
            Counters::Memory(memory) => {
                lock(memory).give_back(&taken.slots);
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Counters::Table(pool) => table::give_back(pool, &taken.slots).await,
        }
    }

    /// Deletes the counters whose window has ended; returns how many.
    pub(crate) async fn sweep(&self, now_ms: i64) -> Result<u64> {
        match self {
            Counters::Memory(memory) => Ok(lock(memory).sweep(now_ms)),
            #[cfg(feature = "postgres")]
            Counters::Table(pool) => table::sweep(pool, now_ms).await,
        }
    }
}

/// The map is consistent after every statement, so a panic elsewhere while it was held leaves nothing half-done.
fn lock(memory: &Mutex<MemoryCounters>) -> std::sync::MutexGuard<'_, MemoryCounters> {
    memory.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One key's window.
#[derive(Debug, Clone, Copy)]
struct Window {
    hits: u32,
    ends_ms: i64,
}

/// The counters of a SQLite store, in memory.
#[derive(Debug)]
pub(crate) struct MemoryCounters {
    windows: HashMap<String, Window>,
    max_keys: usize,
}

impl MemoryCounters {
    fn new(max_keys: usize) -> Self {
        Self { windows: HashMap::new(), max_keys: max_keys.max(1) }
    }

    fn take(&mut self, budgets: &[Budget], window_ms: i64, now_ms: i64) -> std::result::Result<Taken, Duration> {
        let wait_ms = budgets
            .iter()
            .filter_map(|budget| {
                let window = self.windows.get(&budget.key)?;
                (window.ends_ms > now_ms && window.hits >= budget.max).then_some(window.ends_ms - now_ms)
            })
            .max();
        if let Some(wait_ms) = wait_ms {
            return Err(Duration::from_millis(wait_ms.unsigned_abs()));
        }
        if self.windows.len() + budgets.len() > self.max_keys {
            self.sweep(now_ms);
        }
        let mut taken = Taken::default();
        for budget in budgets {
            let fresh = Window { hits: 1, ends_ms: now_ms.saturating_add(window_ms) };
            let room = self.windows.len() < self.max_keys;
            let counted = match self.windows.get_mut(&budget.key) {
                Some(window) if window.ends_ms > now_ms => {
                    window.hits += 1;
                    *window
                }
                Some(window) => {
                    *window = fresh;
                    fresh
                }
                None if room => {
                    self.windows.insert(budget.key.clone(), fresh);
                    fresh
                }
                None => {
                    tracing::warn!(max_keys = self.max_keys, "abuse-limit counters are full; a new key is not counted");
                    continue;
                }
            };
            taken.slots.push((budget.key.clone(), counted.ends_ms));
        }
        Ok(taken)
    }

    fn give_back(&mut self, slots: &[(String, i64)]) {
        for (key, ends_ms) in slots {
            if let Some(window) = self.windows.get_mut(key).filter(|window| window.ends_ms == *ends_ms) {
                window.hits = window.hits.saturating_sub(1);
            }
        }
    }

    fn sweep(&mut self, now_ms: i64) -> u64 {
        let before = self.windows.len();
        self.windows.retain(|_, window| window.ends_ms > now_ms);
        (before - self.windows.len()) as u64
    }
}

/// The statements of the `abuse_counters` table.
#[cfg(feature = "postgres")]
mod table {
    use std::time::Duration;

    use sqlx::PgConnection;

    use super::{Budget, Taken};
    use crate::error::Result;
    use crate::store::on_connection;
    use crate::store::pool::Pool;

    /// How many ended windows one sweep statement deletes: small batches hold no long locks.
    const SWEEP_BATCH: i64 = 1_000;

    pub(super) async fn take(
        pool: &Pool<PgConnection>,
        budgets: &[Budget],
        window_ms: i64,
        now_ms: i64,
    ) -> Result<std::result::Result<Taken, Duration>> {
        let keys: Vec<&str> = budgets.iter().map(|budget| budget.key.as_str()).collect();
        let maxes: Vec<i32> = budgets.iter().map(|budget| i32::try_from(budget.max).unwrap_or(i32::MAX)).collect();
        let outcome = on_connection!(@run pool, conn, async {
            // A row is counted when its window has ended (a new one starts) or it has room; a full one is left
            // as it is and not returned.
            let counted: Vec<(String, i64)> = sqlx::query_as(
                "INSERT INTO abuse_counters AS c (key, hits, max_hits, window_ends_at_ms) \
                 SELECT key, 1, max_hits, $3 + $4 FROM UNNEST($1::text[], $2::int4[]) AS b(key, max_hits) \
                 ON CONFLICT (key) DO UPDATE SET \
                     hits = CASE WHEN c.window_ends_at_ms <= $3 THEN 1 ELSE c.hits + 1 END, \
                     max_hits = excluded.max_hits, \
                     window_ends_at_ms = CASE WHEN c.window_ends_at_ms <= $3 \
                         THEN excluded.window_ends_at_ms ELSE c.window_ends_at_ms END \
                 WHERE c.window_ends_at_ms <= $3 OR c.hits < excluded.max_hits \
                 RETURNING key, window_ends_at_ms",
            )
            .bind(&keys)
            .bind(&maxes)
            .bind(now_ms)
            .bind(window_ms)
            .fetch_all(&mut *conn)
            .await?;
            if counted.len() == budgets.len() {
                return Ok::<_, sqlx::Error>(Ok(Taken { slots: counted }));
            }
            // Refused: undo what was counted, and wait for the latest end among the full budgets.
            give_back_on(&mut *conn, &counted).await?;
            let full: Vec<&str> =
                keys.iter().copied().filter(|key| !counted.iter().any(|(counted, _)| counted == key)).collect();
            let ends_ms: Option<i64> =
                sqlx::query_scalar("SELECT MAX(window_ends_at_ms) FROM abuse_counters WHERE key = ANY($1)")
                    .bind(&full)
                    .fetch_one(&mut *conn)
                    .await?;
            // A window that ended between the two statements: try again in a second.
            let wait_ms = ends_ms.map_or(1_000, |ends_ms| (ends_ms - now_ms).max(1_000));
            Ok(Err(Duration::from_millis(wait_ms.unsigned_abs())))
        }
        .await)?;
        Ok(outcome)
    }

    pub(super) async fn give_back(pool: &Pool<PgConnection>, slots: &[(String, i64)]) -> Result<()> {
        on_connection!(@run pool, conn, give_back_on(conn, slots).await)?;
        Ok(())
    }

    async fn give_back_on(conn: &mut PgConnection, slots: &[(String, i64)]) -> Result<(), sqlx::Error> {
        if slots.is_empty() {
            return Ok(());
        }
        let (keys, ends): (Vec<&str>, Vec<i64>) = slots.iter().map(|(key, ends)| (key.as_str(), *ends)).unzip();
        sqlx::query(
            "UPDATE abuse_counters AS c SET hits = c.hits - 1 \
             FROM UNNEST($1::text[], $2::int8[]) AS s(key, window_ends_at_ms) \
             WHERE c.key = s.key AND c.window_ends_at_ms = s.window_ends_at_ms AND c.hits > 0",
        )
        .bind(&keys)
        .bind(&ends)
        .execute(conn)
        .await?;
        Ok(())
    }

    pub(super) async fn sweep(pool: &Pool<PgConnection>, now_ms: i64) -> Result<u64> {
        let mut deleted = 0;
        loop {
            let batch = on_connection!(@run pool, conn, {
                sqlx::query(
                    "DELETE FROM abuse_counters WHERE key IN \
                     (SELECT key FROM abuse_counters WHERE window_ends_at_ms <= $1 LIMIT $2)",
                )
                .bind(now_ms)
                .bind(SWEEP_BATCH)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
            })?;
            deleted += batch;
            if batch < SWEEP_BATCH.unsigned_abs() {
                return Ok(deleted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budgets(specs: &[(&str, u32)]) -> Vec<Budget> {
        specs.iter().map(|&(name, max)| Budget::new(&[name], max)).collect()
    }

    #[test]
    fn keys_are_hashes_of_their_parts() {
        assert_eq!(Budget::new(&["a", "b"], 1), Budget::new(&["a", "b"], 1));
        assert_ne!(Budget::new(&["ab", "c"], 1).key, Budget::new(&["a", "bc"], 1).key);
        assert_eq!(Budget::new(&["ann@example.com"], 1).key.len(), 43);
        assert!(!Budget::new(&["ann@example.com"], 1).key.contains("ann"));
    }

    #[test]
    fn a_budget_admits_its_max_then_says_how_long_to_wait() {
        let mut counters = MemoryCounters::new(100);
        let budget = budgets(&[("a", 3)]);
        for _ in 0..3 {
            assert!(counters.take(&budget, 60_000, 1_000).is_ok());
        }
        assert_eq!(counters.take(&budget, 60_000, 31_000).unwrap_err(), Duration::from_secs(30));
        // The window ends 60 s after its first hit, and a new one starts.
        assert!(counters.take(&budget, 60_000, 61_000).is_ok());
    }

    #[test]
    fn a_refusal_counts_nothing_in_the_other_budgets() {
        let mut counters = MemoryCounters::new(100);
        let pair = budgets(&[("full", 1), ("roomy", 2)]);
        assert!(counters.take(&pair, 60_000, 0).is_ok());
        for _ in 0..5 {
            assert!(counters.take(&pair, 60_000, 0).is_err());
        }
        assert!(counters.take(&budgets(&[("roomy", 2)]), 60_000, 0).is_ok(), "one hit left in `roomy`");
        assert!(counters.take(&budgets(&[("roomy", 2)]), 60_000, 0).is_err());
    }

    #[test]
    fn a_slot_given_back_can_be_taken_again_but_not_in_a_later_window() {
        let mut counters = MemoryCounters::new(100);
        let budget = budgets(&[("a", 1)]);
        let taken = counters.take(&budget, 60_000, 0).expect("room");
        counters.give_back(&taken.slots);
        let again = counters.take(&budget, 60_000, 0).expect("given back");
        assert!(counters.take(&budget, 60_000, 0).is_err());
        // In the next window, giving back the old slot does not free the new window's.
        let _ = counters.take(&budget, 60_000, 60_000).expect("a new window");
        counters.give_back(&again.slots);
        assert!(counters.take(&budget, 60_000, 60_001).is_err());
    }

    #[test]
    fn when_full_old_keys_stay_and_new_ones_are_not_counted() {
        let mut counters = MemoryCounters::new(3);
        let offender = budgets(&[("offender", 2)]);
        for budget in [&offender, &budgets(&[("b", 5)]), &budgets(&[("c", 5)])] {
            let _kept = counters.take(budget, 60_000, 0).expect("room");
        }
        for fresh in 0..100 {
            let taken = counters.take(&budgets(&[(&format!("fresh {fresh}"), 1)]), 60_000, 0).expect("not counted");
            assert!(taken.slots.is_empty());
        }
        let _kept = counters.take(&offender, 60_000, 0).expect("its last slot");
        assert!(counters.take(&offender, 60_000, 0).is_err(), "the offender was not pushed out");
        // Ended windows make room.
        assert_eq!(counters.sweep(60_000), 3);
        assert_eq!(counters.take(&budgets(&[("new", 1)]), 60_000, 60_000).expect("room").slots.len(), 1);
    }
}
