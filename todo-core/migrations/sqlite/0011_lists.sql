-- Lists and sharing; the PostgreSQL migration of the same number explains the tables. SQLite cannot change a
-- column's foreign key, so `tasks` is rebuilt (no table refers to it, so dropping the old one is safe).
CREATE TABLE lists (
    id         BLOB    PRIMARY KEY NOT NULL,
    owner_id   BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    inbox      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE UNIQUE INDEX lists_one_inbox_per_owner ON lists (owner_id) WHERE inbox;
CREATE INDEX lists_by_owner ON lists (owner_id);

CREATE TABLE memberships (
    user_id   BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    list_id   BLOB    NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    role      INTEGER NOT NULL CHECK (role IN (1, 2, 3)),
    joined_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, list_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_list ON memberships (list_id, user_id);
CREATE UNIQUE INDEX memberships_one_owner ON memberships (list_id) WHERE role = 3;

-- Every account's inbox, with a random (version 4) UUID as its id.
INSERT INTO lists (id, owner_id, name, inbox, created_at, updated_at)
SELECT unhex(substr(random_hex, 1, 12) || '4' || substr(random_hex, 14, 3)
             || substr('89AB', 1 + (abs(random()) % 4), 1) || substr(random_hex, 18, 15)),
       id, 'Inbox', TRUE, created_at, created_at
FROM (SELECT id, created_at, hex(randomblob(16)) AS random_hex FROM users);
INSERT INTO memberships (user_id, list_id, role, joined_at)
SELECT owner_id, id, 3, created_at FROM lists;

CREATE TABLE tasks_with_lists (
    id          BLOB    PRIMARY KEY NOT NULL,
    list_id     BLOB    NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    created_by  BLOB    REFERENCES users (id) ON DELETE SET NULL,
    title       TEXT    NOT NULL,
    description TEXT,
    title_folded       TEXT NOT NULL,
    description_folded TEXT,
    completed   BOOLEAN NOT NULL DEFAULT FALSE,
    due_at_ms   INTEGER,
    priority    INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 3),
    assignee_id BLOB    REFERENCES users (id) ON DELETE SET NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
-- Every existing task moves, unchanged, into its author's inbox.
-- SQLite's `lower()` folds ASCII only; the library folds the rest when it first opens the database after this
-- migration (`pending_rewrites`, as for migration 0006).
INSERT INTO tasks_with_lists (id, list_id, created_by, title, description, title_folded, description_folded,
                              completed, created_at, updated_at)
SELECT tasks.id, lists.id, tasks.user_id, tasks.title, tasks.description, lower(tasks.title),
       lower(tasks.description), tasks.completed, tasks.created_at, tasks.updated_at
FROM tasks JOIN lists ON lists.owner_id = tasks.user_id AND lists.inbox;
DROP TABLE tasks;
ALTER TABLE tasks_with_lists RENAME TO tasks;

CREATE INDEX tasks_by_list ON tasks (list_id, id DESC);
CREATE INDEX tasks_by_list_completed ON tasks (list_id, completed, id DESC);
CREATE INDEX tasks_by_list_due ON tasks (list_id, due_at_ms, id);
CREATE INDEX tasks_by_assignee ON tasks (assignee_id, list_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX tasks_by_author ON tasks (created_by);

-- Stored answers of task creates (migration 0010) name the task's list and author from now on (hyphenated UUIDs).
UPDATE idempotency_keys SET response = json_set(response,
    '$.list_id', (SELECT lower(substr(hex(lists.id), 1, 8) || '-' || substr(hex(lists.id), 9, 4) || '-'
                               || substr(hex(lists.id), 13, 4) || '-' || substr(hex(lists.id), 17, 4) || '-'
                               || substr(hex(lists.id), 21))
                  FROM lists WHERE lists.owner_id = idempotency_keys.user_id AND lists.inbox),
    '$.created_by', lower(substr(hex(user_id), 1, 8) || '-' || substr(hex(user_id), 9, 4) || '-'
                          || substr(hex(user_id), 13, 4) || '-' || substr(hex(user_id), 17, 4) || '-'
                          || substr(hex(user_id), 21)))
WHERE response IS NOT NULL AND operation = 'create_task';

-- The library folds the non-ASCII letters of the tasks above (see `store/folded_tasks.rs`).
INSERT INTO pending_rewrites (name) VALUES ('folded_tasks');
