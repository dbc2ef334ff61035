-- Bookmark features (issue 14). Read-later and favourite flags, 0 or 1 (SMALLINT on every
-- engine: MySQL's BOOLEAN is TINYINT(1), which its driver reads as a different type), false for
-- every existing link; indexed with the account and the list order for the `unread`/`favorite`
-- filters.
ALTER TABLE links ADD COLUMN unread SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN favorite SMALLINT NOT NULL DEFAULT 0;
CREATE INDEX links_unread ON links (account_id, unread, created_at);
CREATE INDEX links_favorite ON links (account_id, favorite, created_at);

-- The duplicate check (`GET /link/check/`, `on_duplicate`): the hex SHA-256 of the URL
-- normalised (scheme and host lower-cased, default port dropped, one trailing slash of the
-- path ignored), derived by the server like link_hash; links stored before are filled in when
-- the server starts.
ALTER TABLE links ADD COLUMN url_key TEXT;
CREATE INDEX links_url_key ON links (account_id, url_key);
