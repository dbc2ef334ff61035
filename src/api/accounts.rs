//! `/account/`: accounts, managed by the admin; an account sees only itself.

use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{both, page, ErrorDetail, JsonBody, QueryParams};
use crate::api::{deleted, Json};
use crate::auth::{AdminCaller, Caller, Principal};
use crate::error::{ApiError, ApiResult};
use crate::model::Account;
use crate::state::AppState;
use crate::store::account_not_found;
use crate::validate;

#[derive(Deserialize, ToSchema)]
pub struct PostAccount {
    /// Email address; unique regardless of case.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 8 characters.
    #[schema(format = Password, min_length = 8)]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct PatchAccount {
    /// A new email address; unique regardless of case.
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// A new password, at least 8 characters; every earlier token of the account stops working.
    #[schema(format = Password, min_length = 8)]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    /// Only the account with this email (case-insensitive).
    pub email: Option<String>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Create an account (admin only).
#[utoipa::path(post, path = "/account/", tag = "accounts", request_body = PostAccount,
    responses((status = 200, body = Account),
        (status = 401, description = "Not authenticated, invalid token, or not the admin scope (Not enough permissions)", body = ErrorDetail),
        (status = 409, description = "Account with email … exists", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin"])))]
pub async fn post_account(
    State(state): State<AppState>,
    AdminCaller(_admin): AdminCaller,
    JsonBody(body): JsonBody<PostAccount>,
) -> ApiResult<Json<Account>> {
    let (email, password) = both(
        validate::email(&body.email),
        validate::password(&body.password),
    )?;
    let hash = state.passwords.hash(password).await?;
    Ok(Json(state.store.create_account(&email, &hash).await?))
}

/// List accounts: every account for the admin, only itself for an account.
#[utoipa::path(get, path = "/account/", tag = "accounts", params(AccountQuery),
    responses((status = 200, body = Vec<Account>),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn list_accounts(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<AccountQuery>,
) -> ApiResult<Json<Vec<Account>>> {
    let page = page(q.offset, q.limit)?;
    let accounts = state
        .store
        .list_accounts(caller.account_scope(), q.email.as_deref(), page)
        .await?;
    Ok(Json(accounts))
}

/// The account a caller may see under `account_id`, or the "not found" answer.
fn visible(caller: &Principal, account_id: &str) -> ApiResult<()> {
    match caller.account_scope() {
        Some(own) if own != account_id => Err(account_not_found(account_id)),
        _ => Ok(()),
    }
}

/// Get an account: any for the admin, only itself for an account.
#[utoipa::path(get, path = "/account/{account_id}", tag = "accounts",
    params(("account_id" = String, Path, description = "Id of the account")),
    responses((status = 200, body = Account),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Account with account_id '…' not found", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn get_account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(account_id): Path<String>,
) -> ApiResult<Json<Account>> {
    visible(&caller, &account_id)?;
    let account = state.store.get_account(&account_id).await?;
    account
        .map(Json)
        .ok_or_else(|| account_not_found(&account_id))
}

/// Delete an account with all its links, tags and tag-links; its tokens stop working.
#[utoipa::path(delete, path = "/account/{account_id}", tag = "accounts",
    params(("account_id" = String, Path, description = "Id of the account")),
    responses((status = 200, description = "Deleted: the JSON string \"OK\"", body = String, content_type = "application/json", example = json!("OK")),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Account with account_id '…' not found (account scope), Account id … not found (admin)", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn delete_account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(account_id): Path<String>,
) -> ApiResult<Json<&'static str>> {
    visible(&caller, &account_id)?;
    let account = state.store.delete_account(&account_id).await?;
    // The seed words this one differently from every other "not found" of an account.
    account
        .map(|_| deleted())
        .ok_or_else(|| ApiError::NotFound(format!("Account id {account_id} not found")))
}

/// Change an account's email and/or password: an account itself, or the admin any account.
/// A new password revokes every token issued to the account before.
#[utoipa::path(patch, path = "/account/{account_id}", tag = "accounts", request_body = PatchAccount,
    params(("account_id" = String, Path, description = "Id of the account")),
    responses((status = 200, description = "The changed account", body = Account),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 404, description = "Account with account_id '…' not found", body = ErrorDetail),
        (status = 409, description = "Account with email … exists", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn patch_account(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(account_id): Path<String>,
    JsonBody(body): JsonBody<PatchAccount>,
) -> ApiResult<Json<Account>> {
    visible(&caller, &account_id)?;
    if body.email.is_none() && body.password.is_none() {
        return Err(ApiError::Unprocessable(
            "One or both of email and password must be specified".into(),
        ));
    }
    let (email, password) = both(
        body.email.as_deref().map(validate::email).transpose(),
        body.password.as_deref().map(validate::password).transpose(),
    )?;
    let hash = match password {
        Some(password) => Some(state.passwords.hash(password).await?),
        None => None,
    };
    let account = state
        .store
        .update_account(&account_id, email.as_deref(), hash.as_deref())
        .await?;
    account
        .map(Json)
        .ok_or_else(|| account_not_found(&account_id))
}
