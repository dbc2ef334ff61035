//! The web app for people: pages rendered on the server under `/ui/` (maud templates, checked
//! at compile time), a little JavaScript, and assets embedded in the binary. It calls the same
//! store and validation functions as the API; sessions live in a cookie that only `/ui/` reads.

pub mod admin;
pub mod links;
pub mod session;
pub mod settings;
pub mod tags;
pub mod transfer;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::{html, Markup, DOCTYPE};
use serde::de::DeserializeOwned;

use crate::auth::Principal;
use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;
pub use session::UiUser;

/// What every page needs to know about where it is served.
pub struct UiConfig {
    /// `TAGMARK_ROOT_PATH`, empty or e.g. `/api`: every link the pages write starts with it.
    pub root: String,
    /// Served over HTTPS natively: cookies get `Secure`.
    pub tls: bool,
    /// Changes with the assets, so that browsers may cache them for long.
    pub asset_version: String,
}

impl UiConfig {
    /// The absolute path of a page, e.g. `url("/ui/tags")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }
}

const APP_CSS: &str = include_str!("assets/app.css");
const APP_JS: &str = include_str!("assets/app.js");
const ICON_SVG: &str = include_str!("assets/icon.svg");

pub fn router(config: &Config, state: AppState) -> Router {
    let version = crate::store::link_hash(&format!("{APP_CSS}{APP_JS}{ICON_SVG}"));
    let ui = Arc::new(UiConfig {
        root: config.root_path.clone(),
        tls: config.tls.is_some(),
        asset_version: version[..12].to_owned(),
    });
    let pages = Router::new()
        .route("/", get(links::index))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/links/new", get(links::new_link))
        .route("/links", post(links::create_link))
        .route(
            "/links/{link_id}",
            get(links::edit_link).post(links::update_link),
        )
        .route(
            "/links/{link_id}/delete",
            get(links::confirm_delete).post(links::delete_link),
        )
        .route("/save", get(links::save))
        .route("/tags", get(tags::index))
        .route("/tags/{tag_id}", post(tags::rename))
        .route(
            "/tags/{tag_id}/delete",
            get(tags::confirm_delete).post(tags::delete),
        )
        .route(
            "/transfer",
            get(transfer::index)
                .post(transfer::import)
                .layer(DefaultBodyLimit::max(crate::transfer::MAX_IMPORT_BYTES)),
        )
        .route("/export", get(transfer::export))
        .route("/settings", get(settings::index))
        .route("/settings/email", post(settings::change_email))
        .route("/settings/password", post(settings::change_password))
        .route("/settings/tokens", post(settings::create_token))
        .route(
            "/settings/tokens/{token_id}/delete",
            post(settings::revoke_token),
        )
        .route("/admin", get(admin::index).post(admin::create_account))
        .route(
            "/admin/accounts/{account_id}/delete",
            get(admin::confirm_delete).post(admin::delete_account),
        )
        .route(
            "/admin/accounts/{account_id}/password",
            post(admin::reset_password),
        )
        .route("/assets/{file}", get(asset))
        .fallback(not_found)
        .layer(axum::middleware::map_response_with_state(
            ui.clone(),
            finish,
        ))
        .layer(Extension(ui.clone()));
    Router::new()
        .route("/", get(root_redirect))
        .nest("/ui", pages)
        .layer(Extension(ui))
        .with_state(state)
}

/// `GET /`: the app.
async fn root_redirect(Extension(ui): Extension<Arc<UiConfig>>) -> Response {
    redirect(&ui.url("/ui/"))
}

/// 303 See Other to `location` (after a form, the browser GETs it).
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON_SVG, "image/svg+xml"),
        _ => return UiError::NotFound.into_response(),
    };
    (
        [
            (CONTENT_TYPE, content_type),
            // The pages name them with a version that changes with their content.
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

async fn not_found() -> UiError {
    UiError::NotFound
}

// ---- errors ---------------------------------------------------------------------------------

/// Why a page cannot be shown. Answered as a page, never as JSON, and never with details of
/// an internal error (those are logged).
#[derive(Debug)]
pub enum UiError {
    NotFound,
    BadRequest(String),
    /// A form without the right CSRF token.
    Csrf,
    /// Not logged in, or the session is over; `next` is where to go after logging in.
    Login {
        next: String,
        expired: bool,
    },
    /// A page for the other kind of principal (an admin on an account's page).
    Forbidden,
    Unavailable,
    Internal,
}

pub type UiResult<T> = Result<T, UiError>;

impl From<ApiError> for UiError {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::NotFound(_) => UiError::NotFound,
            ApiError::Unavailable => UiError::Unavailable,
            ApiError::Database(_) | ApiError::Internal(_) => {
                // Logged as the API logs it; the page says only that something went wrong.
                let _ = err.into_response();
                UiError::Internal
            }
            ApiError::Forbidden { .. }
            | ApiError::InsufficientScope { .. }
            | ApiError::NotAuthenticated
            | ApiError::Unauthorized { .. } => UiError::Forbidden,
            other => UiError::BadRequest(other.to_string()),
        }
    }
}

/// Carried from a handler to [`finish`], which renders it: only there is the root path known.
#[derive(Clone)]
struct Deferred(Arc<DeferredKind>);

enum DeferredKind {
    Page {
        title: &'static str,
        message: String,
    },
    Login {
        next: String,
        expired: bool,
    },
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, kind) = match self {
            UiError::Login { next, expired } => {
                (StatusCode::SEE_OTHER, DeferredKind::Login { next, expired })
            }
            UiError::NotFound => (
                StatusCode::NOT_FOUND,
                DeferredKind::Page {
                    title: "Not found",
                    message: "There is no such page, or it is not yours to see.".into(),
                },
            ),
            UiError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                DeferredKind::Page {
                    title: "That did not work",
                    message,
                },
            ),
            UiError::Csrf => (
                StatusCode::FORBIDDEN,
                DeferredKind::Page {
                    title: "This form has expired",
                    message: "The form was not sent from this page as it is now. Go back, \
                              reload the page and try again."
                        .into(),
                },
            ),
            UiError::Forbidden => (
                StatusCode::FORBIDDEN,
                DeferredKind::Page {
                    title: "Not for this login",
                    message: "This page is for another kind of login.".into(),
                },
            ),
            UiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                DeferredKind::Page {
                    title: "Busy",
                    message: "The database is not answering right now. Try again in a moment."
                        .into(),
                },
            ),
            UiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                DeferredKind::Page {
                    title: "Something went wrong",
                    message: "The server could not do that. The problem has been logged.".into(),
                },
            ),
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(Deferred(Arc::new(kind)));
        response
    }
}

/// Every answer under `/ui/`: deferred error pages rendered, security headers added.
async fn finish(State(ui): State<Arc<UiConfig>>, response: Response) -> Response {
    let mut response = match response.extensions().get::<Deferred>().cloned() {
        None => response,
        Some(Deferred(kind)) => match &*kind {
            DeferredKind::Login { next, expired } => {
                let mut to = ui.url("/ui/login");
                let mut query = form_urlencoded::Serializer::new(String::new());
                if next != "/ui/" {
                    query.append_pair("next", next);
                }
                if *expired {
                    query.append_pair("expired", "1");
                }
                let query = query.finish();
                if !query.is_empty() {
                    to = format!("{to}?{query}");
                }
                let mut answer = redirect(&to);
                if *expired {
                    answer
                        .headers_mut()
                        .append(SET_COOKIE, session::clear_cookie(&ui));
                }
                answer
            }
            DeferredKind::Page { title, message } => {
                let status = response.status();
                let body = layout(
                    &ui,
                    None,
                    title,
                    html! {
                        section.notice.error-page {
                            h1 { (title) }
                            p { (message) }
                            p { a href=(ui.url("/ui/")) { "Back to your bookmarks" } }
                        }
                    },
                );
                (status, body).into_response()
            }
        },
    };
    let headers = response.headers_mut();
    let is_asset = headers.contains_key(CACHE_CONTROL);
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !is_asset {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

// ---- extractors -----------------------------------------------------------------------------

/// The UI's settings, for handlers that have no session.
pub struct Ui(pub Arc<UiConfig>);

impl<S: Send + Sync> FromRequestParts<S> for Ui {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> UiResult<Self> {
        ui_config(parts).map(Ui)
    }
}

pub(crate) fn ui_config(parts: &Parts) -> UiResult<Arc<UiConfig>> {
    parts
        .extensions
        .get::<Arc<UiConfig>>()
        .cloned()
        .ok_or(UiError::Internal)
}

/// A urlencoded form; a malformed one is a 400 page.
pub struct UiForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for UiForm<T> {
    type Rejection = UiError;

    async fn from_request(req: Request, state: &S) -> UiResult<Self> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|form| UiForm(form.0))
            .map_err(|e| UiError::BadRequest(e.body_text()))
    }
}

/// The query string; a malformed one is a 400 page.
pub struct UiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for UiQuery<T> {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> UiResult<Self> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| UiQuery(q.0))
            .map_err(|e| UiError::BadRequest(e.body_text()))
    }
}

// ---- layout ---------------------------------------------------------------------------------

/// A whole page around `body`, with the navigation of `user` when logged in.
pub fn layout(ui: &UiConfig, user: Option<&UiUser>, title: &str, body: Markup) -> Markup {
    let asset = |file: &str| ui.url(&format!("/ui/assets/{file}?v={}", ui.asset_version));
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · tagmark" }
                link rel="icon" type="image/svg+xml" href=(asset("icon.svg"));
                link rel="stylesheet" href=(asset("app.css"));
                script src=(asset("app.js")) defer {}
            }
            body data-add=(ui.url("/ui/links/new")) {
                header.top {
                    a.brand href=(ui.url("/ui/")) { "tagmark" }
                    @if let Some(user) = user {
                        nav aria-label="Main" {
                            @match &user.principal {
                                Principal::Account { .. } => {
                                    a href=(ui.url("/ui/")) { "Bookmarks" }
                                    a href=(ui.url("/ui/links/new")) { "Add" }
                                    a href=(ui.url("/ui/tags")) { "Tags" }
                                    a href=(ui.url("/ui/transfer")) { "Import/export" }
                                    a href=(ui.url("/ui/settings")) { "Settings" }
                                }
                                Principal::Admin { .. } => {
                                    a href=(ui.url("/ui/admin")) { "Accounts" }
                                }
                            }
                        }
                        form.logout method="post" action=(ui.url("/ui/logout")) {
                            (user.csrf_field())
                            span.who { (user.name) }
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The page that asks before deleting something: `question` as its heading, `details` under
/// it, and a form posting to `action` (path under the UI's root) beside a way back to `keep`.
pub fn confirm_delete_page(
    user: &UiUser,
    title: &str,
    question: Markup,
    details: Markup,
    (action, button, keep): (&str, &str, &str),
) -> Response {
    let ui = &user.ui;
    let body = html! {
        section.card.narrow {
            h1 { (question) }
            (details)
            form method="post" action=(ui.url(action)) {
                (user.csrf_field())
                div.actions {
                    button.danger type="submit" { (button) }
                    a href=(ui.url(keep)) { "Keep it" }
                }
            }
        }
    };
    layout(ui, Some(user), title, body).into_response()
}

/// A field's error message, shown under it (and named by its `aria-describedby`).
pub fn field_error(id: &str, errors: &FieldErrors) -> Markup {
    html! {
        @if let Some(msg) = errors.get(id) {
            p.field-error id={(id) "-error"} role="alert" { (msg) }
        }
    }
}

/// Messages by form field, from the validation rules the API uses.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        self.0.push((field.to_owned(), msg.into()));
    }

    /// A validation error of the API, under the field its location names last.
    pub fn push(&mut self, err: crate::error::FieldError) {
        let field = err
            .loc
            .iter()
            .rev()
            .find_map(|v| v.as_str())
            .unwrap_or("form")
            .to_owned();
        self.0.push((field, err.msg));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `aria-describedby` for a field's input, when it has an error.
    pub fn described_by(&self, field: &str) -> Option<String> {
        self.get(field).map(|_| format!("{field}-error"))
    }
}

/// "3 days ago" for a time in microseconds, seen at `now`.
pub fn age(micros: i64, now: i64) -> String {
    let seconds = (now - micros).max(0) / 1_000_000;
    let (n, unit) = match seconds {
        s if s < 60 => return "just now".into(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 86_400 * 30 => (s / 86_400, "day"),
        s if s < 86_400 * 365 => (s / (86_400 * 30), "month"),
        s => (s / (86_400 * 365), "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        let now = 1_000_000_000_000_000;
        assert_eq!(age(now - 5_000_000, now), "just now");
        assert_eq!(age(now - 60_000_000, now), "1 minute ago");
        assert_eq!(age(now - 3 * 86_400_000_000, now), "3 days ago");
        assert_eq!(age(now - 400 * 86_400_000_000, now), "1 year ago");
        assert_eq!(age(now + 10, now), "just now");
    }
}
