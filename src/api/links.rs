//! `/link/`: a caller's links.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{page, ErrorDetail, JsonBody, QueryParams};
use crate::api::{deleted, Json};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::model::{Link, LinkFlags};
use crate::query;
use crate::state::AppState;
use crate::store::dedupe::Created;
use crate::store::{LinkChanges, LinkFilter, TagRef};
use crate::validate;

/// Longest `q`, in characters, and most tags a link may be given at once.
const MAX_QUERY_CHARS: usize = 1000;
const MAX_TAGS_PER_LINK: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostLink {
    /// The URL: absolute, at most 2048 bytes.
    #[schema(format = "uri", max_length = 2048)]
    pub link: String,
    /// Name of the tag to attach; created if the account does not have it yet.
    #[schema(min_length = 1, max_length = 255)]
    pub tag: Option<String>,
    /// Id of an existing tag of the same account to attach.
    pub tag_id: Option<String>,
    /// The account; required for the admin scope, omitted (or your own) for the account scope.
    pub account_id: Option<String>,
    /// A title, at most 1024 characters (trimmed).
    #[schema(max_length = 1024)]
    pub title: Option<String>,
    /// A description, at most 4000 characters.
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    /// Private notes, at most 8000 characters.
    #[schema(max_length = 8000)]
    pub notes: Option<String>,
    /// Mark the link to read later (default false).
    pub unread: Option<bool>,
    /// Mark the link as a favourite (default false).
    pub favorite: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// Only links carrying this tag.
    pub tag_id: Option<String>,
    /// Only links carrying the tag of this name (case-insensitive).
    pub tag: Option<String>,
    /// Only links carrying every one of these tags: names separated by commas
    /// (case-insensitive), e.g. `rust,web`.
    pub tags: Option<String>,
    /// Search (at most 1000 characters), the same on every engine. Words must all occur,
    /// regardless of case, in the title, description, notes or URL (anywhere, as substrings:
    /// `lang` finds "language"); `"exact phrase"` must occur as written (spaces included);
    /// `-word`, `-"phrase"` or `-#tag` excludes; `#tag` keeps links carrying that tag; `OR`
    /// (upper case) between two terms is satisfied by either: `rust "web server" -draft
    /// #lang OR #tools`. With `q`, the list is sorted by relevance unless `sort` says
    /// otherwise.
    pub q: Option<String>,
    /// Only the link with exactly this URL ("do I already have this?").
    pub url: Option<String>,
    /// `created_at` (oldest first, the default without `q`), `-created_at` (newest first) or
    /// `relevance` (the default with `q`: links whose title matches the words and phrases of
    /// `q` first, then those matching in the description or notes, then in the URL; ties
    /// newest first).
    #[param(value_type = Option<LinkSort>)]
    pub sort: Option<String>,
    /// Only links marked to read later (`true`), or only the others (`false`).
    pub unread: Option<bool>,
    /// Only favourites (`true`), or only the others (`false`).
    pub favorite: Option<bool>,
    /// With `q`: count every match for `X-Total-Count`, however many (slower for a broad
    /// search). Without it, a search counts up to 1000 matches: when more match,
    /// `X-Total-Count` is 1000 and `X-Total-Count-Exact` is `false`.
    pub exact_count: Option<bool>,
    /// Admin: only this account's links. Account scope: omit or give your own.
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
pub struct PostLinkQuery {
    /// What to do when the account already has a link with this URL (compared normalised, as
    /// `GET /link/check/` does): `allow` (the default) stores another, `reject` answers 409
    /// with the existing `link_id`, `return` answers 200 with the existing link. With `reject`
    /// or `return` nothing is stored when there is one.
    #[param(value_type = Option<OnDuplicate>)]
    pub on_duplicate: Option<String>,
}

/// What `POST /link/` does with a URL the account already has.
#[derive(Debug, ToSchema)]
pub enum OnDuplicate {
    /// Store another link (the default).
    #[schema(rename = "allow")]
    Allow,
    /// Answer 409 with the existing link's id.
    #[schema(rename = "reject")]
    Reject,
    /// Answer 200 with the existing link.
    #[schema(rename = "return")]
    Return,
}

/// Order of a list of links.
#[derive(Debug, ToSchema)]
pub enum LinkSort {
    /// Oldest first.
    #[schema(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[schema(rename = "-created_at")]
    NewestFirst,
    /// Best match of `q` first: title, then description or notes, then URL.
    #[schema(rename = "relevance")]
    Relevance,
}

/// Changes to a link. A field left out stays as it is; `null` clears `title`, `description`
/// or `notes`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchLink {
    /// The new URL: absolute, at most 2048 bytes.
    #[schema(format = "uri", max_length = 2048)]
    pub link: Option<String>,
    /// A title, at most 1024 characters (trimmed); `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1024)]
    pub title: Option<Option<String>>,
    /// A description, at most 4000 characters; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 4000)]
    pub description: Option<Option<String>>,
    /// Private notes, at most 8000 characters; `null` clears them.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 8000)]
    pub notes: Option<Option<String>>,
    /// The link's complete new set of tags, by name (at most 100); tags the account does not
    /// have yet are created, and tags left out are detached from the link (not deleted).
    #[schema(max_items = 100)]
    pub tags: Option<Vec<String>>,
    /// Mark or unmark the link to read later.
    pub unread: Option<bool>,
    /// Mark or unmark the link as a favourite.
    pub favorite: Option<bool>,
}

/// A present field, `null` included (`Some(None)`); an absent one is `None` via `default`.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn query_error(field: &str, msg: impl Into<String>, kind: &str) -> FieldError {
    FieldError::new(vec![json!("query"), json!(field)], msg, kind)
}

fn not_found(link_id: &str) -> ApiError {
    ApiError::NotFound(format!("Link with link_id {link_id} not found"))
}

/// Get one link.
#[utoipa::path(get, path = "/link/{link_id}", tag = "links",
    params(("link_id" = String, Path, description = "Id of the link")),
    responses((status = 200, body = Link),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Link with link_id … not found", body = ErrorDetail)),
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
    link.map(Json).ok_or_else(|| not_found(&link_id))
}

/// List links, oldest first unless `sort=-created_at` (with `q`: best match first unless `sort`
/// is given); optionally only those carrying tags, matching a search, or having exactly one URL. `X-Total-Count` holds the number of all
/// matching links, beyond this page (with `q`, at most 1000 unless `exact_count=true`).
#[utoipa::path(get, path = "/link/", tag = "links", params(LinkQuery),
    responses((status = 200, body = Vec<Link>,
            headers(("X-Total-Count" = i64, description = "Number of links matching the filters, on all pages; with `q` and more than 1000 matches, 1000 unless `exact_count=true`"),
                ("X-Total-Count-Exact" = bool, description = "With `q`: `false` when more links match than `X-Total-Count` says"))),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn list_links(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<LinkQuery>,
) -> ApiResult<(HeaderMap, Json<Vec<Link>>)> {
    let mut errors = Vec::new();
    let page = match page(q.offset, q.limit) {
        Ok(page) => Some(page),
        Err(ApiError::Validation(e)) => {
            errors.extend(e);
            None
        }
        Err(e) => return Err(e),
    };
    let mut query = q.q.as_deref().map(query::parse).unwrap_or_default();
    let (newest_first, relevance) = match q.sort.as_deref() {
        None => (!query.is_empty(), !query.is_empty()),
        Some("created_at") => (false, false),
        Some("-created_at") => (true, false),
        Some("relevance") => (true, true),
        Some(_) => {
            errors.push(query_error(
                "sort",
                "Input should be 'created_at', '-created_at' or 'relevance'",
                "literal_error",
            ));
            (false, false)
        }
    };
    if q.q
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        errors.push(query_error(
            "q",
            format!("String should have at most {MAX_QUERY_CHARS} characters"),
            "string_too_long",
        ));
    }
    let (Some(page), true) = (page, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let account = caller.target_account(q.account_id.as_deref(), false)?;
    let searching = !query.is_empty();
    let query_tags = query::take_required_tags(&mut query);
    let filter = LinkFilter {
        tag_id: q.tag_id,
        tags: q
            .tag
            .into_iter()
            .chain(q.tags.iter().flat_map(|t| t.split(',').map(str::to_owned)))
            .chain(query_tags)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        query,
        relevance,
        exact_count: q.exact_count.unwrap_or(false),
        url: q.url.map(|u| u.trim().to_owned()),
        newest_first,
        unread: q.unread,
        favorite: q.favorite,
    };
    let (links, total) = state
        .store
        .search_links_counted(account.as_deref(), &filter, page)
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-total-count"),
        HeaderValue::from(total.count),
    );
    if searching {
        headers.insert(
            HeaderName::from_static("x-total-count-exact"),
            HeaderValue::from_static(if total.exact { "true" } else { "false" }),
        );
    }
    Ok((headers, Json(links)))
}

/// Create a link and attach a tag to it, in one transaction; with `on_duplicate=reject` or
/// `return`, only when the account has no link with this URL yet.
#[utoipa::path(post, path = "/link/", tag = "links", request_body = PostLink, params(PostLinkQuery),
    responses((status = 200, description = "The new link (or with `on_duplicate=return`, the existing one)", body = Link),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Tag with tag_id … not found for account_id …, or (admin) account not found", body = ErrorDetail),
        (status = 409, description = "`on_duplicate=reject` and the account has this URL: `{\"detail\": ..., \"link_id\": <existing>}`", body = ErrorDetail),
        (status = 422, description = "Invalid input or account_id/tag rules", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn post_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(options): QueryParams<PostLinkQuery>,
    JsonBody(body): JsonBody<PostLink>,
) -> ApiResult<Response> {
    let on_duplicate = match options.on_duplicate.as_deref() {
        None | Some("allow") => OnDuplicate::Allow,
        Some("reject") => OnDuplicate::Reject,
        Some("return") => OnDuplicate::Return,
        Some(_) => {
            return Err(ApiError::Validation(vec![query_error(
                "on_duplicate",
                "Input should be 'allow', 'reject' or 'return'",
                "literal_error",
            )]))
        }
    };
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
    let flags = LinkFlags {
        unread: body.unread.unwrap_or(false),
        favorite: body.favorite.unwrap_or(false),
    };
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
    if let OnDuplicate::Allow = on_duplicate {
        let link = state
            .store
            .create_link(&account_id, &url, tag_ref, &details, flags)
            .await?;
        return Ok(Json(link).into_response());
    }
    let created = state
        .store
        .create_link_unless_duplicate(&account_id, &url, tag_ref, &details, flags)
        .await?;
    Ok(match (created, on_duplicate) {
        (
            Created::New(link) | Created::Existing(link),
            OnDuplicate::Allow | OnDuplicate::Return,
        )
        | (Created::New(link), OnDuplicate::Reject) => Json(link).into_response(),
        (Created::Existing(link), OnDuplicate::Reject) => (
            StatusCode::CONFLICT,
            Json(json!({
                "detail": format!("Link with URL {} exists as {}", link.link, link.link_id),
                "link_id": link.link_id,
            })),
        )
            .into_response(),
    })
}

/// Change a link: URL, title, description, notes, and its whole set of tags; one transaction.
#[utoipa::path(patch, path = "/link/{link_id}", tag = "links", request_body = PatchLink,
    params(("link_id" = String, Path, description = "Id of the link")),
    responses((status = 200, description = "The changed link", body = Link),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Link with link_id … not found", body = ErrorDetail),
        (status = 422, description = "Invalid input", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn patch_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(link_id): Path<String>,
    JsonBody(body): JsonBody<PatchLink>,
) -> ApiResult<Json<Link>> {
    let mut errors = Vec::new();
    let mut changes = LinkChanges {
        unread: body.unread,
        favorite: body.favorite,
        ..LinkChanges::default()
    };
    if let Some(url) = &body.link {
        match validate::link(url) {
            Ok(url) => changes.link = Some(url),
            Err(e) => errors.push(e),
        }
    }
    for (field, value, max, change) in [
        (
            "title",
            &body.title,
            validate::MAX_TITLE_CHARS,
            &mut changes.title,
        ),
        (
            "description",
            &body.description,
            validate::MAX_DESCRIPTION_CHARS,
            &mut changes.description,
        ),
        (
            "notes",
            &body.notes,
            validate::MAX_NOTES_CHARS,
            &mut changes.notes,
        ),
    ] {
        match value {
            None => {}
            Some(None) => *change = Some(None),
            Some(Some(text)) => match validate::link_text(field, text, max) {
                Ok(text) => *change = Some(Some(text)),
                Err(e) => errors.push(e),
            },
        }
    }
    if let Some(names) = &body.tags {
        if names.len() > MAX_TAGS_PER_LINK {
            errors.push(FieldError::new(
                vec![json!("body"), json!("tags")],
                format!("List should have at most {MAX_TAGS_PER_LINK} items"),
                "too_long",
            ));
        } else {
            let mut tags = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                match validate::tag_name("tags", name) {
                    Ok(name) => tags.push(name),
                    Err(mut e) => {
                        e.loc.push(json!(i));
                        errors.push(e);
                    }
                }
            }
            changes.tags = Some(tags);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let link = state
        .store
        .update_link(caller.account_scope(), &link_id, &changes)
        .await?;
    link.map(Json).ok_or_else(|| not_found(&link_id))
}

/// Delete a link and its tag-links.
#[utoipa::path(delete, path = "/link/{link_id}", tag = "links",
    params(("link_id" = String, Path, description = "Id of the link")),
    responses((status = 200, description = "Deleted: the JSON string \"OK\"", body = String, content_type = "application/json", example = json!("OK")),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Link with link_id … not found", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn delete_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(link_id): Path<String>,
) -> ApiResult<Json<&'static str>> {
    let link = state
        .store
        .delete_link(caller.account_scope(), &link_id)
        .await?;
    link.map(|_| deleted()).ok_or_else(|| not_found(&link_id))
}
