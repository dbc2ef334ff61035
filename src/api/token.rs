//! `/token/`: the OAuth2 password flow.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde::{Deserialize, Deserializer};
use serde_json::json;
use utoipa::ToSchema;

use crate::api::extract::{ErrorDetail, FormBody};
use crate::api::Json;
use crate::auth::{login, parse_scope, TokenResponse, MAX_PASSWORD_BYTES};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;
use crate::throttle::client_address;

/// The login form. As with FastAPI's `OAuth2PasswordRequestForm`, a field sent empty counts as
/// absent: the seed's client and Swagger UI send `grant_type=&client_id=&client_secret=`.
#[derive(Deserialize, ToSchema)]
pub struct LoginForm {
    /// Admin username (scope `admin`) or account email (scope `account`).
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schema(value_type = String, required = true)]
    pub username: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schema(value_type = String, format = Password, required = true)]
    pub password: Option<String>,
    /// `admin` or `account`; absent or empty means `account`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub scope: Option<String>,
    /// `password` if given; sent empty (as the seed's client and Swagger UI do), it counts as
    /// absent.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schema(pattern = "^(password)?$")]
    pub grant_type: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub client_secret: Option<String>,
}

fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|v| !v.is_empty()))
}

/// The fields FastAPI's form validation would refuse, all at once, in its 422 shape.
fn check_form(form: LoginForm) -> ApiResult<(String, String, Option<String>)> {
    let mut errors = Vec::new();
    for (name, value) in [("username", &form.username), ("password", &form.password)] {
        if value.is_none() {
            errors.push(FieldError::new(
                vec![json!("body"), json!(name)],
                "Field required",
                "missing",
            ));
        }
    }
    if form.grant_type.as_deref().is_some_and(|g| g != "password") {
        errors.push(FieldError::new(
            vec![json!("body"), json!("grant_type")],
            "String should match pattern '^password$'",
            "string_pattern_mismatch",
        ));
    }
    match (form.username, form.password) {
        (Some(username), Some(password)) if errors.is_empty() => {
            Ok((username, password, form.scope))
        }
        _ => Err(ApiError::Validation(errors)),
    }
}

/// Log in and get a bearer token.
#[utoipa::path(post, path = "/token/", tag = "auth",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse),
        (status = 401, description = "Incorrect username or password, or a wrong, unknown or more than one scope", body = ErrorDetail),
        (status = 422, description = "Missing form fields, or a grant_type other than password", body = ErrorDetail),
        (status = 429, description = "Too many failed logins for this username or client address; see Retry-After", body = ErrorDetail)))]
pub async fn post_token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    FormBody(form): FormBody<LoginForm>,
) -> ApiResult<impl IntoResponse> {
    let (username, password, scope) = check_form(form)?;
    let scope = parse_scope(scope.as_deref())?;
    let username = username.trim();
    let address = client_address(Some(peer.ip()), &headers, &state.trusted_proxies);
    state
        .throttle
        .check(username, address)
        .map_err(ApiError::TooManyRequests)?;
    let result = if password.len() > MAX_PASSWORD_BYTES {
        Err(ApiError::LoginFailed)
    } else {
        login(&state, username, password, scope).await
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
