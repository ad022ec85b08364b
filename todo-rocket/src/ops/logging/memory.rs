//! An in-memory writer for the unit tests of this folder: keeps what a subscriber writes, for the test to read.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

/// What was written, shared by its clones.
#[derive(Clone, Default)]
pub(super) struct Memory(Arc<Mutex<Vec<u8>>>);

impl Memory {
    /// Everything written so far.
    pub(super) fn bytes(&self) -> Vec<u8> {
        self.0.lock().expect("not poisoned").clone()
    }

    /// The lines written so far.
    pub(super) fn lines(&self) -> Vec<String> {
        String::from_utf8(self.bytes()).expect("UTF-8").lines().map(str::to_owned).collect()
    }
}

impl Write for Memory {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Memory {
    type Writer = Memory;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
