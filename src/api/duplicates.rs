//! `GET /link/check/`: does the caller already have this link? URLs are compared normalised
//! (see [`crate::urlkey`]).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ErrorDetail, QueryParams};
use crate::api::Json;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::model::Link;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// The URL to look for. Scheme and host are compared regardless of case, the scheme's
    /// default port is dropped and one trailing slash of the path is ignored.
    pub url: String,
    /// Admin: look in this account only (without it, in every account). Account scope: omit
    /// or give your own.
    pub account_id: Option<String>,
}

/// Answer of `GET /link/check/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckAnswer {
    /// The caller's link with that URL (the oldest, if several), or `null`.
    pub link: Option<Link>,
}

/// Whether the caller already has a link with this URL (normalised).
#[utoipa::path(get, path = "/link/check/", tag = "links", params(CheckQuery),
    responses((status = 200, body = CheckAnswer),
        (status = 401, description = "Not authenticated, invalid token, or not enough permissions", body = ErrorDetail),
        (status = 422, body = ErrorDetail)),
    security(("oauth2" = ["admin", "account"])))]
pub async fn check_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryParams(q): QueryParams<CheckQuery>,
) -> ApiResult<Json<CheckAnswer>> {
    let account = caller.target_account(q.account_id.as_deref(), false)?;
    let link = state
        .store
        .find_duplicate(account.as_deref(), &q.url)
        .await?;
    Ok(Json(CheckAnswer { link }))
}
