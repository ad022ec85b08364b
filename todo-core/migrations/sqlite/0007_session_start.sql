-- A session ends SESSION_MAX_AGE_SECONDS after its login however often it is refreshed, so each refresh needs
-- the login's time in the unit SQL compares (Unix milliseconds, as every *_ms column). `created_at` is stored as
-- text with its offset, which julianday() reads.
ALTER TABLE sessions ADD COLUMN created_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET created_at_ms = CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER);
