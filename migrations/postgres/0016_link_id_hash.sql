-- A hash index on links.link_id beside the primary key's B-tree: every join from a tag's
-- tag-links to their links, and every read of one link, looks a link up by its id, and a
-- B-tree descends three levels comparing 36-character texts to get there. With 100,000 links,
-- a search within a tag that walks 3,001 of the tag's links newest first took 8.9 ms by the
-- B-tree and 6.0 ms by this index (the planner picks it by itself). The B-tree stays: it is
-- what makes link_id unique and what taglinks' foreign key refers to.
CREATE INDEX links_id_hash ON links USING hash (link_id);
