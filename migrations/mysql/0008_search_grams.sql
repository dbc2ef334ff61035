-- Full-text search for `q` on MariaDB's own index. InnoDB FULLTEXT matches whole words and
-- MariaDB has no n-gram parser, so tagmark writes the words itself: search_grams holds the
-- distinct trigrams of search_text, each as the lower-case hex of its UTF-8 bytes (one word of
-- 6 to 24 characters of [0-9a-f] to InnoDB's tokenizer, never a stopword, never shorter than
-- innodb_ft_min_token_size when that is 6 or less; the default is 3). A word or phrase of three
-- or more characters finds its candidates with MATCH … AGAINST in boolean mode, and LIKE on
-- search_text decides, as on the other engines (see src/store/search.rs).
--
-- The column is filled in by the server when it starts (Store::fill_link_keys), and written
-- with search_text on every write of a link. One ALTER: adding the index rebuilds the table
-- (InnoDB adds its hidden FTS_DOC_ID column), once.
ALTER TABLE links
    ADD COLUMN search_grams MEDIUMTEXT NULL,
    ADD FULLTEXT INDEX links_search_grams (search_grams);
