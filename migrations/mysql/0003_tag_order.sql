-- Each tag-link carries its link's creation time (which never changes), so that a tag's links
-- are read in list order, and counted, from one index range instead of by probing every link
-- of the account.
ALTER TABLE taglinks ADD COLUMN link_created_at BIGINT NOT NULL DEFAULT 0;
UPDATE taglinks tl JOIN links l ON l.link_id = tl.link_id SET tl.link_created_at = l.created_at;
CREATE INDEX taglinks_tag_order ON taglinks (tag_id, link_created_at, link_id);
