-- The abuse limits' counters (todo-core/src/store/counters.rs): one fixed window per key, shared by every
-- instance on this database. A key is the SHA-256 hash (base64url) of what it counts: an email, a client network,
-- or both. `max_hits` is the budget the last hit was counted against.
--
-- UNLOGGED: not written to the write-ahead log, so counting costs no log flush; a crash empties the table, which
-- only forgives the counts of the current windows. The sweep deletes rows whose window has ended.
CREATE UNLOGGED TABLE abuse_counters (
    key TEXT PRIMARY KEY,
    hits INTEGER NOT NULL,
    max_hits INTEGER NOT NULL,
    window_ends_at_ms BIGINT NOT NULL
);

CREATE INDEX abuse_counters_by_window_end ON abuse_counters (window_ends_at_ms);

-- The housekeeping sweep (todo-core/src/auth/housekeeping.rs) finds expired rows by these.
CREATE INDEX sessions_by_expiry ON sessions (expires_at_ms);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at_ms);
CREATE INDEX email_tokens_by_expiry ON email_tokens (expires_at_ms);
