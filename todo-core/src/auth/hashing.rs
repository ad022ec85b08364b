//! Where bcrypt runs: off the async workers, on every core the requests leave idle, and never ahead of them.
//!
//! Tokio's blocking pool grows to hundreds of threads, and the kernel shares the cores fairly among all runnable
//! ones: eight concurrent logins would leave the request workers a fifth of a two-core machine. So work goes to
//! - `cores - 1` **slots** on the blocking pool at normal priority (one on a single core): logins always progress,
//!   and a core is always left to the request workers (without this bound the p99 of a cheap request during a
//!   login storm is many times worse: `benches/README.md`, "What limits each figure, and what was done");
//! - one **spare** thread at the idle scheduling class (`SCHED_IDLE` on Linux), which takes work only when every
//!   slot is busy. It runs when a core would otherwise idle, so a login storm uses every core, and the kernel
//!   stops it as soon as a request worker wants the core.
//!
//! A job on the spare thread can starve while reads keep every core busy. It is given twice the time the last
//! hash on a slot took (at least [`MIN_PATIENCE`]); after that it also runs on the next free slot, and the first
//! answer wins (bcrypt work has no side effects, so running it twice is safe).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Result};

/// The least time a job on the spare thread is given before it also runs on a slot.
const MIN_PATIENCE: Duration = Duration::from_millis(50);
/// The patience before any hash has been timed on a slot.
const FIRST_PATIENCE: Duration = Duration::from_secs(1);

/// A job for the spare thread.
type SpareJob = Box<dyn FnOnce() + Send>;

struct Hashing {
    slots: Arc<Semaphore>,
    /// One permit: the spare thread is free.
    spare: Arc<Semaphore>,
    /// Jobs for the spare thread; `None` when it could not be started (then only the slots are used).
    spare_jobs: Option<mpsc::Sender<SpareJob>>,
    /// How long the last job on a slot took, in microseconds (0: none yet).
    last_slot_micros: AtomicU64,
    /// The least time a job on the spare thread runs alone ([`MIN_PATIENCE`]).
    min_patience: Duration,
}

/// The process-wide hashing threads.
fn hashing() -> &'static Hashing {
    static HASHING: OnceLock<Hashing> = OnceLock::new();
    HASHING.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Hashing::new(cores.saturating_sub(1).max(1))
    })
}

/// Runs `work` off the async workers (see the module docs) and gives its result.
pub(crate) async fn run<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: Fn() -> T + Send + Sync + 'static,
{
    hashing().run(work).await
}

impl Hashing {
    fn new(slots: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots)),
            spare: Arc::new(Semaphore::new(1)),
            spare_jobs: start_spare_thread(),
            last_slot_micros: AtomicU64::new(0),
            min_patience: MIN_PATIENCE,
        }
    }

    async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn() -> T + Send + Sync + 'static,
    {
        let work = Arc::new(work);
        // A free slot first; else the spare thread if it is free; else whichever frees first.
        if let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() {
            return self.on_slot(slot, work).await;
        }
        if self.spare_jobs.is_none() {
            let slot = Arc::clone(&self.slots).acquire_owned().await.map_err(Error::internal)?;
            return self.on_slot(slot, work).await;
        }
        if let Ok(spare) = Arc::clone(&self.spare).try_acquire_owned() {
            return self.on_spare(spare, work).await;
        }
        tokio::select! {
            slot = Arc::clone(&self.slots).acquire_owned() => self.on_slot(slot.map_err(Error::internal)?, work).await,
            spare = Arc::clone(&self.spare).acquire_owned() => self.on_spare(spare.map_err(Error::internal)?, work).await,
        }
    }

    /// Runs `work` on the blocking pool while holding `slot`, and times it.
    async fn on_slot<T, F>(&self, slot: OwnedSemaphorePermit, work: Arc<F>) -> Result<T>
    where
        T: Send + 'static,
        F: Fn() -> T + Send + Sync + 'static,
    {
        let started = Instant::now();
        let answer = tokio::task::spawn_blocking(move || {
            let answer = work();
            drop(slot);
            answer
        })
        .await
        .map_err(Error::internal)?;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last_slot_micros.store(micros.max(1), Ordering::Relaxed);
        Ok(answer)
    }

    /// Runs `work` on the spare thread; if it has not answered within the patience, also on the next free slot.
    async fn on_spare<T, F>(&self, spare: OwnedSemaphorePermit, work: Arc<F>) -> Result<T>
    where
        T: Send + 'static,
        F: Fn() -> T + Send + Sync + 'static,
    {
        let (answer, mut answered) = oneshot::channel();
        let job: SpareJob = {
            let work = Arc::clone(&work);
            Box::new(move || {
                let _ = answer.send(work());
                drop(spare);
            })
        };
        let sent = self.spare_jobs.as_ref().is_some_and(|jobs| jobs.send(job).is_ok());
        if sent {
            match tokio::time::timeout(self.patience(), &mut answered).await {
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(_)) => {} // the job panicked on the spare thread: run it on a slot
                Err(_) => {
                    // Starved (or slow): race it against a normal-priority run on the next free slot.
                    let slot = tokio::select! {
                        answer = &mut answered => match answer {
                            Ok(answer) => return Ok(answer),
                            Err(_) => Arc::clone(&self.slots).acquire_owned().await,
                        },
                        slot = Arc::clone(&self.slots).acquire_owned() => slot,
                    };
                    return self.on_slot(slot.map_err(Error::internal)?, work).await;
                }
            }
        }
        let slot = Arc::clone(&self.slots).acquire_owned().await.map_err(Error::internal)?;
        self.on_slot(slot, work).await
    }

    /// How long a job on the spare thread runs alone: twice the last slot's time, at least `min_patience`.
    fn patience(&self) -> Duration {
        match self.last_slot_micros.load(Ordering::Relaxed) {
            0 => FIRST_PATIENCE.max(self.min_patience),
            micros => (Duration::from_micros(micros) * 2).max(self.min_patience),
        }
    }
}

/// Starts a spare thread at the idle scheduling class; `None` (logged) if the thread cannot be started.
fn start_spare_thread() -> Option<mpsc::Sender<SpareJob>> {
    let (sender, jobs) = mpsc::channel::<SpareJob>();
    let started = std::thread::Builder::new().name("todo-core-bcrypt-idle".into()).spawn(move || {
        lower_this_threads_priority();
        for job in jobs {
            // A panicking job drops its answer (the caller then uses a slot); the thread carries on.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        }
    });
    match started {
        Ok(_) => Some(sender),
        Err(error) => {
            tracing::warn!(%error, "cannot start the idle-priority hashing thread; hashing uses cores - 1 threads");
            None
        }
    }
}

/// Puts the calling thread in the idle scheduling class (Linux `SCHED_IDLE`; elsewhere the lowest priority the
/// platform allows). Never fails the caller: if the system refuses, the thread keeps its priority and says so.
fn lower_this_threads_priority() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let lowered = thread_priority::set_thread_priority_and_policy(
        thread_priority::thread_native_id(),
        thread_priority::ThreadPriority::Min,
        thread_priority::ThreadSchedulePolicy::Normal(thread_priority::NormalThreadSchedulePolicy::Idle),
    );
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let lowered = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
    if let Err(error) = lowered {
        tracing::warn!(?error, "the spare hashing thread keeps normal priority");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Occupies `hashing`'s only slot for `busy` and returns once it is taken.
    async fn occupy_the_slot(hashing: &'static Hashing, busy: Duration) -> tokio::task::JoinHandle<()> {
        let holder = tokio::spawn(async move {
            hashing.run(move || std::thread::sleep(busy)).await.expect("runs");
        });
        while hashing.slots.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        holder
    }

    /// A hashing pool with one slot, whose spare thread is never raced however long it takes (a test machine
    /// busy with other work can starve an idle-class thread for a long time).
    fn patient_hashing() -> &'static Hashing {
        Box::leak(Box::new(Hashing { min_patience: Duration::from_secs(120), ..Hashing::new(1) }))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_every_slot_busy_work_goes_to_the_idle_priority_thread() {
        let hashing = patient_hashing();
        let holder = occupy_the_slot(hashing, Duration::from_millis(300)).await;
        let (name, policy) = hashing
            .run(|| (std::thread::current().name().map(str::to_owned), thread_priority::thread_schedule_policy()))
            .await
            .expect("runs");
        assert_eq!(name.as_deref(), Some("todo-core-bcrypt-idle"));
        #[cfg(target_os = "linux")]
        assert_eq!(
            policy.expect("reads the policy"),
            thread_priority::ThreadSchedulePolicy::Normal(thread_priority::NormalThreadSchedulePolicy::Idle)
        );
        holder.await.expect("the holder finishes");
        let name = hashing.run(|| std::thread::current().name().map(str::to_owned)).await.expect("runs");
        assert_ne!(name.as_deref(), Some("todo-core-bcrypt-idle"), "a free slot is used first");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_starved_job_on_the_idle_thread_also_runs_on_the_next_free_slot() {
        let hashing: &'static Hashing = Box::leak(Box::new(Hashing::new(1)));
        hashing.last_slot_micros.store(1, Ordering::Relaxed); // patience: MIN_PATIENCE until the holder is timed
        let holder = occupy_the_slot(hashing, Duration::from_millis(200)).await;
        // The first run (on the idle thread) stands for one that reads starve: it takes 5 s.
        let runs = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let run = hashing
            .run({
                let runs = Arc::clone(&runs);
                move || {
                    let run = runs.fetch_add(1, Ordering::SeqCst);
                    if run == 0 {
                        std::thread::sleep(Duration::from_secs(5));
                    }
                    run
                }
            })
            .await
            .expect("runs");
        assert_eq!(run, 1, "the answer came from the second run, on the slot");
        assert!(started.elapsed() < Duration::from_secs(2), "it waited {:?}", started.elapsed());
        holder.await.expect("the holder finishes");
    }

    #[tokio::test]
    async fn a_job_that_panics_on_the_idle_thread_is_run_on_a_slot_and_the_thread_lives_on() {
        let hashing = patient_hashing();
        let holder = occupy_the_slot(hashing, Duration::from_millis(100)).await;
        let on_idle_thread = || std::thread::current().name() == Some("todo-core-bcrypt-idle");
        let answer = hashing
            .run(move || {
                assert!(!on_idle_thread(), "a job that fails on the idle thread");
                7
            })
            .await
            .expect("answered from a slot");
        assert_eq!(answer, 7);
        holder.await.expect("the holder finishes");
        let holder = occupy_the_slot(hashing, Duration::from_millis(300)).await;
        let name = hashing.run(|| std::thread::current().name().map(str::to_owned)).await.expect("runs");
        assert_eq!(name.as_deref(), Some("todo-core-bcrypt-idle"), "the idle thread still takes work");
        holder.await.expect("the holder finishes");
    }
}
