-- Real TEXT columns for the URL, title, description, notes and setting values: they were
-- VARCHAR only because sqlx's Any driver read TEXT as a BLOB; the native driver reads it as
-- text. Their limits stay the API's (2048 bytes of URL, 1024/4000/8000 characters), the same on
-- every engine; as TEXT they no longer count against MySQL's 65,535-byte row limit, which they
-- nearly filled (8000 + 4000 + 1024 + 2048 characters of utf8mb4). None of them is indexed
-- (exact-URL lookups go through link_hash). The table is rebuilt in place; rows keep their
-- values.
ALTER TABLE links
    MODIFY link TEXT NOT NULL,
    MODIFY title TEXT NULL,
    MODIFY description TEXT NULL,
    MODIFY notes TEXT NULL;
ALTER TABLE settings MODIFY value TEXT NOT NULL;
