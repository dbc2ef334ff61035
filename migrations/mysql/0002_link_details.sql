-- Describing links: title, description, notes, and when the link last changed.
-- VARCHAR, not TEXT, for what is read back (the driver reports TEXT as BLOB), sized so that a
-- row stays under MySQL's 65,535-byte limit with utf8mb4 (4 bytes a character): title 1024
-- characters, description 4000, notes 8000; the API checks these limits on every engine.
-- link_hash is the hex SHA-256 of the URL, because a 2048-character URL is too long for an
-- index here; search_text is the lower-cased URL, title, description and notes that `q`
-- searches (only ever compared, never read back, so TEXT is fine and it lives off the row).
-- Both are derived in the application; rows that predate this migration are filled in when
-- the server starts.
ALTER TABLE links
    ADD COLUMN title VARCHAR(1024) NULL,
    ADD COLUMN description VARCHAR(4000) NULL,
    ADD COLUMN notes VARCHAR(8000) NULL,
    ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN link_hash VARCHAR(64) NULL,
    ADD COLUMN search_text MEDIUMTEXT NULL;
UPDATE links SET updated_at = created_at;
CREATE INDEX links_hash ON links (link_hash, account_id);
