//! `GET /sync/`: what changed in an account since a cursor, for clients that keep a copy.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{page, ErrorDetail, QueryParams};
use crate::api::Json;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::model::{format_micros, Link, Tag};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// The `cursor` of the previous page; absent: everything there is.
    pub since: Option<String>,
    /// Changes per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// The account; required for the admin scope, omitted (or your own) for the account scope.
    pub account_id: Option<String>,
}

/// A link as sync gives it: the link with the ids of its tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncedLink {
    #[serde(flatten)]
    pub link: Link,
    /// Ids of the tags the link carries (the tags are in `tags` of this or an earlier page).
    pub tag_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedLink {
    pub link_id: String,
    #[schema(format = DateTime)]
    pub deleted_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedTag {
    pub tag_id: String,
    #[schema(format = DateTime)]
    pub deleted_at: String,
}

/// One page of changes. Apply it (upsert `links` and `tags`, remove `deleted` and
/// `deleted_tags`), then ask again with `since=<cursor>`; `more` says whether there is already
/// more to fetch.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncAnswer {
    pub links: Vec<SyncedLink>,
    pub deleted: Vec<DeletedLink>,
    pub tags: Vec<Tag>,
    pub deleted_tags: Vec<DeletedTag>,
    /// Opaque; pass it as `since` for the next page.
    pub cursor: String,
    pub more: bool,
}

/// Links and tags created, changed or deleted since `since`, oldest change first, paged by
/// `limit`. A client that applies every page ends with exactly the server's state, even while
/// others write. A cursor from before deletions that were already forgotten
/// (`TAGMARK_TOMBSTONE_DAYS`) is answered 410: start again without `since`.
#[utoipa::path(get, path = "/sync/", tag = "sync", params(SyncQuery),
    responses((status = 200, body = SyncAnswer),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 410, description = "The cursor is too old (or unknown): sync again from the start", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn get_sync(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<SyncQuery>,
) -> ApiResult<Json<SyncAnswer>> {
    let limit = page(None, q.limit)?.limit;
    let since = match q.since.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                return Err(ApiError::Validation(vec![FieldError::new(
                    vec![json!("query"), json!("since")],
                    "Input should be a cursor given by GET /sync/",
                    "value_error",
                )]))
            }
        },
    };
    let account_id = caller.account_for_create(q.account_id.as_deref())?;
    let page = state.store.sync_page(&account_id, since, limit).await?;
    let answer = SyncAnswer {
        links: page
            .links
            .into_iter()
            .map(|(link, tag_ids)| SyncedLink { link, tag_ids })
            .collect(),
        deleted: page
            .deleted
            .into_iter()
            .map(|(link_id, at)| DeletedLink {
                link_id,
                deleted_at: format_micros(at),
            })
            .collect(),
        tags: page.tags,
        deleted_tags: page
            .deleted_tags
            .into_iter()
            .map(|(tag_id, at)| DeletedTag {
                tag_id,
                deleted_at: format_micros(at),
            })
            .collect(),
        cursor: page.cursor.to_string(),
        more: page.more,
    };
    Ok(Json(answer))
}
