//! A scratch SQLite file: a unique path in the temp directory, removed with the files SQLite keeps beside it.

use std::path::{Path, PathBuf};

/// A unique SQLite file path in the temp directory (the file itself appears when the engine first opens it).
/// Dropping this removes the file and its journal, write-ahead log and shared-memory index.
#[derive(Debug)]
pub struct ScratchSqlite {
    path: PathBuf,
    url: String,
}

impl ScratchSqlite {
    /// A fresh path `<temp dir>/<prefix>-<uuid>.db`.
    pub fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{}.db", crate::unique_name(prefix, '-')));
        let url = format!("sqlite:{}", path.display());
        Self { path, url }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `sqlite:<path>`, the URL todo-core and sqlx open.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ScratchSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut file = self.path.clone().into_os_string();
            file.push(suffix);
            // A file that never appeared (the test did not open the database, or not in this journal mode) is fine.
            let _ = std::fs::remove_file(file);
        }
    }
}
