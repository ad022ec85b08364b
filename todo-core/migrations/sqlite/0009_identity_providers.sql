-- Sign-in with an identity provider; the PostgreSQL migration of the same number explains each table (and why an
-- account without a password keeps an empty `password_hash`).
CREATE TABLE identities (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT identities_provider_subject_key UNIQUE (provider, subject)
);
CREATE INDEX identities_by_user ON identities (user_id);

CREATE TABLE oidc_flows (
    state_hash    BLOB    PRIMARY KEY NOT NULL,
    provider      TEXT    NOT NULL,
    pkce_verifier TEXT    NOT NULL,
    nonce         TEXT    NOT NULL,
    redirect_to   TEXT    NOT NULL,
    binding_hash  BLOB    NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX oidc_flows_by_expiry ON oidc_flows (expires_at_ms);

CREATE TABLE oidc_exchange_codes (
    code_hash     BLOB    PRIMARY KEY NOT NULL,
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider      TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX oidc_exchange_codes_by_expiry ON oidc_exchange_codes (expires_at_ms);
