//! The import/export page: upload a Netscape bookmark file and see what happened, or download
//! the account's links as HTML or JSON. The same code as `POST /import/` and `GET /export/`.

use axum::extract::{Multipart, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::{field_error, layout, FieldErrors, UiError, UiQuery, UiResult, UiUser};
use crate::error::ApiError;
use crate::state::AppState;
use crate::transfer::{self, ImportOptions, ImportReport};

fn page(user: &UiUser, report: Option<&ImportReport>, errors: &FieldErrors) -> Response {
    let ui = &user.ui;
    let body = html! {
        h1 { "Import and export" }
        @if let Some(report) = report {
            section.card #report aria-live="polite" {
                h2 { "Import finished" }
                table {
                    tbody {
                        tr { th { "Created" } td.num #created { (report.created) } }
                        tr { th { "Skipped (already saved)" } td.num #skipped { (report.skipped) } }
                        tr { th { "Invalid" } td.num #invalid { (report.invalid.len()) } }
                    }
                }
                @if !report.invalid.is_empty() {
                    h2 { "Entries not imported" }
                    div.table-wrap {
                        table #invalid-entries {
                            thead { tr { th.num { "Line" } th { "URL" } th { "Why" } } }
                            tbody {
                                @for entry in &report.invalid {
                                    tr {
                                        td.num { (entry.line) }
                                        td { (entry.url.as_deref().unwrap_or("")) }
                                        td { (entry.reason) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Import a bookmark file" }
            p.hint {
                "The HTML file browsers, Pinboard, linkding and Shaarli export. Links you already \
                 have are skipped."
            }
            form method="post" action=(ui.url("/ui/transfer")) enctype="multipart/form-data"
                data-progress="upload-progress" {
                (user.csrf_field())
                label for="file" { "Bookmark file" }
                input #file name="file" type="file" accept=".html,.htm,text/html" required
                    aria-describedby=[errors.described_by("file")];
                (field_error("file", errors))
                label { input name="folder_tags" type="checkbox" value="1"; " Tag links with their folder names" }
                progress #upload-progress hidden aria-label="Upload progress" {}
                div.actions { button.primary type="submit" { "Import" } }
            }
        }
        section.card {
            h2 { "Export" }
            p { "All your links with their tags." }
            div.actions {
                a.button href=(ui.url("/ui/export?format=html")) download { "Download HTML (bookmark file)" }
                a.button href=(ui.url("/ui/export?format=json")) download { "Download JSON" }
            }
        }
    };
    layout(ui, Some(user), "Import and export", body).into_response()
}

pub async fn index(user: UiUser) -> UiResult<Response> {
    user.account_id()?;
    Ok(page(&user, None, &FieldErrors::default()))
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> UiError {
    UiError::BadRequest(format!("The upload could not be read: {}", err.body_text()))
}

/// Import the uploaded file and show the report.
pub async fn import(
    State(state): State<AppState>,
    user: UiUser,
    mut multipart: Multipart,
) -> UiResult<Response> {
    let account_id = user.account_id()?.to_owned();
    let mut csrf = String::new();
    let mut folder_tags = false;
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(multipart_error)?,
            Some("folder_tags") => folder_tags = true,
            Some("file") => file = Some(field.bytes().await.map_err(multipart_error)?),
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    let mut errors = FieldErrors::default();
    let file = match file.filter(|f| !f.is_empty()) {
        Some(file) => file,
        None => {
            errors.add("file", "Choose a bookmark file to import.");
            return Ok(page(&user, None, &errors));
        }
    };
    let options = ImportOptions { folder_tags };
    match transfer::import(&state.store, &account_id, &file, options).await {
        Ok(report) => Ok(page(&user, Some(&report), &errors)),
        Err(ApiError::Unprocessable(msg)) => {
            errors.add("file", msg);
            Ok(page(&user, None, &errors))
        }
        Err(ApiError::Validation(list)) => {
            for e in list {
                errors.add("file", e.msg);
            }
            Ok(page(&user, None, &errors))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    format: Option<String>,
}

/// Download the account's links.
pub async fn export(
    State(state): State<AppState>,
    user: UiUser,
    UiQuery(q): UiQuery<ExportQuery>,
) -> UiResult<Response> {
    let account_id = user.account_id()?;
    let links = transfer::export(&state.store, account_id).await?;
    Ok(match q.format.as_deref() {
        Some("json") => {
            let body = serde_json::to_vec_pretty(&links).map_err(|_| UiError::Internal)?;
            (
                [
                    (CONTENT_TYPE, "application/json"),
                    (
                        CONTENT_DISPOSITION,
                        "attachment; filename=\"bookmarks.json\"",
                    ),
                ],
                body,
            )
                .into_response()
        }
        None | Some("html") => (
            [
                (CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    CONTENT_DISPOSITION,
                    "attachment; filename=\"bookmarks.html\"",
                ),
            ],
            transfer::render_html(&links),
        )
            .into_response(),
        Some(_) => return Err(UiError::BadRequest("Export as html or json.".into())),
    })
}
