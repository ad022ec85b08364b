-- A session ends SESSION_MAX_AGE_SECONDS after its login however often it is refreshed, so each refresh needs
-- the login's time in the unit SQL compares (Unix milliseconds, as every *_ms column).
ALTER TABLE sessions ADD COLUMN created_at_ms BIGINT;
UPDATE sessions SET created_at_ms = (EXTRACT(EPOCH FROM created_at) * 1000)::BIGINT;
ALTER TABLE sessions ALTER COLUMN created_at_ms SET NOT NULL;
