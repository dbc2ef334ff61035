//! `/token/`: the OAuth2 password flow.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::extract::{ErrorDetail, FormBody};
use crate::api::Json;
use crate::app::AppState;
use crate::auth::{login, parse_scope, TokenResponse, MAX_PASSWORD_BYTES};
use crate::error::{ApiError, ApiResult};
use crate::throttle::client_address;

#[derive(Deserialize, ToSchema)]
pub struct LoginForm {
    /// Admin username (scope `admin`) or account email (scope `account`).
    pub username: String,
    #[schema(format = Password)]
    pub password: String,
    /// `admin` or `account`; absent means `account`.
    pub scope: Option<String>,
    /// `password` if given.
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// Log in and get a bearer token.
#[utoipa::path(post, path = "/token/", tag = "auth",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse),
        (status = 400, description = "Unknown or several scopes, or a grant type other than password", body = ErrorDetail),
        (status = 401, description = "Incorrect username or password", body = ErrorDetail),
        (status = 422, description = "Missing form fields", body = ErrorDetail),
        (status = 429, description = "Too many failed logins for this username or client address; see Retry-After", body = ErrorDetail)))]
pub async fn post_token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    FormBody(form): FormBody<LoginForm>,
) -> ApiResult<impl IntoResponse> {
    if form.grant_type.as_deref().is_some_and(|g| g != "password") {
        return Err(ApiError::BadRequest(
            "Unsupported grant_type; only password is accepted".into(),
        ));
    }
    let scope = parse_scope(form.scope.as_deref())?;
    let username = form.username.trim();
    let address = client_address(Some(peer.ip()), &headers, &state.trusted_proxies);
    state
        .throttle
        .check(username, address)
        .map_err(ApiError::TooManyRequests)?;
    let result = if form.password.len() > MAX_PASSWORD_BYTES {
        Err(ApiError::LoginFailed)
    } else {
        login(&state, username, form.password, scope).await
    };
    match &result {
        Ok(_) => state.throttle.succeeded(username),
        Err(ApiError::LoginFailed) => state.throttle.failed(username, address),
        Err(_) => {}
    }
    let token = result?;
    Ok((
        [(CACHE_CONTROL, "no-store"), (PRAGMA, "no-cache")],
        Json(token),
    ))
}
