-- Sync (issue 14, `GET /sync/`): each account's change counter, and the floor below which its
-- cursors are no longer answered (tombstones before it were dropped); one row per link (kind 1)
-- or tag (kind 0) holding the counter value of its latest change, with deleted_at for a deletion
-- (a tombstone). Links and tags that exist when this runs get their rows when the server starts.
CREATE TABLE sync_seqs (
    account_id VARCHAR(64) PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    floor_seq BIGINT NOT NULL
);
CREATE TABLE changes (
    account_id VARCHAR(64) NOT NULL,
    kind SMALLINT NOT NULL,
    id VARCHAR(64) NOT NULL,
    seq BIGINT NOT NULL,
    deleted_at BIGINT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX changes_seq ON changes (account_id, seq);
CREATE INDEX changes_deleted ON changes (account_id, deleted_at);
