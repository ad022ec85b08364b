-- Sign-in with an identity provider (API.md, "Sign-in with an identity provider (OpenID Connect)").
--
-- An account without a password (made by a provider's sign-in) keeps an empty `password_hash`: SQLite cannot drop
-- the column's NOT NULL, and both engines store the same. No bcrypt hash is empty, so no password ever matches it.

-- The identities linked to accounts: the provider's name, its subject (`sub`, stable per provider), and the email
-- the provider asserted when they were linked. One identity belongs to one account.
CREATE TABLE identities (
    id         UUID        PRIMARY KEY,
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider   TEXT        NOT NULL,
    subject    TEXT        NOT NULL,
    email      TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT identities_provider_subject_key UNIQUE (provider, subject)
);
CREATE INDEX identities_by_user ON identities (user_id);

-- Sign-ins under way at a provider: the `state` (kept as its SHA-256 hash) names the row; the PKCE verifier and the
-- nonce check what comes back; `redirect_to` is where the front end goes after; `binding_hash` is the hash of the
-- value the starting browser keeps (a cookie), without which the callback is refused (login CSRF). Single use (deleted when the
-- callback reads it), ten minutes, in the database so that any instance can finish what another started.
CREATE TABLE oidc_flows (
    state_hash    BYTEA  PRIMARY KEY,
    provider      TEXT   NOT NULL,
    pkce_verifier TEXT   NOT NULL,
    nonce         TEXT   NOT NULL,
    redirect_to   TEXT   NOT NULL,
    binding_hash  BYTEA  NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX oidc_flows_by_expiry ON oidc_flows (expires_at_ms);

-- The one-time codes that carry a finished provider sign-in to the front end (instead of tokens in a URL): kept as
-- SHA-256 hashes, single use, sixty seconds.
CREATE TABLE oidc_exchange_codes (
    code_hash     BYTEA  PRIMARY KEY,
    user_id       UUID   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider      TEXT   NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX oidc_exchange_codes_by_expiry ON oidc_exchange_codes (expires_at_ms);
