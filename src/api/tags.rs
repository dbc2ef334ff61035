//! `/tag/`: a caller's tags.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::api::extract::{page, ErrorDetail, JsonBody, QueryParams};
use crate::api::{deleted, Json};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::{Tag, TagWithCount};
use crate::state::AppState;
use crate::validate;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostTag {
    /// The tag's name, 1–255 characters; unique per account regardless of case.
    #[schema(min_length = 1, max_length = 255)]
    pub tag: String,
    /// The account; required for the admin scope, omitted (or your own) for the account scope.
    pub account_id: Option<String>,
}

/// A new name for a tag.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchTag {
    /// The new name, 1–255 characters. If another tag of the account already has it
    /// (regardless of case), the two tags merge into that one.
    #[schema(min_length = 1, max_length = 255)]
    pub tag: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagQuery {
    /// Only the tag of this name (case-insensitive).
    pub tag: Option<String>,
    /// `true`: each tag also has `link_count`, the number of links carrying it.
    pub with_counts: Option<bool>,
    /// Admin: only this account's tags. Account scope: omit or give your own.
    pub account_id: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

fn not_found(tag_id: &str) -> ApiError {
    ApiError::NotFound(format!("Tag with tag_id {tag_id} not found"))
}

/// Get one tag.
#[utoipa::path(get, path = "/tag/{tag_id}", tag = "tags",
    params(("tag_id" = String, Path, description = "Id of the tag")),
    responses((status = 200, body = Tag),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Tag with tag_id … not found", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn get_tag(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tag_id): Path<String>,
) -> ApiResult<Json<Tag>> {
    let tag = state.store.get_tag(caller.account_scope(), &tag_id).await?;
    tag.map(Json).ok_or_else(|| not_found(&tag_id))
}

/// A list of tags, with their link counts when asked for.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum TagList {
    Tags(Vec<Tag>),
    WithCounts(Vec<TagWithCount>),
}

/// Documented as one array of [`TagWithCount`], whose `link_count` is present only with
/// `with_counts=true`: a `oneOf` of the two arrays would match `[]` twice.
impl utoipa::PartialSchema for TagList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, Ref};
        ArrayBuilder::new()
            .items(Ref::from_schema_name(TagWithCount::name()))
            .description(Some(
                "The tags; each with `link_count` when `with_counts=true`",
            ))
            .into()
    }
}

impl ToSchema for TagList {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((TagWithCount::name().into(), TagWithCount::schema()));
    }
}

/// List tags, oldest first; with `with_counts=true` each with its number of links.
#[utoipa::path(get, path = "/tag/", tag = "tags", params(TagQuery),
    responses((status = 200, body = TagList, description = "The tags; each with `link_count` when `with_counts=true`"),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn list_tags(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<TagQuery>,
) -> ApiResult<Json<TagList>> {
    let page = page(q.offset, q.limit)?;
    let account = caller.target_account(q.account_id.as_deref(), false)?;
    let (account, name) = (account.as_deref(), q.tag.as_deref());
    let tags = if q.with_counts == Some(true) {
        TagList::WithCounts(
            state
                .store
                .list_tags_with_counts(account, name, page)
                .await?,
        )
    } else {
        TagList::Tags(state.store.list_tags(account, name, page).await?)
    };
    Ok(Json(tags))
}

/// Rename a tag. Renaming onto a name another tag of the account has (regardless of case)
/// merges the two: the links move to that tag, this one is deleted, and that one is returned.
#[utoipa::path(patch, path = "/tag/{tag_id}", tag = "tags", request_body = PatchTag,
    params(("tag_id" = String, Path, description = "Id of the tag")),
    responses((status = 200, description = "The renamed tag, or the tag it was merged into", body = Tag),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Tag with tag_id … not found", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn patch_tag(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tag_id): Path<String>,
    JsonBody(body): JsonBody<PatchTag>,
) -> ApiResult<Json<Tag>> {
    let name = validate::tag_name("tag", &body.tag).map_err(|e| ApiError::Validation(vec![e]))?;
    let tag = state
        .store
        .rename_tag(caller.account_scope(), &tag_id, &name)
        .await?;
    tag.map(Json).ok_or_else(|| not_found(&tag_id))
}

/// Create a tag; the account must not have one of that name yet (compared regardless of case).
#[utoipa::path(post, path = "/tag/", tag = "tags", request_body = PostTag,
    responses((status = 200, description = "The new tag", body = Tag),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "(admin) account not found", body = ErrorDetail),
        (status = 409, description = "Tag with name … exists for account …", body = ErrorDetail),
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
    responses((status = 200, description = "Deleted: the JSON string \"OK\"", body = String, content_type = "application/json", example = json!("OK")),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Tag with tag_id … not found", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn delete_tag(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tag_id): Path<String>,
) -> ApiResult<Json<&'static str>> {
    let tag = state
        .store
        .delete_tag(caller.account_scope(), &tag_id)
        .await?;
    tag.map(|_| deleted()).ok_or_else(|| not_found(&tag_id))
}
