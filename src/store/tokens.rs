//! Personal API tokens: long-lived `tm_…` secrets an account makes for scripts and browser
//! extensions. Only their SHA-256 is stored; they act with the account's rights, read-only
//! ones for reads alone.

use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use super::conn::{FromRow, Row};
use super::{Sql, Store};
use crate::error::{ApiResult, DbError};
use crate::model::{format_micros, new_id, now_micros, Micros};

/// A personal API token as listed (never with its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    pub token_id: String,
    pub account_id: String,
    /// What the token is for, as its owner named it.
    pub name: String,
    /// Read-only tokens may only read (GET, HEAD).
    pub read_only: bool,
    #[serde(serialize_with = "micros")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Micros,
    /// When the token was last used (to the minute); `null` if never.
    #[serde(serialize_with = "opt_micros")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Micros>,
}

fn micros<S: Serializer>(m: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_micros(*m))
}

fn opt_micros<S: Serializer>(m: &Option<Micros>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.serialize_str(&format_micros(*m)),
        None => s.serialize_none(),
    }
}

const TOKEN_COLUMNS: &str =
    "t.token_id, t.account_id, t.name, t.read_only, t.created_at, t.last_used_at";

impl FromRow for ApiToken {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(ApiToken {
            token_id: row.text(0)?,
            account_id: row.text(1)?,
            name: row.text(2)?,
            read_only: row.int(3)? != 0,
            created_at: row.int(4)?,
            // NULL (never used) does not read as an integer on any engine.
            last_used_at: row.int(5).ok(),
        })
    }
}

/// A token found by its secret, with its account's email.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token: ApiToken,
    pub email: String,
}

impl FromRow for TokenOwner {
    fn from_row<R: Row>(row: &R) -> Result<Self, DbError> {
        Ok(TokenOwner {
            token: ApiToken::from_row(row)?,
            email: row.text(6)?,
        })
    }
}

/// How stale `last_used_at` may get before a use writes it again: a busy script must not turn
/// every read into a write.
const LAST_USED_PRECISION: Micros = 60 * 1_000_000;

impl Store {
    pub async fn create_api_token(
        &self,
        account_id: &str,
        name: &str,
        read_only: bool,
        token_hash: &str,
    ) -> ApiResult<ApiToken> {
        let token = ApiToken {
            token_id: new_id(),
            account_id: account_id.to_owned(),
            name: name.to_owned(),
            read_only,
            created_at: now_micros(),
            last_used_at: None,
        };
        let mut sql = Sql::new(
            "INSERT INTO api_tokens (token_id, account_id, name, token_hash, read_only, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        );
        sql.text(&token.token_id)
            .text(account_id)
            .text(name)
            .text(token_hash)
            .int(i64::from(read_only))
            .int(token.created_at);
        self.execute(sql).await?;
        Ok(token)
    }

    /// The account's tokens, oldest first.
    pub async fn list_api_tokens(&self, account_id: &str) -> ApiResult<Vec<ApiToken>> {
        let mut sql = Sql::new(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.account_id = ? \
             ORDER BY t.created_at, t.token_id"
        ));
        sql.text(account_id);
        self.query_all(sql).await
    }

    /// Revoke a token of the account; `None` when it has no such token.
    pub async fn delete_api_token(
        &self,
        account_id: &str,
        token_id: &str,
    ) -> ApiResult<Option<ApiToken>> {
        let args = (account_id.to_owned(), token_id.to_owned());
        self.write(args, |mut c, (account_id, token_id)| {
            Box::pin(async move {
                let mut select = Sql::new(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens t \
                     WHERE t.token_id = ? AND t.account_id = ?"
                ));
                select.text(&token_id).text(&account_id);
                let Some(token) = c.fetch_optional::<ApiToken>(select).await? else {
                    return Ok(None);
                };
                let mut delete = Sql::new("DELETE FROM api_tokens WHERE token_id = ?");
                delete.text(&token_id);
                c.execute(delete).await?;
                Ok(Some(token))
            })
        })
        .await
    }

    /// The token whose secret hashes to `token_hash`, with its account's email; its use is
    /// recorded (to the minute).
    pub async fn use_api_token(&self, token_hash: &str) -> ApiResult<Option<TokenOwner>> {
        let mut sql = Sql::new(&format!(
            "SELECT {TOKEN_COLUMNS}, a.email FROM api_tokens t \
             JOIN accounts a ON a.account_id = t.account_id WHERE t.token_hash = ?"
        ));
        sql.text(token_hash);
        let Some(found) = self.query_optional::<TokenOwner>(sql).await? else {
            return Ok(None);
        };
        let now = now_micros();
        if found
            .token
            .last_used_at
            .is_none_or(|at| at + LAST_USED_PRECISION < now)
        {
            let mut touch = Sql::new("UPDATE api_tokens SET last_used_at = ? WHERE token_id = ?");
            touch.int(now).text(&found.token.token_id);
            self.execute(touch).await?;
        }
        Ok(Some(found))
    }
}
