-- MySQL/MariaDB: binary collation, so that uniqueness follows the *_key columns alone.
-- No TEXT columns: the driver reports them as BLOB; VARCHAR(2048) holds the longest URL.
-- Times are microseconds since the Unix epoch; ids are UUID strings; *_key columns hold the
-- lower-cased names that uniqueness is decided on, so every engine compares the same way.
CREATE TABLE users (
    user_id VARCHAR(64) PRIMARY KEY NOT NULL,
    username VARCHAR(255) NOT NULL UNIQUE,
    hashed_password VARCHAR(255) NOT NULL,
    security_stamp VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE accounts (
    account_id VARCHAR(64) PRIMARY KEY NOT NULL,
    email VARCHAR(254) NOT NULL,
    email_key VARCHAR(254) NOT NULL UNIQUE,
    hashed_password VARCHAR(255) NOT NULL,
    security_stamp VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX accounts_created ON accounts (created_at, account_id);

CREATE TABLE tags (
    tag_id VARCHAR(64) PRIMARY KEY NOT NULL,
    account_id VARCHAR(64) NOT NULL REFERENCES accounts (account_id),
    tag VARCHAR(255) NOT NULL,
    tag_key VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, tag_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX tags_account_created ON tags (account_id, created_at, tag_id);
CREATE INDEX tags_created ON tags (created_at, tag_id);

CREATE TABLE links (
    link_id VARCHAR(64) PRIMARY KEY NOT NULL,
    account_id VARCHAR(64) NOT NULL REFERENCES accounts (account_id),
    link VARCHAR(2048) NOT NULL,
    created_at BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX links_account_created ON links (account_id, created_at, link_id);
CREATE INDEX links_created ON links (created_at, link_id);

CREATE TABLE taglinks (
    tag_id VARCHAR(64) NOT NULL REFERENCES tags (tag_id),
    link_id VARCHAR(64) NOT NULL REFERENCES links (link_id),
    account_id VARCHAR(64) NOT NULL REFERENCES accounts (account_id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tag_id, link_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX taglinks_link ON taglinks (link_id, tag_id);
CREATE INDEX taglinks_account_created ON taglinks (account_id, created_at);

CREATE TABLE settings (
    name VARCHAR(64) PRIMARY KEY NOT NULL,
    value VARCHAR(1024) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
