-- The web app (issue 12): browser sessions and personal API tokens. Both are found by the
-- hex SHA-256 of their secret, so the database never holds a secret that works as it is.
-- A session remembers its principal's security stamp: a password change revokes it.
CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY NOT NULL,
    is_admin BIGINT NOT NULL,
    principal_id TEXT NOT NULL,
    name TEXT NOT NULL,
    security_stamp TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_principal ON sessions (principal_id);

CREATE TABLE api_tokens (
    token_id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    read_only BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NULL,
    FOREIGN KEY (account_id) REFERENCES accounts (account_id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_account ON api_tokens (account_id, created_at, token_id);
