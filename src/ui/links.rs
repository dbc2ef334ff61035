//! The bookmarks pages: the list with search and tag filters, add, edit, delete, and the
//! bookmarklet's save page.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::session::CsrfForm;
use super::{
    age, confirm_delete_page, field_error, layout, redirect, FieldErrors, UiConfig, UiError,
    UiForm, UiQuery, UiResult, UiUser,
};
use crate::error::FieldError;
use crate::model::{format_micros, now_micros, Link, Page};
use crate::state::AppState;
use crate::store::{LinkChanges, LinkFilter};
use crate::validate;

/// Links on one page of the list.
const PAGE_SIZE: i64 = 30;
/// Longest search, as the API's `q`.
const MAX_QUERY_CHARS: usize = 1000;
const MAX_TAGS_PER_LINK: usize = 100;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    /// Tag names, comma-separated (the API's `tags`).
    #[serde(default)]
    tags: String,
    page: Option<i64>,
    /// A notice to show after a change: `saved`, `deleted`.
    done: Option<String>,
}

fn split_tags(tags: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            out.push(t.to_owned());
        }
    }
    out
}

/// The list's URL for these filters.
fn list_url(ui: &UiConfig, q: &str, tags: &[String], page: i64) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    if !tags.is_empty() {
        query.append_pair("tags", &tags.join(","));
    }
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        ui.url("/ui/")
    } else {
        ui.url(&format!("/ui/?{query}"))
    }
}

fn domain(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_owned())
        })
        .unwrap_or_default()
}

/// The bookmarks page: newest first, paged, searchable (an admin starts on the accounts page).
pub async fn index(
    State(state): State<AppState>,
    user: UiUser,
    UiQuery(q): UiQuery<ListQuery>,
) -> UiResult<Response> {
    if user.is_admin() {
        return Ok(redirect(&user.ui.url("/ui/admin")));
    }
    let account_id = user.account_id()?;
    let ui = &user.ui;
    let words: String = q.q.chars().take(MAX_QUERY_CHARS).collect();
    let tags = split_tags(&q.tags);
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    // The search box speaks the API's `q` language; the page stays newest first.
    let mut query = crate::query::parse(&words);
    let filter = LinkFilter {
        tags: tags
            .iter()
            .cloned()
            .chain(crate::query::take_required_tags(&mut query))
            .collect(),
        query,
        newest_first: true,
        ..LinkFilter::default()
    };
    let (links, total) = state
        .store
        .search_links_counted(
            Some(account_id),
            &filter,
            Page {
                offset: (page - 1) * PAGE_SIZE,
                limit: PAGE_SIZE,
            },
        )
        .await?;
    let ids: Vec<String> = links.iter().map(|l| l.link_id.clone()).collect();
    let link_tags = state.store.tags_of_links(account_id, &ids).await?;
    let now = now_micros();
    // A broad search counts only so far (see Store::search_links_counted): then there is a
    // next page as long as this one is full.
    let pages = if total.exact {
        (total.count + PAGE_SIZE - 1) / PAGE_SIZE
    } else {
        page + i64::from(links.len() as i64 == PAGE_SIZE)
    };
    let total_text = if total.exact {
        let noun = if total.count == 1 {
            "bookmark"
        } else {
            "bookmarks"
        };
        format!("{} {noun}", total.count)
    } else {
        format!("more than {} bookmarks", total.count)
    };
    let filtered = !words.trim().is_empty() || !tags.is_empty();
    let notice = match q.done.as_deref() {
        Some("saved") => Some("Saved."),
        Some("deleted") => Some("Deleted."),
        _ => None,
    };
    let body = html! {
        h1 { "Bookmarks" }
        @if let Some(notice) = notice { p.notice.ok role="status" { (notice) } }
        form.search method="get" action=(ui.url("/ui/")) role="search" {
            label.visually-hidden for="q" { "Search your bookmarks" }
            input #q type="search" name="q" value=(words) placeholder="Search (press /)"
                aria-keyshortcuts="/";
            @if !tags.is_empty() { input type="hidden" name="tags" value=(tags.join(",")); }
            button type="submit" { "Search" }
        }
        div.filters {
            @if !tags.is_empty() {
                span.muted { "Tagged:" }
                @for tag in &tags {
                    @let rest: Vec<String> = tags.iter().filter(|t| *t != tag).cloned().collect();
                    a.chip href=(list_url(ui, &words, &rest, 1)) title="Remove this filter" {
                        (tag) " ×"
                    }
                }
            }
            span.muted #count {
                (total_text)
            }
            @if filtered { a href=(ui.url("/ui/")) { "Show all" } }
            a.button.primary href=(ui.url("/ui/links/new")) aria-keyshortcuts="n" { "Add a bookmark" }
        }
        @if links.is_empty() {
            p.muted {
                @if filtered { "Nothing matches." } @else {
                    "No bookmarks yet. Add one, import a file, or use the bookmarklet from Settings."
                }
            }
        }
        ul.links {
            @for link in &links {
                @let mine = link_tags.iter().filter(|(id, _)| *id == link.link_id).map(|(_, t)| t);
                li {
                    a.link-title href=(link.link) rel="noopener noreferrer" {
                        (link.title.as_deref().filter(|t| !t.is_empty()).unwrap_or(&link.link))
                    }
                    div.meta {
                        span.domain { (domain(&link.link)) }
                        @let exact = format_micros(link.created_at);
                        time datetime=(exact) title=(exact) { (age(link.created_at, now)) }
                        a href=(ui.url(&format!("/ui/links/{}", link.link_id))) { "Edit" }
                    }
                    @if let Some(d) = link.description.as_deref().filter(|d| !d.is_empty()) {
                        p.desc { (d) }
                    }
                    div.chips {
                        @for tag in mine {
                            a.chip href=(list_url(ui, "", std::slice::from_ref(tag), 1)) { (tag) }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pager aria-label="Pages" {
                @if page > 1 {
                    a rel="prev" href=(list_url(ui, &words, &tags, page - 1)) { "← Newer" }
                } @else { span {} }
                span.muted {
                    "Page " (page)
                    @if total.exact { " of " (pages) }
                }
                @if page < pages {
                    a rel="next" href=(list_url(ui, &words, &tags, page + 1)) { "Older →" }
                } @else { span {} }
            }
        }
    };
    Ok(layout(ui, Some(&user), "Bookmarks", body).into_response())
}

// ---- the form -------------------------------------------------------------------------------

/// The add/edit form as sent (and as shown again with errors).
#[derive(Deserialize, Default, Clone)]
pub struct LinkForm {
    #[serde(default)]
    link: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    csrf: String,
    /// Opened by the bookmarklet: close the window once saved.
    #[serde(default)]
    popup: String,
}

impl LinkForm {
    fn of(link: &Link, tags: Vec<String>) -> LinkForm {
        LinkForm {
            link: link.link.clone(),
            title: link.title.clone().unwrap_or_default(),
            description: link.description.clone().unwrap_or_default(),
            notes: link.notes.clone().unwrap_or_default(),
            tags: tags.join(", "),
            ..LinkForm::default()
        }
    }

    fn popup(&self) -> bool {
        !self.popup.is_empty()
    }
}

/// The form's values checked by the API's rules.
struct Checked {
    url: String,
    details: crate::model::LinkDetails,
    tags: Vec<String>,
}

fn check(form: &LinkForm, errors: &mut FieldErrors) -> Option<Checked> {
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
    let url = validate::link(&form.link).map_err(|e| errors.push(e)).ok();
    let details = validate::link_details(
        opt(&form.title).as_deref(),
        opt(&form.description).as_deref(),
        opt(&form.notes).as_deref(),
    )
    .map_err(|e| e.into_iter().for_each(|e| errors.push(e)))
    .ok();
    let names = split_tags(&form.tags);
    let mut tags = Vec::new();
    if names.len() > MAX_TAGS_PER_LINK {
        errors.add(
            "tags",
            format!("A link may have at most {MAX_TAGS_PER_LINK} tags"),
        );
    }
    for name in names {
        match validate::tag_name("tags", &name) {
            Ok(t) => tags.push(t),
            Err(FieldError { msg, .. }) => errors.add("tags", format!("{name:?}: {msg}")),
        }
    }
    match (url, details, errors.is_empty()) {
        (Some(url), Some(details), true) => Some(Checked { url, details, tags }),
        _ => None,
    }
}

/// Where the form is, what it edits, and what it says.
struct FormView<'a> {
    user: &'a UiUser,
    /// The link being edited; `None` to add one.
    link_id: Option<&'a str>,
    form: &'a LinkForm,
    errors: &'a FieldErrors,
    /// The link that already has this URL.
    existing: Option<&'a str>,
    tag_names: &'a [String],
}

fn text_field(
    errors: &FieldErrors,
    name: &str,
    label: &str,
    value: &str,
    kind: &str,
    required: bool,
) -> Markup {
    html! {
        label for=(name) { (label) }
        input id=(name) name=(name) type=(kind) value=(value) required[required]
            aria-invalid=[errors.get(name).map(|_| "true")]
            aria-describedby=[errors.described_by(name)];
        (field_error(name, errors))
    }
}

fn link_form(v: &FormView<'_>) -> Markup {
    let ui = &v.user.ui;
    let (title, action, button) = match v.link_id {
        None => ("Add a bookmark", ui.url("/ui/links"), "Save"),
        Some(id) => (
            "Edit bookmark",
            ui.url(&format!("/ui/links/{id}")),
            "Save changes",
        ),
    };
    let f = v.form;
    let body = html! {
        h1 { (title) }
        @if let Some(existing) = v.existing {
            p.notice role="alert" #already {
                "Already saved: you have a bookmark with this URL. "
                a href=(ui.url(&format!("/ui/links/{existing}{}", if f.popup() { "?popup=1" } else { "" }))) {
                    "Edit it"
                }
            }
        }
        form.card method="post" action=(action) {
            (v.user.csrf_field())
            @if f.popup() { input type="hidden" name="popup" value="1"; }
            (text_field(v.errors, "link", "URL", &f.link, "url", true))
            (text_field(v.errors, "title", "Title", &f.title, "text", false))
            label for="description" { "Description" }
            textarea #description name="description"
                aria-describedby=[v.errors.described_by("description")] { (f.description) }
            (field_error("description", v.errors))
            label for="notes" { "Notes" }
            textarea #notes name="notes"
                aria-describedby=[v.errors.described_by("notes")] { (f.notes) }
            (field_error("notes", v.errors))
            label for="tags" { "Tags" }
            input #tags name="tags" type="text" value=(f.tags) list="tag-names" data-tags
                autocomplete="off" aria-describedby={"tags-hint" @if v.errors.get("tags").is_some() { " tags-error" }};
            p.hint #tags-hint { "Separated by commas, e.g. rust, reading" }
            (field_error("tags", v.errors))
            datalist #tag-names {
                @for name in v.tag_names { option value=(name) {} }
            }
            div.actions {
                button.primary type="submit" { (button) }
                @if let Some(id) = v.link_id {
                    a.button.danger href=(ui.url(&format!("/ui/links/{id}/delete"))) { "Delete" }
                }
                a href=(ui.url("/ui/")) { "Cancel" }
            }
        }
    };
    layout(ui, Some(v.user), title, body)
}

/// The first link of the account with exactly this URL.
async fn existing_link(state: &AppState, account_id: &str, url: &str) -> UiResult<Option<Link>> {
    let filter = LinkFilter {
        url: Some(url.trim().to_owned()),
        ..LinkFilter::default()
    };
    let (links, _) = state
        .store
        .search_links_counted(
            Some(account_id),
            &filter,
            Page {
                offset: 0,
                limit: 1,
            },
        )
        .await?;
    Ok(links.into_iter().next())
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    url: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    popup: String,
}

/// The add form, empty or prefilled from the query.
pub async fn new_link(
    State(state): State<AppState>,
    user: UiUser,
    UiQuery(q): UiQuery<NewQuery>,
) -> UiResult<Response> {
    let account_id = user.account_id()?;
    let form = LinkForm {
        link: q.url,
        title: q.title,
        description: q.description,
        popup: q.popup,
        ..LinkForm::default()
    };
    let existing = if form.link.is_empty() {
        None
    } else {
        existing_link(&state, account_id, &form.link).await?
    };
    let tag_names = state.store.tag_names(account_id).await?;
    let view = FormView {
        user: &user,
        link_id: None,
        form: &form,
        errors: &FieldErrors::default(),
        existing: existing.as_ref().map(|l| l.link_id.as_str()),
        tag_names: &tag_names,
    };
    Ok(link_form(&view).into_response())
}

/// The bookmarklet's page: the add form prefilled, or the saved link's edit form.
pub async fn save(
    State(state): State<AppState>,
    user: UiUser,
    UiQuery(mut q): UiQuery<NewQuery>,
) -> UiResult<Response> {
    let account_id = user.account_id()?;
    if let Some(link) = existing_link(&state, account_id, &q.url).await? {
        return Ok(redirect(
            &user.ui.url(&format!("/ui/links/{}?popup=1", link.link_id)),
        ));
    }
    q.popup = "1".into();
    new_link(State(state), user, UiQuery(q)).await
}

/// After a save: back to the list, or (in the bookmarklet's popup) a page that closes itself.
fn saved(user: &UiUser, popup: bool) -> Response {
    if !popup {
        return redirect(&user.ui.url("/ui/?done=saved"));
    }
    let body = html! {
        section.card.narrow data-close-window {
            h1 { "Saved" }
            p { "The bookmark is saved. This window closes by itself." }
        }
    };
    layout(&user.ui, Some(user), "Saved", body).into_response()
}

/// Add a link.
pub async fn create_link(
    State(state): State<AppState>,
    user: UiUser,
    UiForm(form): UiForm<LinkForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    let account_id = user.account_id()?;
    let mut errors = FieldErrors::default();
    let checked = check(&form, &mut errors);
    let existing = match &checked {
        Some(c) => existing_link(&state, account_id, &c.url).await?,
        None => None,
    };
    if let (Some(c), None) = (&checked, &existing) {
        state
            .store
            .create_link_with_tags(account_id, &c.url, &c.details, &c.tags)
            .await?;
        return Ok(saved(&user, form.popup()));
    }
    if existing.is_some() {
        errors.add("link", "You have already saved this URL.");
    }
    let tag_names = state.store.tag_names(account_id).await?;
    let view = FormView {
        user: &user,
        link_id: None,
        form: &form,
        errors: &errors,
        existing: existing.as_ref().map(|l| l.link_id.as_str()),
        tag_names: &tag_names,
    };
    Ok(link_form(&view).into_response())
}

#[derive(Deserialize, Default)]
pub struct EditQuery {
    #[serde(default)]
    popup: String,
}

async fn link_tags(state: &AppState, account_id: &str, link_id: &str) -> UiResult<Vec<String>> {
    Ok(state
        .store
        .tags_of_links(account_id, &[link_id.to_owned()])
        .await?
        .into_iter()
        .map(|(_, t)| t)
        .collect())
}

/// The edit form of a link.
pub async fn edit_link(
    State(state): State<AppState>,
    user: UiUser,
    Path(link_id): Path<String>,
    UiQuery(q): UiQuery<EditQuery>,
) -> UiResult<Response> {
    let account_id = user.account_id()?;
    let link = state
        .store
        .get_link(Some(account_id), &link_id)
        .await?
        .ok_or(UiError::NotFound)?;
    let tags = link_tags(&state, account_id, &link_id).await?;
    let mut form = LinkForm::of(&link, tags);
    form.popup = q.popup;
    let tag_names = state.store.tag_names(account_id).await?;
    let view = FormView {
        user: &user,
        link_id: Some(&link_id),
        form: &form,
        errors: &FieldErrors::default(),
        existing: None,
        tag_names: &tag_names,
    };
    Ok(link_form(&view).into_response())
}

/// Save an edited link: URL, texts and its whole set of tags, in one transaction.
pub async fn update_link(
    State(state): State<AppState>,
    user: UiUser,
    Path(link_id): Path<String>,
    UiForm(form): UiForm<LinkForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    let account_id = user.account_id()?;
    let mut errors = FieldErrors::default();
    let checked = check(&form, &mut errors);
    let clash = match &checked {
        Some(c) => existing_link(&state, account_id, &c.url)
            .await?
            .filter(|l| l.link_id != link_id),
        None => None,
    };
    if let (Some(c), None) = (checked, &clash) {
        let changes = LinkChanges {
            link: Some(c.url),
            title: Some(c.details.title),
            description: Some(c.details.description),
            notes: Some(c.details.notes),
            tags: Some(c.tags),
            ..LinkChanges::default()
        };
        state
            .store
            .update_link(Some(account_id), &link_id, &changes)
            .await?
            .ok_or(UiError::NotFound)?;
        return Ok(saved(&user, form.popup()));
    }
    if clash.is_some() {
        errors.add("link", "Another of your bookmarks has this URL.");
    }
    let tag_names = state.store.tag_names(account_id).await?;
    let view = FormView {
        user: &user,
        link_id: Some(&link_id),
        form: &form,
        errors: &errors,
        existing: clash.as_ref().map(|l| l.link_id.as_str()),
        tag_names: &tag_names,
    };
    Ok(link_form(&view).into_response())
}

/// "Delete this bookmark?"
pub async fn confirm_delete(
    State(state): State<AppState>,
    user: UiUser,
    Path(link_id): Path<String>,
) -> UiResult<Response> {
    let account_id = user.account_id()?;
    let link = state
        .store
        .get_link(Some(account_id), &link_id)
        .await?
        .ok_or(UiError::NotFound)?;
    Ok(confirm_delete_page(
        &user,
        "Delete bookmark",
        html! { "Delete this bookmark?" },
        html! {
            p { strong { (link.title.as_deref().unwrap_or(&link.link)) } }
            p.muted { (link.link) }
        },
        (
            &format!("/ui/links/{link_id}/delete"),
            "Delete",
            &format!("/ui/links/{link_id}"),
        ),
    ))
}

pub async fn delete_link(
    State(state): State<AppState>,
    user: UiUser,
    Path(link_id): Path<String>,
    UiForm(form): UiForm<CsrfForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    let account_id = user.account_id()?;
    state
        .store
        .delete_link(Some(account_id), &link_id)
        .await?
        .ok_or(UiError::NotFound)?;
    Ok(redirect(&user.ui.url("/ui/?done=deleted")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_split_on_commas_once_each() {
        assert_eq!(split_tags(" rust, Web ,,rust, web"), vec!["rust", "Web"]);
        assert!(split_tags(" , ").is_empty());
    }

    #[test]
    fn domains_drop_www() {
        assert_eq!(domain("https://www.rust-lang.org/learn"), "rust-lang.org");
        assert_eq!(domain("mailto:a@b.c"), "");
    }
}
