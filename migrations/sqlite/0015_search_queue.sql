-- The full-text index is brought up to date once per write transaction instead of once per
-- write. FTS5 writes its pending changes out as a new segment of the index at every savepoint
-- (and every statement that may need rolling back), so with the triggers of 0007 each write of
-- a group the writer thread commits together (src/store/sqlite/threads.rs: each write in a
-- savepoint of its own) left a segment of its own, which the index then merged: most of the
-- index's cost of a new link. The triggers now queue the changes in links_fts_queue, in order;
-- the writer thread applies the queue to links_fts and empties it just before each commit, in
-- the same transaction (a write rolled back takes its queued changes with it), so readers
-- never see the index and the links apart. Writes from outside tagmark (the sqlite3 shell) are
-- indexed at tagmark's next write.
--
-- command is NULL to index search_text under rowid, 'delete' to remove it (FTS5's command for
-- an external-content table, which needs the text as it was indexed).
CREATE TABLE links_fts_queue (
    seq INTEGER PRIMARY KEY,
    command TEXT,
    rid INTEGER NOT NULL,
    search_text TEXT NOT NULL
);

DROP TRIGGER links_fts_insert;
DROP TRIGGER links_fts_delete;
DROP TRIGGER links_fts_update;

CREATE TRIGGER links_fts_insert AFTER INSERT ON links WHEN new.search_text IS NOT NULL BEGIN
    INSERT INTO links_fts_queue (command, rid, search_text)
        VALUES (NULL, new.rowid, new.search_text);
END;

CREATE TRIGGER links_fts_delete AFTER DELETE ON links WHEN old.search_text IS NOT NULL BEGIN
    INSERT INTO links_fts_queue (command, rid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
END;

-- An update that leaves the text as it was (a flag, a tag set) leaves the index alone.
CREATE TRIGGER links_fts_update AFTER UPDATE OF search_text ON links
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO links_fts_queue (command, rid, search_text)
        SELECT 'delete', old.rowid, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO links_fts_queue (command, rid, search_text)
        SELECT NULL, new.rowid, new.search_text WHERE new.search_text IS NOT NULL;
END;
