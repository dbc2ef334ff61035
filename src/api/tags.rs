//! `/tag/`: a caller's tags.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{page, ErrorDetail, JsonBody, QueryParams};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::Tag;
use crate::validate;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostTag {
    /// The tag's name, 1–255 characters; unique per account regardless of case.
    pub tag: String,
    /// The account; required for the admin scope, omitted (or your own) for the account scope.
    pub account_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagQuery {
    /// Only the tag of this name (case-insensitive).
    pub tag: Option<String>,
    /// Admin: only this account's tags. Account scope: omit or give your own.
    pub account_id: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

fn not_found() -> ApiError {
    ApiError::NotFound("Tag not found".into())
}

/// Get one tag.
#[utoipa::path(get, path = "/tag/{tag_id}", tag = "tags",
    params(("tag_id" = String, Path, description = "Id of the tag")),
    responses((status = 200, body = Tag), (status = 404, description = "Tag not found", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn get_tag(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tag_id): Path<String>,
) -> ApiResult<Json<Tag>> {
    let tag = state.store.get_tag(caller.account_scope(), &tag_id).await?;
    tag.map(Json).ok_or_else(not_found)
}

/// List tags, oldest first.
#[utoipa::path(get, path = "/tag/", tag = "tags", params(TagQuery),
    responses((status = 200, body = Vec<Tag>), (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn list_tags(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<TagQuery>,
) -> ApiResult<Json<Vec<Tag>>> {
    let page = page(q.offset, q.limit)?;
    let account = caller.target_account(q.account_id.as_deref(), false)?;
    let tags = state
        .store
        .list_tags(account.as_deref(), q.tag.as_deref(), page)
        .await?;
    Ok(Json(tags))
}

/// Create a tag, or get the account's existing tag of that name.
#[utoipa::path(post, path = "/tag/", tag = "tags", request_body = PostTag,
    responses((status = 200, description = "The new or existing tag", body = Tag),
        (status = 404, description = "(admin) account not found", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn post_tag(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<PostTag>,
) -> ApiResult<Json<Tag>> {
    let name = validate::tag_name("tag", &body.tag).map_err(|e| ApiError::Validation(vec![e]))?;
    let account_id = caller.account_for_create(body.account_id.as_deref())?;
    Ok(Json(state.store.create_tag(&account_id, &name).await?))
}

/// Delete a tag and its tag-links; the links stay.
#[utoipa::path(delete, path = "/tag/{tag_id}", tag = "tags",
    params(("tag_id" = String, Path, description = "Id of the tag")),
    responses((status = 200, description = "The deleted tag", body = Tag), (status = 404, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn delete_tag(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tag_id): Path<String>,
) -> ApiResult<Json<Tag>> {
    let tag = state
        .store
        .delete_tag(caller.account_scope(), &tag_id)
        .await?;
    tag.map(Json).ok_or_else(not_found)
}
