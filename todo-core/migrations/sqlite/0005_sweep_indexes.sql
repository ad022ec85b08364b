-- The housekeeping sweep (todo-core/src/auth/housekeeping.rs) finds expired rows by these. (SQLite keeps the
-- abuse limits' counters in memory: one instance serves a SQLite file.)
CREATE INDEX sessions_by_expiry ON sessions (expires_at_ms);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at_ms);
CREATE INDEX email_tokens_by_expiry ON email_tokens (expires_at_ms);
