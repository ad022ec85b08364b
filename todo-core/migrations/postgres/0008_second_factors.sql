-- Second factors, passkeys and sign-in links (API.md, "Second factors, passkeys and sign-in links").
--
-- Sessions say how they were won: `aal` (1: one factor, 2: two) and `amr` (the methods, space-separated, RFC 8176
-- names where one exists). Sessions from before this migration were all password sign-ins.
ALTER TABLE sessions ADD COLUMN aal SMALLINT NOT NULL DEFAULT 1 CHECK (aal IN (1, 2));
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';

-- An account's second factors. A TOTP factor is pending (`confirmed_at` null) until its first code, and a pending
-- one ends at `pending_expires_at_ms`. Its secret is sealed (AES-256-GCM under a key derived from JWT_SECRET), and
-- `totp_last_step` is the last 30-second step a code was accepted for: each code works once. A passkey keeps the
-- credential as webauthn-rs serialises it (public key, signature counter) and its id, unique across accounts.
CREATE TABLE mfa_factors (
    id                    UUID        PRIMARY KEY,
    user_id               UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind                  TEXT        NOT NULL CHECK (kind IN ('totp', 'passkey')),
    name                  TEXT        NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    last_used_at          TIMESTAMPTZ,
    confirmed_at          TIMESTAMPTZ,
    pending_expires_at_ms BIGINT,
    totp_secret           BYTEA,
    totp_last_step        BIGINT,
    passkey_credential_id BYTEA       UNIQUE,
    passkey               TEXT
);
CREATE INDEX mfa_factors_by_user ON mfa_factors (user_id);
CREATE INDEX mfa_factors_by_pending_expiry ON mfa_factors (pending_expires_at_ms) WHERE pending_expires_at_ms IS NOT NULL;

-- Recovery codes: 80 random bits each, kept only as SHA-256 hashes (of the user id and the code); single use.
CREATE TABLE recovery_codes (
    user_id   UUID  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- The second step of a sign-in: the `mfa_token` (kept as its SHA-256 hash) that a first factor earned, how that
-- first step was made, and how many codes were tried with it (at most 5).
CREATE TABLE mfa_challenges (
    token_hash    BYTEA   PRIMARY KEY,
    user_id       UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_factor  TEXT    NOT NULL,
    user_agent    TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    expires_at_ms BIGINT  NOT NULL
);
CREATE INDEX mfa_challenges_by_expiry ON mfa_challenges (expires_at_ms);

-- WebAuthn ceremonies in flight: the server's state (JSON) between the options and the answer, single use and
-- short-lived, so that any instance finishes what another started. `user_id` is null for a sign-in with a passkey
-- alone (the credential names its user).
CREATE TABLE webauthn_challenges (
    id            UUID    PRIMARY KEY,
    user_id       UUID    REFERENCES users (id) ON DELETE CASCADE,
    purpose       TEXT    NOT NULL CHECK (purpose IN ('registration', 'login', 'second_step')),
    state         TEXT    NOT NULL,
    -- For the passkey of a second step: the hash of the `mfa_token` it belongs to.
    mfa_token_hash BYTEA,
    expires_at_ms BIGINT  NOT NULL
);
CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges (expires_at_ms);

-- Sign-in links are mail links of a third purpose.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'sign_in'));
