-- Describing links: title, description, notes, and when the link last changed.
-- Limits (checked by the API, the same on every engine): title 1024 characters, description
-- 4000, notes 8000. link_hash is the hex SHA-256 of the URL (exact-URL lookups use the same
-- index on every engine); search_text is the lower-cased URL, title, description and notes
-- that `q` searches. Both are derived in the application; rows that predate this migration are
-- filled in when the server starts.
ALTER TABLE links ADD COLUMN title TEXT;
ALTER TABLE links ADD COLUMN description TEXT;
ALTER TABLE links ADD COLUMN notes TEXT;
ALTER TABLE links ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN link_hash TEXT;
ALTER TABLE links ADD COLUMN search_text TEXT;
UPDATE links SET updated_at = created_at;
CREATE INDEX links_hash ON links (link_hash, account_id);
