-- Safe retries of creates; the PostgreSQL migration of the same number explains the table.
CREATE TABLE idempotency_keys (
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    operation     TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    request_hash  BLOB    NOT NULL,
    response      TEXT,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, operation, key)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at_ms);
