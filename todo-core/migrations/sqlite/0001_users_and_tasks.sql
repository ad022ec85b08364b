-- Users and their tasks (SQLite). Ids are UUIDv7 stored as 16-byte blobs, which sort by creation time.
CREATE TABLE users (
    id            BLOB    PRIMARY KEY NOT NULL,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    -- The database, not a read-then-write, decides that an email is taken.
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE tasks (
    id          BLOB    PRIMARY KEY NOT NULL,
    user_id     BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    description TEXT,
    completed   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

-- Keyset paging, newest first: a page is one index range scan whatever the number of tasks.
CREATE INDEX tasks_user_id_id ON tasks (user_id, id DESC);
CREATE INDEX tasks_user_id_completed_id ON tasks (user_id, completed, id DESC);
