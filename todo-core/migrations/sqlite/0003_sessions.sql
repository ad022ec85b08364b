-- Sessions with rotating refresh tokens. Every login (and password change) starts a session; access tokens name
-- it in their `sid` claim and every authenticated statement checks that it still exists, belongs to the user and
-- has not expired. Revoking a session deletes its row (and, by cascade, its refresh tokens).
--
-- Instants that SQL compares (`expires_at_ms`, `spent_at_ms`) are milliseconds since the Unix epoch, on both
-- engines: SQLite compares timestamps as text, and RFC 3339 text with a varying number of fractional digits does
-- not sort by time.
CREATE TABLE sessions (
    id            BLOB    PRIMARY KEY NOT NULL,
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TEXT    NOT NULL,
    -- The last login or refresh (access-token requests do not write).
    last_used_at  TEXT    NOT NULL,
    -- When the newest refresh token expires; the session ends then unless it is refreshed.
    expires_at_ms INTEGER NOT NULL,
    user_agent    TEXT
);
CREATE INDEX sessions_user_id ON sessions (user_id, id DESC);

-- Refresh tokens, kept only as SHA-256 hashes (they are 32 random bytes: no slow hash is needed). A spent token
-- stays until it expires so that presenting it again can be recognised as reuse.
CREATE TABLE refresh_tokens (
    token_hash    BLOB    PRIMARY KEY NOT NULL,
    session_id    BLOB    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at_ms INTEGER NOT NULL,
    spent_at_ms   INTEGER
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

-- `users.token_generation` (0002) is no longer read: sessions revoke tokens now. The column stays so that
-- instances of the previous release do not fail on a missing column during a rolling upgrade (their tokens,
-- which carry no `sid`, are refused by this release); a later migration may drop it.
