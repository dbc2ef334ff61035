//! `/taglink/`: which tags a link carries.

use axum::extract::State;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{page, ErrorDetail, JsonBody, QueryParams};
use crate::api::{deleted, Json};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::TagLink;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostTagLink {
    /// An existing tag of the account.
    pub tag_id: String,
    /// An existing link of the account.
    pub link_id: String,
    /// The account; required for the admin scope, omitted (or your own) for the account scope.
    pub account_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagLinkQuery {
    pub link_id: Option<String>,
    pub tag_id: Option<String>,
    /// Admin: only this account's tag-links. Account scope: omit or give your own.
    pub account_id: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteTagLinkQuery {
    pub link_id: Option<String>,
    pub tag_id: Option<String>,
    /// Admin: only this account's tag-links. Account scope: omit or give your own.
    pub account_id: Option<String>,
}

/// List tag-links.
#[utoipa::path(get, path = "/taglink/", tag = "taglinks", params(TagLinkQuery),
    responses((status = 200, body = Vec<TagLink>),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn list_taglinks(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<TagLinkQuery>,
) -> ApiResult<Json<Vec<TagLink>>> {
    let page = page(q.offset, q.limit)?;
    let account = caller.target_account(q.account_id.as_deref(), false)?;
    let taglinks = state
        .store
        .list_taglinks(
            account.as_deref(),
            q.tag_id.as_deref(),
            q.link_id.as_deref(),
            page,
        )
        .await?;
    Ok(Json(taglinks))
}

/// Attach an existing tag to an existing link of the same account.
#[utoipa::path(post, path = "/taglink/", tag = "taglinks", request_body = PostTagLink,
    responses((status = 200, body = TagLink),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "(admin) account not found", body = ErrorDetail),
        (status = 409, description = "TagLink with tag_id … and link_id … exists", body = ErrorDetail),
        (status = 422, description = "Tag with tag_id … not found for account_id … / Link with link_id … not found for account_id … (the tag checked first), or invalid input", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn post_taglink(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<PostTagLink>,
) -> ApiResult<Json<TagLink>> {
    let account_id = caller.account_for_create(body.account_id.as_deref())?;
    let taglink = state
        .store
        .create_taglink(&account_id, &body.tag_id, &body.link_id)
        .await?;
    Ok(Json(taglink))
}

/// Delete the matching tag-links of the caller's account; `"OK"` whether or not any matched.
#[utoipa::path(delete, path = "/taglink/", tag = "taglinks", params(DeleteTagLinkQuery),
    responses((status = 200, description = "Deleted (or nothing matched): the JSON string \"OK\"", body = String, content_type = "application/json", example = json!("OK")),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn delete_taglinks(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<DeleteTagLinkQuery>,
) -> ApiResult<Json<&'static str>> {
    let account = caller.target_account(q.account_id.as_deref(), false)?;
    if q.link_id.is_none() && q.tag_id.is_none() {
        return Err(ApiError::Unprocessable(
            "One or both of tag_id and link_id must be specified".into(),
        ));
    }
    state
        .store
        .delete_taglinks(
            account.as_deref(),
            q.tag_id.as_deref(),
            q.link_id.as_deref(),
        )
        .await?;
    Ok(deleted())
}
