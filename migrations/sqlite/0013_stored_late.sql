-- A search's first page (src/store/lists/window.rs) reads FTS5's matches in rowid order, the
-- order links were stored in, and must add the matches that storage order and creation order
-- disagree on. Those exist only where a link was stored with a creation time no later than
-- that of a link of its account stored before it (an import of older bookmarks, say): such a
-- link is marked here (stored_late = 1), so that a search whose matches include none skips
-- looking for them, and a search oldest first looks for them among the marked links only.
--
-- A link's creation time never changes and a link never changes account, and a link stored
-- later always has a higher rowid than every link still there; so the mark, set when a link
-- is stored, stays true. Links stored before this migration are marked by the same rule.
ALTER TABLE links ADD COLUMN stored_late SMALLINT NOT NULL DEFAULT 0;

UPDATE links SET stored_late = 1 WHERE rowid IN (
    SELECT rowid FROM (
        SELECT rowid, created_at, MAX(created_at) OVER (
            PARTITION BY account_id ORDER BY rowid
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS stored_before
        FROM links
    ) WHERE created_at <= stored_before
);

CREATE INDEX links_stored_late ON links (account_id, created_at) WHERE stored_late = 1;

-- One seek on (account_id, created_at): a link stored now (the newest) finds only itself.
CREATE TRIGGER links_stored_late AFTER INSERT ON links
WHEN EXISTS (
    SELECT 1 FROM links o
    WHERE o.account_id = new.account_id AND o.created_at >= new.created_at
      AND o.rowid <> new.rowid
) BEGIN
    UPDATE links SET stored_late = 1 WHERE rowid = new.rowid;
END;
