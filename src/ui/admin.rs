//! The admin's pages: every account with its number of links; create an account, reset its
//! password, delete it.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::session::CsrfForm;
use super::{
    age, confirm_delete_page, field_error, layout, redirect, FieldErrors, UiError, UiForm, UiQuery,
    UiResult, UiUser,
};
use crate::error::ApiError;
use crate::model::{format_micros, now_micros};
use crate::state::AppState;
use crate::validate;

fn require_admin(user: &UiUser) -> UiResult<()> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(UiError::Forbidden)
    }
}

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    done: Option<String>,
}

async fn page(
    state: &AppState,
    user: &UiUser,
    notice: Option<&str>,
    errors: &FieldErrors,
    email_value: &str,
) -> UiResult<Response> {
    let accounts = state.store.accounts_with_counts().await?;
    let ui = &user.ui;
    let now = now_micros();
    let body = html! {
        h1 { "Accounts" }
        @if let Some(notice) = notice { p.notice.ok role="status" { (notice) } }
        @if accounts.is_empty() { p.muted { "No accounts yet." } }
        @else {
            div.table-wrap {
                table #accounts {
                    thead { tr { th { "Email" } th.num { "Links" } th.optional { "Created" } th { "Reset password" } th { span.visually-hidden { "Delete" } } } }
                    tbody {
                        @for a in &accounts {
                            @let id = &a.account.account_id;
                            @let field = format!("password-{id}");
                            tr {
                                td.email { (a.account.email) }
                                td.num { (a.link_count) }
                                td.optional {
                                    @let exact = format_micros(a.account.created_at);
                                    time datetime=(exact) title=(exact) { (age(a.account.created_at, now)) }
                                }
                                td {
                                    form method="post" action=(ui.url(&format!("/ui/admin/accounts/{id}/password"))) {
                                        (user.csrf_field())
                                        label.visually-hidden for=(field) { "New password for " (a.account.email) }
                                        input id=(field) name="password" type="password" required
                                            autocomplete="new-password" placeholder="New password"
                                            aria-describedby=[errors.described_by(&field)];
                                        button type="submit" { "Reset" }
                                    }
                                    (field_error(&field, errors))
                                }
                                td { a href=(ui.url(&format!("/ui/admin/accounts/{id}/delete"))) { "Delete…" } }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Create an account" }
            form method="post" action=(ui.url("/ui/admin")) {
                (user.csrf_field())
                label for="email" { "Email" }
                input #email name="email" type="email" required value=(email_value) autocomplete="off"
                    aria-describedby=[errors.described_by("email")];
                (field_error("email", errors))
                label for="password" { "Password (at least 8 characters)" }
                input #password name="password" type="password" required autocomplete="new-password"
                    aria-describedby=[errors.described_by("password")];
                (field_error("password", errors))
                div.actions { button.primary type="submit" { "Create account" } }
            }
        }
    };
    Ok(layout(ui, Some(user), "Accounts", body).into_response())
}

pub async fn index(
    State(state): State<AppState>,
    user: UiUser,
    UiQuery(q): UiQuery<AdminQuery>,
) -> UiResult<Response> {
    require_admin(&user)?;
    let notice = match q.done.as_deref() {
        Some("created") => Some("The account is created."),
        Some("reset") => {
            Some("The password is reset; the account's sessions and login tokens are ended.")
        }
        Some("deleted") => Some("The account and all its links are deleted."),
        _ => None,
    };
    page(&state, &user, notice, &FieldErrors::default(), "").await
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn create_account(
    State(state): State<AppState>,
    user: UiUser,
    UiForm(form): UiForm<AccountForm>,
) -> UiResult<Response> {
    require_admin(&user)?;
    user.check_csrf(&form.csrf)?;
    let mut errors = FieldErrors::default();
    let email = validate::email(&form.email)
        .map_err(|e| errors.push(e))
        .ok();
    let password = validate::password(&form.password)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(email), Some(password)) = (email, password) else {
        return page(&state, &user, None, &errors, &form.email).await;
    };
    let hash = state.passwords.hash(password).await?;
    match state.store.create_account(&email, &hash).await {
        Ok(_) => Ok(redirect(&user.ui.url("/ui/admin?done=created"))),
        Err(ApiError::Conflict(_)) => {
            errors.add("email", "An account with this email already exists.");
            page(&state, &user, None, &errors, &form.email).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    user: UiUser,
    Path(account_id): Path<String>,
    UiForm(form): UiForm<ResetForm>,
) -> UiResult<Response> {
    require_admin(&user)?;
    user.check_csrf(&form.csrf)?;
    let password = match validate::password(&form.password) {
        Ok(p) => p,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add(&format!("password-{account_id}"), e.msg);
            return page(&state, &user, None, &errors, "").await;
        }
    };
    let hash = state.passwords.hash(password).await?;
    state
        .store
        .update_account(&account_id, None, Some(&hash))
        .await?
        .ok_or(UiError::NotFound)?;
    state.store.delete_sessions_of(&account_id).await?;
    Ok(redirect(&user.ui.url("/ui/admin?done=reset")))
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    user: UiUser,
    Path(account_id): Path<String>,
) -> UiResult<Response> {
    require_admin(&user)?;
    let account = state
        .store
        .get_account(&account_id)
        .await?
        .ok_or(UiError::NotFound)?;
    Ok(confirm_delete_page(
        &user,
        "Delete account",
        html! { "Delete the account " (account.email) "?" },
        html! { p { "Its links, tags and tokens are deleted with it. This cannot be undone." } },
        (
            &format!("/ui/admin/accounts/{account_id}/delete"),
            "Delete the account",
            "/ui/admin",
        ),
    ))
}

pub async fn delete_account(
    State(state): State<AppState>,
    user: UiUser,
    Path(account_id): Path<String>,
    UiForm(form): UiForm<CsrfForm>,
) -> UiResult<Response> {
    require_admin(&user)?;
    user.check_csrf(&form.csrf)?;
    state
        .store
        .delete_account(&account_id)
        .await?
        .ok_or(UiError::NotFound)?;
    state.store.delete_sessions_of(&account_id).await?;
    Ok(redirect(&user.ui.url("/ui/admin?done=deleted")))
}
