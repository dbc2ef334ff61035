-- POST /link/ in one round trip, as PostgreSQL's one statement does it (store/mysql/links.rs):
-- a transaction of its own that checks the account, finds the tag (by id, only the account's;
-- by name held shared so that it is not renamed or merged away before commit, or created),
-- inserts the link and its tag-link and records both as pending sync changes. Run as seven
-- statements it took seven round trips (BEGIN, five statements, COMMIT), each costing tagmark
-- and the server more CPU than the statement itself. It answers one row: 0 the account is
-- missing, 1 the tag is (nothing written either way), 2 created. An error rolls back and is
-- raised again (a deadlock then reaches the caller's retry).
CREATE PROCEDURE tagmark_create_link(
    p_account VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_tag_by_id SMALLINT,
    p_tag TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_tag_key TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_new_tag_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_link_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_at BIGINT,
    p_link TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_title TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_description TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_notes TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_link_hash VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_search_text MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_search_grams MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_unread SMALLINT,
    p_favorite SMALLINT,
    p_url_key VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    p_pending BIGINT)
BEGIN
    DECLARE v_account VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL;
    DECLARE v_tag VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL;
    DECLARE v_status BIGINT DEFAULT 0;
    DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
    START TRANSACTION;
    SELECT account_id INTO v_account FROM accounts WHERE account_id = p_account;
    IF v_account IS NOT NULL THEN
        SET v_status = 1;
        IF p_tag_by_id <> 0 THEN
            SELECT tag_id INTO v_tag FROM tags WHERE tag_id = p_tag AND account_id = p_account;
        ELSE
            SELECT tag_id INTO v_tag FROM tags
                WHERE account_id = p_account AND tag_key = p_tag_key LOCK IN SHARE MODE;
            IF v_tag IS NULL THEN
                -- A no-op update on a name created concurrently holds that row: read after.
                INSERT INTO tags (tag_id, tag, tag_key, account_id, created_at)
                    VALUES (p_new_tag_id, p_tag, p_tag_key, p_account, p_at)
                    ON DUPLICATE KEY UPDATE tag_id = tag_id;
                SELECT tag_id INTO v_tag FROM tags
                    WHERE account_id = p_account AND tag_key = p_tag_key LOCK IN SHARE MODE;
            END IF;
        END IF;
    END IF;
    IF v_tag IS NOT NULL THEN
        INSERT INTO links (link_id, link, account_id, created_at, updated_at, title,
            description, notes, link_hash, unread, favorite, url_key, search_text, search_grams)
            VALUES (p_link_id, p_link, p_account, p_at, p_at, p_title, p_description, p_notes,
            p_link_hash, p_unread, p_favorite, p_url_key, p_search_text, p_search_grams);
        INSERT IGNORE INTO taglinks (tag_id, link_id, account_id, created_at, link_created_at)
            VALUES (v_tag, p_link_id, p_account, p_at, p_at);
        INSERT INTO changes (account_id, kind, id, seq, deleted_at)
            VALUES (p_account, 0, v_tag, p_pending, NULL), (p_account, 1, p_link_id, p_pending, NULL)
            ON DUPLICATE KEY UPDATE seq = IF(deleted_at IS NULL, VALUES(seq), seq),
            deleted_at = IF(deleted_at IS NULL, VALUES(deleted_at), deleted_at);
        COMMIT;
        SET v_status = 2;
    ELSE
        ROLLBACK;
    END IF;
    SELECT v_status AS status;
END
