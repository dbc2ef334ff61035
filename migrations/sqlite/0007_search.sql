-- Full-text search for `q` on SQLite's own index: an FTS5 table over links.search_text
-- (external content: the text stays in links, the index holds only trigrams), kept in step
-- with every write to links by the triggers below. The trigram tokenizer makes a match of a
-- string of three or more characters exactly a substring match, the same as LIKE on the other
-- engines (see src/store/search.rs).
--
-- search_text now holds title, description, notes and URL, one a line in that order (it held
-- the URL first and skipped absent fields), so that relevance can tell which field a term is
-- in. It is emptied here; the server fills every link's in again when it starts
-- (Store::fill_link_keys), and the update trigger indexes it then.
--
-- The index refers to links by rowid: should the database ever be VACUUMed (tagmark never
-- does), rebuild it afterwards with INSERT INTO links_fts (links_fts) VALUES ('rebuild').
UPDATE links SET search_text = NULL;

CREATE VIRTUAL TABLE links_fts USING fts5 (search_text, content = 'links', tokenize = 'trigram');

CREATE TRIGGER links_fts_insert AFTER INSERT ON links WHEN new.search_text IS NOT NULL BEGIN
    INSERT INTO links_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

CREATE TRIGGER links_fts_delete AFTER DELETE ON links WHEN old.search_text IS NOT NULL BEGIN
    INSERT INTO links_fts (links_fts, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
END;

CREATE TRIGGER links_fts_update AFTER UPDATE OF search_text ON links BEGIN
    INSERT INTO links_fts (links_fts, rowid, search_text)
        SELECT 'delete', old.rowid, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO links_fts (rowid, search_text)
        SELECT new.rowid, new.search_text WHERE new.search_text IS NOT NULL;
END;
