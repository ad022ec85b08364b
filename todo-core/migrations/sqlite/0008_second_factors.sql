-- Second factors, passkeys and sign-in links (API.md, "Second factors, passkeys and sign-in links"); the
-- PostgreSQL migration of the same number explains each table.
ALTER TABLE sessions ADD COLUMN aal INTEGER NOT NULL DEFAULT 1 CHECK (aal IN (1, 2));
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';

CREATE TABLE mfa_factors (
    id                    BLOB    PRIMARY KEY NOT NULL,
    user_id               BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind                  TEXT    NOT NULL CHECK (kind IN ('totp', 'passkey')),
    name                  TEXT    NOT NULL,
    created_at            TEXT    NOT NULL,
    last_used_at          TEXT,
    confirmed_at          TEXT,
    pending_expires_at_ms INTEGER,
    totp_secret           BLOB,
    totp_last_step        INTEGER,
    passkey_credential_id BLOB    UNIQUE,
    passkey               TEXT
);
CREATE INDEX mfa_factors_by_user ON mfa_factors (user_id);
CREATE INDEX mfa_factors_by_pending_expiry ON mfa_factors (pending_expires_at_ms) WHERE pending_expires_at_ms IS NOT NULL;

CREATE TABLE recovery_codes (
    user_id   BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_challenges (
    token_hash    BLOB    PRIMARY KEY NOT NULL,
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_factor  TEXT    NOT NULL,
    user_agent    TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX mfa_challenges_by_expiry ON mfa_challenges (expires_at_ms);

CREATE TABLE webauthn_challenges (
    id            BLOB    PRIMARY KEY NOT NULL,
    user_id       BLOB    REFERENCES users (id) ON DELETE CASCADE,
    purpose       TEXT    NOT NULL CHECK (purpose IN ('registration', 'login', 'second_step')),
    state         TEXT    NOT NULL,
    -- For the passkey of a second step: the hash of the `mfa_token` it belongs to.
    mfa_token_hash BLOB,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges (expires_at_ms);

-- Sign-in links are mail links of a third purpose. SQLite cannot alter a CHECK constraint: the table is rebuilt
-- (nothing references it).
CREATE TABLE email_tokens_new (
    token_hash    BLOB    PRIMARY KEY NOT NULL,
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose       TEXT    NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'sign_in')),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
INSERT INTO email_tokens_new (token_hash, user_id, purpose, created_at_ms, expires_at_ms)
    SELECT token_hash, user_id, purpose, created_at_ms, expires_at_ms FROM email_tokens;
DROP TABLE email_tokens;
ALTER TABLE email_tokens_new RENAME TO email_tokens;
CREATE INDEX email_tokens_user_purpose ON email_tokens (user_id, purpose);
CREATE INDEX email_tokens_by_expiry ON email_tokens (expires_at_ms);
