//! `/link/`: a caller's links.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{page, ErrorDetail, JsonBody, QueryParams};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::Link;
use crate::store::TagRef;
use crate::validate;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostLink {
    /// The URL: absolute, at most 2048 bytes.
    pub link: String,
    /// Name of the tag to attach; created if the account does not have it yet.
    pub tag: Option<String>,
    /// Id of an existing tag of the same account to attach.
    pub tag_id: Option<String>,
    /// The account; required for the admin scope, omitted (or your own) for the account scope.
    pub account_id: Option<String>,
    /// A title, at most 1024 characters (trimmed).
    pub title: Option<String>,
    /// A description, at most 4000 characters.
    pub description: Option<String>,
    /// Private notes, at most 8000 characters.
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// Only links carrying this tag.
    pub tag_id: Option<String>,
    /// Only links carrying the tag of this name (case-insensitive).
    pub tag: Option<String>,
    /// Admin: only this account's links. Account scope: omit or give your own.
    pub account_id: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

fn not_found() -> ApiError {
    ApiError::NotFound("Link not found".into())
}

/// Get one link.
#[utoipa::path(get, path = "/link/{link_id}", tag = "links",
    params(("link_id" = String, Path, description = "Id of the link")),
    responses((status = 200, body = Link), (status = 404, description = "Link not found", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn get_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(link_id): Path<String>,
) -> ApiResult<Json<Link>> {
    let link = state
        .store
        .get_link(caller.account_scope(), &link_id)
        .await?;
    link.map(Json).ok_or_else(not_found)
}

/// List links, oldest first, optionally only those carrying a tag.
#[utoipa::path(get, path = "/link/", tag = "links", params(LinkQuery),
    responses((status = 200, body = Vec<Link>), (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn list_links(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<LinkQuery>,
) -> ApiResult<Json<Vec<Link>>> {
    let page = page(q.offset, q.limit)?;
    let account = caller.target_account(q.account_id.as_deref(), false)?;
    let links = state
        .store
        .list_links(
            account.as_deref(),
            q.tag_id.as_deref(),
            q.tag.as_deref(),
            page,
        )
        .await?;
    Ok(Json(links))
}

/// Create a link and attach a tag to it, in one transaction.
#[utoipa::path(post, path = "/link/", tag = "links", request_body = PostLink,
    responses((status = 200, body = Link),
        (status = 404, description = "Tag not found, or (admin) account not found", body = ErrorDetail),
        (status = 422, description = "Invalid input or account_id/tag rules", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn post_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<PostLink>,
) -> ApiResult<Json<Link>> {
    let url = validate::link(&body.link);
    let tag = body
        .tag
        .as_deref()
        .map(|t| validate::tag_name("tag", t))
        .transpose();
    let details = validate::link_details(
        body.title.as_deref(),
        body.description.as_deref(),
        body.notes.as_deref(),
    );
    let (url, tag, details) = match (url, tag, details) {
        (Ok(url), Ok(tag), Ok(details)) => (url, tag, details),
        (url, tag, details) => {
            let mut errors: Vec<_> = [url.err(), tag.err()].into_iter().flatten().collect();
            errors.extend(details.err().unwrap_or_default());
            return Err(ApiError::Validation(errors));
        }
    };
    let account_id = caller.account_for_create(body.account_id.as_deref())?;
    let tag_ref = match (&tag, &body.tag_id) {
        (None, None) => {
            return Err(ApiError::Unprocessable(
                "One of tag_id or tag must be specified".into(),
            ))
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::Unprocessable(
                "Only one of tag_id or tag must be specified".into(),
            ))
        }
        (Some(name), None) => TagRef::Name(name),
        (None, Some(id)) => TagRef::Id(id),
    };
    let link = state
        .store
        .create_link(&account_id, &url, tag_ref, &details)
        .await?;
    Ok(Json(link))
}

/// Delete a link and its tag-links.
#[utoipa::path(delete, path = "/link/{link_id}", tag = "links",
    params(("link_id" = String, Path, description = "Id of the link")),
    responses((status = 200, description = "The deleted link", body = Link), (status = 404, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn delete_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(link_id): Path<String>,
) -> ApiResult<Json<Link>> {
    let link = state
        .store
        .delete_link(caller.account_scope(), &link_id)
        .await?;
    link.map(Json).ok_or_else(not_found)
}
