-- Invitations to lists (API.md, "Lists and sharing").
--
-- An owner invites an email address, with the role the invitee will get (1 viewer or 2 editor: ownership is handed
-- over to a member, never invited). The mail carries a random token; only its SHA-256 hash is kept, so a leaked
-- table holds no working link. Accepting deletes the row in the transaction that makes the membership (single use);
-- withdrawing deletes it; the sweep deletes those past `expires_at_ms` (Unix milliseconds, like every instant SQL
-- compares). Whether the address has an account is never asked: the invitation names an address, not a user.
CREATE TABLE invitations (
    id            UUID        PRIMARY KEY,
    list_id       UUID        NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    -- The invited address in canonical form (as `users.email`), which the accepter's verified email must equal.
    email         TEXT        NOT NULL,
    role          SMALLINT    NOT NULL CHECK (role IN (1, 2)),
    token_hash    BYTEA       NOT NULL UNIQUE,
    -- Deleting the inviter's account withdraws what they sent.
    invited_by    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at_ms BIGINT      NOT NULL
);
-- A list's pending invitations, as its owner lists them (oldest first).
CREATE INDEX invitations_by_list ON invitations (list_id, id);
-- The sweep of expired ones.
CREATE INDEX invitations_by_expiry ON invitations (expires_at_ms);
-- Deleting an account deletes the invitations it sent.
CREATE INDEX invitations_by_inviter ON invitations (invited_by);
