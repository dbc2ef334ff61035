//! Creating a link on MySQL/MariaDB in one round trip: the stored procedure
//! `tagmark_create_link` (migration 0012) checks the account, finds or creates the tag, inserts
//! the link and its tag-link and records both for sync, in a transaction of its own. As
//! separate statements a `POST /link/` took seven round trips (BEGIN, five statements, COMMIT).
//! Not used on a Galera cluster (see `open` in the parent module).

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::mysql::MySqlDatabaseError;
use sqlx::MySqlConnection;

use super::super::conn::Driver;
use super::super::search::search_grams;
use super::super::sync::PENDING;
use super::super::{
    account_not_found, can_be_key, link_hash, search_text, tag_key, tag_not_in_account,
};
use super::super::{NewLink, Sql};
use crate::error::{ApiError, ApiResult, DbError};
use crate::model::Link;
use crate::urlkey::url_key;

/// Whether the missing procedure was reported already (once per process).
static MISSING_REPORTED: AtomicBool = AtomicBool::new(false);

/// MySQL's "PROCEDURE does not exist": a database restored from a dump made without its routines
/// (`mysqldump` leaves them out unless given `--routines`) while its migration table says 0012
/// ran. Links are then created by the shared steps rather than not at all.
fn is_missing_procedure(err: &DbError) -> bool {
    matches!(err, DbError::Sqlx(sqlx::Error::Database(e))
        if e.try_downcast_ref::<MySqlDatabaseError>().is_some_and(|e| e.number() == 1305))
}

const CALL: &str = "CALL tagmark_create_link(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// What the procedure answers: the account is missing, the tag is, or the link was created.
const NO_ACCOUNT: i64 = 0;
const CREATED: i64 = 2;

/// Create `new` in one call; `None` when its tag name could not be found or created this way
/// (nothing was written): the caller then takes the shared steps.
pub(super) async fn create_link(
    conn: &mut MySqlConnection,
    new: &NewLink,
) -> ApiResult<Option<Link>> {
    let link = &new.link;
    let key = tag_key(&new.tag);
    // Keys no row can hold (a NUL, a trailing space, which MySQL's PAD SPACE comparison would
    // ignore) are decided here, as the shared steps decide them without asking the database.
    if !can_be_key(&link.account_id) {
        return Err(account_not_found(&link.account_id));
    }
    if new.tag_by_id && !can_be_key(&new.tag) {
        return Err(ApiError::NotFound(tag_not_in_account(
            &new.tag,
            &link.account_id,
        )));
    }
    if !new.tag_by_id && !can_be_key(&key) {
        return Ok(None);
    }
    let text = search_text(&link.link, &new.details());
    let grams = search_grams(&text);
    let mut sql = Sql::new(CALL);
    sql.text(&link.account_id)
        .int(new.tag_by_id.into())
        .text(&new.tag)
        .text(key)
        .text(&new.tag_id)
        .text(&link.link_id)
        .int(link.created_at)
        .text(&link.link)
        .opt_text(link.title.as_deref())
        .opt_text(link.description.as_deref())
        .opt_text(link.notes.as_deref())
        .text(link_hash(&link.link))
        .text(text)
        .text(grams)
        .int(link.unread.into())
        .int(link.favorite.into())
        .text(url_key(&link.link))
        .int(PENDING);
    // Every result of the call is read (its row, then the call's own status), so that the
    // connection goes back to the pool with nothing left to read.
    let status: Vec<(i64,)> = match conn.rows(sql, usize::MAX).await {
        Ok(status) => status,
        Err(err) if is_missing_procedure(&err) => {
            if !MISSING_REPORTED.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "the stored procedure tagmark_create_link is missing (a database restored \
                     from a dump made without --routines?): links are created statement by \
                     statement; restore it from migrations/mysql/0012_create_link_procedure.sql"
                );
            }
            return Ok(None);
        }
        Err(err) => return Err(err.into()),
    };
    match status.first() {
        Some((CREATED,)) => Ok(Some(link.clone())),
        Some((NO_ACCOUNT,)) => Err(account_not_found(&link.account_id)),
        _ if new.tag_by_id => Err(ApiError::NotFound(tag_not_in_account(
            &new.tag,
            &link.account_id,
        ))),
        _ => Ok(None),
    }
}
