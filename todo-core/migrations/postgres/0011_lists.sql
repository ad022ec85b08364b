-- Lists and sharing (API.md, "Lists and sharing" and "Task fields, filters and safe retries").
--
-- Every task belongs to one list. A list has exactly one owner (`lists.owner_id`; deleting the account deletes the
-- lists it owns, with their tasks) and members with a role; the owner is a member too, so that one condition on
-- `memberships` decides every access. Roles are ranks, so "at least an editor" is one comparison:
-- 1 viewer, 2 editor, 3 owner.
CREATE TABLE lists (
    id         UUID        PRIMARY KEY,
    owner_id   UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT        NOT NULL,
    inbox      BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- One inbox per account, made at signup.
CREATE UNIQUE INDEX lists_one_inbox_per_owner ON lists (owner_id) WHERE inbox;
CREATE INDEX lists_by_owner ON lists (owner_id);

CREATE TABLE memberships (
    user_id   UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    list_id   UUID        NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    role      SMALLINT    NOT NULL CHECK (role IN (1, 2, 3)),
    joined_at TIMESTAMPTZ NOT NULL,
    -- A user's lists, and "is this user a member of that list": one index lookup.
    PRIMARY KEY (user_id, list_id)
);
CREATE INDEX memberships_by_list ON memberships (list_id, user_id);
-- The database keeps "exactly one owner" true whatever the races: a second owner row cannot exist.
CREATE UNIQUE INDEX memberships_one_owner ON memberships (list_id) WHERE role = 3;

-- Every account gets its inbox, as signup makes it from now on, with the owner as its one member.
INSERT INTO lists (id, owner_id, name, inbox, created_at, updated_at)
SELECT gen_random_uuid(), id, 'Inbox', TRUE, created_at, created_at FROM users;
INSERT INTO memberships (user_id, list_id, role, joined_at)
SELECT owner_id, id, 3, created_at FROM lists;

-- The task fields. `user_id` becomes `created_by`: a task outlives its author's account in a shared list (the
-- author then reads as null), and the list, not the author, decides who may see it.
ALTER TABLE tasks RENAME COLUMN user_id TO created_by;
ALTER TABLE tasks ALTER COLUMN created_by DROP NOT NULL;
ALTER TABLE tasks DROP CONSTRAINT tasks_user_id_fkey;
ALTER TABLE tasks ADD CONSTRAINT tasks_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE tasks ADD COLUMN list_id UUID REFERENCES lists (id) ON DELETE CASCADE;
-- Due instants are Unix milliseconds, like every instant SQL compares here (sorts and filters agree on both engines).
ALTER TABLE tasks ADD COLUMN due_at_ms BIGINT;
ALTER TABLE tasks ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 3);
ALTER TABLE tasks ADD COLUMN assignee_id UUID REFERENCES users (id) ON DELETE SET NULL;
-- Title and description case-folded by the library (Unicode lower case, the same on both engines), which the
-- `q` filter matches. Tasks from before take PostgreSQL's `lower()` here, which is not the library's fold: it
-- depends on the database's LC_CTYPE (ASCII only under "C") and differs even under UTF-8 locales (a final sigma
-- stays `σ`, Rust writes `ς`), so the library folds their non-ASCII text again once (`pending_rewrites`, below).
ALTER TABLE tasks ADD COLUMN title_folded TEXT;
ALTER TABLE tasks ADD COLUMN description_folded TEXT;
UPDATE tasks SET title_folded = lower(title), description_folded = lower(description);
ALTER TABLE tasks ALTER COLUMN title_folded SET NOT NULL;
-- Counts the task's changes: its ETag, which `If-Match` compares.
ALTER TABLE tasks ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- Every existing task moves, unchanged, into its author's inbox.
UPDATE tasks SET list_id = lists.id FROM lists WHERE lists.owner_id = tasks.created_by AND lists.inbox;
ALTER TABLE tasks ALTER COLUMN list_id SET NOT NULL;

-- Keyset paging within a list, newest first and soonest due first; the old per-user indexes go.
DROP INDEX tasks_user_id_id;
DROP INDEX tasks_user_id_completed_id;
CREATE INDEX tasks_by_list ON tasks (list_id, id DESC);
CREATE INDEX tasks_by_list_completed ON tasks (list_id, completed, id DESC);
CREATE INDEX tasks_by_list_due ON tasks (list_id, due_at_ms, id);
-- A user's assigned tasks, and clearing a removed member's assignments.
CREATE INDEX tasks_by_assignee ON tasks (assignee_id, list_id) WHERE assignee_id IS NOT NULL;
-- Deleting an account sets `created_by` to null in its tasks.
CREATE INDEX tasks_by_author ON tasks (created_by);

-- Stored answers of task creates (migration 0010) name the task's list and author from now on.
UPDATE idempotency_keys SET response = (response::jsonb || jsonb_build_object(
    'list_id', (SELECT lists.id FROM lists WHERE lists.owner_id = idempotency_keys.user_id AND lists.inbox),
    'created_by', idempotency_keys.user_id))::text
WHERE response IS NOT NULL AND operation = 'create_task';

-- The library folds the non-ASCII text of the tasks above as it folds every new one (see `store/folded_tasks.rs`).
INSERT INTO pending_rewrites (name) VALUES ('folded_tasks');
