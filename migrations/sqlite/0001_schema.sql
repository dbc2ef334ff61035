-- Times are microseconds since the Unix epoch; ids are UUID strings; *_key columns hold the
-- lower-cased names that uniqueness is decided on, so every engine compares the same way.
CREATE TABLE users (
    user_id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    hashed_password TEXT NOT NULL,
    security_stamp TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    hashed_password TEXT NOT NULL,
    security_stamp TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX accounts_created ON accounts (created_at, account_id);

CREATE TABLE tags (
    tag_id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    tag TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, tag_key)
);
CREATE INDEX tags_account_created ON tags (account_id, created_at, tag_id);
CREATE INDEX tags_created ON tags (created_at, tag_id);

CREATE TABLE links (
    link_id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    link TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX links_account_created ON links (account_id, created_at, link_id);
CREATE INDEX links_created ON links (created_at, link_id);

CREATE TABLE taglinks (
    tag_id TEXT NOT NULL REFERENCES tags (tag_id),
    link_id TEXT NOT NULL REFERENCES links (link_id),
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tag_id, link_id)
);
CREATE INDEX taglinks_link ON taglinks (link_id, tag_id);
CREATE INDEX taglinks_account_created ON taglinks (account_id, created_at);

CREATE TABLE settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
