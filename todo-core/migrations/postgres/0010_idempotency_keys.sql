-- Safe retries of creates (API.md, "Task fields, filters and safe retries"): a user's `Idempotency-Key` of an
-- operation, the SHA-256 of the request it came with, and the answer given (a JSON snapshot of the created task;
-- null only inside the transaction that claims the key). Kept 24 hours, then swept.
CREATE TABLE idempotency_keys (
    user_id       UUID   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    operation     TEXT   NOT NULL,
    key           TEXT   NOT NULL,
    request_hash  BYTEA  NOT NULL,
    response      TEXT,
    expires_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, operation, key)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at_ms);
