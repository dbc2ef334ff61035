-- search_text now holds title, description, notes and URL, one a line in that order (it held
-- the URL first and skipped absent fields), so that relevance can tell which field a term is
-- in. It is emptied here; the server fills every link's in again when it starts
-- (Store::fill_link_keys).
--
-- No FULLTEXT index: InnoDB's matches whole words (at least innodb_ft_min_token_size
-- characters, stopwords left out) and MariaDB has no n-gram parser, so it cannot find the
-- substrings the other engines find; `q` stays a LIKE over search_text here.
UPDATE links SET search_text = NULL;
