//! Logging in and out of the web app: the session cookie, the session extractor, and CSRF
//! tokens. A session is a random secret in an `HttpOnly`, `SameSite=Lax` cookie; the database
//! keeps only its hash, with the principal's security stamp, so that a password change ends
//! it as it ends tokens. Only `/ui/` reads the cookie: the API takes Bearer tokens alone.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use maud::{html, Markup};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{layout, redirect, ui_config, Ui, UiConfig, UiError, UiForm, UiQuery, UiResult};
use crate::auth::{check_credentials, Principal, MAX_PASSWORD_BYTES};
use crate::error::ApiError;
use crate::model::{now_micros, Credentials};
use crate::state::AppState;
use crate::store::sessions::NewSession;
use crate::throttle::client_address;

pub const SESSION_COOKIE: &str = "tagmark_session";
/// Set by the login page, so that its form carries a CSRF token before any session exists.
pub const LOGIN_COOKIE: &str = "tagmark_login";
/// A session lasts this long from its login.
pub const SESSION_DAYS: i64 = 14;

/// A logged-in person, as the pages see them. Taking it as an argument makes a page need a
/// session: without one the browser is sent to the login page.
pub struct UiUser {
    pub principal: Principal,
    /// Email or admin username.
    pub name: String,
    pub session_hash: String,
    /// The token every changing form of this session carries.
    pub csrf: String,
    pub ui: Arc<UiConfig>,
}

impl UiUser {
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }

    /// Refuse a form that does not carry this session's CSRF token.
    pub fn check_csrf(&self, given: &str) -> UiResult<()> {
        if constant_time_eq(given.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(UiError::Csrf)
        }
    }

    /// The account of an account's session; an admin gets the "not for this login" page.
    pub fn account_id(&self) -> UiResult<&str> {
        self.principal.account_scope().ok_or(UiError::Forbidden)
    }

    pub fn is_admin(&self) -> bool {
        matches!(self.principal, Principal::Admin { .. })
    }
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> UiResult<Self> {
        let ui = ui_config(parts)?;
        let next = if parts.method == Method::GET {
            // The URI as routed to `/ui` (a nested router sees only the rest).
            let uri = parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .map_or(&parts.uri, |o| &o.0);
            let path = uri.path();
            match uri.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.to_owned(),
            }
        } else {
            "/ui/".to_owned()
        };
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(UiError::Login {
                next: safe_next(Some(&next)),
                expired: false,
            });
        };
        let session_hash = hash_secret(secret);
        let expired = || UiError::Login {
            next: safe_next(Some(&next)),
            expired: true,
        };
        let Some(row) = state.store.find_session(&session_hash).await? else {
            return Err(expired());
        };
        if !row.stamp_current || row.expires_at <= now_micros() {
            state.store.delete_session(&session_hash).await?;
            return Err(expired());
        }
        let principal = if row.is_admin {
            Principal::Admin {
                user_id: row.principal_id,
                username: row.name.clone(),
            }
        } else {
            Principal::Account {
                account_id: row.principal_id,
                email: row.name.clone(),
            }
        };
        Ok(UiUser {
            principal,
            name: row.name,
            csrf: derive("csrf", secret),
            session_hash,
            ui,
        })
    }
}

/// A session's secret: 256 random bits, URL-safe.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// A value derived from a secret for one purpose (a CSRF token): knowing it tells nothing of
/// the secret, and without the secret it cannot be made.
fn derive(purpose: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"tagmark-ui\0");
    h.update(purpose.as_bytes());
    h.update(b"\0");
    h.update(secret.as_bytes());
    hex(&h.finalize()[..16])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Whether the browser reached us over HTTPS (natively, or through a proxy that says so).
fn is_https(ui: &UiConfig, headers: &HeaderMap) -> bool {
    ui.tls
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("tagmark_invalid=; Max-Age=0"))
}

/// Removes the session cookie.
pub fn clear_cookie(ui: &UiConfig) -> HeaderValue {
    set_cookie(SESSION_COOKIE, "", 0, ui.tls)
}

/// Where to go after logging in: a page of the app, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/ui" || n.starts_with("/ui/") || n.starts_with("/ui?"))
                && !n.contains("//")
                && !n.contains('\\') =>
        {
            if n == "/ui" {
                "/ui/".into()
            } else {
                n.to_owned()
            }
        }
        _ => "/ui/".into(),
    }
}

/// Start a session for `creds` and answer with its cookie and a redirect to `next`.
pub async fn start_session(
    state: &AppState,
    ui: &UiConfig,
    headers: &HeaderMap,
    creds: &Credentials,
    is_admin: bool,
    next: &str,
) -> UiResult<Response> {
    let secret = new_secret();
    let session_hash = hash_secret(&secret);
    let max_age = SESSION_DAYS * 86_400;
    state
        .store
        .create_session(&NewSession {
            session_hash: &session_hash,
            is_admin,
            principal_id: &creds.id,
            name: &creds.name,
            security_stamp: &creds.security_stamp,
            expires_at: now_micros() + max_age * 1_000_000,
        })
        .await?;
    let mut response = redirect(&ui.url(next));
    let secure = is_https(ui, headers);
    let jar = response.headers_mut();
    jar.append(
        SET_COOKIE,
        set_cookie(SESSION_COOKIE, &secret, max_age, secure),
    );
    jar.append(SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0, secure));
    Ok(response)
}

// ---- pages ----------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    out: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// What the login form shows besides its fields.
struct LoginView<'a> {
    next: &'a str,
    username: &'a str,
    admin: bool,
    notice: Option<&'a str>,
    error: Option<String>,
}

fn login_markup(ui: &UiConfig, csrf: &str, view: &LoginView<'_>) -> Markup {
    layout(
        ui,
        None,
        "Log in",
        html! {
            section.card.narrow {
                h1 { "Log in" }
                @if let Some(notice) = view.notice {
                    p.notice role="status" { (notice) }
                }
                @if let Some(error) = &view.error {
                    p.form-error #login-error role="alert" { (error) }
                }
                form method="post" action=(ui.url("/ui/login")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="next" value=(view.next);
                    fieldset.choice {
                        legend { "Log in as" }
                        label { input type="radio" name="scope" value="account" checked[!view.admin]; " Account" }
                        label { input type="radio" name="scope" value="admin" checked[view.admin]; " Admin" }
                    }
                    label for="username" { "Email (account) or username (admin)" }
                    input #username name="username" type="text" autocomplete="username" required
                        autofocus value=(view.username)
                        aria-describedby=[view.error.as_ref().map(|_| "login-error")];
                    label for="password" { "Password" }
                    input #password name="password" type="password" autocomplete="current-password" required;
                    button.primary type="submit" { "Log in" }
                }
            }
        },
    )
}

/// The login form; someone already logged in goes on to `next`.
pub async fn login_page(
    State(state): State<AppState>,
    Ui(ui): Ui,
    headers: HeaderMap,
    UiQuery(q): UiQuery<LoginQuery>,
    user: Option<UiUser>,
) -> UiResult<Response> {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return Ok(redirect(&ui.url(&next)));
    }
    let _ = &state;
    let notice = if q.out.is_some() {
        Some("You are logged out.")
    } else if q.expired.is_some() {
        Some("Your session has expired. Log in again to go on.")
    } else {
        None
    };
    let existing = cookie(&headers, LOGIN_COOKIE).map(str::to_owned);
    let fresh = existing.is_none();
    let login_secret = existing.unwrap_or_else(new_secret);
    let view = LoginView {
        next: &next,
        username: "",
        admin: false,
        notice,
        error: None,
    };
    let mut response = login_markup(&ui, &derive("login", &login_secret), &view).into_response();
    if fresh {
        response.headers_mut().append(
            SET_COOKIE,
            set_cookie(LOGIN_COOKIE, &login_secret, 3600, is_https(&ui, &headers)),
        );
    }
    Ok(response)
}

impl axum::extract::OptionalFromRequestParts<AppState> for UiUser {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> UiResult<Option<Self>> {
        match <UiUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(UiError::Login { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Check the credentials (throttled together with `/token/`) and start a session.
pub async fn login(
    State(state): State<AppState>,
    Ui(ui): Ui,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    UiForm(form): UiForm<LoginForm>,
) -> UiResult<Response> {
    let login_secret = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if login_secret.is_empty()
        || !constant_time_eq(
            form.csrf.as_bytes(),
            derive("login", login_secret).as_bytes(),
        )
    {
        return Err(UiError::Csrf);
    }
    let next = safe_next(form.next.as_deref());
    let admin = form.scope.as_deref() == Some("admin");
    let username = form.username.trim();
    let address = client_address(Some(peer.ip()), &headers, &state.trusted_proxies);
    let again = |status: StatusCode, error: String| {
        let view = LoginView {
            next: &next,
            username,
            admin,
            notice: None,
            error: Some(error),
        };
        (status, login_markup(&ui, &form.csrf, &view)).into_response()
    };
    if let Err(wait) = state.throttle.check(username, address) {
        let minutes = wait.div_ceil(60);
        return Ok(again(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many failed logins. Try again in {minutes} minute(s)."),
        ));
    }
    let result = if form.password.len() > MAX_PASSWORD_BYTES {
        Err(ApiError::LoginFailed)
    } else {
        check_credentials(&state, username, form.password.clone(), admin).await
    };
    match result {
        Ok(creds) => {
            state.throttle.succeeded(username);
            let next = if admin && next == "/ui/" {
                "/ui/admin"
            } else {
                &next
            };
            start_session(&state, &ui, &headers, &creds, admin, next).await
        }
        Err(ApiError::LoginFailed) => {
            state.throttle.failed(username, address);
            let what = if admin { "username" } else { "email" };
            Ok(again(
                StatusCode::OK,
                format!("Incorrect {what} or password."),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// End the session and forget the cookie.
pub async fn logout(
    State(state): State<AppState>,
    user: UiUser,
    UiForm(form): UiForm<CsrfForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    state.store.delete_session(&user.session_hash).await?;
    let mut response = redirect(&user.ui.url("/ui/login?out=1"));
    response
        .headers_mut()
        .append(SET_COOKIE, clear_cookie(&user.ui));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_in_the_app() {
        assert_eq!(safe_next(Some("/ui/tags")), "/ui/tags");
        assert_eq!(safe_next(Some("/ui")), "/ui/");
        assert_eq!(safe_next(Some("/ui?q=a")), "/ui?q=a");
        assert_eq!(safe_next(Some("https://evil.example/ui/")), "/ui/");
        assert_eq!(safe_next(Some("//evil.example/ui/")), "/ui/");
        assert_eq!(safe_next(Some("/ui//evil.example")), "/ui/");
        assert_eq!(safe_next(Some("/uix")), "/ui/");
        assert_eq!(safe_next(None), "/ui/");
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; tagmark_session=xyz; b="),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "b"), None);
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn derived_tokens_differ_by_purpose_and_secret() {
        assert_ne!(derive("csrf", "s"), derive("login", "s"));
        assert_ne!(derive("csrf", "s"), derive("csrf", "t"));
        assert_eq!(derive("csrf", "s").len(), 32);
    }
}
