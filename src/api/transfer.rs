//! `/import/` and `/export/`: a caller's links in and out as a Netscape bookmark file.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ErrorDetail, QueryParams};
use crate::api::Json;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;
use crate::transfer::{self, ExportedLink, ImportOptions, ImportReport, MAX_IMPORT_BYTES};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The account to import into; required for the admin scope, omitted (or your own) for
    /// the account scope.
    pub account_id: Option<String>,
    /// Also tag each link with the names of the folders it is in (default false).
    pub folder_tags: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `html` (Netscape bookmark file, the default) or `json`.
    pub format: Option<String>,
    /// The account to export; required for the admin scope, omitted (or your own) for the
    /// account scope.
    pub account_id: Option<String>,
}

/// The multipart form of `POST /import/`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The bookmark file (the first file part is used, whatever its name).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Import a Netscape bookmark file into an account.
///
/// The file is the request body (`text/html`) or the file part of a `multipart/form-data`
/// upload, up to 32 MiB. Each entry's URL, title, description (`<DD>`), tags (`TAGS`,
/// comma-separated) and creation time (`ADD_DATE`) are kept; links whose URL the account already
/// has are skipped, entries that are not valid links are reported in `invalid`. Everything is
/// stored in one transaction: a file that is not a bookmark file (or a database error) stores
/// nothing.
#[utoipa::path(post, path = "/import/", tag = "transfer", params(ImportQuery),
    request_body(description = "The bookmark file: the body itself, or a multipart upload", content(
        (String = "text/html"),
        (ImportUpload = "multipart/form-data"))),
    responses((status = 200, body = ImportReport),
        (status = 400, description = "A multipart body that cannot be read", body = ErrorDetail),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "(admin) account not found", body = ErrorDetail),
        (status = 413, description = "The file is larger than 32 MiB", body = ErrorDetail),
        (status = 415, description = "Neither text/html nor multipart/form-data", body = ErrorDetail),
        (status = 422, description = "Not a bookmark file, or the account_id rule", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn post_import(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<ImportQuery>,
    request: Request,
) -> ApiResult<Json<ImportReport>> {
    let account_id = caller.account_for_create(q.account_id.as_deref())?;
    let file = read_file(request, &state).await?;
    let options = ImportOptions {
        folder_tags: q.folder_tags.unwrap_or(false),
    };
    let report = transfer::import(&state.store, &account_id, &file, options).await?;
    Ok(Json(report))
}

/// The bookmark file: the body itself, or the first file part of a multipart upload.
async fn read_file(request: Request, state: &AppState) -> ApiResult<Bytes> {
    let essence = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match essence.as_str() {
        "multipart/form-data" => {
            let mut multipart = Multipart::from_request(request, state)
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
            while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
                if field.file_name().is_some() || field.name() == Some("file") {
                    return field.bytes().await.map_err(multipart_error);
                }
            }
            Err(ApiError::Validation(vec![FieldError::new(
                vec![json!("body"), json!("file")],
                "Field required",
                "missing",
            )]))
        }
        "text/html" | "text/plain" | "application/octet-stream" | "" => {
            Bytes::from_request(request, state).await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(MAX_IMPORT_BYTES)
                } else {
                    ApiError::BadRequest(format!("Cannot read the request body: {e}"))
                }
            })
        }
        _ => Err(ApiError::UnsupportedMediaType(
            "Content-Type must be text/html or multipart/form-data".into(),
        )),
    }
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(MAX_IMPORT_BYTES)
    } else {
        ApiError::BadRequest(format!(
            "Cannot read the multipart body: {}",
            err.body_text()
        ))
    }
}

/// Export an account's links: a Netscape bookmark file (`format=html`, the default) that
/// browsers, linkding, Shaarli and Pinboard import, or a JSON array of links with their tags.
/// Importing the file into an empty account gives the same links and tags.
#[utoipa::path(get, path = "/export/", tag = "transfer", params(ExportQuery),
    responses(
        (status = 200, description = "The links, oldest first", content(
            (String = "text/html"),
            (Vec<ExportedLink> = "application/json"))),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "(admin) account not found", body = ErrorDetail),
        (status = 422, description = "Unknown format, or the account_id rule", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn get_export(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<ExportQuery>,
) -> ApiResult<Response> {
    let format = match q.format.as_deref().unwrap_or("html") {
        "html" => transfer::ExportFormat::Html,
        "json" => transfer::ExportFormat::Json,
        _ => {
            return Err(ApiError::Validation(vec![FieldError::new(
                vec![json!("query"), json!("format")],
                "Input should be 'html' or 'json'",
                "enum",
            )]))
        }
    };
    let account_id = caller.account_for_create(q.account_id.as_deref())?;
    if caller.account_scope().is_none() && state.store.get_account(&account_id).await?.is_none() {
        return Err(crate::store::account_not_found(&account_id));
    }
    let links = transfer::export(&state.store, &account_id).await?;
    Ok(match format {
        transfer::ExportFormat::Json => Json(links).into_response(),
        transfer::ExportFormat::Html => (
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
    })
}
