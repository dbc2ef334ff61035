//! The HTTP surface: the router, one module per resource, and the endpoints around the API
//! (health, OpenAPI, Swagger UI).

pub mod accounts;
pub mod bulk;
pub mod duplicates;
pub mod extract;
pub mod links;
pub mod sync;
pub mod taglinks;
pub mod tags;
pub mod token;
pub mod tokens;
pub mod transfer;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/link", get(links::list_links).post(links::post_link))
        .route("/link/check", get(duplicates::check_link))
        .route("/link/bulk", axum::routing::post(bulk::bulk_edit))
        .route("/sync", get(sync::get_sync))
        .route(
            "/link/{link_id}",
            get(links::get_link)
                .delete(links::delete_link)
                .patch(links::patch_link),
        )
        .route("/tag", get(tags::list_tags).post(tags::post_tag))
        .route(
            "/tag/{tag_id}",
            get(tags::get_tag)
                .delete(tags::delete_tag)
                .patch(tags::patch_tag),
        )
        .route(
            "/taglink",
            get(taglinks::list_taglinks)
                .post(taglinks::post_taglink)
                .delete(taglinks::delete_taglinks),
        )
        .route(
            "/account",
            get(accounts::list_accounts).post(accounts::post_account),
        )
        .route(
            "/account/{account_id}",
            get(accounts::get_account)
                .delete(accounts::delete_account)
                .patch(accounts::patch_account),
        )
        .route(
            "/account/{account_id}/token",
            get(tokens::list_tokens).post(tokens::post_token),
        )
        .route(
            "/account/{account_id}/token/{token_id}",
            axum::routing::delete(tokens::delete_token),
        )
        .route(
            "/import",
            axum::routing::post(transfer::post_import).layer(axum::extract::DefaultBodyLimit::max(
                crate::transfer::MAX_IMPORT_BYTES,
            )),
        )
        .route("/export", get(transfer::get_export))
        .route("/token", axum::routing::post(token::post_token))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs_redirect))
        .route("/docs/", get(docs_index))
        .route("/docs/{*file}", get(docs_file))
        .fallback(|| async { ApiError::NotFound("Not Found".into()) })
        .method_not_allowed_fallback(|| async {
            ApiError::MethodNotAllowed("Method Not Allowed".into())
        })
        .with_state(state)
}

/// Requests are served with and without the root path prefix, and with and without a trailing
/// slash: both are removed before routing (the Swagger UI's own paths keep their slash).
pub fn normalize_path<B>(root_path: &str, mut req: Request<B>) -> Request<B> {
    let path = req.uri().path();
    let mut new_path = path;
    if !root_path.is_empty() {
        if path == root_path {
            new_path = "/";
        } else if path.starts_with(root_path) && path[root_path.len()..].starts_with('/') {
            new_path = &path[root_path.len()..];
        }
    }
    if new_path.len() > 1 && new_path.ends_with('/') && !new_path.starts_with("/docs/") {
        new_path = new_path.trim_end_matches('/');
        if new_path.is_empty() {
            new_path = "/";
        }
    }
    if new_path.len() != path.len() {
        let rebuilt = match req.uri().query() {
            Some(q) => format!("{new_path}?{q}"),
            None => new_path.to_owned(),
        };
        if let Ok(uri) = rebuilt.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// What every DELETE answers when it succeeds, as the seed does: the JSON string `"OK"`.
pub fn deleted() -> Json<&'static str> {
    Json("OK")
}

/// A JSON answer. Unlike `axum::Json`, whose buffer starts at 128 bytes and grows (a link
/// alone is larger), it serialises into a buffer that holds a typical answer at once.
pub struct Json<T>(pub T);

/// Room for one resource, or a short list, without growing the buffer.
const JSON_BUFFER: usize = 512;

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let mut buf = Vec::with_capacity(JSON_BUFFER);
        match serde_json::to_writer(&mut buf, &self.0) {
            Ok(()) => {
                let mut response = Response::new(Body::from(buf));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            Err(err) => ApiError::Internal(anyhow::anyhow!("cannot serialise an answer: {err}"))
                .into_response(),
        }
    }
}

/// Every error answer is JSON: responses that some layer produced without a JSON body (a
/// timeout, an extractor's plain-text rejection) get `{"detail": <reason>}`. The web app's
/// HTML error pages are left as they are.
pub fn ensure_json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let reason = status.canonical_reason().unwrap_or("Error");
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(json!({ "detail": reason }).to_string()))
}

/// 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/health", tag = "meta",
    responses((status = 200, description = "The database answers"), (status = 503, description = "The database does not answer")))]
pub async fn health(State(state): State<AppState>) -> Response {
    match state.store.health().await {
        Ok(()) => Json(json!({ "status": "ok", "database": "ok" })).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "detail": "Database unavailable", "status": "error", "database": "unreachable" })),
        )
            .into_response(),
    }
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        state.openapi_json.as_ref().clone(),
    )
        .into_response()
}

async fn docs_redirect() -> Response {
    // Relative, so that it also works behind a proxy that adds a root path.
    (StatusCode::PERMANENT_REDIRECT, [(LOCATION, "docs/")]).into_response()
}

async fn docs_index(state: State<AppState>) -> Response {
    docs_file(state, Path(String::new())).await
}

async fn docs_file(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    match utoipa_swagger_ui::serve(&file, Arc::clone(&state.swagger)) {
        Ok(Some(file)) => {
            ([(CONTENT_TYPE, file.content_type)], file.bytes.into_owned()).into_response()
        }
        Ok(None) => ApiError::NotFound("Not Found".into()).into_response(),
        Err(e) => ApiError::Internal(anyhow::anyhow!("swagger ui: {e}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(root: &str, uri: &str) -> String {
        let req = Request::builder().uri(uri).body(()).unwrap();
        normalize_path(root, req).uri().to_string()
    }

    #[test]
    fn paths_are_normalized() {
        assert_eq!(norm("", "/link/"), "/link");
        assert_eq!(norm("", "/link/?tag=a"), "/link?tag=a");
        assert_eq!(norm("", "/"), "/");
        assert_eq!(norm("/api", "/api/link/x/"), "/link/x");
        assert_eq!(norm("/api", "/api"), "/");
        assert_eq!(norm("/api", "/apix/link"), "/apix/link");
        assert_eq!(norm("/api", "/link"), "/link");
        assert_eq!(norm("", "/docs/"), "/docs/");
    }
}
