-- Email verification and password recovery.
--
-- `email_verified_at` is set when the user follows a verification link (or a password-reset link, which proves
-- the same thing). The tokens in mail links are 32 random bytes kept only as SHA-256 hashes, like refresh
-- tokens. A token is deleted when it is used, and issuing one deletes the user's other tokens of its purpose,
-- so at most one link of each kind works at a time. Instants SQL compares are Unix milliseconds (see 0003).
ALTER TABLE users ADD COLUMN email_verified_at TEXT;

CREATE TABLE email_tokens (
    token_hash    BLOB    PRIMARY KEY NOT NULL,
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose       TEXT    NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX email_tokens_user_purpose ON email_tokens (user_id, purpose);
