-- A link's URL, title, description and notes as TEXT, now that the native driver reads TEXT
-- (they were VARCHAR only because sqlx's Any driver could not). MariaDB sizes a table's row
-- buffer by its columns' declared widths, four bytes a character in utf8mb4: with these four
-- as VARCHAR(2048/1024/4000/8000) it was about 60 KB, and copying it took much of the server's
-- time for every row a join reads (a list of 100 links cost MariaDB about 30% more CPU than
-- with TEXT, whose row buffer holds only a pointer). The app's limits (validate.rs) are far
-- below TEXT's 65,535 bytes. (Numbered 0009: 0008 was taken by work on a search index.)
ALTER TABLE links
    MODIFY link TEXT NOT NULL,
    MODIFY title TEXT NULL,
    MODIFY description TEXT NULL,
    MODIFY notes TEXT NULL;
