-- Full-text search for `q` on PostgreSQL's own index: a pg_trgm GIN index on search_text,
-- which serves `search_text LIKE '%…%'` directly (substring matches, the same on every engine;
-- see src/store/search.rs). pg_trgm ships with PostgreSQL (Debian: postgresql-contrib) and is
-- a trusted extension: the database's owner may create it.
--
-- search_text now holds title, description, notes and URL, one a line in that order (it held
-- the URL first and skipped absent fields), so that relevance can tell which field a term is
-- in. It is emptied here; the server fills every link's in again when it starts
-- (Store::fill_link_keys).
UPDATE links SET search_text = NULL;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX links_search_trgm ON links USING gin (search_text gin_trgm_ops);
