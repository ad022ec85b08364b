-- Users and their tasks (PostgreSQL). Ids are UUIDv7, which sort by creation time.
CREATE TABLE users (
    id            UUID        PRIMARY KEY,
    email         TEXT        NOT NULL,
    password_hash TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    -- The database, not a read-then-write, decides that an email is taken.
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE tasks (
    id          UUID        PRIMARY KEY,
    user_id     UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT        NOT NULL,
    description TEXT,
    completed   BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Keyset paging, newest first: a page is one index range scan whatever the number of tasks.
CREATE INDEX tasks_user_id_id ON tasks (user_id, id DESC);
CREATE INDEX tasks_user_id_completed_id ON tasks (user_id, completed, id DESC);
