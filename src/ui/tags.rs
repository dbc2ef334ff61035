//! The tags page: every tag with its number of links; rename (onto an existing name: merge, as
//! the API's PATCH does) and delete.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::session::CsrfForm;
use super::{
    confirm_delete_page, field_error, layout, redirect, FieldErrors, UiError, UiForm, UiQuery,
    UiResult, UiUser,
};
use crate::model::Page;
use crate::state::AppState;
use crate::validate;

/// Most tags the page lists.
const MAX_TAGS: i64 = 1000;

#[derive(Deserialize, Default)]
pub struct TagsQuery {
    done: Option<String>,
    into: Option<String>,
}

async fn page(
    state: &AppState,
    user: &UiUser,
    notice: Option<String>,
    errors: &FieldErrors,
) -> UiResult<Response> {
    let account_id = user.account_id()?;
    let mut tags = state
        .store
        .list_tags_with_counts(
            Some(account_id),
            None,
            Page {
                offset: 0,
                limit: MAX_TAGS,
            },
        )
        .await?;
    tags.sort_by_key(|t| t.tag.to_lowercase());
    let ui = &user.ui;
    let body = html! {
        h1 { "Tags" }
        @if let Some(notice) = &notice { p.notice.ok role="status" { (notice) } }
        @if tags.is_empty() { p.muted { "No tags yet." } }
        @else {
            p.hint { "Renaming a tag onto the name of another merges the two." }
            div.table-wrap {
                table {
                    thead { tr { th { "Tag" } th.num { "Links" } th { "Rename" } th { "Delete" } } }
                    tbody {
                        @for tag in &tags {
                            @let field = format!("name-{}", tag.tag_id);
                            tr data-tag=(tag.tag) {
                                td { a.chip href=(ui.url(&format!("/ui/?tags={}", urlencode(&tag.tag)))) { (tag.tag) } }
                                td.num { (tag.link_count) }
                                td {
                                    form method="post" action=(ui.url(&format!("/ui/tags/{}", tag.tag_id))) {
                                        (user.csrf_field())
                                        label.visually-hidden for=(field) { "New name for " (tag.tag) }
                                        input id=(field) name="name" type="text" value=(tag.tag) required
                                            aria-describedby=[errors.described_by(&field)];
                                        button type="submit" { "Rename" }
                                    }
                                    (field_error(&field, errors))
                                }
                                td {
                                    a href=(ui.url(&format!("/ui/tags/{}/delete", tag.tag_id))) { "Delete…" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(ui, Some(user), "Tags", body).into_response())
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn index(
    State(state): State<AppState>,
    user: UiUser,
    UiQuery(q): UiQuery<TagsQuery>,
) -> UiResult<Response> {
    let notice = match (q.done.as_deref(), q.into) {
        (Some("renamed"), _) => Some("Renamed.".to_owned()),
        (Some("merged"), Some(into)) => Some(format!("Merged into {into}.")),
        (Some("deleted"), _) => Some("Deleted; its links stay.".to_owned()),
        _ => None,
    };
    page(&state, &user, notice, &FieldErrors::default()).await
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// Rename a tag, merging it into the tag that already has the name.
pub async fn rename(
    State(state): State<AppState>,
    user: UiUser,
    Path(tag_id): Path<String>,
    UiForm(form): UiForm<RenameForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    let account_id = user.account_id()?;
    let name = match validate::tag_name("name", &form.name) {
        Ok(name) => name,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add(&format!("name-{tag_id}"), e.msg);
            return page(&state, &user, None, &errors).await;
        }
    };
    let tag = state
        .store
        .rename_tag(Some(account_id), &tag_id, &name)
        .await?
        .ok_or(UiError::NotFound)?;
    let to = if tag.tag_id == tag_id {
        "/ui/tags?done=renamed".to_owned()
    } else {
        format!("/ui/tags?done=merged&into={}", urlencode(&tag.tag))
    };
    Ok(redirect(&user.ui.url(&to)))
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    user: UiUser,
    Path(tag_id): Path<String>,
) -> UiResult<Response> {
    let account_id = user.account_id()?;
    let tag = state
        .store
        .get_tag(Some(account_id), &tag_id)
        .await?
        .ok_or(UiError::NotFound)?;
    Ok(confirm_delete_page(
        &user,
        "Delete tag",
        html! { "Delete the tag " (tag.tag) "?" },
        html! { p { "The tag goes; the links it was on stay." } },
        (&format!("/ui/tags/{tag_id}/delete"), "Delete", "/ui/tags"),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    user: UiUser,
    Path(tag_id): Path<String>,
    UiForm(form): UiForm<CsrfForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    let account_id = user.account_id()?;
    state
        .store
        .delete_tag(Some(account_id), &tag_id)
        .await?
        .ok_or(UiError::NotFound)?;
    Ok(redirect(&user.ui.url("/ui/tags?done=deleted")))
}
