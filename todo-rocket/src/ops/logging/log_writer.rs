//! Log lines gathered in memory and written in batches by one background thread.
//!
//! `tracing-appender`'s non-blocking writer hands every line to its thread through a channel, and the thread
//! writes and flushes as soon as it wakes: under load that is a wake-up and a write system call per request line,
//! the largest part of what a logged request cost, whatever the format (benches/README.md, "Where the cost was,
//! measured per request in server CPU"). Here a line is appended to a shared buffer under a mutex, and the thread
//! wakes once per batch: when a line lands in an empty buffer it waits [`BATCH_WINDOW`] for more (or until the
//! buffer holds [`FLUSH_AT_BYTES`]), then writes the whole batch at once.
//!
//! No line is dropped: when the output cannot keep up and the buffer reaches [`CAPACITY_BYTES`], loggers wait for
//! room, as with a full pipe. Lines reach the output at most [`BATCH_WINDOW`] after they are logged, and the
//! [`FlushOnDrop`] guard writes whatever is left when the server exits.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer thread lets a batch gather after its first line.
pub const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// A batch this big is written without waiting for the rest of the window.
pub const FLUSH_AT_BYTES: usize = 256 * 1024;
/// Loggers wait for room beyond this many buffered bytes.
pub const CAPACITY_BYTES: usize = 8 * 1024 * 1024;

/// A `tracing-subscriber` writer whose lines a background thread writes to `W` in batches.
pub struct BatchWriter<W: Write + Send + 'static> {
    shared: Arc<Shared<W>>,
}

/// Writes the lines still buffered, and stops the writer thread, when dropped (keep it alive in `main`).
pub struct FlushOnDrop<W: Write + Send + 'static> {
    shared: Arc<Shared<W>>,
    thread: Option<JoinHandle<()>>,
}

struct Shared<W> {
    pending: Mutex<Pending>,
    /// Wakes the writer thread: a first line in an empty buffer, a full batch, or the end.
    wake_writer: Condvar,
    /// Wakes loggers waiting for room.
    room: Condvar,
    /// The output; held by the writer thread while it writes, and by loggers once the writer thread has ended.
    output: Mutex<W>,
}

struct Pending {
    lines: Vec<u8>,
    closed: bool,
}

impl<W: Write + Send + 'static> BatchWriter<W> {
    /// Starts the writer thread over `output`.
    pub fn spawn(output: W) -> io::Result<(Self, FlushOnDrop<W>)> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending { lines: Vec::with_capacity(FLUSH_AT_BYTES), closed: false }),
            wake_writer: Condvar::new(),
            room: Condvar::new(),
            output: Mutex::new(output),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new().name("log-writer".into()).spawn(move || write_batches(&shared))?
        };
        Ok((Self { shared: Arc::clone(&shared) }, FlushOnDrop { shared, thread: Some(thread) }))
    }
}

impl<'a, W: Write + Send + 'static> MakeWriter<'a> for BatchWriter<W> {
    type Writer = LineSink<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        LineSink(&self.shared)
    }
}

/// What one log line is written to (the fmt layer writes a whole formatted line in one `write`).
pub struct LineSink<'a, W>(&'a Shared<W>);

impl<W: Write + Send + 'static> Write for LineSink<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let shared = self.0;
        let mut pending = lock(&shared.pending);
        while pending.lines.len() >= CAPACITY_BYTES && !pending.closed {
            pending = shared.room.wait(pending).unwrap_or_else(PoisonError::into_inner);
        }
        if pending.closed {
            // The writer thread has ended (the server is exiting): write straight through.
            drop(pending);
            return lock(&shared.output).write(bytes);
        }
        let was_empty = pending.lines.is_empty();
        pending.lines.extend_from_slice(bytes);
        if was_empty || pending.lines.len() >= FLUSH_AT_BYTES {
            shared.wake_writer.notify_one();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The writer thread: sleeps until a line arrives, lets the batch gather, writes it; after `closed`, one last
/// batch.
fn write_batches<W: Write>(shared: &Shared<W>) {
    let mut batch = Vec::with_capacity(FLUSH_AT_BYTES);
    loop {
        let mut pending = lock(&shared.pending);
        while pending.lines.is_empty() && !pending.closed {
            pending = shared.wake_writer.wait(pending).unwrap_or_else(PoisonError::into_inner);
        }
        if !pending.closed && pending.lines.len() < FLUSH_AT_BYTES {
            pending = shared.wake_writer.wait_timeout(pending, BATCH_WINDOW).unwrap_or_else(PoisonError::into_inner).0;
        }
        std::mem::swap(&mut pending.lines, &mut batch);
        let closed = pending.closed;
        drop(pending);
        shared.room.notify_all();
        if !batch.is_empty() {
            let mut output = lock(&shared.output);
            if let Err(error) = output.write_all(&batch).and_then(|()| output.flush()) {
                // Nowhere left to log it: say so on stderr, once per failed batch.
                eprintln!("error: writing {} bytes of logs failed: {error}", batch.len());
            }
            batch.clear();
        }
        if closed {
            return;
        }
    }
}

impl<W: Write + Send + 'static> Drop for FlushOnDrop<W> {
    fn drop(&mut self) {
        lock(&self.shared.pending).closed = true;
        self.shared.wake_writer.notify_one();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output that keeps what it is given, and counts the writes.
    #[derive(Clone, Default)]
    struct Collected(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Collected {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let mut inner = lock(&self.0);
            inner.0.extend_from_slice(bytes);
            inner.1 += 1;
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn log(writer: &BatchWriter<Collected>, line: &str) {
        writer.make_writer().write_all(line.as_bytes()).expect("a write to memory");
    }

    #[test]
    fn every_line_from_many_threads_is_written_once_in_each_threads_order() {
        let output = Collected::default();
        let (writer, guard) = BatchWriter::spawn(output.clone()).expect("a thread");
        let writer = Arc::new(writer);
        // 8 threads x 20,000 lines of about 100 bytes: 16 MB, twice the capacity, so loggers also wait for room.
        let threads: Vec<_> = (0..8)
            .map(|thread| {
                let writer = Arc::clone(&writer);
                std::thread::spawn(move || {
                    for line in 0..20_000 {
                        log(&writer, &format!("{thread} {line:06} {}\n", "x".repeat(90)));
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|thread| thread.join().expect("a logging thread"));
        drop(guard);

        let (bytes, writes) = lock(&output.0).clone();
        let text = String::from_utf8(bytes).expect("whole lines, never interleaved");
        let mut next = [0usize; 8];
        for line in text.lines() {
            let mut parts = line.split(' ');
            let thread: usize = parts.next().and_then(|t| t.parse().ok()).expect("a thread number");
            let number: usize = parts.next().and_then(|n| n.parse().ok()).expect("a line number");
            assert_eq!(number, next[thread], "thread {thread}'s lines are in order, none missing");
            next[thread] += 1;
        }
        assert_eq!(next, [20_000; 8]);
        assert!(writes < 160_000 / 10, "lines are written in batches: {writes} writes for 160,000 lines");
    }

    #[test]
    fn a_line_reaches_the_output_within_the_batch_window_without_any_flush() {
        let output = Collected::default();
        let (writer, _guard) = BatchWriter::spawn(output.clone()).expect("a thread");
        log(&writer, "one line\n");
        let deadline = std::time::Instant::now() + BATCH_WINDOW * 20;
        while lock(&output.0).0.is_empty() {
            assert!(std::time::Instant::now() < deadline, "the line was not written");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(lock(&output.0).0, b"one line\n");
    }

    #[test]
    fn lines_logged_after_the_guard_is_dropped_are_written_straight_through() {
        let output = Collected::default();
        let (writer, guard) = BatchWriter::spawn(output.clone()).expect("a thread");
        log(&writer, "before\n");
        drop(guard);
        log(&writer, "after\n");
        assert_eq!(lock(&output.0).0, b"before\nafter\n");
    }
}
