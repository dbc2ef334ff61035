//! `POST /link/bulk/`: one change to many links of an account, in one transaction.

use axum::extract::State;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::api::extract::{ErrorDetail, JsonBody};
use crate::api::Json;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;
use crate::store::bulk::{BulkChange, BulkResult, MAX_BULK_LINKS};
use crate::store::tag_key;
use crate::validate;

/// Most tag names a bulk edit adds or removes.
const MAX_BULK_TAGS: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkEdit {
    /// The links to change, at most 1000. Ids of other accounts, or that do not exist, are
    /// not matched (and not an error).
    pub link_ids: Vec<String>,
    /// Tags to attach, by name (created if the account lacks them), at most 100.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// Tags to detach, by name (the tags themselves stay), at most 100.
    #[serde(default)]
    pub remove_tags: Vec<String>,
    /// Flags to set on every matched link.
    #[serde(default)]
    pub set: BulkFlags,
    /// Delete the matched links (cannot be combined with the other changes).
    #[serde(default)]
    pub delete: bool,
    /// The account; required for the admin scope, omitted (or your own) for the account scope.
    pub account_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkFlags {
    pub unread: Option<bool>,
    pub favorite: Option<bool>,
}

fn body_error(loc: &[&str], msg: impl Into<String>, kind: &str) -> FieldError {
    let mut path = vec![json!("body")];
    path.extend(loc.iter().map(|l| json!(l)));
    FieldError::new(path, msg, kind)
}

/// Change many links at once: attach and detach tags, set flags, or delete them; all or
/// nothing. Answers how many of the ids were the account's links (`matched`) and how many of
/// those the edit changed (`changed`).
#[utoipa::path(post, path = "/link/bulk/", tag = "links", request_body = BulkEdit,
    responses((status = 200, body = BulkResult),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "(admin) account not found", body = ErrorDetail),
        (status = 422, description = "Invalid input or account_id rules", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn bulk_edit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<BulkEdit>,
) -> ApiResult<Json<BulkResult>> {
    let mut errors = Vec::new();
    if body.link_ids.len() > MAX_BULK_LINKS {
        errors.push(body_error(
            &["link_ids"],
            format!("List should have at most {MAX_BULK_LINKS} items"),
            "too_long",
        ));
    }
    let mut names = |field: &str, raw: &[String]| -> Vec<String> {
        if raw.len() > MAX_BULK_TAGS {
            errors.push(body_error(
                &[field],
                format!("List should have at most {MAX_BULK_TAGS} items"),
                "too_long",
            ));
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        for (i, name) in raw.iter().enumerate() {
            match validate::tag_name(field, name) {
                Ok(name) => {
                    if !out.iter().any(|n| tag_key(n) == tag_key(&name)) {
                        out.push(name);
                    }
                }
                Err(mut e) => {
                    e.loc.push(json!(i));
                    errors.push(e);
                }
            }
        }
        out
    };
    let add_tags = names("add_tags", &body.add_tags);
    let remove_tags = names("remove_tags", &body.remove_tags);
    if add_tags
        .iter()
        .any(|a| remove_tags.iter().any(|r| tag_key(a) == tag_key(r)))
    {
        errors.push(body_error(
            &["remove_tags"],
            "A tag cannot be both added and removed",
            "value_error",
        ));
    }
    let changes_something = !add_tags.is_empty()
        || !remove_tags.is_empty()
        || body.set.unread.is_some()
        || body.set.favorite.is_some();
    if body.delete && changes_something {
        errors.push(body_error(
            &["delete"],
            "delete cannot be combined with add_tags, remove_tags or set",
            "value_error",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let account_id = caller.account_for_create(body.account_id.as_deref())?;
    let change = BulkChange {
        link_ids: body.link_ids,
        add_tags,
        remove_tags,
        unread: body.set.unread,
        favorite: body.set.favorite,
        delete: body.delete,
    };
    Ok(Json(state.store.bulk_edit(&account_id, &change).await?))
}
