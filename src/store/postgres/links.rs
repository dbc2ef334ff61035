//! Creating a link on PostgreSQL in one statement: data-modifying CTEs insert the link, find or
//! create its tag, tag it, and record both for sync, so a `POST /link/` is one round trip
//! (and its own transaction) instead of a dozen.

use sqlx::PgConnection;

use super::super::conn::Driver;
use super::super::sync::PENDING;
use super::super::{
    account_not_found, can_be_key, link_hash, search_text, tag_key, tag_not_in_account,
};
use super::super::{NewLink, Sql};
use crate::error::{ApiError, ApiResult};
use crate::model::Link;
use crate::urlkey::url_key;

/// The tag of a new link named by id: only one of the account's.
const TAG_BY_ID: &str =
    "tag AS (SELECT t.tag_id FROM tags t JOIN acc ON acc.account_id = t.account_id \
     WHERE t.tag_id = $2), ";

/// The tag of a new link named by name: the account's of that name, held (shared) so that it
/// is not renamed or merged away before commit, or else a new one. When a concurrent
/// transaction creates the name first, the insert does nothing and neither is found: the link
/// is then not created, and the caller takes the shared steps.
const TAG_BY_NAME: &str =
    "found AS (SELECT tag_id FROM tags WHERE account_id = $1 AND tag_key = $3 \
     FOR SHARE), \
     made AS (INSERT INTO tags (tag_id, tag, tag_key, account_id, created_at) \
     SELECT $2, $4, $3, $1, $6 FROM acc WHERE NOT EXISTS (SELECT 1 FROM found) \
     ON CONFLICT DO NOTHING RETURNING tag_id), \
     tag AS (SELECT tag_id FROM found UNION ALL SELECT tag_id FROM made), ";

/// The link, its tag-link, and both recorded for sync as pending changes (numbered later, see
/// `store::sync`), a tag's tombstone left as it is.
const LINK: &str = "l AS (INSERT INTO links (link_id, link, account_id, created_at, updated_at, \
     title, description, notes, link_hash, search_text, unread, favorite, url_key) \
     SELECT $5, $7, $1, $6, $6, $8, $9, $10, $11, $12, $13, $14, $15 FROM tag RETURNING link_id), \
     tl AS (INSERT INTO taglinks (tag_id, link_id, account_id, created_at, link_created_at) \
     SELECT tag.tag_id, l.link_id, $1, $6, $6 FROM tag, l), \
     ch AS (INSERT INTO changes (account_id, kind, id, seq, deleted_at) \
     SELECT $1, 0, tag.tag_id, $16, NULL::BIGINT FROM tag, l \
     UNION ALL SELECT $1, 1, l.link_id, $16, NULL FROM l \
     ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, deleted_at = excluded.deleted_at \
     WHERE changes.deleted_at IS NULL) \
     SELECT (SELECT COUNT(*) FROM acc), (SELECT COUNT(*) FROM l)";

/// Create `new` in one statement; `None` when its tag name was being created concurrently
/// (nothing was written).
pub(super) async fn create_link(conn: &mut PgConnection, new: &NewLink) -> ApiResult<Option<Link>> {
    let link = &new.link;
    if new.tag_by_id && !can_be_key(&new.tag) {
        // No tag has this id; PostgreSQL would refuse the statement holding it.
        return Err(ApiError::NotFound(tag_not_in_account(
            &new.tag,
            &link.account_id,
        )));
    }
    let mut sql = Sql::new("WITH acc AS (SELECT account_id FROM accounts WHERE account_id = $1), ");
    sql.push(if new.tag_by_id {
        TAG_BY_ID
    } else {
        TAG_BY_NAME
    })
    .push(LINK);
    let details = new.details();
    sql.text(&link.account_id)
        .text(if new.tag_by_id {
            new.tag.clone()
        } else {
            new.tag_id.clone()
        })
        .text(tag_key(&new.tag))
        .text(&new.tag)
        .text(&link.link_id)
        .int(link.created_at)
        .text(&link.link)
        .opt_text(link.title.as_deref())
        .opt_text(link.description.as_deref())
        .opt_text(link.notes.as_deref())
        .text(link_hash(&link.link))
        .text(search_text(&link.link, &details))
        .int(link.unread.into())
        .int(link.favorite.into())
        .text(url_key(&link.link))
        .int(PENDING);
    let counts: Vec<(i64, i64)> = conn.rows(sql, 1).await?;
    match counts.first() {
        Some((_, 1)) => Ok(Some(link.clone())),
        Some((0, _)) => Err(account_not_found(&link.account_id)),
        _ if new.tag_by_id => Err(ApiError::NotFound(tag_not_in_account(
            &new.tag,
            &link.account_id,
        ))),
        _ => Ok(None),
    }
}
