-- Canonical emails: one mailbox is one account whatever its spelling (the domain in IDNA ASCII form, the local
-- part lower-cased in NFC; todo-core/src/email.rs). SQL cannot compute that form, so `Store::migrate` rewrites the
-- stored addresses in Rust right after this migration (todo-core/src/store/canonical_emails.rs).
--
-- A row in `pending_rewrites` is a rewrite still to run: the rewrite deletes it in the transaction that rewrites,
-- so it runs once, also when the process stopped between this migration and the rewrite. An operator may insert
-- the row again to run it again (see the README, "Operating").
CREATE TABLE pending_rewrites (
    name TEXT PRIMARY KEY NOT NULL
);
INSERT INTO pending_rewrites (name) VALUES ('canonical_emails');

-- The accounts the rewrite left with a non-canonical address, and why: `taken` when another account keeps the
-- canonical address (`kept_by`), `invalid` when the stored address has no valid canonical form. Rebuilt by every
-- run of the rewrite.
CREATE TABLE uncanonical_emails (
    user_id     UUID    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    reason      TEXT    NOT NULL CHECK (reason IN ('taken', 'invalid')),
    kept_by     UUID    REFERENCES users (id) ON DELETE SET NULL,
    found_at_ms BIGINT  NOT NULL
);
