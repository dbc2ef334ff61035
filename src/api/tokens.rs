//! `/account/{account_id}/token/`: an account's personal API tokens, for scripts and browser
//! extensions that need more than a 30-minute JWT.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::{ErrorDetail, JsonBody};
use crate::api::{deleted, Json};
use crate::auth::{new_personal_token, Caller, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::account_not_found;
use crate::store::tokens::ApiToken;
use crate::validate;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostToken {
    /// What the token is for, 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `true`: the token may only read (GET, HEAD); anything else it sends is answered 403.
    #[serde(default)]
    pub read_only: bool,
}

/// A new token: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewToken {
    #[serde(flatten)]
    pub info: ApiToken,
    /// The secret, `tm_…`: send it as `Authorization: Bearer tm_…`. It cannot be shown again.
    pub token: String,
}

/// The account whose tokens `caller` may manage under `account_id`: its own, or any for the
/// admin (which must exist).
async fn owner(state: &AppState, caller: &Principal, account_id: &str) -> ApiResult<()> {
    match caller.account_scope() {
        Some(own) if own != account_id => Err(account_not_found(account_id)),
        Some(_) => Ok(()),
        None => match state.store.get_account(account_id).await? {
            Some(_) => Ok(()),
            None => Err(account_not_found(account_id)),
        },
    }
}

/// Create a personal API token. Its secret is in this answer only.
#[utoipa::path(post, path = "/account/{account_id}/token/", operation_id = "create_personal_token", tag = "accounts", request_body = PostToken,
    params(("account_id" = String, Path, description = "Id of the account")),
    responses((status = 200, body = NewToken),
        (status = 404, description = "Account not found", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn post_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(account_id): Path<String>,
    JsonBody(body): JsonBody<PostToken>,
) -> ApiResult<Json<NewToken>> {
    owner(&state, &caller, &account_id).await?;
    let name = validate::token_name(&body.name).map_err(|e| ApiError::Validation(vec![e]))?;
    let (token, hash) = new_personal_token();
    let info = state
        .store
        .create_api_token(&account_id, &name, body.read_only, &hash)
        .await?;
    Ok(Json(NewToken { info, token }))
}

/// List an account's personal API tokens, oldest first, with when each was last used.
#[utoipa::path(get, path = "/account/{account_id}/token/", operation_id = "list_personal_tokens", tag = "accounts",
    params(("account_id" = String, Path, description = "Id of the account")),
    responses((status = 200, body = Vec<ApiToken>),
        (status = 404, description = "Account not found", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(account_id): Path<String>,
) -> ApiResult<Json<Vec<ApiToken>>> {
    owner(&state, &caller, &account_id).await?;
    Ok(Json(state.store.list_api_tokens(&account_id).await?))
}

/// Revoke a personal API token: it stops working at once.
#[utoipa::path(delete, path = "/account/{account_id}/token/{token_id}", operation_id = "delete_personal_token", tag = "accounts",
    params(("account_id" = String, Path, description = "Id of the account"),
        ("token_id" = String, Path, description = "Id of the token")),
    responses((status = 200, description = "Revoked: the JSON string \"OK\"", body = String, content_type = "application/json", example = json!("OK")),
        (status = 404, description = "Account or token not found", body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn delete_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((account_id, token_id)): Path<(String, String)>,
) -> ApiResult<Json<&'static str>> {
    owner(&state, &caller, &account_id).await?;
    state
        .store
        .delete_api_token(&account_id, &token_id)
        .await?
        .map(|_| deleted())
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Token with token_id {token_id} not found for account_id {account_id}"
            ))
        })
}
