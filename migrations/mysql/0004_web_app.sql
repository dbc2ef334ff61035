-- The web app (issue 12): browser sessions and personal API tokens. Both are found by the
-- hex SHA-256 of their secret, so the database never holds a secret that works as it is.
-- A session remembers its principal's security stamp: a password change revokes it.
CREATE TABLE sessions (
    session_hash VARCHAR(64) PRIMARY KEY NOT NULL,
    is_admin BIGINT NOT NULL,
    principal_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    security_stamp VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX sessions_principal ON sessions (principal_id);

CREATE TABLE api_tokens (
    token_id VARCHAR(64) PRIMARY KEY NOT NULL,
    account_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    read_only BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NULL,
    FOREIGN KEY (account_id) REFERENCES accounts (account_id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX api_tokens_account ON api_tokens (account_id, created_at, token_id);
