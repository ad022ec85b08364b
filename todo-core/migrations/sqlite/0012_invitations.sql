-- Invitations to lists; the PostgreSQL migration of the same number explains the table.
CREATE TABLE invitations (
    id            BLOB    PRIMARY KEY NOT NULL,
    list_id       BLOB    NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    email         TEXT    NOT NULL,
    role          INTEGER NOT NULL CHECK (role IN (1, 2)),
    token_hash    BLOB    NOT NULL UNIQUE,
    invited_by    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX invitations_by_list ON invitations (list_id, id);
CREATE INDEX invitations_by_expiry ON invitations (expires_at_ms);
CREATE INDEX invitations_by_inviter ON invitations (invited_by);
