//! The settings page: email, password, personal API tokens, and the bookmarklet.

use axum::extract::{Path, State};
use axum::http::header::HOST;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::session::{start_session, CsrfForm};
use super::{
    age, field_error, layout, redirect, FieldErrors, UiError, UiForm, UiQuery, UiResult, UiUser,
};
use crate::auth::{check_credentials, new_personal_token};
use crate::error::ApiError;
use crate::model::{format_micros, now_micros};
use crate::state::AppState;
use crate::validate;

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    done: Option<String>,
}

/// What the page shows besides the stored state.
#[derive(Default)]
struct View {
    notice: Option<&'static str>,
    errors: FieldErrors,
    /// A token just created: its secret, shown this once.
    new_token: Option<String>,
    email_value: Option<String>,
}

/// The bookmarklet: opens the save page in a popup with this page's URL, title and selection.
fn bookmarklet(origin: &str) -> String {
    format!(
        "javascript:(function(){{var d=document,w=window,s=String(w.getSelection?w.getSelection():'');\
         w.open('{origin}/ui/save?url='+encodeURIComponent(location.href)+'&title='+\
         encodeURIComponent(d.title)+'&description='+encodeURIComponent(s),'tagmark',\
         'width=640,height=720,resizable=yes,scrollbars=yes');}})();"
    )
}

/// Scheme, host and root path the browser reached us at.
fn origin(user: &UiUser, headers: &HeaderMap) -> String {
    let https = user.ui.tls
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.contains(['\'', '"', '\\', '<', '>', ' ']))
        .unwrap_or("localhost");
    format!(
        "{}://{host}{}",
        if https { "https" } else { "http" },
        user.ui.root
    )
}

async fn page(
    state: &AppState,
    user: &UiUser,
    headers: &HeaderMap,
    view: View,
) -> UiResult<Response> {
    let account_id = user.account_id()?;
    let account = state
        .store
        .get_account(account_id)
        .await?
        .ok_or(UiError::NotFound)?;
    let tokens = state.store.list_api_tokens(account_id).await?;
    let ui = &user.ui;
    let errors = &view.errors;
    let now = now_micros();
    let email = view.email_value.as_deref().unwrap_or(&account.email);
    let body: Markup = html! {
        h1 { "Settings" }
        @if let Some(notice) = view.notice { p.notice.ok role="status" { (notice) } }
        section.card {
            h2 { "Email" }
            form method="post" action=(ui.url("/ui/settings/email")) {
                (user.csrf_field())
                label for="email" { "Email (you log in with it)" }
                input #email name="email" type="email" value=(email) required autocomplete="email"
                    aria-describedby=[errors.described_by("email")];
                (field_error("email", errors))
                div.actions { button.primary type="submit" { "Change email" } }
            }
        }
        section.card {
            h2 { "Password" }
            p.hint { "A new password logs out every other session and ends every login token (not personal API tokens)." }
            form method="post" action=(ui.url("/ui/settings/password")) {
                (user.csrf_field())
                label for="current" { "Current password" }
                input #current name="current" type="password" required autocomplete="current-password"
                    aria-describedby=[errors.described_by("current")];
                (field_error("current", errors))
                label for="password" { "New password (at least 8 characters)" }
                input #password name="password" type="password" required autocomplete="new-password"
                    aria-describedby=[errors.described_by("password")];
                (field_error("password", errors))
                div.actions { button.primary type="submit" { "Change password" } }
            }
        }
        section.card #tokens {
            h2 { "Personal API tokens" }
            p.hint {
                "For scripts and browser extensions: send "
                code { "Authorization: Bearer tm_…" }
                " to the API. A token acts with your account's rights; a read-only one may only read."
            }
            @if let Some(secret) = &view.new_token {
                // The script turns this answer to a POST into the settings page's own address,
                // so that reloading it shows the page instead of creating another token.
                div.notice role="status" data-replace-url=(ui.url("/ui/settings")) {
                    p { strong { "Copy your new token now; it is not shown again." } }
                    code.secret #new-token { (secret) }
                }
            }
            @if !tokens.is_empty() {
                div.table-wrap {
                    table #token-list {
                        thead { tr { th { "Name" } th { "Access" } th.optional { "Created" } th { "Last used" } th { span.visually-hidden { "Revoke" } } } }
                        tbody {
                            @for t in &tokens {
                                tr {
                                    td { (t.name) }
                                    td { @if t.read_only { "read-only" } @else { "read-write" } }
                                    td.optional {
                                        @let exact = format_micros(t.created_at);
                                        time datetime=(exact) title=(exact) { (age(t.created_at, now)) }
                                    }
                                    td.last-used {
                                        @match t.last_used_at {
                                            Some(at) => {
                                                @let exact = format_micros(at);
                                                time datetime=(exact) title=(exact) { (age(at, now)) }
                                            }
                                            None => { "never" }
                                        }
                                    }
                                    td {
                                        form method="post" action=(ui.url(&format!("/ui/settings/tokens/{}/delete", t.token_id))) {
                                            (user.csrf_field())
                                            button.danger type="submit" aria-label={"Revoke " (t.name)} { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form #create-token method="post" action=(ui.url("/ui/settings/tokens")) {
                (user.csrf_field())
                label for="token-name" { "Name of a new token" }
                input #token-name name="name" type="text" required maxlength="100"
                    placeholder="e.g. backup script" aria-describedby=[errors.described_by("name")];
                (field_error("name", errors))
                fieldset.choice {
                    legend { "Access" }
                    label { input type="radio" name="access" value="read-only" checked; " Read-only" }
                    label { input type="radio" name="access" value="read-write"; " Read-write" }
                }
                div.actions { button.primary type="submit" { "Create token" } }
            }
        }
        section.card #bookmarklet {
            h2 { "Bookmarklet" }
            p {
                "Drag this link to your bookmarks bar: "
                a.button #bookmarklet-link href=(bookmarklet(&origin(user, headers))) { "Save to tagmark" }
            }
            p.hint {
                "On any page, click it to save the page in a small window, with its title and any \
                 text you selected as the description. If you saved the page before, the window \
                 edits that bookmark instead."
            }
        }
    };
    Ok(layout(ui, Some(user), "Settings", body).into_response())
}

pub async fn index(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    UiQuery(q): UiQuery<SettingsQuery>,
) -> UiResult<Response> {
    let notice = match q.done.as_deref() {
        Some("email") => Some("Your email is changed."),
        Some("password") => Some("Your password is changed; other sessions are logged out."),
        Some("revoked") => Some("The token is revoked."),
        _ => None,
    };
    let view = View {
        notice,
        ..View::default()
    };
    page(&state, &user, &headers, view).await
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

pub async fn change_email(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    UiForm(form): UiForm<EmailForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    let account_id = user.account_id()?.to_owned();
    let mut view = View {
        email_value: Some(form.email.clone()),
        ..View::default()
    };
    let email = match validate::email(&form.email) {
        Ok(email) => email,
        Err(e) => {
            view.errors.push(e);
            return page(&state, &user, &headers, view).await;
        }
    };
    match state
        .store
        .update_account(&account_id, Some(&email), None)
        .await
    {
        Ok(_) => {
            state.store.rename_sessions_of(&account_id, &email).await?;
            Ok(redirect(&user.ui.url("/ui/settings?done=email")))
        }
        Err(ApiError::Conflict(_)) => {
            view.errors.add("email", "Another account has this email.");
            page(&state, &user, &headers, view).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
}

/// A new password: every session and login token of the account ends, and this browser gets
/// a new session.
pub async fn change_password(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    UiForm(form): UiForm<PasswordForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    let account_id = user.account_id()?.to_owned();
    let mut view = View::default();
    let account = state
        .store
        .get_account(&account_id)
        .await?
        .ok_or(UiError::NotFound)?;
    let current = check_credentials(&state, &account.email, form.current, false).await;
    match current {
        Ok(_) => {}
        Err(ApiError::LoginFailed) => view.errors.add("current", "This is not your password."),
        Err(e) => return Err(e.into()),
    }
    let password = validate::password(&form.password)
        .map_err(|e| view.errors.push(e))
        .ok();
    let (Some(password), true) = (password, view.errors.is_empty()) else {
        return page(&state, &user, &headers, view).await;
    };
    let hash = state.passwords.hash(password.clone()).await?;
    state
        .store
        .update_account(&account_id, None, Some(&hash))
        .await?
        .ok_or(UiError::NotFound)?;
    state.store.delete_sessions_of(&account_id).await?;
    let creds = check_credentials(&state, &account.email, password, false).await?;
    start_session(
        &state,
        &user.ui,
        &headers,
        &creds,
        false,
        "/ui/settings?done=password",
    )
    .await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    access: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    UiForm(form): UiForm<TokenForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    let account_id = user.account_id()?.to_owned();
    let mut view = View::default();
    match validate::token_name(&form.name) {
        Ok(name) => {
            let (secret, hash) = new_personal_token();
            let read_only = form.access != "read-write";
            state
                .store
                .create_api_token(&account_id, &name, read_only, &hash)
                .await?;
            view.new_token = Some(secret);
        }
        Err(e) => view.errors.push(e),
    }
    page(&state, &user, &headers, view).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    user: UiUser,
    Path(token_id): Path<String>,
    UiForm(form): UiForm<CsrfForm>,
) -> UiResult<Response> {
    user.check_csrf(&form.csrf)?;
    let account_id = user.account_id()?;
    state
        .store
        .delete_api_token(account_id, &token_id)
        .await?
        .ok_or(UiError::NotFound)?;
    Ok(redirect(&user.ui.url("/ui/settings?done=revoked#tokens")))
}
